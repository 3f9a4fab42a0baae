// The forecast panel's payload made as the host makes it (the worker's baseline report of a seeded
// monthly series with a yearly cycle), for the Chromium tests of the page.

import { BacktestedModel, baselineReport } from "../../src/engine/forecast/baselineReport";
import { mulberry32 } from "../../src/engine/model/seededRandom";
import type { ForecastPanelData, ToWebview } from "../../src/protocol/webview";

export const FORECAST_STEPS = 240;

export function monthlySeries(n = FORECAST_STEPS, seed = 7): Float64Array {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n }, (_, t) => 50 + 0.05 * t + 10 * Math.sin((2 * Math.PI * t) / 12) + (r() + r() + r() - 1.5) * 2);
}

/** A "model" row: the seasonal naive forecast nudged half-way to the truth (a forecaster better than every baseline), with ±2 intervals. */
function fakeModel(y: Float64Array, sn: BacktestedModel, origins: number[], H: number): BacktestedModel {
  const forecasts = sn.forecasts.map((f, i) => (f + y[origins[Math.floor(i / H)] + (i % H)]) / 2);
  const abs = (h: number | null) => {
    const idx = origins.flatMap((_, i) => (h === null ? Array.from({ length: H }, (_, k) => i * H + k) : [i * H + h]));
    const e = idx.map((i) => forecasts[i] - y[origins[Math.floor(i / H)] + (i % H)]);
    const mae = e.reduce((a, b) => a + Math.abs(b), 0) / e.length;
    return { mae, rmse: Math.sqrt(e.reduce((a, b) => a + b * b, 0) / e.length), mase: mae, smape: 1, coverage: 0.9 };
  };
  return {
    name: "model", forecasts, lower: forecasts.map((f) => f - 2), upper: forecasts.map((f) => f + 2), overall: abs(null), perStep: Array.from({ length: H }, (_, h) => abs(h)),
    openLoop: { forecasts: forecasts.map((f) => f + 0.1), overall: abs(null), perStep: Array.from({ length: H }, (_, h) => ({ ...abs(h), mae: abs(h).mae * 0.8 })) },
    residuals: sn.residuals.map((r) => r / 2), residualAcf: sn.residualAcf,
  };
}

export function forecastData(options: { model?: boolean; horizon?: number; origins?: number } = {}): ForecastPanelData {
  const y = monthlySeries();
  const H = options.horizon ?? 12;
  const rep = baselineReport(y, { trainEnd: 168, valEnd: 192, horizon: H, origins: options.origins ?? 30 });
  const models = [...rep.models];
  if (options.model) models.unshift(fakeModel(y, rep.models[1], rep.origins, H));
  return {
    title: "flow.csv · flow", column: "flow", values: y, time: Float64Array.from(y, (_, t) => Date.UTC(2000 + Math.floor(t / 12), t % 12, 1)), timeKind: "date",
    lines: Int32Array.from(y, (_, t) => t + 2), trainEnd: rep.trainEnd, valEnd: rep.valEnd, horizon: rep.horizon, origins: rep.origins, season: rep.season,
    seasonDetected: rep.seasonDetected, suggestion: rep.suggestion, ar: rep.ar, models, residualBand: rep.residualBand, intervalLevel: rep.intervalLevel,
    model: options.model ? "forecaster.safetensors (LSTM 1×32, lookback 24)" : null, notes: ["3 missing values filled by linear interpolation."],
  };
}

export function forecastMessages(options: Parameters<typeof forecastData>[0] = {}): ToWebview[] {
  return [{ type: "forecast.data", data: forecastData(options) }];
}
