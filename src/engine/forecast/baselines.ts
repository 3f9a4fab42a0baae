// The honest baselines a forecast must beat, and a rolling-origin backtest that scores them (and any
// model) on the same test span: naive (the last value), seasonal naive (the value one season back),
// the training mean, AR(p) and the time-delay network over the same p lags (timeDelayNetwork.ts), both
// fitted on the training span only. Nothing after trainEnd reaches a fit.

import { AutoregressiveFit, fitAutoregression, forecastAutoregression, selectAutoregressiveOrder } from "./autoregression";
import { ForecastErrors, forecastErrors, naiveScale } from "./forecastMetrics";
import { TdnnFit, fitTimeDelayNetwork, forecastTimeDelayNetwork } from "./timeDelayNetwork";

export type BaselineName = "naive" | "seasonal_naive" | "mean" | "ar" | "tdnn";
export const BASELINES: readonly BaselineName[] = ["naive", "seasonal_naive", "mean", "ar", "tdnn"];

/** Forecasts `horizon` values after history (history = the series up to the origin). */
export type Forecaster = (history: ArrayLike<number>, horizon: number) => Float64Array;

export function naiveForecast(history: ArrayLike<number>, horizon: number): Float64Array {
  return new Float64Array(horizon).fill(history[history.length - 1]);
}

/** ŷ_{o+h} = y_{o+h−S·(⌊h/S⌋+1)}: the same point of the last season seen. */
export function seasonalNaiveForecast(history: ArrayLike<number>, horizon: number, season: number): Float64Array {
  if (history.length < season) throw new RangeError(`a seasonal naive forecast with season ${season} needs ${season} values of history`);
  const o = history.length;
  return Float64Array.from({ length: horizon }, (_, h) => history[o + h - season * (Math.floor(h / season) + 1)]);
}

export interface BaselineSet {
  season: number;
  mean: number;
  ar: AutoregressiveFit;
  /** the time-delay network, fitted on first use (its P lags: AR's order, at least 1) */
  tdnn: () => TdnnFit;
  forecasters: Record<BaselineName, Forecaster>;
}

/** Fits every baseline on train (the training span only). arOrder: fixed, or chosen by AIC up to maxArOrder. */
export function fitBaselines(train: ArrayLike<number>, options: { season: number; arOrder?: number; maxArOrder?: number }): BaselineSet {
  const { season } = options;
  let mean = 0;
  for (let i = 0; i < train.length; i++) mean += train[i];
  mean /= train.length;
  const order = options.arOrder ?? selectAutoregressiveOrder(train, Math.min(options.maxArOrder ?? 12, Math.floor(train.length / 4))).order;
  const ar = fitAutoregression(train, order);
  let network: TdnnFit | null = null;
  const tdnn = () => (network ??= fitTimeDelayNetwork(train, { lags: Math.max(1, order) }));
  return {
    season, mean, ar, tdnn,
    forecasters: {
      naive: naiveForecast,
      seasonal_naive: (history, horizon) => seasonalNaiveForecast(history, horizon, season),
      mean: (_history, horizon) => new Float64Array(horizon).fill(mean),
      ar: (history, horizon) => forecastAutoregression(ar, history, horizon),
      tdnn: (history, horizon) => forecastTimeDelayNetwork(tdnn(), history, horizon),
    },
  };
}

/** Evenly spaced forecast origins over [trainEnd, n − horizon], rounded half away from zero as NumPy's round … for positive values. */
export function backtestOrigins(length: number, trainEnd: number, horizon: number, count: number): number[] {
  const last = length - horizon;
  if (last < trainEnd) throw new RangeError(`the test span (${length - trainEnd} values) is shorter than the horizon ${horizon}`);
  if (count <= 1) return [trainEnd];
  return Array.from({ length: count }, (_, i) => roundHalfEven(trainEnd + (i * (last - trainEnd)) / (count - 1)));
}

// NumPy and Python round halves to even; the origins must match the reference exactly.
function roundHalfEven(x: number): number {
  const f = Math.floor(x), d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export interface BacktestResult {
  origins: number[];
  scale: number;
  /** per forecaster: forecasts [origin][step], errors over everything and per step ahead */
  models: Record<string, { forecasts: Float64Array[]; overall: ForecastErrors; perStep: ForecastErrors[] }>;
}

/** Rolling-origin evaluation: at each origin, every forecaster sees series[0..origin) and predicts `horizon` values; none is refitted. */
export function backtest(series: ArrayLike<number>, trainEnd: number, forecasters: Record<string, Forecaster>, options: { horizon: number; origins: number }): BacktestResult {
  const { horizon } = options;
  const origins = backtestOrigins(series.length, trainEnd, horizon, options.origins);
  const scale = naiveScale(Array.prototype.slice.call(series, 0, trainEnd));
  const models: BacktestResult["models"] = {};
  for (const [name, forecast] of Object.entries(forecasters)) {
    const forecasts = origins.map((o) => forecast(Array.prototype.slice.call(series, 0, o), horizon));
    const actualAll: number[] = [], forecastAll: number[] = [];
    origins.forEach((o, i) => { for (let h = 0; h < horizon; h++) { actualAll.push(series[o + h]); forecastAll.push(forecasts[i][h]); } });
    const perStep = Array.from({ length: horizon }, (_, h) => forecastErrors(origins.map((o) => series[o + h]), forecasts.map((f) => f[h]), scale));
    models[name] = { forecasts, overall: forecastErrors(actualAll, forecastAll, scale), perStep };
  }
  return { origins, scale, models };
}
