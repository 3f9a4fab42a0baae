// Messages between the extension host and a training worker (dist/trainingWorker.js).
// The host sends one TrainRequest, then at most one StopRequest; the worker answers with
// TrainingEvents and ends with "done" or "error".

import type { ModelSpec } from "../engine/modelSpec";
import type { TrainOptions } from "../engine/trainOptions";

export interface TrainRequest {
  type: "train";
  name: string; // what the text is called in messages (a file name)
  text: string; // the training text, as the editor has it (saved or not)
  outDir: string; // the run's folder: model.safetensors and metrics.jsonl go there
  model: Pick<ModelSpec, "cell" | "layers" | "hidden">;
  options: Partial<TrainOptions>;
  seconds: number; // time budget
  threads: number;
  evalEvery: number; // steps
}

export interface StopRequest {
  type: "stop";
}

export type ToTrainingWorker = TrainRequest | StopRequest;

export type TrainingEvent =
  | { type: "started"; params: number; description: string; trainChars: number; valChars: number; threads: number; kernels: string }
  | { type: "progress"; step: number; epoch: number; loss: number; gradNorm: number; charsPerSecond: number; fraction: number }
  | { type: "eval"; step: number; valLoss: number }
  | { type: "done"; step: number; valLoss: number | null; checkpoint: string; seconds: number; charsPerSecond: number; stopped: boolean }
  | { type: "error"; message: string };
