// Continuous-time RNN (leaky integrator), forward and backward, over one time step of the batch:
//   a = x·W_ih + h_{t−1}·W_hh + b_ih + b_hh,   y = f(a) (tanh or ReLU),
//   h_t = (1 − α) ∘ h_{t−1} + α ∘ y,          α = Δt / τ per unit.
// τ is fixed (the cell constant CTRNN_TAU for every unit) or learned (FLAG_LEARN_TAU): the cell's own
// [1, H] tensor ρ gives τ = Δt + softplus(ρ), so τ > Δt and α ∈ (0, 1) for every ρ. Δt is the cell
// constant CTRNN_DT. Euler's step of τ·dh/dt = −h + f(a) with step Δt.
// Shapes: G[B, H] in: a (kept: the heatmap's pre-activation); y (aux slot 0) [B, H]; hPrev, h [B, H];
//   rho [1, H] (learned τ only).

import { at } from "./arena";
import { expr, logr, sigmoid, tanhSimd, tanhr } from "./mathx";

// The CTRNN in the cell table (cells.ts): one gate block (the pre-activation), carries h, keeps
// y = f(a) per step, recurrent product into the gates, and (1 − α) ∘ dh is a direct path to h_{t−1}.
export const CTRNN_GATES = 1;
export const CTRNN_STATES = 1;
export const CTRNN_AUX = 1;
export const CTRNN_RECURRENT = 0; // RECURRENT_INTO_GATES
export const CTRNN_DIRECT_PATH = 1;

// Cell constants (cells.ts setCellConstant): the time step and the fixed time constant.
export const CTRNN_DT = 0;
export const CTRNN_TAU = 1;

@inline function softplus(x: real): real {
  // max(x, 0) + log(1 + e^−|x|): exp's argument stays ≤ 0
  return (x > 0 ? x : <real>0) + logr(<real>1 + expr(-abs<real>(x)));
}

// A learned τ's α and ∂α/∂ρ per unit, for hidden sizes up to the engine's limit; a larger H (never
// configured by the engine) takes the per-element path. ρ changes only at the optimiser's update, so
// the rows are computed once per layer and pass (H softplus, not T·H): a step whose ρ, H and Δt are
// bit for bit those the rows were made from reuses them. A bitwise comparison (not a version count)
// keeps this right whatever wrote ρ: the optimiser, a loaded model, another layer's ρ.
const MAX_ROW = 4096;
const alphaRow = memory.data(MAX_ROW * 8, 16);
const slopeRow = memory.data(MAX_ROW * 8, 16);
const rhoSeen = memory.data(MAX_ROW * 8, 16); // the ρ [H] the rows were made from
let seenH: i32 = -1;     // H of rhoSeen; −1: no rows yet
let seenDt: real = 0;
let slopeMade = false;  // slopeRow also matches rhoSeen (forward fills only alphaRow)

/** ρ [H] equals rhoSeen bit for bit. */
function sameRho(rho: usize, H: i32): bool {
  const bytes = <usize>H << alignof<real>();
  let k: usize = 0;
  if (ASC_FEATURE_SIMD) {
    for (; k + 16 <= bytes; k += 16) {
      if (v128.any_true(v128.xor(v128.load(rho + k), v128.load(rhoSeen + k)))) return false;
    }
  }
  for (; k < bytes; k += 4) if (load<u32>(rho + k) != load<u32>(rhoSeen + k)) return false;
  return true;
}

/** Makes alphaRow (and, for backward, slopeRow = ∂α/∂ρ = −Δt/τ² · σ(ρ)) hold the rows of ρ [H]. */
function fillLeakRows(rho: usize, H: i32, dt: real, withSlope: bool): void {
  const fresh = seenH == H && seenDt == dt && sameRho(rho, H);
  if (fresh && (slopeMade || !withSlope)) return;
  for (let j = 0; j < H; j++) {
    const r = load<real>(at(rho, j));
    const t = dt + softplus(r);
    store<real>(at(alphaRow, j), dt / t);
    if (withSlope) store<real>(at(slopeRow, j), -dt / (t * t) * sigmoid(r));
  }
  memory.copy(rhoSeen, rho, <usize>H << alignof<real>());
  seenH = H;
  seenDt = dt;
  slopeMade = withSlope;
}

/** α of unit j: Δt/τ fixed (rho = 0) or Δt/(Δt + softplus(ρ_j)). */
@inline function leak(rho: usize, j: i32, dt: real, alphaFixed: real): real {
  return rho == 0 ? alphaFixed : dt / (dt + softplus(load<real>(at(rho, j))));
}

export function ctrnnForwardStep(G: usize, y: usize, hPrev: usize, h: usize, B: i32, H: i32, relu: bool,
                                 rho: usize, dt: real, tau: real): void {
  const alphaFixed = dt / tau;
  const rowed = rho != 0 && H <= MAX_ROW;
  if (rowed) fillLeakRows(rho, H, dt, false);
  for (let b = 0; b < B; b++) {
    const row = b * H;
    let j = 0;
    if (sizeof<real>() == 4 && ASC_FEATURE_SIMD && (rho == 0 || rowed)) {
      const fixed = f32x4.splat(<f32>alphaFixed), zero = f32x4.splat(0);
      for (; j + 4 <= H; j += 4) {
        const al = rowed ? v128.load(at(alphaRow, j)) : fixed;
        const a = v128.load(at(G, row + j));
        const yj = relu ? f32x4.pmax(zero, a) : tanhSimd(a); // pmax(0, a) = 0 < a ? a : 0, the scalar ReLU's choice
        const hp = v128.load(at(hPrev, row + j));
        v128.store(at(y, row + j), yj);
        v128.store(at(h, row + j), f32x4.add(hp, f32x4.mul(al, f32x4.sub(yj, hp))));
      }
    }
    for (; j < H; j++) {
      const a = load<real>(at(G, row + j));
      const yj = relu ? (a > 0 ? a : <real>0) : tanhr(a);
      const hp = load<real>(at(hPrev, row + j));
      const al = rowed ? load<real>(at(alphaRow, j)) : leak(rho, j, dt, alphaFixed);
      store<real>(at(y, row + j), yj);
      store<real>(at(h, row + j), hp + al * (yj - hp));
    }
  }
}

/**
 * dh: ∂L/∂h_t [B, H] (read only). Writes dG = dh ∘ α ∘ f'(a) (may alias G), dhPrev = (1 − α) ∘ dh
 * (the direct path; the caller adds dG·W_hhᵀ), and with learned τ adds
 * Σ_b dh ∘ (y − h_{t−1}) ∘ ∂α/∂ρ into gRho, where ∂α/∂ρ = −Δt/τ² · σ(ρ).
 */
export function ctrnnBackwardStep(y: usize, hPrev: usize, dh: usize, dG: usize, dhPrev: usize, B: i32, H: i32, relu: bool,
                                  rho: usize, gRho: usize, dt: real, tau: real): void {
  const alphaFixed = dt / tau;
  const rowed = rho != 0 && H <= MAX_ROW;
  if (rowed) fillLeakRows(rho, H, dt, true);
  for (let b = 0; b < B; b++) {
    const row = b * H;
    let j = 0;
    if (sizeof<real>() == 4 && ASC_FEATURE_SIMD && (rho == 0 || rowed)) {
      const fixed = f32x4.splat(<f32>alphaFixed);
      const one = f32x4.splat(1), zero = f32x4.splat(0);
      for (; j + 4 <= H; j += 4) {
        const al = rowed ? v128.load(at(alphaRow, j)) : fixed;
        const yj = v128.load(at(y, row + j)), d = v128.load(at(dh, row + j));
        if (rowed) {
          // gRho += dh ∘ (y − h_{t−1}) ∘ ∂α/∂ρ
          const dAlpha = f32x4.mul(d, f32x4.sub(yj, v128.load(at(hPrev, row + j))));
          v128.store(at(gRho, j), f32x4.add(v128.load(at(gRho, j)), f32x4.mul(dAlpha, v128.load(at(slopeRow, j)))));
        }
        const da = f32x4.mul(d, al);
        v128.store(at(dG, row + j), relu ? v128.bitselect(da, zero, f32x4.gt(yj, zero)) : f32x4.mul(da, f32x4.sub(one, f32x4.mul(yj, yj))));
        v128.store(at(dhPrev, row + j), f32x4.mul(d, f32x4.sub(one, al)));
      }
    }
    for (; j < H; j++) {
      const yj = load<real>(at(y, row + j));
      const d = load<real>(at(dh, row + j));
      const al = rowed ? load<real>(at(alphaRow, j)) : leak(rho, j, dt, alphaFixed);
      const slope = relu ? (yj > 0 ? <real>1 : <real>0) : <real>1 - yj * yj;
      if (rowed) {
        const dAlpha = d * (yj - load<real>(at(hPrev, row + j)));
        store<real>(at(gRho, j), load<real>(at(gRho, j)) + dAlpha * load<real>(at(slopeRow, j)));
      } else if (rho != 0) {
        const r = load<real>(at(rho, j));
        const t = dt + softplus(r);
        const dAlpha = d * (yj - load<real>(at(hPrev, row + j)));
        store<real>(at(gRho, j), load<real>(at(gRho, j)) - dAlpha * dt / (t * t) * sigmoid(r));
      }
      store<real>(at(dG, row + j), d * al * slope);
      store<real>(at(dhPrev, row + j), d * (<real>1 - al));
    }
  }
}
