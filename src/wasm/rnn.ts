// Vanilla RNN pointwise step: h_t = f(a), a = x·W_ih + h_{t-1}·W_hh + b_ih + b_hh, f = tanh or ReLU.
// Shapes: G[B, H] in: a; out: h_t (kept for backward). h: [B, H].

import { at } from "./arena";
import { tanhSimd, tanhr } from "./mathx";

// The plain RNN in the cell table (cells.ts): one gate block (the pre-activation, overwritten by h),
// carries h, keeps nothing else, recurrent product into the gates, no direct path.
export const RNN_GATES = 1;
export const RNN_STATES = 1;
export const RNN_AUX = 0;
export const RNN_RECURRENT = 0; // RECURRENT_INTO_GATES
export const RNN_DIRECT_PATH = 0;

export function rnnForwardStep(G: usize, h: usize, n: i32, relu: bool): void {
  let k = 0;
  if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
    for (; k + 4 <= n; k += 4) {
      const a = v128.load(at(G, k));
      const y = relu ? f32x4.max(a, f32x4.splat(0)) : tanhSimd(a);
      v128.store(at(G, k), y);
      v128.store(at(h, k), y);
    }
  }
  for (; k < n; k++) {
    const a = load<real>(at(G, k));
    const y = relu ? (a > 0 ? a : <real>0) : tanhr(a);
    store<real>(at(G, k), y);
    store<real>(at(h, k), y);
  }
}

/** dG = dh ∘ f'(a), written in terms of the stored output y = f(a). */
export function rnnBackwardStep(G: usize, dh: usize, dG: usize, n: i32, relu: bool): void {
  let k = 0;
  if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
    const one = f32x4.splat(1), zero = f32x4.splat(0);
    for (; k + 4 <= n; k += 4) {
      const y = v128.load(at(G, k)), d = v128.load(at(dh, k));
      v128.store(at(dG, k), relu ? v128.bitselect(d, zero, f32x4.gt(y, zero)) : f32x4.mul(d, f32x4.sub(one, f32x4.mul(y, y))));
    }
  }
  for (; k < n; k++) {
    const y = load<real>(at(G, k));
    const d = load<real>(at(dh, k));
    store<real>(at(dG, k), relu ? (y > 0 ? d : <real>0) : d * (<real>1 - y * y));
  }
}
