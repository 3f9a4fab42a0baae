// A recurrent network as a forecaster: windows of L steps of the feature matrix (forecastFeatures.ts)
// into the core's dense inputs, the regression head's outputs back out as standardised forecasts.
//   direct     the head at the window's last step gives H·K means (then H·K log-variances with the
//              Gaussian loss; or H·K values per quantile level, level-major), laid out [h·K + k];
//              only that step carries loss.
//   recursive  the head at every step t gives the next step's K values (one step ahead, every step
//              carries loss); a forecast of H steps slides the window H times, each prediction fed
//              back as the next step's target values (closed loop) or the actual values read (open loop).
// A window always starts from the zero state: training and forecasting see the same L steps.

import { Core } from "../core/core";
import type { Precision } from "../core/coreLoader";
import { ModelSpec, coreShape } from "../model/modelSpec";
import type { ForecastSpec } from "./forecastModel";
import { ForecastBatches, coreRegression, headValues, outputsPerValue, pointBlock } from "../tasks/forecastBatches";

export { LOSS_CODES, coreRegression } from "../tasks/forecastBatches";

/** Standardised forecasts: [origin][step][target] point forecasts (the mean, or the quantile nearest 0.5), log-variances (null without the Gaussian head), and per quantile level the same (null without the quantile head). */
export interface StandardForecasts { mean: Float64Array[][]; logVariance: Float64Array[][] | null; quantiles: Float64Array[][][] | null }

/** K values per head step: the direct head's targets per row H·K, the recursive head's K. */
export const headTargets = headValues;

export class ForecastNetwork {
  readonly core: Core;
  private readonly K: number;
  private readonly D: number;
  private readonly L: number;
  private readonly width: number; // K' = the head's targets per row
  private shape = { batch: 0, steps: 0 };

  /** A core of its own for `network`, or (`on`) one made for this forecaster elsewhere: the training loop's evaluation core (tasks/forecastTask.ts). */
  constructor(readonly spec: ForecastSpec, network: Pick<ModelSpec, "vocabSize"> & Partial<ModelSpec>, precision: Precision = "f32", on?: Core) {
    this.K = spec.targets.length;
    this.D = network.vocabSize;
    this.L = spec.lookback;
    this.width = headTargets(spec);
    this.core = on ?? new Core({ ...coreShape(network as ModelSpec), regression: coreRegression(spec) }, precision);
  }

  /** The forecaster on an existing core of its shape (CoreShape.regression of this spec, `width` values per step); the core's shape is set anew before each pass. */
  static onCore(spec: ForecastSpec, width: number, core: Core): ForecastNetwork {
    return new ForecastNetwork(spec, { vocabSize: width }, "f32", core);
  }

  get outputs(): number { return this.core.outputs; }

  private ensureShape(batch: number): void {
    if (this.shape.batch === batch && this.shape.steps === this.L) return;
    this.core.setShape(batch, this.L);
    this.shape = { batch, steps: this.L };
  }

  /**
   * Fills one batch of training windows ending at `origins` (each o reads rows o − L … o − 1) with
   * their targets and loss weights, as the task's batches do (tasks/forecastTask.ts). features:
   * [rows, D] standardised. Forward next.
   */
  loadTrainingBatch(features: Float64Array, origins: readonly number[]): void {
    this.ensureShape(origins.length);
    const c = this.core;
    new ForecastBatches(this.spec, { features, width: this.D, origins: origins.slice() }, origins.length, this.L).fillWindows(origins,
      { tokens: c.inputs(), vectors: c.denseInputs(), targets: c.targets(), targetValues: c.realTargets(), lossWeights: c.lossWeights(), lengths: c.lengths() });
  }

  /**
   * Forecasts `horizon` steps from each origin (standardised). features: [rows, D] with rows ≥ every
   * origin (+ horizon for a recursive model, whose rows past `known` are inputs only). known: rows of
   * actual target values (an open loop reads them where it can).
   */
  forecast(features: Float64Array, known: number, origins: readonly number[], horizon: number, closedLoop: boolean): StandardForecasts {
    const all: StandardForecasts = { mean: [], logVariance: this.spec.loss === "gaussian" ? [] : null, quantiles: this.spec.loss === "quantile" ? [] : null };
    const chunk = 256;
    for (let start = 0; start < origins.length; start += chunk) {
      const part = origins.slice(start, start + chunk);
      const r = this.spec.strategy === "direct" ? this.forecastDirect(features, part, horizon) : this.forecastRecursive(features, known, part, horizon, closedLoop);
      all.mean.push(...r.mean);
      all.logVariance?.push(...r.logVariance!);
      all.quantiles?.push(...r.quantiles!);
    }
    return all;
  }

  /** One origin's head output split into its blocks, each [horizon][K]: the point forecast, and the log-variance or every quantile level. */
  private blocksOf(out: Float64Array, steps: number, into: StandardForecasts, b: number): void {
    const K = this.K, W = this.width, blocks = outputsPerValue(this.spec);
    const block = (j: number) => Array.from({ length: steps }, (_, h) => out.slice(j * W + h * K, j * W + (h + 1) * K));
    const perLevel = Array.from({ length: blocks }, (_, j) => block(j));
    into.mean[b].push(...perLevel[pointBlock(this.spec)]);
    if (into.logVariance) into.logVariance[b].push(...perLevel[1]);
    if (into.quantiles) into.quantiles[b].push(...Array.from({ length: steps }, (_, h) => perLevel.map((level) => level[h])));
  }

  private empty(n: number): StandardForecasts {
    const lists = <T>() => Array.from({ length: n }, () => [] as T[]);
    return { mean: lists(), logVariance: this.spec.loss === "gaussian" ? lists() : null, quantiles: this.spec.loss === "quantile" ? lists() : null };
  }

  private loadWindows(origins: readonly number[], value: (b: number, row: number, j: number) => number, ends: readonly number[]): void {
    const B = origins.length, L = this.L, D = this.D;
    this.ensureShape(B);
    const x = this.core.denseInputs();
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < L; t++) {
        const row = ends[b] - L + t, r = t * B + b;
        for (let j = 0; j < D; j++) x[r * D + j] = value(b, row, j);
      }
    }
  }

  /** The head's values at the window's last step, row b: [O]. */
  private lastStep(b: number): Float64Array {
    const B = this.shape.batch, O = this.core.outputs;
    const r = (this.L - 1) * B + b;
    return Float64Array.from(this.core.outputValues().subarray(r * O, (r + 1) * O));
  }

  private forecastDirect(features: Float64Array, origins: readonly number[], horizon: number): StandardForecasts {
    const D = this.D;
    this.loadWindows(origins, (_b, row, j) => features[row * D + j], origins);
    this.core.resetState();
    this.core.forward(false, 0, false);
    const r = this.empty(origins.length);
    origins.forEach((_o, b) => this.blocksOf(this.lastStep(b), horizon, r, b));
    return r;
  }

  private forecastRecursive(features: Float64Array, known: number, origins: readonly number[], horizon: number, closedLoop: boolean): StandardForecasts {
    const D = this.D, K = this.K;
    const r = this.empty(origins.length);
    for (let h = 0; h < horizon; h++) {
      const ends = origins.map((o) => o + h);
      // target columns of rows at or after the origin: the predictions (closed loop, or past the known rows), else the data
      this.loadWindows(origins, (b, row, j) => {
        const o = origins[b];
        if (j < K && row >= o && (closedLoop || row >= known)) return r.mean[b][row - o][j];
        return features[row * D + j];
      }, ends);
      this.core.resetState();
      this.core.forward(false, 0, false);
      origins.forEach((_o, b) => this.blocksOf(this.lastStep(b), 1, r, b));
    }
    return r;
  }
}
