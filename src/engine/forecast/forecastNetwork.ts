// A recurrent network as a forecaster: windows of L steps of the feature matrix (forecastFeatures.ts)
// into the core's dense inputs, the regression head's outputs back out as standardised forecasts.
//   direct     the head at the window's last step gives H·K means (then H·K log-variances with the
//              Gaussian loss), laid out [h·K + k]; only that step carries loss.
//   recursive  the head at every step t gives the next step's K values (one step ahead, every step
//              carries loss); a forecast of H steps slides the window H times, each prediction fed
//              back as the next step's target values (closed loop) or the actual values read (open loop).
// A window always starts from the zero state: training and forecasting see the same L steps.

import { Core } from "../core/core";
import { RegressionLoss } from "../core/coreAbi";
import type { Precision } from "../core/coreLoader";
import { ModelSpec, coreShape } from "../model/modelSpec";
import type { ForecastLoss, ForecastSpec } from "./forecastModel";

export const LOSS_CODES: Record<ForecastLoss, RegressionLoss> = { mse: RegressionLoss.Mse, mae: RegressionLoss.Mae, gaussian: RegressionLoss.Gaussian };

/** Standardised forecasts: [origin][step][target] means and log-variances (null without the Gaussian head). */
export interface StandardForecasts { mean: Float64Array[][]; logVariance: Float64Array[][] | null }

/** K values per head step: the direct head's targets per row H·K, the recursive head's K. */
export function headTargets(spec: Pick<ForecastSpec, "targets" | "horizon" | "strategy">): number {
  return spec.strategy === "direct" ? spec.horizon * spec.targets.length : spec.targets.length;
}

export class ForecastNetwork {
  readonly core: Core;
  private readonly K: number;
  private readonly D: number;
  private readonly L: number;
  private readonly width: number; // K' = the head's targets per row
  private shape = { batch: 0, steps: 0 };

  constructor(readonly spec: ForecastSpec, readonly network: ModelSpec, precision: Precision = "f32") {
    this.K = spec.targets.length;
    this.D = network.vocabSize;
    this.L = spec.lookback;
    this.width = headTargets(spec);
    this.core = new Core({ ...coreShape(network), regression: { loss: LOSS_CODES[spec.loss], targets: this.width } }, precision);
  }

  get outputs(): number { return this.core.outputs; }

  private ensureShape(batch: number): void {
    if (this.shape.batch === batch && this.shape.steps === this.L) return;
    this.core.setShape(batch, this.L);
    this.shape = { batch, steps: this.L };
  }

  /**
   * Fills one batch of training windows ending at `origins` (each o reads rows o − L … o − 1) with
   * their targets and loss weights. features: [rows, D] standardised. Returns nothing; forward next.
   */
  loadTrainingBatch(features: Float64Array, origins: readonly number[]): void {
    const B = origins.length, L = this.L, D = this.D, K = this.K, W = this.width;
    this.ensureShape(B);
    const x = this.core.denseInputs(), y = this.core.realTargets(), w = this.core.lossWeights();
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
    if (this.spec.strategy === "direct") w.fill(0).fill(1, (L - 1) * B);
    else w.fill(1);
  }

  /**
   * Forecasts `horizon` steps from each origin (standardised). features: [rows, D] with rows ≥ every
   * origin (+ horizon for a recursive model, whose rows past `known` are inputs only). known: rows of
   * actual target values (an open loop reads them where it can).
   */
  forecast(features: Float64Array, known: number, origins: readonly number[], horizon: number, closedLoop: boolean): StandardForecasts {
    const mean: Float64Array[][] = [], logVariance: Float64Array[][] | null = this.spec.loss === "gaussian" ? [] : null;
    const chunk = 256;
    for (let start = 0; start < origins.length; start += chunk) {
      const part = origins.slice(start, start + chunk);
      const r = this.spec.strategy === "direct" ? this.forecastDirect(features, part, horizon) : this.forecastRecursive(features, known, part, horizon, closedLoop);
      mean.push(...r.mean);
      if (logVariance) logVariance.push(...r.logVariance!);
    }
    return { mean, logVariance };
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
    const D = this.D, K = this.K, W = this.width;
    this.loadWindows(origins, (_b, row, j) => features[row * D + j], origins);
    this.core.resetState();
    this.core.forward(false, 0, false);
    const mean: Float64Array[][] = [], logVariance: Float64Array[][] | null = this.spec.loss === "gaussian" ? [] : null;
    origins.forEach((_o, b) => {
      const out = this.lastStep(b);
      mean.push(Array.from({ length: horizon }, (_, h) => out.slice(h * K, (h + 1) * K)));
      logVariance?.push(Array.from({ length: horizon }, (_, h) => out.slice(W + h * K, W + (h + 1) * K)));
    });
    return { mean, logVariance };
  }

  private forecastRecursive(features: Float64Array, known: number, origins: readonly number[], horizon: number, closedLoop: boolean): StandardForecasts {
    const D = this.D, K = this.K;
    const mean: Float64Array[][] = origins.map(() => []), logVariance: Float64Array[][] | null = this.spec.loss === "gaussian" ? origins.map(() => []) : null;
    for (let h = 0; h < horizon; h++) {
      const ends = origins.map((o) => o + h);
      // target columns of rows at or after the origin: the predictions (closed loop, or past the known rows), else the data
      this.loadWindows(origins, (b, row, j) => {
        const o = origins[b];
        if (j < K && row >= o && (closedLoop || row >= known)) return mean[b][row - o][j];
        return features[row * D + j];
      }, ends);
      this.core.resetState();
      this.core.forward(false, 0, false);
      origins.forEach((_o, b) => {
        const out = this.lastStep(b);
        mean[b].push(out.slice(0, K));
        logVariance?.[b].push(out.slice(K, 2 * K));
      });
    }
    return { mean, logVariance };
  }
}
