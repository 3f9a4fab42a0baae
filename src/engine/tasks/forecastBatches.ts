// A forecasting task's batches and the shape of its head (task.ts TaskBatches): a stream is one window
// of L steps ending at a forecast origin o (rows o − L … o − 1 of the standardised feature matrix,
// forecast/forecastFeatures.ts), read from the zero state.
//   direct     O = H·K values (×2 Gaussian: H·K log-variances after them) at the window's last step,
//              targets rows o … o + H − 1 laid out [h·K + k]; only that step carries loss ("horizon")
//   recursive  O = K (×2) at every step t, the target the next row's K values ("every-step")
//   quantile   ×Q instead of ×2: Q blocks of H·K (or K) values, one per level τ_1 < … < τ_Q
// Epoch e takes the training origins in its own seeded order (ForecastData.shuffle): every thread's
// batches compute the same permutation from (seed, e), so shards of one step read one batch.
// Here rather than in forecastTask.ts so that forecast/forecastNetwork.ts, which the task's
// evaluation uses, can read it without an import cycle.

import { InputError } from "../messages/inputError";
import { RegressionLoss, type CoreShape } from "../core/coreAbi";
import { mulberry32 } from "../model/seededRandom";
import type { ForecastLoss, ForecastSpec } from "../forecast/forecastModel";
import type { BatchBuffers, TaskBatches } from "./task";

export interface ForecastData {
  /** [rows, width] standardised, row-major */
  features: Float64Array;
  width: number;
  /** window ends: a window reads rows o − L … o − 1 */
  origins: number[];
  /** the seed of each epoch's permutation of `origins` (training); absent = `origins` in their order every epoch (validation) */
  shuffle?: number;
}

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

export const LOSS_CODES: Record<ForecastLoss, RegressionLoss> = { mse: RegressionLoss.Mse, mae: RegressionLoss.Mae, gaussian: RegressionLoss.Gaussian, quantile: RegressionLoss.Quantile };

/** The core's regression head for this forecaster (CoreShape.regression): its loss, values per row and quantile levels. */
export function coreRegression(spec: ForecastSpec): NonNullable<CoreShape["regression"]> {
  return { loss: LOSS_CODES[spec.loss], targets: headValues(spec), quantiles: spec.loss === "quantile" ? spec.quantiles ?? DEFAULT_QUANTILES : undefined };
}

export class ForecastBatches implements TaskBatches {
  readonly batchesPerEpoch: number;
  readonly unitsPerBatch: number;
  /** The permutation of data.origins that epoch `orderEpoch` takes, and the generator after drawing it (epochs are drawn in turn). */
  private order: number[];
  private orderEpoch = -1;
  private random: () => number = () => 0;

  constructor(readonly spec: ForecastSpec, readonly data: ForecastData, readonly streams: number, readonly window: number, what = "the training span") {
    if (window !== spec.lookback) throw new InputError(`a forecasting window is the lookback (${spec.lookback}), not ${window}`);
    this.batchesPerEpoch = Math.floor(data.origins.length / streams);
    if (this.batchesPerEpoch < 1) throw new InputError(`${what} gives ${data.origins.length} windows, fewer than a batch of ${streams}; lower --batch`);
    this.unitsPerBatch = streams;
    this.order = data.origins;
  }

  /**
   * The origins in epoch `epoch`'s order: without data.shuffle, as given; with it, the (epoch + 1)-th
   * Fisher–Yates permutation of data.origins drawn from mulberry32(shuffle), each one starting from
   * data.origins' own order. A resumed run (or a thread that joins late) draws the epochs before it again.
   */
  originsOf(epoch: number): readonly number[] {
    const seed = this.data.shuffle;
    if (seed === undefined) return this.data.origins;
    if (epoch < this.orderEpoch) this.orderEpoch = -1;
    if (this.orderEpoch < 0) this.random = mulberry32(seed);
    while (this.orderEpoch < epoch) {
      const order = this.data.origins.slice();
      for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(this.random() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
      this.order = order;
      this.orderEpoch++;
    }
    return this.order;
  }

  fillBatch(index: number, into: BatchBuffers, b0 = 0, b1 = this.streams, epoch = 0): void {
    const start = index * this.streams;
    this.fillWindows(this.originsOf(epoch).slice(start + b0, start + b1), into);
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
