// The time-delay network baseline (a nonlinear AR, Lang & Hinton's TDNN read one step at a time): a
// small MLP over the last P values, ŷ_t = w₂ · tanh(W₁ z_{t−P..t−1} + b₁) + b₂ in the training span's
// standard units z = (y − mean) / std, fitted by Adam on minibatches of the training span's one-step
// pairs only (the caller passes the training span, nothing after it), with a seeded initialisation and
// order, so the same span gives the same weights bit for bit. Forecasts feed back (closed loop), as AR's.
// Everything is f64 in plain TypeScript: P·HIDDEN + 2·HIDDEN + 1 weights (217 for P = 12).
//
// Shapes: P lags, M = HIDDEN units; W₁ [M, P] row-major, b₁ [M], w₂ [M], b₂ a scalar, packed in
// that order in one Float64Array (TdnnWeights.packed).

import { mulberry32 } from "../model/seededRandom";

export const TDNN_DEFAULTS = { hidden: 16, steps: 1500, batch: 32, lr: 0.01, seed: 1, maxLags: 64 } as const;

export interface TdnnFit {
  lags: number;
  hidden: number;
  mean: number;
  std: number;
  /** [W₁ (M·P), b₁ (M), w₂ (M), b₂] */
  packed: Float64Array;
  /** the mean squared one-step error on the training pairs, in standard units, after the last step */
  trainMse: number;
}

export interface TdnnOptions { lags: number; hidden?: number; steps?: number; batch?: number; lr?: number; seed?: number }

/** Weights in the packed block: W₁ at 0, b₁ at M·P, w₂ at M·P + M, b₂ at M·P + 2M. */
function layout(P: number, M: number) { return { b1: M * P, w2: M * P + M, b2: M * P + 2 * M, total: M * P + 2 * M + 1 }; }

/**
 * The mean squared error of the network on the pairs (z[t − P … t − 1] → z[t], t ∈ targets) and, when
 * grad is given, its gradient with respect to packed (written into grad). z: standardised series.
 */
export function tdnnLoss(packed: Float64Array, P: number, M: number, z: ArrayLike<number>, targets: ArrayLike<number>, grad?: Float64Array): number {
  const { b1, w2, b2, total } = layout(P, M);
  if (grad) grad.fill(0, 0, total);
  const hiddenOut = new Float64Array(M);
  let loss = 0;
  const n = targets.length;
  for (let i = 0; i < n; i++) {
    const t = targets[i];
    let y = packed[b2];
    for (let m = 0; m < M; m++) {
      let a = packed[b1 + m];
      for (let k = 0; k < P; k++) a += packed[m * P + k] * z[t - P + k];
      hiddenOut[m] = Math.tanh(a);
      y += packed[w2 + m] * hiddenOut[m];
    }
    const e = y - z[t];
    loss += e * e;
    if (!grad) continue;
    const dy = (2 * e) / n;
    grad[b2] += dy;
    for (let m = 0; m < M; m++) {
      grad[w2 + m] += dy * hiddenOut[m];
      const da = dy * packed[w2 + m] * (1 - hiddenOut[m] * hiddenOut[m]);
      grad[b1 + m] += da;
      for (let k = 0; k < P; k++) grad[m * P + k] += da * z[t - P + k];
    }
  }
  return loss / n;
}

/** Fits the network on train (the training span only); P lags (1 … maxLags, and at most a quarter of the span). */
export function fitTimeDelayNetwork(train: ArrayLike<number>, options: TdnnOptions): TdnnFit {
  const n = train.length;
  const P = Math.max(1, Math.min(options.lags, TDNN_DEFAULTS.maxLags, Math.floor(n / 4)));
  const M = options.hidden ?? TDNN_DEFAULTS.hidden;
  const steps = options.steps ?? TDNN_DEFAULTS.steps, lr = options.lr ?? TDNN_DEFAULTS.lr;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += train[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (train[i] - mean) ** 2;
  const std = Math.sqrt(ss / n) || 1;
  const z = Float64Array.from({ length: n }, (_, i) => (train[i] - mean) / std);
  const { total, b1 } = layout(P, M);
  const random = mulberry32(options.seed ?? TDNN_DEFAULTS.seed);
  const packed = new Float64Array(total);
  // Glorot-uniform W₁ and w₂ (fan-in + fan-out), zero biases
  const a1 = Math.sqrt(6 / (P + M)), a2 = Math.sqrt(6 / (M + 1));
  for (let j = 0; j < b1; j++) packed[j] = (2 * random() - 1) * a1;
  for (let m = 0; m < M; m++) packed[b1 + M + m] = (2 * random() - 1) * a2;
  const pairs = Array.from({ length: n - P }, (_, i) => P + i);
  const batch = Math.min(options.batch ?? TDNN_DEFAULTS.batch, pairs.length);
  const grad = new Float64Array(total), m1 = new Float64Array(total), m2 = new Float64Array(total);
  let order = pairs.slice(), cursor = order.length;
  for (let step = 1; step <= steps && pairs.length > 0; step++) {
    if (cursor + batch > order.length) {
      for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(random() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
      cursor = 0;
    }
    tdnnLoss(packed, P, M, z, order.slice(cursor, cursor + batch), grad);
    cursor += batch;
    // Adam (β₁ 0.9, β₂ 0.999, ε 1e-8) with the step size decayed linearly to a tenth: the last steps settle
    const rate = lr * (1 - (0.9 * (step - 1)) / steps);
    const c1 = 1 - 0.9 ** step, c2 = 1 - 0.999 ** step;
    for (let j = 0; j < total; j++) {
      m1[j] = 0.9 * m1[j] + 0.1 * grad[j];
      m2[j] = 0.999 * m2[j] + 0.001 * grad[j] * grad[j];
      packed[j] -= (rate * (m1[j] / c1)) / (Math.sqrt(m2[j] / c2) + 1e-8);
    }
  }
  return { lags: P, hidden: M, mean, std, packed, trainMse: pairs.length ? tdnnLoss(packed, P, M, z, pairs) : NaN };
}

/** The next `horizon` values after history (data units), each prediction fed back as the newest lag. */
export function forecastTimeDelayNetwork(fit: TdnnFit, history: ArrayLike<number>, horizon: number): Float64Array {
  const P = fit.lags, M = fit.hidden, w = fit.packed;
  if (history.length < P) throw new RangeError(`the time-delay network reads ${P} values of history, not ${history.length}`);
  const { b1, w2, b2 } = layout(P, M);
  const window = Array.from({ length: P }, (_, k) => (history[history.length - P + k] - fit.mean) / fit.std); // oldest first
  const out = new Float64Array(horizon);
  for (let h = 0; h < horizon; h++) {
    let y = w[b2];
    for (let m = 0; m < M; m++) {
      let a = w[b1 + m];
      for (let k = 0; k < P; k++) a += w[m * P + k] * window[k];
      y += w[w2 + m] * Math.tanh(a);
    }
    out[h] = y * fit.std + fit.mean;
    window.shift();
    window.push(y);
  }
  return out;
}
