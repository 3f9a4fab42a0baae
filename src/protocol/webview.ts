// The one message protocol between the extension host and the webview panels. Imported by both
// sides: no Node, no vscode, no DOM here. Large numeric payloads travel as typed arrays (VS Code
// sends their buffers as binary, not as JSON lists of numbers). The host trusts nothing a webview
// sends: parseFromWebview checks every field and range and returns null for anything else.

export type PanelKind = "dashboard" | "gateHeatmap" | "gradientFlow" | "generateText" | "compareRuns" | "gradientCheck" | "forecast" | "classificationReport" | "explainPrediction" | "textTaskTraining";
export const PANEL_KINDS: PanelKind[] = ["dashboard", "gateHeatmap", "gradientFlow", "generateText", "compareRuns", "gradientCheck", "forecast", "classificationReport", "explainPrediction", "textTaskTraining"];

/** What a panel needs to come back after a window reload (kept in the webview's state, read by the serializer). */
export type PanelRestore =
  | { kind: "dashboard"; runDir: string }
  /** the training dashboard of a forecaster's run: its record (<runs>/forecasts/<file>-<column>/<time>.json) */
  | { kind: "dashboard"; forecastRecord: string }
  | { kind: "gateHeatmap"; checkpoint: string; text: string }
  | { kind: "gradientFlow"; checkpoint: string; text: string }
  | { kind: "generateText"; checkpoint: string }
  | { kind: "compareRuns"; runDirs: string[] }
  | { kind: "gradientCheck" }
  | { kind: "forecast"; file: string; target: string; timeColumn?: string }
  | { kind: "classificationReport"; checkpoint: string; file: string }
  | { kind: "explainPrediction"; checkpoint: string; text: string }
  | { kind: "textTaskTraining"; record: string };

import type { ClassificationReportData, ReportRecord } from "../engine/insight/classificationReportData";
import type { AttributionResult } from "./textPredictions";

// ---- shared payloads ----

/** Training metrics as columns, one entry per optimizer step. tensorNorms: [steps, tensorCount] row-major (NaN where not recorded). */
export interface StepColumns {
  step: Float64Array;
  loss: Float32Array;
  gradNorm: Float32Array;
  clipped: Uint8Array;
  lr: Float32Array;
  chars: Float64Array;
  seconds: Float32Array;
  tensorNorms: Float32Array;
  tensorCount: number;
}

export interface EvalColumns { step: Float64Array; valLoss: Float32Array; chars: Float64Array; seconds: Float32Array }

export type RunState = "queued" | "training" | "paused" | "done" | "stopped" | "failed" | "interrupted";

export interface RunSummary {
  label: string; // model name · run id
  model: string; // "LSTM 2×128, 200,000 parameters"
  state: RunState;
  clip: number; // global-norm threshold, 0 = none
  tensorNames: string[];
  budget: string;
  live: boolean; // the run trains in this window: Pause/Resume/Stop act on it
  charsPerEpoch: number; // training characters in one pass over the corpus (0: unknown), for the epoch axis
}

export interface QuantityInfo { name: string; range: "gate" | "tanh" | "unbounded" }

export interface FlowSeries { label: string; cell: string; layers: number; norms: Float32Array[] }

export interface ClippingSummary {
  threshold: number; globalNorm: number; scale: number; tensors: { name: string; before: number; after: number }[];
  /** The checkpoint's optimizer's next step, ‖Δθ‖ without and with clipping (null: no optimizer state in the checkpoint). */
  update: { optimizer: string; step: number; lr: number; unclipped: number; clipped: number; tensors: { name: string; unclipped: number; clipped: number }[] } | null;
}

/** One tensor's (or state's) histogram at every checkpoint; see src/engine/insight/histograms.ts. */
export interface HistogramSeriesData {
  name: string;
  kind: "weight" | "gradient" | "activation";
  edges: Float64Array; // bins + 1
  counts: Float32Array; // [steps, bins]
  quantiles: Float32Array; // [steps, quantiles.length]
}

export interface TensorCheckRow { name: string; size: number; maxRelError: number; meanRelError: number; maxAbsError: number }

/** What a compared run was trained to do; each task is compared by its own validation metrics. */
export type RunTask = "language" | "classify" | "tag" | "segment" | "forecast";

/** One validation metric of a run, a value per row of its `eval` columns; `name` is English (the page translates it). */
export interface RunMetric { name: string; higherIsBetter: boolean; values: Float32Array }

export interface ComparedRun {
  label: string;
  /** absent: a language model's run, compared by its validation loss */
  task?: RunTask;
  /** the run's validation metrics, the one its checkpoint is chosen by first; absent: validation loss alone */
  metrics?: RunMetric[];
  /** The run's own name, note and tags from its run.json, where the user gave them. */
  name?: string;
  notes?: string;
  tags?: string[];
  state: RunState;
  hyper: Record<string, string>;
  step: Float64Array;
  chars: Float64Array;
  seconds: Float32Array;
  loss: Float32Array;
  eval: EvalColumns;
}

/** One model's (or baseline's) backtest, as src/engine/forecast/baselineReport.ts makes it. Arrays [origins, horizon] row-major. */
export interface ForecastModelData {
  name: string;
  forecasts: Float64Array;
  lower: Float64Array | null;
  upper: Float64Array | null;
  /** this model's interval level where it is not the panel's intervalLevel (a quantile head: τ_Q − τ_1) */
  intervalLevel?: number;
  overall: ForecastErrorsData;
  perStep: ForecastErrorsData[];
  openLoop: { forecasts: Float64Array; overall: ForecastErrorsData; perStep: ForecastErrorsData[] } | null;
  residuals: Float64Array;
  residualAcf: Float64Array;
}
export interface ForecastErrorsData { mae: number; rmse: number; mase: number; smape: number; coverage?: number | null }

/** Everything the forecast panel draws: the target series, its spans, and every model's backtest on the test span. */
export interface ForecastPanelData {
  title: string;
  column: string;
  values: Float64Array;
  time: Float64Array | null;
  timeKind: "date" | "number" | "row";
  lines: Int32Array;
  trainEnd: number;
  valEnd: number;
  horizon: number;
  origins: number[];
  season: number;
  seasonDetected: boolean;
  suggestion: { season: number; falloff: number; lookback: number; horizon: number; acf: Float64Array; band: number };
  ar: { order: number; coefficients: Float64Array; sigma2: number; aic: number };
  models: ForecastModelData[];
  residualBand: number;
  /** the intervals' nominal coverage (0.9: central 90 %) */
  intervalLevel: number;
  /** the trained model's label, or null (baselines only); modelNote: why there is none, or a fact about it */
  model: string | null;
  modelNote?: string;
  /** facts about the data in the user's language (gaps filled, rows sorted, irregular spacing) */
  notes: string[];
}

/** A forecaster's training as the forecast panel draws it: each validation's MAE and RMSE (data units) and the best baseline's MAE. */
export interface ForecastTrainingData {
  state: "training" | "done" | "failed" | "stopped";
  steps: number;
  validations: { step: number; valMae: number; valRmse: number }[];
  baselineValMae: number;
}

/** A classifier's evaluation on a labelled file, as the classification report panel draws it (made by src/engine/insight/classificationReportData.ts). */
export type { ClassificationReportData, ReportRecord };

/** A classifier's, tagger's or segmenter's training as its panel draws it: every validation, the classes or tags with their training counts. */
export interface TextTaskTrainingData {
  title: string;
  model: string;
  state: "training" | "done" | "failed" | "stopped";
  names: string[];
  counts: number[];
  validations: { step: number; valLoss: number; valAccuracy: number; valF1: number }[];
  message?: string;
}

// ---- host → webview ----

export type ToWebview =
  | { type: "restore"; restore: PanelRestore }
  | { type: "dashboard.run"; run: RunSummary }
  | { type: "dashboard.history"; steps: StepColumns; evals: EvalColumns; samples: { step: number; text: string }[] }
  | { type: "dashboard.append"; steps: StepColumns }
  /** warning: set (translated) when the validation loss has not improved for several evaluations; the page may show it. */
  | { type: "dashboard.eval"; step: number; valLoss: number; chars: number; seconds: number; warning?: string }
  | { type: "dashboard.sample"; step: number; text: string }
  | { type: "dashboard.status"; state: RunState; step: number; charsPerSecond: number | null; etaSeconds: number | null; fraction: number | null }
  /** a forecaster's run on the dashboard: its validations (MAE, RMSE in the data's units) and the best baseline's MAE; live: it trains in this window; resumable: stopped with a checkpoint */
  | { type: "dashboard.forecast"; label: string; column: string; training: ForecastTrainingData; live: boolean; resumable: boolean }
  | { type: "histograms.data"; steps: number[]; quantiles: number[]; series: HistogramSeriesData[] }
  /** directions: 2 for a bidirectional model; direction: the one shown (1 = backward: row t has read T−1 … t). */
  | { type: "heatmap.data"; model: string; cell: string; layers: number; hidden: number; layer: number; directions: number; direction: number; chars: string[]; quantities: QuantityInfo[]; values: Float32Array[] }
  | { type: "flow.data"; model: string; window: number; windows: number; series: FlowSeries[]; clipping: ClippingSummary | null; candidates: { label: string; cell: string }[]; selected: number[] }
  | { type: "generate.model"; model: string; vocab: string[]; k: number }
  | { type: "generate.chunk"; chars: string[]; probs: Float32Array; alternatives: Int32Array; alternativeProbs: Float32Array }
  | { type: "generate.done"; stopped: boolean }
  | { type: "compare.data"; title: string; runs: ComparedRun[]; differing: string[] }
  | { type: "check.start"; settings: Record<string, string | number>; threshold: number; models: number }
  | { type: "check.result"; model: string; tensors: TensorCheckRow[] }
  | { type: "check.done"; passed: boolean; worst: number }
  | { type: "forecast.data"; data: ForecastPanelData }
  | { type: "forecast.training"; training: ForecastTrainingData }
  | { type: "report.data"; data: ClassificationReportData }
  | { type: "explain.data"; model: string; attribution: AttributionResult }
  | { type: "textTask.data"; data: TextTaskTrainingData }
  | { type: "busy"; message: string }
  | { type: "failed"; message: string };

// ---- webview → host ----

export type FromWebview =
  | { type: "ready" }
  /** What the webview drew, in numbers (the integration tests read it; the log records it at trace level). */
  | { type: "rendered"; summary: Record<string, number | string | boolean> }
  | { type: "dashboard.control"; action: "pause" | "resume" | "stop" }
  /** Save the run's metrics as CSV (the host reads its own file and asks where with a save dialog). */
  | { type: "dashboard.exportCsv" }
  | { type: "histograms.request" }
  /** Save a chart the page drew as a PNG (any panel; the host asks where with a save dialog). */
  | { type: "export.png"; name: string; dataUrl: string }
  | { type: "heatmap.request"; layer: number; direction?: number; text?: string }
  | { type: "flow.request"; window: number; compare: number[] }
  | { type: "generate.start"; prime: string; length: number; temperature: number; topK: number; topP: number; seed: number }
  | { type: "generate.stop" }
  | { type: "generate.copy"; text: string }
  | { type: "generate.insert"; text: string }
  /** Backtest again with this horizon and number of forecast origins. */
  | { type: "forecast.options"; horizon: number; origins: number }
  /** Train Forecaster on This File… for the panel's file and target. */
  | { type: "forecast.train" }
  /** Stop the forecaster training on this panel's column. */
  | { type: "forecast.stop" }
  /** Open the training dashboard of this column's newest forecaster run. */
  | { type: "forecast.dashboard" }
  /** Show the row of the file a forecast origin came from. */
  | { type: "forecast.reveal"; line: number }
  /** Open the report's file at a record's line. */
  | { type: "report.reveal"; line: number }
  /** Explain again with this many integrated-gradients steps. */
  | { type: "explain.steps"; steps: number }
  /** Stop the text task's run this panel follows (the best model so far is kept). */
  | { type: "textTask.stop" };

export const LIMITS = {
  typedText: 5000, // characters of text a heatmap reads
  prime: 10_000,
  generateLength: 100_000,
  flowWindow: [2, 1000] as const,
  copiedText: 1_000_000,
  summaryKeys: 64,
  pngChars: 16_000_000, // a data URL: a 4K chart is well under this
  exportName: 80,
  forecastHorizon: [1, 1000] as const,
  forecastOrigins: [1, 2000] as const,
  explainSteps: [1, 1024] as const,
};
const PNG_PREFIX = "data:image/png;base64,";

const isInt = (v: unknown, lo: number, hi: number): v is number => typeof v === "number" && Number.isInteger(v) && v >= lo && v <= hi;
const isNum = (v: unknown, lo: number, hi: number): v is number => typeof v === "number" && Number.isFinite(v) && v >= lo && v <= hi;
const isStr = (v: unknown, max: number): v is string => typeof v === "string" && v.length <= max;

/** The message if it is one this panel accepts, with every field in range; otherwise null. */
export function parseFromWebview(kind: PanelKind, m: unknown): FromWebview | null {
  if (typeof m !== "object" || m === null || Array.isArray(m)) return null;
  const x = m as Record<string, unknown>;
  switch (x.type) {
    case "ready": return { type: "ready" };
    case "rendered": {
      if (typeof x.summary !== "object" || x.summary === null || Array.isArray(x.summary)) return null;
      const entries = Object.entries(x.summary as Record<string, unknown>);
      if (entries.length > LIMITS.summaryKeys) return null;
      if (!entries.every(([, v]) => typeof v === "boolean" || (typeof v === "number" && !Number.isNaN(v)) || isStr(v, 1000))) return null;
      return { type: "rendered", summary: Object.fromEntries(entries) as Record<string, number | string | boolean> };
    }
    case "export.png":
      // a file name stem (no folders: the save dialog chooses where), and a PNG in base64
      if (isStr(x.name, LIMITS.exportName) && /^[\w.-]+$/.test(x.name) && isStr(x.dataUrl, LIMITS.pngChars) && x.dataUrl.startsWith(PNG_PREFIX) && /^[A-Za-z0-9+/]*={0,2}$/.test(x.dataUrl.slice(PNG_PREFIX.length))) {
        return { type: "export.png", name: x.name, dataUrl: x.dataUrl };
      }
      return null;
  }
  switch (kind) {
    case "dashboard":
      if (x.type === "dashboard.control" && (x.action === "pause" || x.action === "resume" || x.action === "stop")) return { type: x.type, action: x.action };
      if (x.type === "dashboard.exportCsv" || x.type === "histograms.request") return { type: x.type };
      return null;
    case "gateHeatmap":
      if (x.type === "heatmap.request" && isInt(x.layer, 0, 3) && (x.direction === undefined || isInt(x.direction, 0, 1)) && (x.text === undefined || (isStr(x.text, LIMITS.typedText) && x.text.length > 0))) {
        return { type: x.type, layer: x.layer, ...(x.direction === undefined ? {} : { direction: x.direction }), ...(x.text === undefined ? {} : { text: x.text }) };
      }
      return null;
    case "gradientFlow":
      if (x.type === "flow.request" && isInt(x.window, ...LIMITS.flowWindow) && Array.isArray(x.compare) && x.compare.length <= 8 && x.compare.every((i) => isInt(i, 0, 1000))) {
        return { type: x.type, window: x.window, compare: [...new Set(x.compare as number[])] };
      }
      return null;
    case "generateText":
      if (x.type === "generate.start" && isStr(x.prime, LIMITS.prime) && isInt(x.length, 1, LIMITS.generateLength) && isNum(x.temperature, 0, 10)
        && isInt(x.topK, 0, 1_000_000) && isNum(x.topP, 0.001, 1) && isInt(x.seed, 0, 2 ** 32 - 1)) {
        return { type: x.type, prime: x.prime, length: x.length, temperature: x.temperature, topK: x.topK, topP: x.topP, seed: x.seed };
      }
      if (x.type === "generate.stop") return { type: x.type };
      if ((x.type === "generate.copy" || x.type === "generate.insert") && isStr(x.text, LIMITS.copiedText)) return { type: x.type, text: x.text };
      return null;
    case "forecast":
      if (x.type === "forecast.options" && isInt(x.horizon, ...LIMITS.forecastHorizon) && isInt(x.origins, ...LIMITS.forecastOrigins)) return { type: x.type, horizon: x.horizon, origins: x.origins };
      if (x.type === "forecast.train" || x.type === "forecast.stop" || x.type === "forecast.dashboard") return { type: x.type };
      if (x.type === "forecast.reveal" && isInt(x.line, 1, Number.MAX_SAFE_INTEGER)) return { type: x.type, line: x.line };
      return null;
    case "classificationReport":
      if (x.type === "report.reveal" && isInt(x.line, 1, Number.MAX_SAFE_INTEGER)) return { type: x.type, line: x.line };
      return null;
    case "textTaskTraining":
      return x.type === "textTask.stop" ? { type: x.type } : null;
    case "explainPrediction":
      if (x.type === "explain.steps" && isInt(x.steps, ...LIMITS.explainSteps)) return { type: x.type, steps: x.steps };
      return null;
    default:
      return null; // compareRuns and gradientCheck only show what the host sends
  }
}

/** The webview's saved state (vscode.setState): the host's restore record and the panel's own view settings. */
export interface WebviewState { restore?: PanelRestore; view?: Record<string, unknown> }

export function isPanelRestore(v: unknown): v is PanelRestore {
  if (typeof v !== "object" || v === null) return false;
  const r = v as Record<string, unknown>;
  switch (r.kind) {
    case "dashboard": return typeof r.runDir === "string" || typeof r.forecastRecord === "string";
    case "gateHeatmap": case "gradientFlow": return typeof r.checkpoint === "string" && typeof r.text === "string";
    case "generateText": return typeof r.checkpoint === "string";
    case "compareRuns": return Array.isArray(r.runDirs) && r.runDirs.every((d) => typeof d === "string");
    case "gradientCheck": return true;
    case "forecast": return typeof r.file === "string" && typeof r.target === "string" && (r.timeColumn === undefined || typeof r.timeColumn === "string");
    case "classificationReport": return typeof r.checkpoint === "string" && typeof r.file === "string";
    case "explainPrediction": return typeof r.checkpoint === "string" && typeof r.text === "string";
    case "textTaskTraining": return typeof r.record === "string";
    default: return false;
  }
}
