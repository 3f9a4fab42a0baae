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
export type ForecastNetworkChoice = Partial<Pick<ModelSpec, (typeof FORECAST_NETWORK_FIELDS)[number]>>;
