// The reset-before GRU (Cho et al. 2014; Keras reset_after = False; ONNX GRU linear_before_reset = 0),
// forward and backward pointwise steps over one timestep of the batch, gate order r, z, n:
//   r = σ(x_r + h·W_hr + b_hr),  z = σ(x_z + h·W_hz + b_hz)
//   v = r ∘ h                                        (the reset state)
//   n = tanh(x_n + v·W_hn + b_hn),  h' = (1 − z) ∘ n + z ∘ h
// where x_* = x·W_ih + b_ih. b_hn is outside the reset, as ONNX writes it (ht = g(Xt·Whᵀ + (rt ⊙ Ht−1)·Rhᵀ
// + Rbh + Wbh)); only b_in + b_hn matters, as only b_ih + b_hh does for r and z.
//
// Unlike PyTorch's GRU, the n gate's recurrent product reads v, which needs r first: two recurrent
// products per step (cells.ts, "a second recurrent product"). Both go straight into the gates (b_hh
// folded into G with b_ih, RECURRENT_INTO_GATES): the network adds h_{t−1}·W_hh[:, r z] into G's r, z
// blocks, calls phase 0 (r, z and v), adds v·W_hh[:, n] into G's n block, and calls phase 1 (n, h').
// Shapes: G [B, 3H] in: pre-activations, out: r, z, n (backward overwrites them with their
// gradients, which are the same for the input and the recurrent side); v, hPrev, h, dh, dv, dhPrev [B, H].

import { at } from "./arena";
import { sigmoid, sigmoidSimd, tanhSimd, tanhr } from "./mathx";

export const GRU_BEFORE_GATES = 3;
export const GRU_BEFORE_STATES = 1;
export const GRU_BEFORE_AUX = 1;            // v = r ∘ h_{t−1}, the second product's source
export const GRU_BEFORE_RECURRENT = 0;      // RECURRENT_INTO_GATES
export const GRU_BEFORE_DIRECT_PATH = 1;    // dh ∘ z (and dv ∘ r) reach h_{t−1} without W_hh
export const GRU_BEFORE_PRODUCTS = 2;
export const GRU_BEFORE_PRODUCT_SOURCE = 0; // aux slot of v

/** Phase 0: r and z from their full pre-activations, and v = r ∘ h_{t−1}. */
export function gruBeforeGatesForward(G: usize, hPrev: usize, v: usize, B: i32, H: i32): void {
  const GH = 3 * H;
  for (let b = 0; b < B; b++) {
    const g = at(G, b * GH);
    const row = b * H;
    let j = 0;
    if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
      for (; j + 4 <= H; j += 4) {
        const r = sigmoidSimd(v128.load(at(g, j)));
        v128.store(at(g, j), r);
        v128.store(at(g, H + j), sigmoidSimd(v128.load(at(g, H + j))));
        v128.store(at(v, row + j), f32x4.mul(r, v128.load(at(hPrev, row + j))));
      }
    }
    for (; j < H; j++) {
      const r = sigmoid(load<real>(at(g, j)));
      store<real>(at(g, j), r);
      store<real>(at(g, H + j), sigmoid(load<real>(at(g, H + j))));
      store<real>(at(v, row + j), r * load<real>(at(hPrev, row + j)));
    }
  }
}

/** Phase 1: n from its full pre-activation (x_n + v·W_hn + b_n), then h'. */
export function gruBeforeStateForward(G: usize, hPrev: usize, h: usize, B: i32, H: i32): void {
  const GH = 3 * H;
  for (let b = 0; b < B; b++) {
    const g = at(G, b * GH);
    const row = b * H;
    let j = 0;
    if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
      const one = f32x4.splat(1);
      for (; j + 4 <= H; j += 4) {
        const z = v128.load(at(g, H + j));
        const n = tanhSimd(v128.load(at(g, 2 * H + j)));
        v128.store(at(g, 2 * H + j), n);
        v128.store(at(h, row + j), f32x4.add(f32x4.mul(f32x4.sub(one, z), n), f32x4.mul(z, v128.load(at(hPrev, row + j)))));
      }
    }
    for (; j < H; j++) {
      const z = load<real>(at(g, H + j));
      const n = tanhr(load<real>(at(g, 2 * H + j)));
      store<real>(at(g, 2 * H + j), n);
      store<real>(at(h, row + j), (<real>1 - z) * n + z * load<real>(at(hPrev, row + j)));
    }
  }
}

/**
 * Phase 1 backward. dh: ∂L/∂h_t. Overwrites G's z and n blocks with ∂L/∂(their pre-activations)
 * (r is kept for phase 0) and writes dhPrev = dh ∘ z; the network then forms dv = dn·W_hnᵀ.
 */
export function gruBeforeStateBackward(G: usize, hPrev: usize, dh: usize, dhPrev: usize, B: i32, H: i32): void {
  const GH = 3 * H;
  for (let b = 0; b < B; b++) {
    const g = at(G, b * GH);
    const row = b * H;
    let j = 0;
    if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
      const one = f32x4.splat(1);
      for (; j + 4 <= H; j += 4) {
        const z = v128.load(at(g, H + j)), n = v128.load(at(g, 2 * H + j));
        const hp = v128.load(at(hPrev, row + j)), dhj = v128.load(at(dh, row + j));
        v128.store(at(g, H + j), f32x4.mul(f32x4.mul(dhj, f32x4.sub(hp, n)), f32x4.mul(z, f32x4.sub(one, z))));
        v128.store(at(g, 2 * H + j), f32x4.mul(f32x4.mul(dhj, f32x4.sub(one, z)), f32x4.sub(one, f32x4.mul(n, n))));
        v128.store(at(dhPrev, row + j), f32x4.mul(dhj, z));
      }
    }
    for (; j < H; j++) {
      const z = load<real>(at(g, H + j)), n = load<real>(at(g, 2 * H + j));
      const hp = load<real>(at(hPrev, row + j)), dhj = load<real>(at(dh, row + j));
      store<real>(at(g, H + j), dhj * (hp - n) * z * (<real>1 - z));
      store<real>(at(g, 2 * H + j), dhj * (<real>1 - z) * (<real>1 - n * n));
      store<real>(at(dhPrev, row + j), dhj * z);
    }
  }
}

/**
 * Phase 0 backward. dv: ∂L/∂v = dn·W_hnᵀ. Overwrites G's r block with ∂L/∂(r's pre-activation) and
 * adds dv ∘ r to dhPrev; the network then adds dG[r z]·W_hh[:, r z]ᵀ.
 */
export function gruBeforeGatesBackward(G: usize, hPrev: usize, dv: usize, dhPrev: usize, B: i32, H: i32): void {
  const GH = 3 * H;
  for (let b = 0; b < B; b++) {
    const g = at(G, b * GH);
    const row = b * H;
    let j = 0;
    if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
      const one = f32x4.splat(1);
      for (; j + 4 <= H; j += 4) {
        const r = v128.load(at(g, j)), dvj = v128.load(at(dv, row + j));
        v128.store(at(g, j), f32x4.mul(f32x4.mul(dvj, v128.load(at(hPrev, row + j))), f32x4.mul(r, f32x4.sub(one, r))));
        v128.store(at(dhPrev, row + j), f32x4.add(v128.load(at(dhPrev, row + j)), f32x4.mul(dvj, r)));
      }
    }
    for (; j < H; j++) {
      const r = load<real>(at(g, j)), dvj = load<real>(at(dv, row + j));
      store<real>(at(g, j), dvj * load<real>(at(hPrev, row + j)) * r * (<real>1 - r));
      store<real>(at(dhPrev, row + j), load<real>(at(dhPrev, row + j)) + dvj * r);
    }
  }
}
