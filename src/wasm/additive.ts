// Additive recurrence, forward and backward, over one time step of the batch:
//   input form: h_t = h_{t−1} + tanh(x·W_ih + b_ih)                        (no W_hh, no b_hh)
//   state form: h_t = h_{t−1} + tanh(x·W_ih + h_{t−1}·W_hh + b_ih + b_hh)
// The state is a running sum of bounded increments: |h_t − h_{t−1}| ≤ 1 per unit and step, so
// |h_t| ≤ |h_0| + t. Nothing bounds it further (that is the cell); see docs/cells.md.
// Shapes: G[B, H] in: the pre-activation, out: the increment tanh(·) (kept for backward); hPrev, h [B, H].

import { at } from "./arena";
import { tanhSimd, tanhr } from "./mathx";

// In the cell table (cells.ts): one gate block, carries h, keeps nothing else, the identity is a
// direct path to h_{t−1}; the input form has no recurrent product at all (CD_RECURRENT_PRODUCTS = 0).
export const ADDITIVE_GATES = 1;
export const ADDITIVE_STATES = 1;
export const ADDITIVE_AUX = 0;
export const ADDITIVE_RECURRENT = 0; // RECURRENT_INTO_GATES (state form)
export const ADDITIVE_DIRECT_PATH = 1;

export function additiveForwardStep(G: usize, hPrev: usize, h: usize, n: i32): void {
  let k = 0;
  if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
    for (; k + 4 <= n; k += 4) {
      const g = tanhSimd(v128.load(at(G, k)));
      v128.store(at(G, k), g);
      v128.store(at(h, k), f32x4.add(v128.load(at(hPrev, k)), g));
    }
  }
  for (; k < n; k++) {
    const g = tanhr(load<real>(at(G, k)));
    store<real>(at(G, k), g);
    store<real>(at(h, k), load<real>(at(hPrev, k)) + g);
  }
}

/** dh: ∂L/∂h_t (read only). dG = dh ∘ (1 − g²) (may alias G); dhPrev = dh (the caller adds dG·W_hhᵀ in the state form). */
export function additiveBackwardStep(G: usize, dh: usize, dG: usize, dhPrev: usize, n: i32): void {
  let k = 0;
  if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
    const one = f32x4.splat(1);
    for (; k + 4 <= n; k += 4) {
      const g = v128.load(at(G, k)), d = v128.load(at(dh, k));
      v128.store(at(dG, k), f32x4.mul(d, f32x4.sub(one, f32x4.mul(g, g))));
      v128.store(at(dhPrev, k), d);
    }
  }
  for (; k < n; k++) {
    const g = load<real>(at(G, k));
    const d = load<real>(at(dh, k));
    store<real>(at(dG, k), d * (<real>1 - g * g));
    store<real>(at(dhPrev, k), d);
  }
}
