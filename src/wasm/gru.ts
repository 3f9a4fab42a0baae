// GRU pointwise step in PyTorch's convention, forward and backward, over one timestep of the batch:
//   r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r ∘ hn), h' = (1 − z) ∘ n + z ∘ h
// where x_* = x·W_ih + b_ih and h_* = h·W_hh + b_hh (gate order r, z, n), hn = h_n.
// Shapes: G[B, 3H] in: x projections, out: activations r, z, n; HH[B, 3H] the h projections;
//   hn, hPrev, h: [B, H].

import { at } from "./arena";
import { sigmoid, sigmoidSimd, tanhSimd, tanhr } from "./mathx";

// The GRU in the cell table (cells.ts): 3 gates, carries h, keeps hn per step; its recurrent product
// stays apart from the gates (RECURRENT_SEPARATE: r scales W_hn·h + b_hn), and dh ∘ z is a direct path
// to h_{t−1}.
export const GRU_GATES = 3;
export const GRU_STATES = 1;
export const GRU_AUX = 1;
export const GRU_RECURRENT = 1; // RECURRENT_SEPARATE
export const GRU_DIRECT_PATH = 1;

export function gruForwardStep(G: usize, HH: usize, hn: usize, hPrev: usize, h: usize, B: i32, H: i32): void {
  const GH = 3 * H;
  for (let b = 0; b < B; b++) {
    const g = at(G, b * GH);
    const q = at(HH, b * GH);
    const row = b * H;
    let j = 0;
    if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
      const one = f32x4.splat(1);
      for (; j + 4 <= H; j += 4) {
        const r = sigmoidSimd(f32x4.add(v128.load(at(g, j)), v128.load(at(q, j))));
        const z = sigmoidSimd(f32x4.add(v128.load(at(g, H + j)), v128.load(at(q, H + j))));
        const hnj = v128.load(at(q, 2 * H + j));
        const n = tanhSimd(f32x4.add(v128.load(at(g, 2 * H + j)), f32x4.mul(r, hnj)));
        const hp = v128.load(at(hPrev, row + j));
        v128.store(at(g, j), r);
        v128.store(at(g, H + j), z);
        v128.store(at(g, 2 * H + j), n);
        v128.store(at(hn, row + j), hnj);
        v128.store(at(h, row + j), f32x4.add(f32x4.mul(f32x4.sub(one, z), n), f32x4.mul(z, hp)));
      }
    }
    for (; j < H; j++) {
      const r = sigmoid(load<real>(at(g, j)) + load<real>(at(q, j)));
      const z = sigmoid(load<real>(at(g, H + j)) + load<real>(at(q, H + j)));
      const hnj = load<real>(at(q, 2 * H + j));
      const n = tanhr(load<real>(at(g, 2 * H + j)) + r * hnj);
      const hp = load<real>(at(hPrev, row + j));
      store<real>(at(g, j), r);
      store<real>(at(g, H + j), z);
      store<real>(at(g, 2 * H + j), n);
      store<real>(at(hn, row + j), hnj);
      store<real>(at(h, row + j), (<real>1 - z) * n + z * hp);
    }
  }
}

/**
 * dh: ∂L/∂h_t [B, H]. Writes dG[B, 3H] (gradient of the x projections), dGhh[B, 3H] (of the h
 * projections: equal to dG except the n part, which is scaled by r) and dhPrev = dh ∘ z, the direct
 * path to h_{t-1}; the caller adds dGhh·W_hhᵀ.
 */
export function gruBackwardStep(G: usize, hn: usize, hPrev: usize, dh: usize, dG: usize, dGhh: usize, dhPrev: usize, B: i32, H: i32): void {
  const GH = 3 * H;
  for (let b = 0; b < B; b++) {
    const g = at(G, b * GH);
    const d = at(dG, b * GH);
    const dq = at(dGhh, b * GH);
    const row = b * H;
    let j = 0;
    if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
      const one = f32x4.splat(1);
      for (; j + 4 <= H; j += 4) {
        const r = v128.load(at(g, j)), z = v128.load(at(g, H + j)), n = v128.load(at(g, 2 * H + j));
        const hp = v128.load(at(hPrev, row + j)), dhj = v128.load(at(dh, row + j));
        const dnPre = f32x4.mul(f32x4.mul(dhj, f32x4.sub(one, z)), f32x4.sub(one, f32x4.mul(n, n)));
        const dzPre = f32x4.mul(f32x4.mul(dhj, f32x4.sub(hp, n)), f32x4.mul(z, f32x4.sub(one, z)));
        const drPre = f32x4.mul(f32x4.mul(dnPre, v128.load(at(hn, row + j))), f32x4.mul(r, f32x4.sub(one, r)));
        v128.store(at(d, j), drPre);
        v128.store(at(d, H + j), dzPre);
        v128.store(at(d, 2 * H + j), dnPre);
        v128.store(at(dq, j), drPre);
        v128.store(at(dq, H + j), dzPre);
        v128.store(at(dq, 2 * H + j), f32x4.mul(dnPre, r));
        v128.store(at(dhPrev, row + j), f32x4.mul(dhj, z));
      }
    }
    for (; j < H; j++) {
      const r = load<real>(at(g, j));
      const z = load<real>(at(g, H + j));
      const n = load<real>(at(g, 2 * H + j));
      const hp = load<real>(at(hPrev, row + j));
      const dhj = load<real>(at(dh, row + j));
      const dnPre = dhj * (<real>1 - z) * (<real>1 - n * n);
      const dzPre = dhj * (hp - n) * z * (<real>1 - z);
      const drPre = dnPre * load<real>(at(hn, row + j)) * r * (<real>1 - r);
      store<real>(at(d, j), drPre);
      store<real>(at(d, H + j), dzPre);
      store<real>(at(d, 2 * H + j), dnPre);
      store<real>(at(dq, j), drPre);
      store<real>(at(dq, H + j), dzPre);
      store<real>(at(dq, 2 * H + j), dnPre * r);
      store<real>(at(dhPrev, row + j), dhj * z);
    }
  }
}
