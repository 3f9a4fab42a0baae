// minLSTM (Feng et al. 2024, "Were RNNs all we needed?", arXiv 2410.01201), the whole window at once:
//   f_t = σ(W_f x_t + b_f),  i_t = σ(W_i x_t + b_i),  h̃_t = W_h x_t + b_h,
//   f'_t = f_t / (f_t + i_t),  i'_t = i_t / (f_t + i_t),  h_t = f'_t ∘ h_{t−1} + i'_t ∘ h̃_t
// (the paper's length-independent form: no output gate, no tanh, the state is h). The gates read x
// only, so h_t = a_t ∘ h_{t−1} + b_t with a = f', b = i' ∘ h̃ (linearScan.ts).
//
// The normalisation is computed without forming f + i, which underflows to 0/0 in f32 once both
// pre-activations are below about −88: with u = e^{−p_f}, v = e^{−p_i} and D = 2 + u + v,
//   f' = (1 + v) / D,  i' = (1 + u) / D            (D ≥ 2; u, v use exponents clamped at 80)
// the same numbers, and the derivatives need only q = 1/D besides f' and i':
//   ∂f'/∂p_f = f'·u/D = f'(i' − q),  ∂i'/∂p_i = i'(f' − q),  ∂f'/∂p_i = −∂i'/∂p_i,  ∂i'/∂p_f = −∂f'/∂p_f.
// Shapes (R = T·B rows, time-major; gate order f, i, h̃):
//   G [R, 3H]  in: x·W_ih + b_ih; out: f', i', h̃ (what the heatmap shows: the shares kept and written)
//   a, b [R, H] the recurrence's coefficients; q [R, H] = 1/D, kept for backward

import { at } from "./arena";
import { expSimd, expr } from "./mathx";

export const MINLSTM_GATES = 3;
export const MINLSTM_STATES = 1;
// aux slots: a, b, ∂L/∂h_t, then q = 1/D
export const MINLSTM_AUX = 4;
export const MINLSTM_Q_SLOT = 3;

const MAX_EXPONENT: real = 80; // e^80 ≈ 5.5e34: u + v + 2 stays finite in f32

export function minLstmCoefficients(G: usize, a: usize, b: usize, q: usize, R: i32, H: i32): void {
  const GH = 3 * H;
  for (let r = 0; r < R; r++) {
    const g = at(G, r * GH), row = r * H;
    let j = 0;
    if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
      const one = f32x4.splat(1), two = f32x4.splat(2), cap = f32x4.splat(MAX_EXPONENT);
      for (; j + 4 <= H; j += 4) {
        // pmin(x, cap) = cap < x ? cap : x: one instruction on x64 (f32x4.min's NaN and −0 rules cost
        // several), and the scalar min's result for every x, NaN included
        const u = expSimd(f32x4.pmin(f32x4.neg(v128.load(at(g, j))), cap));
        const v = expSimd(f32x4.pmin(f32x4.neg(v128.load(at(g, H + j))), cap));
        const inv = f32x4.div(one, f32x4.add(two, f32x4.add(u, v)));
        const fn = f32x4.mul(f32x4.add(one, v), inv), inn = f32x4.mul(f32x4.add(one, u), inv);
        v128.store(at(b, row + j), f32x4.mul(inn, v128.load(at(g, 2 * H + j))));
        v128.store(at(g, j), fn);
        v128.store(at(g, H + j), inn);
        v128.store(at(a, row + j), fn);
        v128.store(at(q, row + j), inv);
      }
    }
    for (; j < H; j++) {
      const u = expr(min<real>(-load<real>(at(g, j)), MAX_EXPONENT));
      const v = expr(min<real>(-load<real>(at(g, H + j)), MAX_EXPONENT));
      const inv = <real>1 / (<real>2 + u + v);
      const fn = (<real>1 + v) * inv, inn = (<real>1 + u) * inv;
      store<real>(at(b, row + j), inn * load<real>(at(g, 2 * H + j)));
      store<real>(at(g, j), fn);
      store<real>(at(g, H + j), inn);
      store<real>(at(a, row + j), fn);
      store<real>(at(q, row + j), inv);
    }
  }
}

/**
 * dh: ∂L/∂h_t [R, H]; hPrev: h_{t−1}. With df' = dh∘h_{t−1}, di' = dh∘h̃:
 *   ∂L/∂p_f = (df' − di')·f'(i' − q),  ∂L/∂p_i = (di' − df')·i'(f' − q),  ∂L/∂h̃ = dh ∘ i'.
 * dG may alias G.
 */
export function minLstmGradients(G: usize, q: usize, dh: usize, hPrev: usize, dG: usize, R: i32, H: i32): void {
  const GH = 3 * H;
  for (let r = 0; r < R; r++) {
    const g = at(G, r * GH), d = at(dG, r * GH), row = r * H;
    let j = 0;
    if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
      for (; j + 4 <= H; j += 4) {
        const fn = v128.load(at(g, j)), inn = v128.load(at(g, H + j)), c = v128.load(at(g, 2 * H + j));
        const inv = v128.load(at(q, row + j)), dhj = v128.load(at(dh, row + j)), hp = v128.load(at(hPrev, row + j));
        const diff = f32x4.mul(dhj, f32x4.sub(hp, c)); // df' − di'
        v128.store(at(d, j), f32x4.mul(diff, f32x4.mul(fn, f32x4.sub(inn, inv))));
        v128.store(at(d, H + j), f32x4.neg(f32x4.mul(diff, f32x4.mul(inn, f32x4.sub(fn, inv)))));
        v128.store(at(d, 2 * H + j), f32x4.mul(dhj, inn));
      }
    }
    for (; j < H; j++) {
      const fn = load<real>(at(g, j)), inn = load<real>(at(g, H + j)), c = load<real>(at(g, 2 * H + j));
      const inv = load<real>(at(q, row + j)), dhj = load<real>(at(dh, row + j)), hp = load<real>(at(hPrev, row + j));
      const diff = dhj * (hp - c);
      store<real>(at(d, j), diff * fn * (inn - inv));
      store<real>(at(d, H + j), -(diff * inn * (fn - inv)));
      store<real>(at(d, 2 * H + j), dhj * inn);
    }
  }
}
