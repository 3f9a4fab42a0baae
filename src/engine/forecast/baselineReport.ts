// Everything the forecast panel shows that needs no trained model: the window suggested from the
// autocorrelation, and a rolling-origin backtest of every baseline on the test span with
// prediction intervals, per-step errors, open-loop (one step at a time, fed the actual values) versus
// closed-loop (fed its own forecasts) errors, one-step residuals and their autocorrelation, and AR(p)'s
// coefficients. Spans by time: baselines are fitted on [0, trainEnd), scored from valEnd on. The
// intervals have the trained forecaster's level (forecastModel.ts: INTERVAL_LEVEL, a central 90 %).
//
// The intervals are the benchmark methods' own (Hyndman & Athanasopoulos, "Forecasting: Principles and
// Practice", 3rd ed., §5.5), with σ the root mean square of the one-step training residuals:
//   naive          σ_h = σ √h
//   seasonal naive σ_h = σ √(⌊(h − 1)/S⌋ + 1)
//   mean           σ_h = σ √(1 + 1/T)                      (σ: the training span's standard deviation)
//   AR(p)          σ_h² = σ² Σ_{j<h} ψ_j², ψ_0 = 1, ψ_j = Σ_{k=1..min(j,p)} w_k ψ_{j−k}
//   time-delay network  none (its closed loop through the MLP has no closed form)

import { AutoregressiveFit } from "./autoregression";
import { BASELINES, BaselineName, backtestOrigins, fitBaselines } from "./baselines";
import { ForecastErrors, forecastErrors, intervalCoverage, naiveScale } from "./forecastMetrics";
import { autocorrelation, detectSeason } from "./seasonality";

/** The 95 % point of N(0, 1): a central 90 % interval, the level of the Gaussian head's (forecastModel.ts INTERVAL_LEVEL). */
export const INTERVAL_Z = 1.6448536269514722;
export const INTERVAL_LEVEL = 0.9;

export interface WindowSuggestion {
  /** the season the ACF shows (1: none) */
  season: number;
  /** the first lag whose |r_k| falls inside the white-noise band ±1.96/√n (maxLag + 1: it never does) */
  falloff: number;
  lookback: number;
  horizon: number;
  acf: Float64Array;
  band: number;
}

/** Lookback: two seasons, or the lags until the ACF falls off, whichever is longer (4 to 512); horizon: one season, or up to the fall-off (1 to 24). */
export function suggestWindow(train: ArrayLike<number>, maxLag = 48): WindowSuggestion {
  const acf = autocorrelation(train, maxLag);
  const band = 1.96 / Math.sqrt(train.length);
  let falloff = acf.length;
  for (let k = 1; k < acf.length; k++) if (Math.abs(acf[k]) < band) { falloff = k; break; }
  const season = detectSeason(train, maxLag);
  const lookback = Math.min(512, Math.max(4, season > 1 ? 2 * season : 0, falloff));
  const horizon = season > 1 ? Math.min(season, 48) : Math.max(1, Math.min(falloff - 1, 24));
  return { season, falloff, lookback, horizon, acf, band };
}

export interface ForecastErrorsWithCoverage extends ForecastErrors { coverage: number | null }

export interface BacktestedModel {
  name: string;
  /** [origins, horizon] row-major, closed loop */
  forecasts: Float64Array;
  /** the interval (INTERVAL_LEVEL) around each forecast, [origins, horizon]; null: the model gives none */
  lower: Float64Array | null;
  upper: Float64Array | null;
  /** this model's interval level where it differs from the report's (a quantile head's τ_Q − τ_1); absent: the report's intervalLevel */
  intervalLevel?: number;
  overall: ForecastErrorsWithCoverage;
  perStep: ForecastErrorsWithCoverage[];
  /** open loop: step h forecast from the actual values up to o + h − 1 (one step ahead each time); null where the model cannot be fed */
  openLoop: { forecasts: Float64Array; overall: ForecastErrors; perStep: ForecastErrors[] } | null;
  /** one-step residuals y_t − ŷ_{t|t−1} for t in [valEnd, steps) */
  residuals: Float64Array;
  residualAcf: Float64Array;
}

export interface BaselineReport {
  steps: number;
  trainEnd: number;
  valEnd: number;
  horizon: number;
  origins: number[];
  /** MASE's scale: the training span's mean |y_t − y_{t−1}| */
  scale: number;
  season: number;
  /** the season was found in the ACF (false: given, or none found) */
  seasonDetected: boolean;
  suggestion: WindowSuggestion;
  ar: { order: number; coefficients: Float64Array; sigma2: number; aic: number };
  models: BacktestedModel[];
  /** the band of the residuals' ACF, ±1.96/√n */
  residualBand: number;
  /** the intervals' nominal coverage */
  intervalLevel: number;
}

export interface ReportOptions {
  trainEnd: number;
  valEnd: number;
  horizon: number;
  origins: number;
  season?: number;
  arOrder?: number;
  maxArOrder?: number;
}

/** The baselines' report on one target series (values in time order). */
export function baselineReport(y: Float64Array, o: ReportOptions): BaselineReport {
  const n = y.length, H = o.horizon;
  const train = y.subarray(0, o.trainEnd);
  const suggestion = suggestWindow(train);
  const season = o.season ?? Math.max(1, suggestion.season);
  const set = fitBaselines(train, { season: Math.min(season, Math.max(1, train.length - 1)), arOrder: o.arOrder, maxArOrder: o.maxArOrder });
  const origins = backtestOrigins(n, o.valEnd, H, Math.min(o.origins, n - H - o.valEnd + 1));
  const scale = naiveScale(train);
  const residualLags = Math.max(1, Math.min(40, Math.floor((n - o.valEnd) / 4)));
  const sigmas = intervalWidths(train, set.ar, set.mean, season, H);
  const models = BASELINES.map((name): BacktestedModel => {
    const forecast = set.forecasters[name];
    const forecasts = new Float64Array(origins.length * H);
    origins.forEach((origin, i) => forecasts.set(forecast(y.subarray(0, origin), H), i * H));
    const sigma = sigmas[name];
    const lower = sigma && forecasts.map((f, i) => f - INTERVAL_Z * sigma[i % H]);
    const upper = sigma && forecasts.map((f, i) => f + INTERVAL_Z * sigma[i % H]);
    const oneStep = (t: number) => forecast(y.subarray(0, t), 1)[0];
    const residuals = Float64Array.from({ length: n - o.valEnd }, (_, k) => y[o.valEnd + k] - oneStep(o.valEnd + k));
    // open loop: each step one step ahead from the actual values (the mean does not read the history: none)
    const openLoop = name === "mean" ? null : scoreOpenLoop(y, origins, H, scale, oneStep);
    return { name, forecasts, lower, upper, ...score(y, origins, H, scale, forecasts, lower, upper), openLoop, residuals, residualAcf: autocorrelation(residuals, residualLags) };
  });
  return {
    steps: n, trainEnd: o.trainEnd, valEnd: o.valEnd, horizon: H, origins, scale, season, seasonDetected: o.season === undefined && suggestion.season > 1, suggestion,
    ar: { order: set.ar.order, coefficients: set.ar.coefficients, sigma2: set.ar.sigma2, aic: set.ar.aic }, models, residualBand: 1.96 / Math.sqrt(n - o.valEnd), intervalLevel: INTERVAL_LEVEL,
  };
}

/** The per-step σ_h (h = 1..H) of each baseline's forecast, from its one-step residuals on the training span; null for the time-delay network (a closed-loop MLP has no closed-form spread). */
export function intervalWidths(train: ArrayLike<number>, ar: AutoregressiveFit, mean: number, season: number, H: number): Record<BaselineName, Float64Array | null> {
  const rms = (from: number, residual: (t: number) => number) => {
    let s = 0;
    for (let t = from; t < train.length; t++) s += residual(t) ** 2;
    return Math.sqrt(s / Math.max(1, train.length - from));
  };
  const naive = rms(1, (t) => train[t] - train[t - 1]);
  const seasonal = rms(season, (t) => train[t] - train[t - season]);
  const T = train.length;
  let ss = 0;
  for (let t = 0; t < T; t++) ss += (train[t] - mean) ** 2;
  const sd = Math.sqrt(ss / Math.max(1, T - 1));
  const psi = new Float64Array(H);
  psi[0] = 1;
  for (let j = 1; j < H; j++) for (let k = 1; k <= Math.min(j, ar.order); k++) psi[j] += ar.coefficients[k] * psi[j - k];
  let cumulative = 0;
  const arSigma = Float64Array.from(psi, (p) => { cumulative += p * p; return Math.sqrt(ar.sigma2 * cumulative); });
  return {
    naive: Float64Array.from({ length: H }, (_, h) => naive * Math.sqrt(h + 1)),
    seasonal_naive: Float64Array.from({ length: H }, (_, h) => seasonal * Math.sqrt(Math.floor(h / season) + 1)),
    mean: new Float64Array(H).fill(sd * Math.sqrt(1 + 1 / T)),
    ar: arSigma,
    tdnn: null,
  };
}

/** Errors over all origins and steps, and per step ahead, with the intervals' coverage where there are intervals. */
export function score(y: ArrayLike<number>, origins: number[], H: number, scale: number, forecasts: Float64Array, lower: Float64Array | null, upper: Float64Array | null): { overall: ForecastErrorsWithCoverage; perStep: ForecastErrorsWithCoverage[] } {
  const pick = (a: Float64Array, h: number | null) => (h === null ? Array.from(a) : origins.map((_, i) => a[i * H + h]));
  const actual = (h: number | null) => (h === null ? origins.flatMap((o) => Array.from({ length: H }, (_, k) => y[o + k])) : origins.map((o) => y[o + h]));
  const one = (h: number | null): ForecastErrorsWithCoverage => ({
    ...forecastErrors(actual(h), pick(forecasts, h), scale),
    coverage: lower && upper ? intervalCoverage(actual(h), pick(lower, h), pick(upper, h)) : null,
  });
  return { overall: one(null), perStep: Array.from({ length: H }, (_, h) => one(h)) };
}

function scoreOpenLoop(y: Float64Array, origins: number[], H: number, scale: number, oneStep: (t: number) => number): BacktestedModel["openLoop"] {
  const forecasts = new Float64Array(origins.length * H);
  origins.forEach((o, i) => { for (let h = 0; h < H; h++) forecasts[i * H + h] = oneStep(o + h); });
  const { overall, perStep } = score(y, origins, H, scale, forecasts, null, null);
  const strip = ({ coverage, ...e }: ForecastErrorsWithCoverage): ForecastErrors => { void coverage; return e; };
  return { forecasts, overall: strip(overall), perStep: perStep.map(strip) };
}

/** The model (or baseline) with the lowest value of `metric`, by name; ties go to the first. */
export function winner(models: { name: string; errors: ForecastErrors }[], metric: keyof ForecastErrors): string | null {
  let best: { name: string; v: number } | null = null;
  for (const m of models) if (Number.isFinite(m.errors[metric]) && (!best || m.errors[metric] < best.v)) best = { name: m.name, v: m.errors[metric] };
  return best?.name ?? null;
}

/** The forecasts every baseline makes from `origin` (the values before it are the history), H steps on, with their intervals. */
export function baselinesFrom(y: Float64Array, trainEnd: number, origin: number, H: number, season?: number): { name: BaselineName; forecast: Float64Array; lower: Float64Array | null; upper: Float64Array | null }[] {
  const train = y.subarray(0, trainEnd);
  const s = season ?? Math.max(1, detectSeason(train));
  const set = fitBaselines(train, { season: s });
  const sigmas = intervalWidths(train, set.ar, set.mean, s, H);
  // near the start a baseline may lack history (a season, p lags): it is left out there
  return BASELINES.flatMap((name) => {
    if ((name === "seasonal_naive" && origin < s) || ((name === "ar" || name === "tdnn") && origin < set.ar.order) || origin < 1) return [];
    if (name === "tdnn" && origin < set.tdnn().lags) return [];
    const forecast = set.forecasters[name](y.subarray(0, origin), H);
    const sigma = sigmas[name];
    return [{ name, forecast, lower: sigma && forecast.map((f, h) => f - INTERVAL_Z * sigma[h]), upper: sigma && forecast.map((f, h) => f + INTERVAL_Z * sigma[h]) }];
  });
}
