// Regression losses of the numeric head (forecasting): the head's outputs against real-valued targets.
// outputs[R, O], targets[R, K], weights[R] (R = T·B rows) → the weighted mean loss over the counted
// elements, Σ_r w_r Σ_k ℓ_rk / (K · Σ_r w_r), and dOutputs[R, O], its gradient. A row of weight 0
// adds nothing and gets a zero gradient (its targets are never read).
//   LOSS_MSE       O = K   ℓ = (ŷ − y)²                                   (PyTorch mse_loss)
//   LOSS_MAE       O = K   ℓ = |ŷ − y|, ∂ℓ/∂ŷ = sign(ŷ − y), 0 at 0       (PyTorch l1_loss)
//   LOSS_GAUSSIAN  O = 2K  outputs [μ_1 … μ_K, s_1 … s_K], s = log σ², clamped to ±S_BOUND:
//                          ℓ = ½ (log 2π + s + (y − μ)² e^{−s})          (GaussianNLLLoss, full=True, on e^s)
//                          ∂ℓ/∂μ = (μ − y) e^{−s}, ∂ℓ/∂s = ½ (1 − (y − μ)² e^{−s}) (0 where the clamp holds)
//   LOSS_QUANTILE  O = Q·K outputs [q_1,1 … q_1,K, …, q_Q,1 … q_Q,K] at the levels τ_1 … τ_Q (setQuantileLevel),
//                          e = y − q: ℓ = max(τ e, (τ − 1) e) (pinball), averaged over the Q levels too,
//                          ∂ℓ/∂q = −τ for e > 0, 1 − τ for e < 0, 0 at e = 0

import { at } from "./arena";

export const LOSS_CROSS_ENTROPY = 0;
export const LOSS_MSE = 1;
export const LOSS_MAE = 2;
export const LOSS_GAUSSIAN = 3;
export const LOSS_QUANTILE = 4;

/** The most quantile levels one head carries. */
export const MAX_QUANTILES = 16;
const quantileLevels = memory.data(MAX_QUANTILES * 8, 8); // f64 [MAX_QUANTILES]

/** Sets level τ_index (0 < τ < 1) of the quantile loss; 0, or −1 when index or level is out of range. */
export function setQuantileLevel(index: i32, level: f64): i32 {
  if (index < 0 || index >= MAX_QUANTILES || !(level > 0 && level < 1)) return -1;
  store<f64>(quantileLevels + (<usize>index << 3), level);
  return 0;
}

/** log σ² is clamped to [−S_BOUND, S_BOUND] (σ from 5.5e-4 to 1.8e3 on standardised data): e^{−s} stays finite in f32. */
const S_BOUND: f64 = 15;
const HALF_LOG_2PI: f64 = 0.9189385332046727;

let weightTotal: f64 = 0;

/** Σ w over the rows that counted in the last call (to combine shards). */
export function lastRegressionWeightTotal(): f64 { return weightTotal; }

export function regressionLoss(kind: i32, outputs: usize, targets: usize, weights: usize, dOutputs: usize, R: i32, O: i32, K: i32): f64 {
  let counted: f64 = 0;
  for (let r = 0; r < R; r++) counted += <f64>load<real>(at(weights, r));
  weightTotal = counted;
  const Q = kind == LOSS_QUANTILE ? O / K : 1;
  const denominator = (counted != 0 ? counted : 1.0) * <f64>K * <f64>Q;
  let total: f64 = 0;
  for (let r = 0; r < R; r++) {
    const w = <f64>load<real>(at(weights, r));
    const out = at(outputs, r * O), dOut = at(dOutputs, r * O), y = at(targets, r * K);
    if (w == 0) {
      memory.fill(dOut, 0, <usize>O << alignof<real>());
      continue;
    }
    const scale = w / denominator;
    if (kind == LOSS_QUANTILE) {
      for (let j = 0; j < Q; j++) {
        const tau = load<f64>(quantileLevels + (<usize>j << 3));
        for (let k = 0; k < K; k++) {
          const e = <f64>load<real>(at(y, k)) - <f64>load<real>(at(out, j * K + k));
          total += w * (e >= 0 ? tau * e : (tau - 1) * e);
          store<real>(at(dOut, j * K + k), <real>(e > 0 ? -tau * scale : e < 0 ? (1 - tau) * scale : 0));
        }
      }
      continue;
    }
    for (let k = 0; k < K; k++) {
      const e = <f64>load<real>(at(out, k)) - <f64>load<real>(at(y, k));
      if (kind == LOSS_MSE) {
        total += w * e * e;
        store<real>(at(dOut, k), <real>(2 * e * scale));
      } else if (kind == LOSS_MAE) {
        total += w * Math.abs(e);
        store<real>(at(dOut, k), <real>(e > 0 ? scale : e < 0 ? -scale : 0));
      } else {
        const raw = <f64>load<real>(at(out, K + k));
        const s = raw > S_BOUND ? S_BOUND : raw < -S_BOUND ? -S_BOUND : raw;
        const precision = Math.exp(-s);
        total += w * (HALF_LOG_2PI + 0.5 * (s + e * e * precision));
        store<real>(at(dOut, k), <real>(e * precision * scale));
        store<real>(at(dOut, K + k), <real>(raw > S_BOUND || raw < -S_BOUND ? 0 : 0.5 * (1 - e * e * precision) * scale));
      }
    }
  }
  return total / denominator;
}
