// Messages between the extension host and the gradient-check worker (dist/gradientCheckWorker.js).

import type { ModelSpec } from "../engine/model/modelSpec";
import type { TensorCheck } from "../engine/insight/gradientCheck";

// One request, answered by a stream of replies without ids (messageChannel.ts's event style): one
// "result" per model, then "done", or an "error".

export interface GradientCheckRequest {
  type: "gradientCheck";
  specs: ModelSpec[];
}

export type GradientCheckReply =
  | { type: "result"; spec: ModelSpec; tensors: TensorCheck[] }
  | { type: "done" }
  | { type: "error"; message: string };

/** The worker checks the request (the specs themselves are validated by the engine). */
export function isGradientCheckRequest(m: unknown): m is GradientCheckRequest {
  return typeof m === "object" && m !== null && (m as { type?: unknown }).type === "gradientCheck" && Array.isArray((m as { specs?: unknown }).specs);
}

/** The host checks every reply before acting on it. */
export function isGradientCheckReply(m: unknown): m is GradientCheckReply {
  if (typeof m !== "object" || m === null) return false;
  const r = m as Record<string, unknown>;
  switch (r.type) {
    case "result": {
      if (typeof r.spec !== "object" || r.spec === null || !Array.isArray(r.tensors)) return false;
      return (r.tensors as unknown[]).every((t) => {
        const x = t as Record<string, unknown> | null;
        return !!x && typeof x.name === "string" && typeof x.maxRelError === "number" && typeof x.meanRelError === "number";
      });
    }
    case "done": return true;
    case "error": return typeof r.message === "string";
    default: return false;
  }
}
