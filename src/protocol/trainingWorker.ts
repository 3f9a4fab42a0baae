// Messages between the extension host and a training worker (dist/trainingWorker.js). The host
// sends one OpenRun, then any number of pause/resume and at most one stop; the worker answers with
// TrainingEvents and ends with "done" or "error". The worker trains one run at a time.

import type { StepMetric } from "../engine/runs/runMetrics";
import type { ForecastTrainProgress, ForecastTrainRequest } from "../engine/forecast/forecastModel";
import { FORECAST_NETWORK_FIELDS } from "../engine/forecast/forecastNetworkChoice";
import { ADDITIVE_FORMS, CELL_NORMS, CELL_TYPES, GRU_RESETS, NONLINEARITIES } from "../engine/model/cells";

export interface OpenRun {
  type: "open";
  modelDir: string;
  runDir: string; // created by the host (runStore.createRun); the worker takes its lock
}

/** A forecaster's training (the forecast engine's trainForecaster): answered by forecastProgress events and one forecastDone or error. */
export interface TrainForecaster { type: "forecast"; request: ForecastTrainRequest }

/**
 * A classifier's, tagger's or segmenter's training (the engine's prepareTextTask and the one
 * TrainingSession): answered by textTaskEval events at each validation and one textTaskDone or error;
 * `out` receives the best validation model.
 */
export interface TrainTextTask {
  type: "textTask";
  request: {
    kind: "classify" | "tag" | "segment"; data: string; textColumn?: string; labelColumn?: string; bidirectional: boolean;
    cell: string; layers: number; hidden: number; seconds: number; out: string;
  };
}

export type ToTrainingWorker = OpenRun | TrainForecaster | TrainTextTask | { type: "pause" } | { type: "resume" } | { type: "stop" };

export type TrainingEvent =
  | { type: "started"; how: "fresh" | "resumed" | "continued" | "from-weights"; step: number; params: number; description: string; trainChars: number; valChars: number; threads: number; kernels: string }
  | { type: "progress"; step: number; epoch: number; loss: number; gradNorm: number; clipped: boolean; lr: number; charsPerSecond: number; fraction: number; etaSeconds: number | null; steps: StepMetric[] }
  | { type: "eval"; step: number; valLoss: number; improved: boolean }
  | { type: "checkpoint"; step: number; path: string }
  | { type: "sample"; step: number; text: string }
  | { type: "paused"; step: number; checkpoint: string }
  | { type: "resumed"; step: number }
  | { type: "done"; step: number; valLoss: number | null; checkpoint: string; seconds: number; charsPerSecond: number; stopped: boolean }
  /** template/args: the message as the engine's USER_MESSAGES template and its arguments, for the host to translate. */
  | { type: "error"; message: string; step: number | null; template?: string; args?: (string | number)[] }
  /** a forecaster's validation: MAE and RMSE in the data's units, and the best baseline's MAE (the line to beat) */
  | { type: "forecastProgress"; progress: ForecastTrainProgress }
  /** the forecaster's checkpoint, and the test span's MAE of the model and of the best baseline (first target, over every step) */
  | { type: "forecastDone"; checkpoint: string; seconds: number; modelMae: number; bestBaseline: string; bestBaselineMae: number; steps: number; stopped: boolean }
  /** a text task's start: its classes or tags with their training counts, the records of each part */
  | { type: "textTaskStarted"; description: string; params: number; names: string[]; counts: number[]; trainRecords: number; valRecords: number; truncated: number }
  /** a text task's validation: loss (nats), accuracy and F1 (macro for classify, span/word for tag/segment); fraction of the budget spent */
  | { type: "textTaskEval"; step: number; valLoss: number; valAccuracy: number; valF1: number; improved: boolean; fraction: number }
  | { type: "textTaskDone"; checkpoint: string; seconds: number; steps: number; bestStep: number | null; bestValAccuracy: number | null; bestValF1: number | null; stopped: boolean };

const num = (v: unknown) => typeof v === "number";
const str = (v: unknown) => typeof v === "string";

/** The host checks every event before acting on it. */
export function isTrainingEvent(m: unknown): m is TrainingEvent {
  if (typeof m !== "object" || m === null) return false;
  const e = m as Record<string, unknown>;
  switch (e.type) {
    case "started": return str(e.how) && num(e.step) && num(e.params) && str(e.description) && num(e.threads) && str(e.kernels);
    case "progress": return num(e.step) && num(e.loss) && num(e.gradNorm) && num(e.charsPerSecond) && num(e.fraction) && Array.isArray(e.steps);
    case "eval": return num(e.step) && num(e.valLoss);
    case "checkpoint": return num(e.step) && str(e.path);
    case "sample": return num(e.step) && str(e.text);
    case "paused": return num(e.step) && str(e.checkpoint);
    case "resumed": return num(e.step);
    case "done": return num(e.step) && str(e.checkpoint) && num(e.seconds);
    case "error": return str(e.message);
    case "forecastProgress": {
      const p = e.progress as Record<string, unknown> | null;
      return !!p && num(p.step) && num(p.steps) && num(p.baselineValMae) && (p.valMae === null || num(p.valMae)) && (p.valRmse === null || num(p.valRmse))
        && (p.valMase === undefined || p.valMase === null || num(p.valMase)) && (p.baselineValMase === undefined || num(p.baselineValMase)) && (p.baselineName === undefined || str(p.baselineName));
    }
    case "forecastDone": return str(e.checkpoint) && num(e.seconds) && num(e.modelMae) && str(e.bestBaseline) && num(e.bestBaselineMae) && num(e.steps) && typeof e.stopped === "boolean";
    case "textTaskStarted": return str(e.description) && num(e.params) && Array.isArray(e.names) && e.names.every(str) && Array.isArray(e.counts) && e.counts.length === e.names.length && e.counts.every(num) && num(e.trainRecords) && num(e.valRecords) && num(e.truncated);
    case "textTaskEval": return [e.step, e.valLoss, e.valAccuracy, e.valF1, e.fraction].every(num) && typeof e.improved === "boolean";
    case "textTaskDone": return str(e.checkpoint) && num(e.seconds) && num(e.steps) && [e.bestStep, e.bestValAccuracy, e.bestValF1].every((v) => v === null || num(v)) && typeof e.stopped === "boolean";
    default: return false;
  }
}

/** A forecast run's network: known fields only (never bidirectional), each of its type; the engine checks the combination (validateSpec). */
function isForecastNetworkChoice(v: unknown): boolean {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const n = v as Record<string, unknown>;
  const among = (x: unknown, allowed: readonly string[]) => x === undefined || allowed.includes(x as string);
  const optional = (x: unknown, check: (y: unknown) => boolean) => x === undefined || check(x);
  const bool = (x: unknown) => typeof x === "boolean";
  return Object.keys(n).every((k) => (FORECAST_NETWORK_FIELDS as readonly string[]).includes(k))
    && among(n.cell, CELL_TYPES) && among(n.nonlinearity, NONLINEARITIES) && among(n.gruReset, GRU_RESETS) && among(n.norm, CELL_NORMS) && among(n.additiveForm, ADDITIVE_FORMS)
    && [n.layers, n.hidden, n.tau, n.dt].every((x) => optional(x, num)) && [n.residual, n.peephole, n.coupled, n.learnTau].every((x) => optional(x, bool));
}

/** The worker checks every command before acting on it. */
export function isToTrainingWorker(m: unknown): m is ToTrainingWorker {
  if (typeof m !== "object" || m === null) return false;
  const c = m as Record<string, unknown>;
  switch (c.type) {
    case "open": return str(c.modelDir) && str(c.runDir);
    case "forecast": {
      const r = c.request as Record<string, unknown> | null;
      return !!r && str(r.data) && str(r.out) && Array.isArray(r.targets) && r.targets.length > 0 && r.targets.every(str) && num(r.lookback) && num(r.horizon)
        && (r.resumeFrom === undefined || str(r.resumeFrom)) && (r.quantiles === undefined || (Array.isArray(r.quantiles) && r.quantiles.every(num)))
        && (r.network === undefined || isForecastNetworkChoice(r.network));
    }
    case "textTask": {
      const r = c.request as Record<string, unknown> | null;
      return !!r && ["classify", "tag", "segment"].includes(r.kind as string) && str(r.data) && str(r.out) && str(r.cell) && typeof r.bidirectional === "boolean"
        && [r.layers, r.hidden, r.seconds].every((v) => num(v) && (v as number) > 0) && (r.textColumn === undefined || str(r.textColumn)) && (r.labelColumn === undefined || str(r.labelColumn));
    }
    case "pause": case "resume": case "stop": return true;
    default: return false;
  }
}
