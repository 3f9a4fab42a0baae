// Forecasting as a Task (task.ts): the model reads a vector per step (standardised targets, inputs
// and calendar features, forecast/forecastFeatures.ts) and its values head predicts the targets
// ahead. A stream is one window of L steps ending at a forecast origin o (rows o − L … o − 1), read
// from the zero state (carriesState false).
//   direct     O = H·K values (×2 Gaussian: H·K log-variances after them) at the window's last step,
//              targets rows o … o + H − 1 laid out [h·K + k]; only that step carries loss ("horizon")
//   recursive  O = K (×2) at every step t, the target the next row's K values ("every-step")
//   quantile   ×Q instead of ×2: Q blocks of H·K (or K) values, one per level τ_1 < … < τ_Q
// The data is the feature matrix and the origins to train on, in the order batches take them (the
// trainer reshuffles them each epoch). The checkpoint entry's metadata is the ForecastSpec.

import { InputError } from "../messages/inputError";
import type { Core } from "../core/core";
import type { ForecastSpec } from "../forecast/forecastModel";
import type { BatchBuffers, Evaluation, MetricDefinition, Task, TaskBatches, TaskCheckpoint } from "./task";

export const FORECAST = "forecast";

export interface ForecastData {
  /** [rows, width] standardised, row-major */
  features: Float64Array;
  width: number;
  /** window ends: a window reads rows o − L … o − 1 */
  origins: number[];
}

export interface ForecastTaskEvaluation extends Evaluation {
  loss: number; // the head's mean loss over the windows' loss rows
  weight: number; // rows that carried loss
  /** mean |mean − target| over every target value, in standard units (teacher forced: one step ahead for recursive models) */
  mae: number;
}

const METRICS: readonly MetricDefinition<ForecastTaskEvaluation>[] = [
  { name: "val_loss", better: "lower", of: (e) => e.loss },
  { name: "val_mae_standardised", better: "lower", of: (e) => e.mae },
];

/** The quantile head's levels when --quantiles is not given: the median and a central 80 % interval. */
export const DEFAULT_QUANTILES: readonly number[] = [0.1, 0.5, 0.9];

/** Head outputs per forecast value: 2 with the Gaussian loss (mean, then log-variance), Q with Q quantile levels (τ-major blocks), else 1. */
export function outputsPerValue(spec: Pick<ForecastSpec, "loss" | "quantiles">): number {
  return spec.loss === "gaussian" ? 2 : spec.loss === "quantile" ? (spec.quantiles ?? DEFAULT_QUANTILES).length : 1;
}

/** The block of the head read as the point forecast: the quantile level nearest 0.5 (the median when given); 0 (the mean) otherwise. */
export function pointBlock(spec: Pick<ForecastSpec, "loss" | "quantiles">): number {
  if (spec.loss !== "quantile") return 0;
  const q = spec.quantiles ?? DEFAULT_QUANTILES;
  return q.reduce((best, v, j) => (Math.abs(v - 0.5) < Math.abs(q[best] - 0.5) ? j : best), 0);
}

/** Head values per row: H·K (direct) or K (recursive). */
export function headValues(spec: Pick<ForecastSpec, "targets" | "horizon" | "strategy">): number {
  return spec.strategy === "direct" ? spec.horizon * spec.targets.length : spec.targets.length;
}

export class ForecastBatches implements TaskBatches {
  readonly batchesPerEpoch: number;
  readonly unitsPerBatch: number;

  constructor(readonly spec: ForecastSpec, readonly data: ForecastData, readonly streams: number, readonly window: number, what = "the training span") {
    if (window !== spec.lookback) throw new InputError(`a forecasting window is the lookback (${spec.lookback}), not ${window}`);
    this.batchesPerEpoch = Math.floor(data.origins.length / streams);
    if (this.batchesPerEpoch < 1) throw new InputError(`${what} gives ${data.origins.length} windows, fewer than a batch of ${streams}; lower --batch`);
    this.unitsPerBatch = streams;
  }

  fillBatch(index: number, into: BatchBuffers, b0 = 0, b1 = this.streams): void {
    this.fillWindows(this.data.origins.slice(index * this.streams + b0, index * this.streams + b1), into);
  }

  /** The windows ending at `origins` (one per stream) with their targets and loss weights. */
  fillWindows(origins: readonly number[], into: BatchBuffers): void {
    const { features, width: D } = this.data;
    const B = origins.length, L = this.window, K = this.spec.targets.length, W = headValues(this.spec);
    const x = into.vectors, y = into.targetValues, w = into.lossWeights;
    if (!x || !y) throw new Error("a forecasting batch needs the core's dense inputs and target values (CoreShape.regression)");
    for (let b = 0; b < B; b++) {
      const o = origins[b];
      for (let t = 0; t < L; t++) {
        const r = t * B + b, src = (o - L + t) * D;
        for (let j = 0; j < D; j++) x[r * D + j] = features[src + j];
        if (this.spec.strategy === "recursive") {
          for (let k = 0; k < K; k++) y[r * W + k] = features[(o - L + t + 1) * D + k];
        } else if (t === L - 1) {
          for (let h = 0; h < this.spec.horizon; h++) for (let k = 0; k < K; k++) y[r * W + h * K + k] = features[(o + h) * D + k];
        }
      }
    }
    if (this.spec.strategy === "direct") w.fill(0, 0, (L - 1) * B).fill(1, (L - 1) * B, L * B);
    else w.fill(1, 0, L * B);
    into.lengths.fill(L);
  }
}

export class ForecastTask implements Task<ForecastData, ForecastTaskEvaluation, Float64Array, ForecastBatches> {
  readonly name = FORECAST;
  readonly input;
  readonly head;
  readonly lossRows;
  readonly carriesState = false;
  readonly metrics = METRICS;
  readonly selectionMetric = "val_loss";

  /** `width`: the values read per step (the network's vocabSize). */
  constructor(readonly spec: ForecastSpec, width: number) {
    this.input = { kind: "vectors", width } as const;
    this.head = { kind: "values", width: headValues(spec) * outputsPerValue(spec), loss: spec.loss === "quantile" ? "pinball" : spec.loss } as const;
    this.lossRows = spec.strategy === "direct" ? "horizon" as const : "every-step" as const;
  }

  batches(data: ForecastData, streams: number, window: number, what?: string): ForecastBatches {
    return new ForecastBatches(this.spec, data, streams, window, what);
  }

  shared(data: ForecastData): ForecastData {
    if (data.features.buffer instanceof SharedArrayBuffer) return data;
    const features = new Float64Array(new SharedArrayBuffer(data.features.byteLength));
    features.set(data.features);
    return { ...data, features };
  }

  size(data: ForecastData): number { return data.origins.length; }

  /** Mean loss and standardised MAE over the windows ending at data.origins, in batches of up to `streams`; null without a window. */
  evaluate(core: Core, data: ForecastData, streams: number, window: number): ForecastTaskEvaluation | null {
    if (!data.origins.length) return null;
    let loss = 0, weight = 0, abs = 0, count = 0;
    const W = headValues(this.spec), point = pointBlock(this.spec) * W;
    for (let start = 0; start < data.origins.length; start += streams) {
      const part = data.origins.slice(start, start + streams);
      core.setShape(part.length, window);
      const batch = new ForecastBatches(this.spec, { ...data, origins: part }, part.length, window, "the validation span");
      const into = { tokens: core.inputs(), vectors: core.denseInputs(), targets: core.targets(), targetValues: core.realTargets(), lossWeights: core.lossWeights(), lengths: core.lengths() };
      batch.fillWindows(part, into);
      core.resetState();
      const l = core.forward(false, 0, true);
      const rowWeight = core.lossWeightTotal();
      loss += l * rowWeight;
      weight += rowWeight;
      const out = core.outputValues(), y = into.targetValues, w = into.lossWeights, O = core.outputs;
      for (let r = 0; r < part.length * window; r++) {
        if (w[r] === 0) continue;
        for (let k = 0; k < W; k++) { abs += Math.abs(out[r * O + point + k] - y[r * W + k]); count++; }
      }
    }
    return { loss: loss / weight, weight, mae: abs / count };
  }

  /** Row `row`'s O head values (standardised means, then log-variances with the Gaussian loss; one block per level with the quantile loss). */
  predictionOf(outputs: ArrayLike<number>, row: number): Float64Array {
    const O = this.head.width;
    return Float64Array.from({ length: O }, (_, k) => outputs[row * O + k]);
  }

  checkpoint(): TaskCheckpoint { return { name: FORECAST, metadata: this.spec as unknown as Record<string, unknown> }; }
}
