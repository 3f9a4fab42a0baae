// Forecasting as a Task (task.ts): the model reads a vector per step (standardised targets, inputs
// and calendar features, forecast/forecastFeatures.ts) and its values head predicts the targets
// ahead. A stream is one window of L steps ending at a forecast origin o (rows o − L … o − 1), read
// from the zero state (carriesState false).
//   direct     O = H·K values (×2 Gaussian: H·K log-variances after them) at the window's last step,
//              targets rows o … o + H − 1 laid out [h·K + k]; only that step carries loss ("horizon")
//   recursive  O = K (×2) at every step t, the target the next row's K values ("every-step")
//   quantile   ×Q instead of ×2: Q blocks of H·K (or K) values, one per level τ_1 < … < τ_Q
// The data is the feature matrix and the origins to train on (each epoch in its own seeded order:
// forecastBatches.ts) or to validate at. Keep-best selects by the validation span's closed-loop MAE,
// the forecasts the evaluation scores (every step ahead, predictions fed back for a recursive model),
// not by the teacher-forced loss. The checkpoint entry's metadata is the ForecastSpec.

import type { Core } from "../core/core";
import type { ForecastSpec } from "../forecast/forecastModel";
import { ForecastNetwork } from "../forecast/forecastNetwork";
import { ForecastBatches, ForecastData, coreRegression, headValues, outputsPerValue } from "./forecastBatches";
import type { Evaluation, MetricDefinition, Task, TaskCheckpoint } from "./task";

export { DEFAULT_QUANTILES, ForecastBatches, type ForecastData, coreRegression, headValues, outputsPerValue, pointBlock } from "./forecastBatches";

export const FORECAST = "forecast";

export interface ForecastTaskEvaluation extends Evaluation {
  loss: number; // the head's teacher-forced mean loss over the windows' loss rows
  weight: number; // rows that carried loss
  /** closed loop: mean |forecast − actual| over every origin, step ahead and target, in standard units (the selection metric) */
  mae: number;
  /** closed loop, the first target in the data's units: MAE and RMSE over every origin and step ahead */
  targetMae: number;
  targetRmse: number;
}

const METRICS: readonly MetricDefinition<ForecastTaskEvaluation>[] = [
  { name: "val_loss", better: "lower", of: (e) => e.loss },
  { name: "val_mae_standardised", better: "lower", of: (e) => e.mae },
  { name: "val_mae", better: "lower", of: (e) => e.targetMae },
  { name: "val_rmse", better: "lower", of: (e) => e.targetRmse },
];

export class ForecastTask implements Task<ForecastData, ForecastTaskEvaluation, Float64Array, ForecastBatches> {
  readonly name = FORECAST;
  readonly input;
  readonly head;
  readonly lossRows;
  readonly carriesState = false;
  readonly metrics = METRICS;
  readonly selectionMetric = "val_mae_standardised";
  /** The core's values head and dense inputs (CoreShape.regression), on every core made for this task. */
  readonly coreRegression;

  /** `width`: the values read per step (the network's vocabSize). */
  constructor(readonly spec: ForecastSpec, readonly width: number) {
    this.input = { kind: "vectors", width } as const;
    this.head = { kind: "values", width: headValues(spec) * outputsPerValue(spec), loss: spec.loss === "quantile" ? "pinball" : spec.loss } as const;
    this.lossRows = spec.strategy === "direct" ? "horizon" as const : "every-step" as const;
    this.coreRegression = coreRegression(spec);
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

  /**
   * At the windows ending at data.origins (batches of up to `streams`): the teacher-forced loss, and
   * the closed-loop forecasts of every step ahead from each origin (as rnn-lab eval makes them)
   * against the rows that follow, which must all lie in data.features; null without an origin.
   */
  evaluate(core: Core, data: ForecastData, streams: number, window: number): ForecastTaskEvaluation | null {
    if (!data.origins.length) return null;
    let loss = 0, weight = 0;
    for (let start = 0; start < data.origins.length; start += streams) {
      const part = data.origins.slice(start, start + streams);
      core.setShape(part.length, window);
      const batch = new ForecastBatches(this.spec, { ...data, origins: part }, part.length, window, "the validation span");
      batch.fillWindows(part, { tokens: core.inputs(), vectors: core.denseInputs(), targets: core.targets(), targetValues: core.realTargets(), lossWeights: core.lossWeights(), lengths: core.lengths() });
      core.resetState();
      const l = core.forward(false, 0, true);
      const rowWeight = core.lossWeightTotal();
      loss += l * rowWeight;
      weight += rowWeight;
    }
    const { features, width: D } = data;
    const H = this.spec.horizon, K = this.spec.targets.length, std0 = this.spec.scaling.std[0];
    const forecasts = ForecastNetwork.onCore(this.spec, D, core).forecast(features, features.length / D, data.origins, H, true);
    let standard = 0, abs = 0, sq = 0, n = 0;
    forecasts.mean.forEach((perStep, i) => perStep.forEach((m, h) => {
      const row = (data.origins[i] + h) * D;
      for (let k = 0; k < K; k++) standard += Math.abs(m[k] - features[row + k]);
      const e = (m[0] - features[row]) * std0; // standard units back to the first target's
      abs += Math.abs(e); sq += e * e; n++;
    }));
    return { loss: loss / weight, weight, mae: standard / (n * K), targetMae: abs / n, targetRmse: Math.sqrt(sq / n) };
  }

  /** Row `row`'s O head values (standardised means, then log-variances with the Gaussian loss; one block per level with the quantile loss). */
  predictionOf(outputs: ArrayLike<number>, row: number): Float64Array {
    const O = this.head.width;
    return Float64Array.from({ length: O }, (_, k) => outputs[row * O + k]);
  }

  checkpoint(): TaskCheckpoint { return { name: FORECAST, metadata: this.spec as unknown as Record<string, unknown> }; }
}
