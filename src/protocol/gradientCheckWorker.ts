// Messages between the extension host and the gradient-check worker (dist/gradientCheckWorker.js).

import type { ModelSpec } from "../engine/modelSpec";
import type { TensorCheck } from "../engine/gradientCheck";

export interface GradientCheckRequest {
  type: "gradientCheck";
  specs: ModelSpec[];
}

export type GradientCheckReply =
  | { type: "result"; spec: ModelSpec; tensors: TensorCheck[] }
  | { type: "done" }
  | { type: "error"; message: string };
