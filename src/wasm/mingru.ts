// minGRU (Feng et al. 2024, "Were RNNs all we needed?", arXiv 2410.01201), the whole window at once:
//   z_t = σ(W_z x_t + b_z),  h̃_t = W_h x_t + b_h,  h_t = (1 − z_t) ∘ h_{t−1} + z_t ∘ h̃_t
// The gates read x only, so h_t = a_t ∘ h_{t−1} + b_t with a = 1 − z, b = z ∘ h̃ (linearScan.ts).
// Shapes (R = T·B rows, time-major; gate order z, h̃):
//   G [R, 2H]  in: x·W_ih + b_ih; out: the activations z, h̃ (the heatmap's quantities, kept for backward)
//   a, b [R, H] the recurrence's coefficients
// There is no W_hh: the cell table marks it CD_RECURRENT_PRODUCTS = 0, CD_LINEAR_RECURRENCE = 1.

import { at } from "./arena";
import { sigmoid, sigmoidSimd } from "./mathx";

export const MINGRU_GATES = 2;
export const MINGRU_STATES = 1;
// aux slots: a, b, ∂L/∂h_t (the reverse recurrence's result)
export const MINGRU_AUX = 3;

/** G pre-activations → activations z, h̃; a = 1 − z, b = z ∘ h̃. */
export function minGruCoefficients(G: usize, a: usize, b: usize, R: i32, H: i32): void {
  const GH = 2 * H;
  for (let r = 0; r < R; r++) {
    const g = at(G, r * GH), ar = at(a, r * H), br = at(b, r * H);
    let j = 0;
    if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
      const one = f32x4.splat(1);
      for (; j + 4 <= H; j += 4) {
        const z = sigmoidSimd(v128.load(at(g, j)));
        const c = v128.load(at(g, H + j));
        v128.store(at(g, j), z);
        v128.store(at(ar, j), f32x4.sub(one, z));
        v128.store(at(br, j), f32x4.mul(z, c));
      }
    }
    for (; j < H; j++) {
      const z = sigmoid(load<real>(at(g, j)));
      const c = load<real>(at(g, H + j));
      store<real>(at(g, j), z);
      store<real>(at(ar, j), <real>1 - z);
      store<real>(at(br, j), z * c);
    }
  }
}

/**
 * dh: ∂L/∂h_t [R, H] (everything that reaches h_t); hPrev: h_{t−1} [R, H]. dG [R, 2H] (may alias G):
 * ∂L/∂(z pre-activation) = dh ∘ (h̃ − h_{t−1}) ∘ z(1 − z), ∂L/∂h̃ = dh ∘ z.
 */
export function minGruGradients(G: usize, dh: usize, hPrev: usize, dG: usize, R: i32, H: i32): void {
  const GH = 2 * H;
  for (let r = 0; r < R; r++) {
    const g = at(G, r * GH), d = at(dG, r * GH), row = r * H;
    let j = 0;
    if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
      const one = f32x4.splat(1);
      for (; j + 4 <= H; j += 4) {
        const z = v128.load(at(g, j)), c = v128.load(at(g, H + j));
        const dhj = v128.load(at(dh, row + j)), hp = v128.load(at(hPrev, row + j));
        v128.store(at(d, j), f32x4.mul(f32x4.mul(dhj, f32x4.sub(c, hp)), f32x4.mul(z, f32x4.sub(one, z))));
        v128.store(at(d, H + j), f32x4.mul(dhj, z));
      }
    }
    for (; j < H; j++) {
      const z = load<real>(at(g, j)), c = load<real>(at(g, H + j));
      const dhj = load<real>(at(dh, row + j)), hp = load<real>(at(hPrev, row + j));
      store<real>(at(d, j), dhj * (c - hp) * z * (<real>1 - z));
      store<real>(at(d, H + j), dhj * z);
    }
  }
}
