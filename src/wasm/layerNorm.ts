// Layer-normalised LSTM and GRU (Ba, Kiros & Hinton 2016), forward and backward over one time step.
// B = streams, H = hidden units, G = gates (LSTM 4: i, f, g, o; GRU 3: r, z, n), ε = LN_EPS.
//
//   LN(v; γ, β) = γ ∘ (v − μ(v)) / sqrt(σ²(v) + ε) + β     μ, σ² over the G·H entries of one stream's row
//   a = x·W_ih,  p = h_{t−1}·W_hh                          (no bias before the normalisation)
//   a' = LN(a; γ_ih, β_ih),  p' = LN(p; γ_hh, β_hh)          [B, G·H] each
// LSTM:  (i, f, g, o) = (σ, σ, tanh, σ)(a' + p'),  c_t = f ∘ c_{t−1} + i ∘ g,
//        h_t = o ∘ tanh(LN(c_t; γ_c, β_c))                  (μ, σ² over the H units; c_t is carried unnormalised)
// GRU:   r = σ(a'_r + p'_r), z = σ(a'_z + p'_z), n = tanh(a'_n + r ∘ p'_n), h_t = (1 − z) ∘ n + z ∘ h_{t−1}
//        (PyTorch's reset-after form with β_hh,n inside the reset, as b_hn is in nn.GRU)
// The paper's separate bias b is β_ih + β_hh here (it adds to both; one of the two would do).
//
// Buffers (cells.ts header): the network keeps the recurrent product apart (RECURRENT_SEPARATE) and
// adds no bias of its own (CD_OWN_BIASES): G [B, G·H] arrives as a, HH [B, G·H] as p. The cell's own
// tensors, contiguous: γ_ih, β_ih, γ_hh, β_hh [1, G·H] each, then (LSTM) γ_c, β_c [1, H].
// Aux slots ([B, H] per step, slot k at k·auxStride):
//   LSTM  0 tanh(c'), 1–4 â (block q in slot 1 + q), 5–8 p̂, 9 ĉ, 10 1/σ_a, 11 1/σ_p, 12 1/σ_c   (13)
//   GRU   0 p'_n (what r multiplies), 1–3 â, 4–6 p̂, 7 1/σ_a, 8 1/σ_p                            (9)
// (x̂ = the normalised value before gain and bias; a 1/σ slot holds one value per stream, at b·H.)
// Backward: ∂L/∂v = (1/σ) ∘ (d̂ − mean(d̂) − x̂ ∘ mean(d̂ ∘ x̂)) with d̂ = γ ∘ ∂L/∂v', over the same entries.

import { at } from "./arena";
import { tanhr } from "./mathx";
import { GRU_GATES, gruBackwardStep, gruForwardStep } from "./gru";
import { LSTM_GATES, lstmForwardStep } from "./lstm";

export const LN_EPS: f64 = 1e-5; // torch.nn.LayerNorm's default

export const LN_LSTM_AUX = 13;
export const LN_GRU_AUX = 9;
export const LN_LSTM_TENSORS = 6;
export const LN_GRU_TENSORS = 4;

/**
 * LN over the n = blocks·H entries of one row v (contiguous), in place: v ← γ ∘ x̂ + β. x̂ is written
 * block q to xhat + q·auxStride (elements), entry j of the block at j; returns 1/σ.
 */
function normaliseRow(v: usize, blocks: i32, H: i32, gain: usize, bias: usize, xhat: usize, auxStride: i32): real {
  const n = blocks * H;
  let mean: f64 = 0;
  for (let e = 0; e < n; e++) mean += <f64>load<real>(at(v, e));
  mean /= <f64>n;
  let variance: f64 = 0;
  for (let e = 0; e < n; e++) { const d = <f64>load<real>(at(v, e)) - mean; variance += d * d; }
  variance /= <f64>n;
  const rstd = <real>(1.0 / Math.sqrt(variance + LN_EPS));
  for (let q = 0; q < blocks; q++) {
    for (let j = 0; j < H; j++) {
      const e = q * H + j;
      const x = <real>(<f64>load<real>(at(v, e)) - mean) * rstd;
      store<real>(at(xhat, q * auxStride + j), x);
      store<real>(at(v, e), load<real>(at(gain, e)) * x + load<real>(at(bias, e)));
    }
  }
  return rstd;
}

/**
 * The backward of normaliseRow, in place: dv holds ∂L/∂v' on entry and ∂L/∂v on return; adds
 * ∂L/∂γ and ∂L/∂β into gGain, gBias.
 */
function normaliseRowBackward(dv: usize, blocks: i32, H: i32, gain: usize, xhat: usize, auxStride: i32, rstd: real, gGain: usize, gBias: usize): void {
  const n = blocks * H;
  let sumD: f64 = 0, sumDX: f64 = 0;
  for (let q = 0; q < blocks; q++) {
    for (let j = 0; j < H; j++) {
      const e = q * H + j;
      const dy = load<real>(at(dv, e)), x = load<real>(at(xhat, q * auxStride + j));
      store<real>(at(gGain, e), load<real>(at(gGain, e)) + dy * x);
      store<real>(at(gBias, e), load<real>(at(gBias, e)) + dy);
      const d = dy * load<real>(at(gain, e));
      store<real>(at(dv, e), d);
      sumD += <f64>d;
      sumDX += <f64>(d * x);
    }
  }
  const meanD = <real>(sumD / <f64>n), meanDX = <real>(sumDX / <f64>n);
  for (let q = 0; q < blocks; q++) {
    for (let j = 0; j < H; j++) {
      const e = q * H + j;
      const x = load<real>(at(xhat, q * auxStride + j));
      store<real>(at(dv, e), rstd * (load<real>(at(dv, e)) - meanD - x * meanDX));
    }
  }
}

// ---- LSTM ----

/** g: a [B, 4H] in, activations i, f, g, o out; hh: p [B, 4H] (scratch); cp: the six tensors. */
export function lnLstmForwardStep(g: usize, hh: usize, cPrev: usize, c: usize, h: usize, aux: usize, auxStride: i32, B: i32, H: i32, cp: usize): void {
  const GH = LSTM_GATES * H;
  const gIh = cp, bIh = at(cp, GH), gHh = at(cp, 2 * GH), bHh = at(cp, 3 * GH), gC = at(cp, 4 * GH), bC = at(cp, 4 * GH + H);
  for (let b = 0; b < B; b++) {
    const row = b * H, a = at(g, b * GH), p = at(hh, b * GH);
    store<real>(at(aux, 10 * auxStride + row), normaliseRow(a, LSTM_GATES, H, gIh, bIh, at(aux, auxStride + row), auxStride));
    store<real>(at(aux, 11 * auxStride + row), normaliseRow(p, LSTM_GATES, H, gHh, bHh, at(aux, 5 * auxStride + row), auxStride));
    for (let e = 0; e < GH; e++) store<real>(at(a, e), load<real>(at(a, e)) + load<real>(at(p, e)));
  }
  // the plain LSTM step on a' + p' gives the gates and c_t (its tanh(c_t) and h are replaced below)
  lstmForwardStep(g, cPrev, c, aux, h, B, H, 0, 0, 0, false);
  for (let b = 0; b < B; b++) {
    const row = b * H, cn = at(aux, 9 * auxStride + row);
    // c' = LN(c_t) into h's row as scratch, then h = o ∘ tanh(c')
    memory.copy(at(h, row), at(c, row), <usize>H << alignof<real>());
    store<real>(at(aux, 12 * auxStride + row), normaliseRow(at(h, row), 1, H, gC, bC, cn, auxStride));
    for (let j = 0; j < H; j++) {
      const tc = tanhr(load<real>(at(h, row + j)));
      store<real>(at(aux, row + j), tc);
      store<real>(at(h, row + j), load<real>(at(g, b * GH + 3 * H + j)) * tc);
    }
  }
}

/**
 * dh: ∂L/∂h_t [B, H]; dc: in ∂L/∂c_t from step t + 1, out ∂L/∂c_{t−1}. Writes dG = ∂L/∂a and
 * dGhh = ∂L/∂p [B, 4H]; adds the six tensors' gradients into gcp.
 */
export function lnLstmBackwardStep(g: usize, cPrev: usize, aux: usize, auxStride: i32, dh: usize, dc: usize, dG: usize, dGhh: usize,
                                   B: i32, H: i32, cp: usize, gcp: usize): void {
  const GH = LSTM_GATES * H;
  const gIh = cp, gHh = at(cp, 2 * GH), gC = at(cp, 4 * GH);
  for (let b = 0; b < B; b++) {
    const row = b * H, gr = at(g, b * GH), d = at(dG, b * GH), dq = at(dGhh, b * GH);
    // ∂L/∂c' = dh ∘ o ∘ (1 − tanh²c'), through LN_c to ∂L/∂c_t (into dq's first H entries as scratch)
    for (let j = 0; j < H; j++) {
      const o = load<real>(at(gr, 3 * H + j)), tc = load<real>(at(aux, row + j));
      store<real>(at(dq, j), load<real>(at(dh, row + j)) * o * (<real>1 - tc * tc));
    }
    normaliseRowBackward(dq, 1, H, gC, at(aux, 9 * auxStride + row), auxStride, load<real>(at(aux, 12 * auxStride + row)), at(gcp, 4 * GH), at(gcp, 4 * GH + H));
    for (let j = 0; j < H; j++) {
      const i = load<real>(at(gr, j)), f = load<real>(at(gr, H + j)), gg = load<real>(at(gr, 2 * H + j)), o = load<real>(at(gr, 3 * H + j));
      const tc = load<real>(at(aux, row + j)), cpv = load<real>(at(cPrev, row + j));
      const dcj = load<real>(at(dc, row + j)) + load<real>(at(dq, j));
      store<real>(at(d, j), dcj * gg * i * (<real>1 - i));
      store<real>(at(d, H + j), dcj * cpv * f * (<real>1 - f));
      store<real>(at(d, 2 * H + j), dcj * i * (<real>1 - gg * gg));
      store<real>(at(d, 3 * H + j), load<real>(at(dh, row + j)) * tc * o * (<real>1 - o));
      store<real>(at(dc, row + j), dcj * f);
    }
    // the gates' pre-activation is a' + p': the same gradient reaches both normalisations
    memory.copy(dq, d, <usize>GH << alignof<real>());
    normaliseRowBackward(d, LSTM_GATES, H, gIh, at(aux, auxStride + row), auxStride, load<real>(at(aux, 10 * auxStride + row)), gcp, at(gcp, GH));
    normaliseRowBackward(dq, LSTM_GATES, H, gHh, at(aux, 5 * auxStride + row), auxStride, load<real>(at(aux, 11 * auxStride + row)), at(gcp, 2 * GH), at(gcp, 3 * GH));
  }
}

// ---- GRU ----

/** g: a [B, 3H] in, activations r, z, n out; hh: p [B, 3H] (overwritten by p'); cp: the four tensors. */
export function lnGruForwardStep(g: usize, hh: usize, prev: usize, next: usize, aux: usize, auxStride: i32, B: i32, H: i32, cp: usize): void {
  const GH = GRU_GATES * H;
  for (let b = 0; b < B; b++) {
    const row = b * H;
    store<real>(at(aux, 7 * auxStride + row), normaliseRow(at(g, b * GH), GRU_GATES, H, cp, at(cp, GH), at(aux, auxStride + row), auxStride));
    store<real>(at(aux, 8 * auxStride + row), normaliseRow(at(hh, b * GH), GRU_GATES, H, at(cp, 2 * GH), at(cp, 3 * GH), at(aux, 4 * auxStride + row), auxStride));
  }
  gruForwardStep(g, hh, aux, prev, next, B, H);
}

/** dh: ∂L/∂h_t [B, H]. Writes dG = ∂L/∂a, dGhh = ∂L/∂p [B, 3H] and the direct ∂L/∂h_{t−1} = dh ∘ z. */
export function lnGruBackwardStep(g: usize, prev: usize, aux: usize, auxStride: i32, dh: usize, dG: usize, dGhh: usize, dhPrev: usize,
                                  B: i32, H: i32, cp: usize, gcp: usize): void {
  const GH = GRU_GATES * H;
  gruBackwardStep(g, aux, prev, dh, dG, dGhh, dhPrev, B, H); // ∂L/∂a', ∂L/∂p'
  for (let b = 0; b < B; b++) {
    const row = b * H;
    normaliseRowBackward(at(dG, b * GH), GRU_GATES, H, cp, at(aux, auxStride + row), auxStride, load<real>(at(aux, 7 * auxStride + row)), gcp, at(gcp, GH));
    normaliseRowBackward(at(dGhh, b * GH), GRU_GATES, H, at(cp, 2 * GH), at(aux, 4 * auxStride + row), auxStride, load<real>(at(aux, 8 * auxStride + row)), at(gcp, 2 * GH), at(gcp, 3 * GH));
  }
}
