// What a forecast run may choose of its network, apart from the forecaster (forecastModel.ts) so that
// the worker protocol can check a request against it without loading the engine.

import type { ModelSpec } from "../model/modelSpec";

/**
 * The network fields a forecast run may choose: the cell and every cell option the language model
 * takes. Not `bidirectional`: the regression head reads each step's output, and a backward direction
 * there would have read the rest of the window, the future of the step being forecast.
 */
export const FORECAST_NETWORK_FIELDS = ["cell", "layers", "hidden", "nonlinearity", "residual", "peephole", "coupled", "gruReset", "norm", "tau", "learnTau", "dt", "additiveForm"] as const;
/** Why a forecaster is never bidirectional, in one line (the CLI's and the engine's refusal). */
export const BIDIRECTIONAL_REFUSAL = "a forecaster is never bidirectional: its regression head reads each step's output, and the backward direction there would have read the window's later steps, the future of the step forecast";
/** Why a forecaster has no batch normalisation (the CLI's, the engine's and the cell pick's refusal). */
export const BATCH_NORM_FORECAST_REFUSAL = "a forecaster has no batch normalisation (--norm batch) yet: its checkpoint does not keep the per-step running statistics evaluation needs; use --norm layer";
/** Whether a forecaster may take a network option set (the cell pick leaves out what is refused). */
export function forecastAllows(options: { norm?: string; bidirectional?: boolean }): boolean {
  return options.norm !== "batch" && options.bidirectional !== true;
}
export type ForecastNetworkChoice = Partial<Pick<ModelSpec, (typeof FORECAST_NETWORK_FIELDS)[number]>>;
