// Messages between the extension host and the forecast worker (dist/forecastWorker.js): reading a
// CSV/TSV's columns for the quick picks, the backtest the forecast panel draws, and the forecast from
// one row for the hover. Parsing a large table and backtesting happen there, never on the host's
// thread. A request names its table by file and, for an editor's unsaved text, carries that text
// with the document's version (the worker keeps the last tables it read, by file and version).

import type { BaselineReport, BacktestedModel } from "../engine/forecast/baselineReport";
import type { ModelInfo } from "../engine/forecast/modelBacktest";
import type { TablePreview } from "../engine/forecast/tablePreview";
import type { FillMethod } from "../engine/forecast/numericSeries";
import { requestFields } from "./messageChannel";

export interface TableSource { file: string; text?: string; version?: number }

/** The column and how to read it; the spans by time default to the forecast trainer's (a trained model's own split wins). */
export interface SeriesChoice {
  target: string;
  timeColumn?: string;
  fill: FillMethod;
  valFraction?: number;
  testFraction?: number;
}

export type ForecastRequest =
  | { type: "preview"; id: number; source: TableSource }
  /** origins: how many forecast origins (a trained model's own backtest count when omitted with a checkpoint, else 100) */
  | { type: "report"; id: number; source: TableSource; series: SeriesChoice; horizon?: number; origins?: number; season?: number; arOrder?: number; checkpoint?: string }
  /** the forecasts from the row on file line `line` on: what the hover shows */
  | { type: "forecastFrom"; id: number; source: TableSource; series: SeriesChoice; line: number; horizon?: number; checkpoint?: string };

export type ForecastRequestBody = ForecastRequest extends infer R ? R extends { id: number } ? Omit<R, "id"> : never : never;

/** The target series as the panel draws it. */
export interface SeriesData {
  column: string;
  values: Float64Array;
  /** ms since 1970 (dates), the time column's numbers, or null: the row order */
  time: Float64Array | null;
  timeKind: "date" | "number" | "row";
  lines: Int32Array;
  filled: number;
  sorted: boolean;
  spacing: { step: string; irregular: number } | null;
}

export type { ModelInfo };

export interface ForecastPoint { name: string; forecast: Float64Array; lower: Float64Array | null; upper: Float64Array | null }

export type ForecastResult =
  | { type: "preview"; preview: TablePreview }
  /** report.models: the baselines, then the trained model's when a checkpoint was given and could be read (modelError: why not) */
  | { type: "report"; series: SeriesData; report: BaselineReport; model: ModelInfo | null; modelError?: string }
  | { type: "forecastFrom"; column: string; origin: number; line: number; time: number | null; timeKind: SeriesData["timeKind"]; next: (number | null)[]; forecasts: ForecastPoint[]; model: ModelInfo | null; modelError?: string };

export type ForecastReply =
  | { id: number; ok: true; result: ForecastResult }
  | { id: number; ok: false; message: string; template?: string; args?: (string | number)[] };

const str = (v: unknown): v is string => typeof v === "string";
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const intIn = (v: unknown, lo: number, hi: number) => typeof v === "number" && Number.isInteger(v) && v >= lo && v <= hi;
const fraction = (v: unknown) => typeof v === "number" && v >= 0 && v < 1;
const optional = (v: unknown, check: (x: unknown) => boolean) => v === undefined || check(v);

export const FORECAST_LIMITS = { horizon: 1000, origins: 2000, season: 10_000, arOrder: 100, textChars: 200_000_000 };

function isSource(v: unknown): boolean {
  return isObj(v) && str(v.file) && optional(v.text, (t) => str(t) && t.length <= FORECAST_LIMITS.textChars) && optional(v.version, (x) => intIn(x, 0, Number.MAX_SAFE_INTEGER));
}

function isSeriesChoice(v: unknown): boolean {
  return isObj(v) && str(v.target) && optional(v.timeColumn, str) && (v.fill === "none" || v.fill === "previous" || v.fill === "linear") && optional(v.valFraction, fraction) && optional(v.testFraction, fraction);
}

/** The worker checks every request before acting on it. */
export function isForecastRequest(m: unknown): m is ForecastRequest {
  const r = requestFields(m);
  if (!r || !isSource(r.source)) return false;
  switch (r.type) {
    case "preview": return true;
    case "report":
      return isSeriesChoice(r.series) && optional(r.origins, (o) => intIn(o, 1, FORECAST_LIMITS.origins)) && optional(r.horizon, (h) => intIn(h, 1, FORECAST_LIMITS.horizon))
        && optional(r.season, (s) => intIn(s, 1, FORECAST_LIMITS.season)) && optional(r.arOrder, (p) => intIn(p, 0, FORECAST_LIMITS.arOrder)) && optional(r.checkpoint, str);
    case "forecastFrom":
      return isSeriesChoice(r.series) && intIn(r.line, 1, Number.MAX_SAFE_INTEGER) && optional(r.horizon, (h) => intIn(h, 1, FORECAST_LIMITS.horizon)) && optional(r.checkpoint, str);
    default: return false;
  }
}

function isBacktestedModel(v: unknown): v is BacktestedModel {
  return isObj(v) && str(v.name) && v.forecasts instanceof Float64Array && Array.isArray(v.perStep) && isObj(v.overall) && v.residuals instanceof Float64Array;
}

/** The host checks every reply before acting on it. */
export function isForecastReply(m: unknown): m is ForecastReply {
  if (!isObj(m) || typeof m.id !== "number") return false;
  if (m.ok === false) return str(m.message);
  const x = m.result;
  if (m.ok !== true || !isObj(x)) return false;
  switch (x.type) {
    case "preview": return isObj(x.preview) && Array.isArray(x.preview.columns) && typeof x.preview.rows === "number";
    case "report": {
      const s = x.series, r = x.report;
      return isObj(s) && s.values instanceof Float64Array && s.lines instanceof Int32Array && (s.time === null || s.time instanceof Float64Array)
        && isObj(r) && Array.isArray(r.models) && r.models.every(isBacktestedModel) && Array.isArray(r.origins) && (x.model === null || isObj(x.model));
    }
    case "forecastFrom":
      return str(x.column) && typeof x.origin === "number" && Array.isArray(x.forecasts) && x.forecasts.every((f) => isObj(f) && str(f.name) && f.forecast instanceof Float64Array) && Array.isArray(x.next);
    default: return false;
  }
}
