// The forecasting engine's public face: what a trained forecaster is (ForecastModel), what it says
// about a table (ForecastPoints: per origin × step ahead × target, in the data's own units), and how it
// compares with the honest baselines on the same test span (ForecastEvaluation). The CLI
// (`rnn-lab eval`, `rnn-lab forecast`) and the VS Code side (forecast panel, CSV hover) code against
// these types only; the network, the core and the checkpoint layout stay behind them.
//
// Shapes: K = targets, X = exogenous inputs, C = calendar features, D = K + X + C values per step read
// by the network, L = lookback (steps read), H = horizon (steps ahead). Steps index the series' time
// order (NumericSeries.values rows), never the file's row order.

import type { ModelSpec } from "../model/modelSpec";
import type { BaselineName } from "./baselines";
import type { FillMethod, NumericSeries } from "./numericSeries";
import { evaluate, forecastPastEnd, loadForecastModelFile, readTableFor, suggestWindowFor, surveyTable } from "./forecastEngine";
import { trainForecasterRun } from "./forecastTrainer";

export type ForecastStrategy = "direct" | "recursive";
export type ForecastLoss = "mse" | "mae" | "gaussian" | "quantile";
export const FORECAST_STRATEGIES: readonly ForecastStrategy[] = ["direct", "recursive"];
export const FORECAST_LOSSES: readonly ForecastLoss[] = ["mse", "mae", "gaussian", "quantile"];

/** Calendar features made from a date time column, each a sin/cos pair of one cycle. */
export type CalendarFeature = "year" | "week" | "day";

/** Every forecaster the evaluation scores: the network and the five baselines (baselines.ts). */
export type ForecasterName = "model" | BaselineName;
export const FORECASTER_NAMES: readonly ForecasterName[] = ["model", "naive", "seasonal_naive", "mean", "ar", "tdnn"];

/** The nominal coverage of the Gaussian head's intervals: mean ± 1.6449·σ (a central 90 % interval). */
export const INTERVAL_LEVEL = 0.9;

/** Per-column standardisation fitted on the training span only; columns in NumericSeries order (targets, then inputs). */
export interface ForecastScaling { columns: string[]; mean: number[]; std: number[] }

/** Where the spans fell when the model was trained (steps of the training table, in time order). */
export interface ForecastSplit {
  steps: number;
  trainEnd: number; // [0, trainEnd) training
  valEnd: number; // [trainEnd, valEnd) validation, [valEnd, steps) test
  /** the time (ms since 1970, or the number) of the first test step; null without a time column */
  testFromTime: number | null;
}

// the network fields a forecast run may choose (forecastNetworkChoice.ts: light enough for the protocol)
export { BATCH_NORM_FORECAST_REFUSAL, BIDIRECTIONAL_REFUSAL, FORECAST_NETWORK_FIELDS, forecastAllows } from "./forecastNetworkChoice";
export type { ForecastNetworkChoice } from "./forecastNetworkChoice";
import type { ForecastNetworkChoice } from "./forecastNetworkChoice";

/** Everything about the forecasting task a checkpoint stores besides the network's weights. */
export interface ForecastSpec {
  targets: string[];
  inputs: string[];
  timeColumn: string | null;
  timeKind: NumericSeries["timeKind"];
  calendar: CalendarFeature[];
  fill: FillMethod;
  lookback: number;
  horizon: number;
  strategy: ForecastStrategy;
  loss: ForecastLoss;
  /** the quantile head's levels, ascending in (0, 1) (loss "quantile" only; absent otherwise) */
  quantiles?: number[];
  scaling: ForecastScaling;
  split: ForecastSplit;
  /** the baselines' settings used at training time: season (1 = none found), AR order (null = by AIC) */
  season: number;
  arOrder: number | null;
  /** forecast origins of the default evaluation */
  backtest: number;
}

export interface ForecastOptions {
  /** recursive models only: feed each prediction back as the next step's target values (true, the default), or read the actual values (open loop, one step ahead each time) */
  closedLoop?: boolean;
  /** steps ahead, 1 … the model's horizon for direct models, any ≥ 1 for recursive ones; the model's horizon by default */
  horizon?: number;
}

/** Forecasts made at a list of origins. An origin o forecasts steps o, o + 1, …, o + H − 1 from steps [0, o). */
export interface ForecastPoints {
  origins: number[];
  horizon: number;
  targets: string[];
  /** [origin][step ahead][target], in the data's units */
  mean: number[][][];
  /** the interval, shaped as mean: at INTERVAL_LEVEL (Gaussian), or the lowest and highest quantile levels; null when the loss gives neither */
  lower: number[][][] | null;
  upper: number[][][] | null;
  /** the interval's nominal coverage (0.9 Gaussian; τ_Q − τ_1 quantile); null without an interval */
  intervalLevel: number | null;
  closedLoop: boolean;
}

export interface ForecastModel {
  readonly spec: ForecastSpec;
  /** the network (its vocabSize is D, the values read per step; embed is 0) */
  readonly network: ModelSpec;
  /** the head's width: H·K (direct) or K (recursive), times 2 with the Gaussian loss */
  readonly outputs: number;
  readonly targets: string[];
  readonly inputs: string[];
  readonly lookback: number;
  readonly horizon: number;
  readonly strategy: ForecastStrategy;
  readonly loss: ForecastLoss;
  readonly hasIntervals: boolean;
  readonly scaling: ForecastScaling;
  /** "LSTM 1×64, lookback 64, horizon 12 direct, loss mse, 3 values per step" */
  readonly description: string;
  /** Each origin needs lookback ≤ o ≤ series.steps (o = steps forecasts past the end). Throws InputError otherwise. */
  forecastAt(series: NumericSeries, origins: number[], options?: ForecastOptions): ForecastPoints;
}

/** Accuracy of one forecaster for one target at one step ahead (or over all steps). */
export interface StepMetrics {
  mae: number;
  rmse: number;
  mase: number;
  smape: number; // percent
  /** share of actual values inside the interval; null without intervals */
  coverage: number | null;
}

export interface ForecasterScores {
  /** [target][step ahead] */
  perStep: StepMetrics[][];
  /** [target]: over every origin and step */
  overall: StepMetrics[];
  forecasts: ForecastPoints;
}

export interface ForecastEvaluation {
  targets: string[];
  horizon: number;
  /** the rolling origins over the test span (none refits anything) */
  origins: number[];
  /** the time of each origin's first forecast step, or null without a time column */
  originTimes: (number | null)[];
  split: ForecastSplit;
  /** MASE's scale per target: the in-sample one-step naive MAE on the training span */
  scale: number[];
  season: number;
  /** per target: the AR(p) baseline fitted on the training span */
  ar: { order: number; coefficients: number[] }[];
  closedLoop: boolean;
  scores: Record<ForecasterName, ForecasterScores>;
  /** per target and step ahead: the forecaster with the lowest MAE */
  winner: ForecasterName[][];
}

export interface EvaluateOptions {
  /** forecast origins over the test span; the checkpoint's by default */
  backtest?: number;
  closedLoop?: boolean;
  /** override the seasonal naive baseline's season / the AR order */
  season?: number;
  arOrder?: number;
}

/** Reads a forecasting checkpoint (CheckpointError with one line when it is not one). */
export function loadForecastModel(checkpointPath: string): ForecastModel {
  return loadForecastModelFile(checkpointPath);
}

/** Reads the model's columns (targets, inputs, time) from a CSV/TSV with the model's fill rule. */
export function readForecastTable(model: ForecastModel, path: string): NumericSeries {
  return readTableFor(model, path);
}

/** The model and every baseline, on the same rolling origins over the table's test span (the checkpoint's split). */
export function evaluateForecast(model: ForecastModel, series: NumericSeries, options: EvaluateOptions = {}): ForecastEvaluation {
  return evaluate(model, series, options);
}

/** The next `horizon` values after the table's last row, with the times they fall on when the time column is regular. */
export function forecastAfterEnd(model: ForecastModel, series: NumericSeries, options: ForecastOptions = {}): ForecastPoints & { times: (number | null)[] } {
  return forecastPastEnd(model, series, options);
}

// ---- what the "Train Forecaster on This File…" quick picks need ----

/** One column of a table as the column picker shows it. */
export interface ColumnSurvey {
  name: string;
  /** every non-missing cell parses as a number */
  numeric: boolean;
  /** ISO 8601 dates or times in every cell (a time column candidate) */
  dates: boolean;
  min: number | null;
  max: number | null;
  missing: number;
  /** the first few cells as written */
  preview: string[];
}

/** Columns of a CSV/TSV (header row) with their kinds, ranges and missing counts; InputError when it is not a table. */
export function surveyColumns(path: string): ColumnSurvey[] {
  return surveyTable(path);
}

/** Lookback and horizon suggested from the autocorrelation of the training span of `values`: the season, two seasons (or where the ACF falls inside the noise band) as lookback. */
export function suggestWindow(values: ArrayLike<number>): { season: number; lookback: number; horizon: number; acf: number[] } {
  return suggestWindowFor(values);
}

/** Everything `rnn-lab train DATA.csv --task forecast …` takes, as one object (defaults in trainForecaster's docs). */
export interface ForecastTrainRequest {
  data: string;
  targets: string[];
  inputs?: string[];
  timeColumn?: string;
  fill?: FillMethod;
  calendar?: boolean;
  lookback: number;
  horizon: number;
  strategy?: ForecastStrategy;
  loss?: ForecastLoss;
  /** quantile levels (implies loss "quantile"); DEFAULT_QUANTILES when the loss is quantile and none are given */
  quantiles?: number[];
  valFraction?: number;
  testFraction?: number;
  /** the test span starts at the first row at or after this time (same kind as the time column) */
  testFrom?: string;
  season?: number;
  arOrder?: number;
  backtest?: number;
  /** the network: cell, its options, layers, hidden (ModelSpec fields; vocabSize and embed are set by the task; never bidirectional) */
  network?: ForecastNetworkChoice;
  /** optimisation: batch, learning rate, epochs or steps, seed, dropout */
  batch?: number;
  lr?: number;
  steps?: number;
  seed?: number;
  dropout?: number;
  /** training threads (data-parallel shards of each batch, training/shardPool.ts); default 1 */
  threads?: number;
  /** steps between checkpoints written to `out` during the run (0: only at its end); default FORECAST_TRAIN_DEFAULTS.checkpointEvery */
  checkpointEvery?: number;
  /** start from this forecasting checkpoint's weights (the same table, columns, window, loss and network), counting on from its steps */
  resumeFrom?: string;
  /** the checkpoint written (the best validation loss); must not exist unless overwrite */
  out: string;
  overwrite?: boolean;
}

export interface ForecastTrainProgress {
  step: number;
  steps: number;
  trainLoss: number;
  /** validation MAE / RMSE in the data's units (first target), when measured at this step */
  valMae: number | null;
  valRmse: number | null;
  /** the best baseline's validation MAE (first target): the line to beat */
  baselineValMae: number;
  /** the same scaled by the training span's one-step naive MAE (MASE, Hyndman & Koehler 2006): the model's (when measured) and the best baseline's */
  valMase?: number | null;
  baselineValMase?: number;
  /** which baseline that is (naive, seasonal_naive, mean, ar, tdnn); absent without a validation span */
  baselineName?: string;
}

/** Trains a forecaster and writes its checkpoint; progress is called at every validation. */
export async function trainForecaster(request: ForecastTrainRequest, progress?: (p: ForecastTrainProgress) => void, signal?: AbortSignal): Promise<{ checkpoint: string; evaluation: ForecastEvaluation }> {
  const { checkpoint, evaluation } = await trainForecasterRun(request, progress, signal);
  return { checkpoint, evaluation };
}
