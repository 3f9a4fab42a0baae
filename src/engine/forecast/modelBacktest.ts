// A trained forecaster's backtest in the same shape as the baselines' (baselineReport.ts), so the
// panel, the hover and the metrics table treat it as one more row: its forecasts at the same origins,
// closed loop and (recursive models) open loop, intervals where its loss gives them, per-step errors
// against the same actual values and MASE scale, and one-step residuals over the test span. Loading
// and running the network are the forecast engine's (forecastModel.ts).

import { statSync } from "node:fs";
import { basename } from "node:path";
import { BacktestedModel, score } from "./baselineReport";
import { ForecastModel, ForecastPoints, loadForecastModel, readForecastTable } from "./forecastModel";
import type { NumericSeries } from "./numericSeries";
import { autocorrelation } from "./seasonality";
import { naiveScale } from "./forecastMetrics";

/** What the panel says about the trained model: its checkpoint, a label, its window, a note (e.g. its loss). */
export interface ModelInfo { checkpoint: string; label: string; lookback: number; horizon: number; note?: string }

export interface ModelBacktest { model: BacktestedModel | null; info: ModelInfo | null; error?: string }

/** At most this many one-step forecasts for the residuals (the last ones of the test span). */
const MAX_RESIDUALS = 5000;

const loaded = new Map<string, { mtimeMs: number; model: ForecastModel; series: Map<string, NumericSeries> }>();

/** A forecasting checkpoint, read once and again only when its file changes (a run rewrites it). */
export function loadForecaster(checkpoint: string): ForecastModel {
  return load(checkpoint).model;
}

function load(checkpoint: string): { model: ForecastModel; series: Map<string, NumericSeries> } {
  const mtimeMs = statSync(checkpoint).mtimeMs;
  let e = loaded.get(checkpoint);
  if (!e || e.mtimeMs !== mtimeMs) {
    e = { mtimeMs, model: loadForecastModel(checkpoint), series: new Map() };
    loaded.set(checkpoint, e);
  }
  return e;
}

/** [origin][step][target 0] → [origins, H] row-major. */
function flat(points: ForecastPoints, which: "mean" | "lower" | "upper"): Float64Array | null {
  const a = points[which];
  if (!a) return null;
  const H = points.horizon;
  const out = new Float64Array(points.origins.length * H);
  a.forEach((perStep, i) => perStep.forEach((v, h) => { out[i * H + h] = v[0]; }));
  return out;
}

/**
 * The model's row for `series`' target (its first): forecasts at `at.origins` H steps on. The table is
 * read again with the model's own columns (its inputs too) from the file on disk.
 */
export function modelForecastsFor(checkpoint: string, series: NumericSeries, at: { trainEnd: number; valEnd: number; origins: number[]; horizon: number }): ModelBacktest {
  try {
    const { model, series: tables } = load(checkpoint);
    const info: ModelInfo = { checkpoint, label: `${basename(checkpoint)} (${model.description})`, lookback: model.lookback, horizon: model.horizon };
    let table = tables.get(series.file);
    if (!table) { table = readForecastTable(model, series.file); tables.set(series.file, table); }
    const H = model.strategy === "direct" ? Math.min(at.horizon, model.horizon) : at.horizon;
    const origins = at.origins.filter((o) => o >= model.lookback && o <= table!.steps);
    if (!origins.length) return { model: null, info, error: `the model reads ${model.lookback} steps before its first forecast; these origins come earlier` };
    const closed = model.forecastAt(table, origins, { closedLoop: true, horizon: H });
    const open = model.strategy === "recursive" ? model.forecastAt(table, origins, { closedLoop: false, horizon: H }) : null;
    const w = table.columns.length;
    const y = Float64Array.from({ length: table.steps }, (_, i) => table!.values[i * w]);
    const scale = naiveScale(y.subarray(0, at.trainEnd));
    // the same origins as the baselines, each H steps: only origins whose whole horizon lies in the table are scored
    const scored = origins.map((o, i) => ({ o, i })).filter(({ o }) => o + H <= table!.steps);
    const pick = (a: Float64Array | null) => (a ? Float64Array.from(scored.flatMap(({ i }) => Array.from(a.subarray(i * H, (i + 1) * H)))) : null);
    const forecasts = pick(flat(closed, "mean"))!, lower = pick(flat(closed, "lower")), upper = pick(flat(closed, "upper"));
    const so = scored.map((s) => s.o);
    const { overall, perStep } = score(y, so, H, scale, forecasts, lower, upper);
    let openLoop: BacktestedModel["openLoop"] = null;
    if (open) {
      const f = pick(flat(open, "mean"))!;
      const e = score(y, so, H, scale, f, null, null);
      const strip = ({ coverage, ...rest }: typeof overall) => { void coverage; return rest; };
      openLoop = { forecasts: f, overall: strip(e.overall), perStep: e.perStep.map(strip) };
    }
    const first = Math.max(at.valEnd, model.lookback, table.steps - MAX_RESIDUALS);
    const oneStepOrigins = Array.from({ length: table.steps - first }, (_, k) => first + k);
    const oneStep = oneStepOrigins.length ? flat(model.forecastAt(table, oneStepOrigins, { closedLoop: true, horizon: 1 }), "mean")! : new Float64Array(0);
    // residuals over the whole test span: NaN where the model cannot forecast (before its lookback, or past MAX_RESIDUALS)
    const residuals = Float64Array.from({ length: table.steps - at.valEnd }, (_, k) => {
      const t = at.valEnd + k;
      return t >= first ? y[t] - oneStep[t - first] : NaN;
    });
    const finite = residuals.filter(Number.isFinite);
    const result: BacktestedModel = {
      name: "model", forecasts, lower, upper, ...(closed.intervalLevel !== null ? { intervalLevel: closed.intervalLevel } : {}), overall, perStep, openLoop, residuals,
      residualAcf: autocorrelation(finite, Math.max(1, Math.min(40, Math.floor(finite.length / 4)))),
    };
    // a direct model forecasting fewer steps than the baselines: the panel compares the steps both have
    return { model: H === at.horizon && scored.length === at.origins.length ? result : padTo(result, at.horizon, at.origins, so), info: { ...info, ...(H < at.horizon ? { note: `it forecasts ${H} steps ahead` } : {}) } };
  } catch (e) {
    return { model: null, info: null, error: (e as Error).message };
  }
}

/** A model row laid out on the baselines' origins and horizon, NaN where the model has no forecast. */
function padTo(m: BacktestedModel, H: number, origins: number[], scoredOrigins: number[]): BacktestedModel {
  const h0 = m.perStep.length;
  const place = (a: Float64Array | null) => {
    if (!a) return null;
    const out = new Float64Array(origins.length * H).fill(NaN);
    scoredOrigins.forEach((o, j) => { const i = origins.indexOf(o); for (let h = 0; h < h0; h++) out[i * H + h] = a[j * h0 + h]; });
    return out;
  };
  const none = { mae: NaN, rmse: NaN, mase: NaN, smape: NaN, coverage: null };
  return {
    ...m, forecasts: place(m.forecasts)!, lower: place(m.lower), upper: place(m.upper),
    perStep: Array.from({ length: H }, (_, h) => m.perStep[h] ?? none),
    openLoop: m.openLoop && { ...m.openLoop, forecasts: place(m.openLoop.forecasts)!, perStep: Array.from({ length: H }, (_, h) => m.openLoop!.perStep[h] ?? none) },
  };
}
