// Recurrently batch-normalised LSTM and GRU (Cooijmans, Ballas, Laurent, Gülçehre & Courville 2016),
// forward and backward over one time step. B = streams, H = hidden units, G = gates (LSTM 4: i, f,
// g, o; GRU 3: r, z, n), ε = BN_EPS, t = the step within the window.
//
//   BN_t(v; γ, β) = γ ∘ (v − μ_t) / sqrt(σ²_t + ε) + β     μ_t, σ²_t per column over the B streams of step t
//   a = x·W_ih,  p = h_{t−1}·W_hh                          (no bias before the normalisation)
//   a' = BN_t(a; γ_ih, β_ih),  p' = BN_t(p; γ_hh, β_hh)      [B, G·H] each, statistics kept apart
// LSTM:  (i, f, g, o) = (σ, σ, tanh, σ)(a' + p'),  c_t = f ∘ c_{t−1} + i ∘ g,
//        h_t = o ∘ tanh(BN_t(c_t; γ_c, β_c))               (c_t is carried unnormalised)
// GRU:   r = σ(a'_r + p'_r), z = σ(a'_z + p'_z), n = tanh(a'_n + r ∘ p'_n), h_t = (1 − z) ∘ n + z ∘ h_{t−1}
// The paper's one bias b is β_ih + β_hh here (as in layerNorm.ts); its gains start at 0.1 (the engine).
//
// Training (setNormPass(true)): μ_t, σ²_t are the batch's (biased σ², as torch.nn.BatchNorm1d), and
// the running averages of step t move towards them with momentum BN_MOMENTUM:
//   μ̄_t ← (1 − m)·μ̄_t + m·μ_t,  σ̄²_t ← (1 − m)·σ̄²_t + m·σ²_t·B/(B − 1)   (torch's unbiased running σ²)
// Evaluation (sampling, hovers, validation): the running averages of step min(t, seen − 1) instead,
// where seen = the steps any training pass reached (steps beyond it use the last trained step's);
// nothing is updated, and backward treats μ̄, σ̄² as constants.
//
// The running statistics live in their own buffer (not the parameter block: no optimizer, no weight
// decay, no clipping touches them), one header value then per unit u = l·D + d, for N = normSteps steps:
//   [0]                  seen (as a real)
//   μ̄_ih, σ̄²_ih, μ̄_hh, σ̄²_hh  [N, G·H] each, then (LSTM) μ̄_c, σ̄²_c [N, H]
// A training step t ≥ N uses its batch's statistics but updates none (documented limit; the engine
// sizes N to the training window).
//
// Buffers as layerNorm.ts (RECURRENT_SEPARATE, CD_OWN_BIASES; the same six / four own tensors).
// Aux slots ([B, H] per step; a 1/σ slot holds block q's H column values in its first row):
//   LSTM  0 tanh(c'), 1–4 â, 5–8 p̂, 9 ĉ, 10–13 1/σ_a, 14–17 1/σ_p, 18 1/σ_c   (19)
//   GRU   0 p'_n, 1–3 â, 4–6 p̂, 7–9 1/σ_a, 10–12 1/σ_p                          (13)
// Backward per column, training: ∂L/∂v = (1/σ) ∘ (d̂ − mean_b(d̂) − x̂ ∘ mean_b(d̂ ∘ x̂)), d̂ = γ ∘ ∂L/∂v';
// evaluation: ∂L/∂v = (1/σ̄) ∘ d̂.

import { allocReal, at } from "./arena";
import { tanhr } from "./mathx";
import { GRU_GATES, gruBackwardStep, gruForwardStep } from "./gru";
import { LSTM_GATES, lstmForwardStep } from "./lstm";

export const BN_EPS: f64 = 1e-5;      // torch.nn.BatchNorm1d's default
export const BN_MOMENTUM: f64 = 0.1;  // torch.nn.BatchNorm1d's default
export const BN_LSTM_AUX = 19;
export const BN_GRU_AUX = 13;

// ---- the running statistics and the pass ----
let stats: usize = 0;       // the buffer above
let statsLength = 0;        // its element count
let normSteps = 1;          // N
let unitStride = 0;         // elements per unit
let training = false;       // setNormPass
let unitIndex = 0, step = 0; // setNormStep
let requestedSteps = 256;   // setNormSteps (the engine's BATCH_NORM_STEPS)

/** N for the next configure (the engine passes the training window); below 1 is read as 1. */
export function setNormSteps(steps: i32): void { requestedSteps = steps < 1 ? 1 : steps; }

/** Allocates the running statistics for `units` units (after the parameter block, in configure); μ̄ = 0, σ̄² = 1. */
export function allocateNormStats(units: i32, lstm: bool, H: i32): void {
  const GH = (lstm ? LSTM_GATES : GRU_GATES) * H;
  normSteps = requestedSteps;
  unitStride = normSteps * (4 * GH + (lstm ? 2 * H : 0));
  statsLength = 1 + units * unitStride;
  stats = allocReal(statsLength);
  resetNormStats(lstm, H);
}

function resetNormStats(lstm: bool, H: i32): void {
  const GH = (lstm ? LSTM_GATES : GRU_GATES) * H, N = normSteps;
  memory.fill(stats, 0, <usize>statsLength << alignof<real>());
  for (let base = 1; base < statsLength; base += unitStride) {
    for (let e = 0; e < N * GH; e++) { store<real>(at(stats, base + N * GH + e), 1); store<real>(at(stats, base + 3 * N * GH + e), 1); }
    if (lstm) for (let e = 0; e < N * H; e++) store<real>(at(stats, base + 4 * N * GH + N * H + e), 1);
  }
}

/** No running statistics (a configure without batch norm). */
export function clearNormStats(): void { stats = 0; statsLength = 0; }
export function normStatsPtr(): usize { return stats; }
export function normStatsLength(): i32 { return statsLength; }
/** Steps of running statistics per unit (N). */
export function normStatSteps(): i32 { return normSteps; }
/** Training (batch statistics, running averages updated) or evaluation (running averages) for the next passes. */
export function setNormPass(isTraining: bool): void { training = isTraining; }
/** The unit (l·D + d) and window step of the next cell step. */
export function setNormStep(u: i32, t: i32): void { unitIndex = u; step = t; }

/** The running statistics' address for this unit: block k (0 μ̄_ih, 1 σ̄²_ih, 2 μ̄_hh, 3 σ̄²_hh, 4 μ̄_c, 5 σ̄²_c) at step s. */
function runningAt(k: i32, s: i32, GH: i32, H: i32): usize {
  const N = normSteps, base = 1 + unitIndex * unitStride;
  return k < 4 ? at(stats, base + k * N * GH + s * GH) : at(stats, base + 4 * N * GH + (k - 4) * N * H + s * H);
}

/** The step whose running averages an evaluation pass uses. */
function evaluationStep(): i32 {
  const seen = <i32>load<real>(stats);
  const last = (seen > 0 ? min(seen, normSteps) : normSteps) - 1;
  return step < last ? step : last;
}

/**
 * BN over the B rows of v (row stride `rowStride`) for n = blocks·H columns, in place:
 * v ← γ ∘ x̂ + β. x̂ goes to block q at xhat + q·auxStride, row b at b·H; 1/σ of block q's column j to
 * rstd + q·auxStride + j. k: the running-statistics block of μ̄ (σ̄² is k + 1).
 */
function normaliseColumns(v: usize, rowStride: i32, B: i32, blocks: i32, H: i32, gain: usize, bias: usize, xhat: usize, rstd: usize,
                          auxStride: i32, k: i32, GH: i32): void {
  const update = training && step < normSteps;
  const s = training ? (step < normSteps ? step : normSteps - 1) : evaluationStep();
  const runMean = runningAt(k, s, GH, H), runVar = runningAt(k + 1, s, GH, H);
  const m: f64 = BN_MOMENTUM, unbias: f64 = B > 1 ? <f64>B / <f64>(B - 1) : 1.0;
  for (let q = 0; q < blocks; q++) {
    for (let j = 0; j < H; j++) {
      const e = q * H + j;
      let mean: f64, variance: f64;
      if (training) {
        mean = 0;
        for (let b = 0; b < B; b++) mean += <f64>load<real>(at(v, b * rowStride + e));
        mean /= <f64>B;
        variance = 0;
        for (let b = 0; b < B; b++) { const d = <f64>load<real>(at(v, b * rowStride + e)) - mean; variance += d * d; }
        variance /= <f64>B;
        if (update) {
          store<real>(at(runMean, e), <real>((1 - m) * <f64>load<real>(at(runMean, e)) + m * mean));
          store<real>(at(runVar, e), <real>((1 - m) * <f64>load<real>(at(runVar, e)) + m * variance * unbias));
        }
      } else {
        mean = <f64>load<real>(at(runMean, e));
        variance = <f64>load<real>(at(runVar, e));
      }
      const r = <real>(1.0 / Math.sqrt(variance + BN_EPS));
      store<real>(at(rstd, q * auxStride + j), r);
      const g = load<real>(at(gain, e)), beta = load<real>(at(bias, e));
      for (let b = 0; b < B; b++) {
        const x = <real>(<f64>load<real>(at(v, b * rowStride + e)) - mean) * r;
        store<real>(at(xhat, q * auxStride + b * H + j), x);
        store<real>(at(v, b * rowStride + e), g * x + beta);
      }
    }
  }
  if (update && step + 1 > <i32>load<real>(stats)) store<real>(stats, <real>(step + 1));
}

/** The backward of normaliseColumns, in place on dv (∂L/∂v' in, ∂L/∂v out); adds ∂L/∂γ, ∂L/∂β into gGain, gBias. */
function normaliseColumnsBackward(dv: usize, rowStride: i32, B: i32, blocks: i32, H: i32, gain: usize, xhat: usize, rstd: usize,
                                  auxStride: i32, gGain: usize, gBias: usize): void {
  for (let q = 0; q < blocks; q++) {
    for (let j = 0; j < H; j++) {
      const e = q * H + j, g = load<real>(at(gain, e)), r = load<real>(at(rstd, q * auxStride + j));
      let sumDy: f64 = 0, sumDyX: f64 = 0;
      for (let b = 0; b < B; b++) {
        const dy = load<real>(at(dv, b * rowStride + e)), x = load<real>(at(xhat, q * auxStride + b * H + j));
        sumDy += <f64>dy;
        sumDyX += <f64>(dy * x);
      }
      store<real>(at(gGain, e), load<real>(at(gGain, e)) + <real>sumDyX);
      store<real>(at(gBias, e), load<real>(at(gBias, e)) + <real>sumDy);
      // d̂ = γ·dy, so mean(d̂) = γ·mean(dy) and mean(d̂ ∘ x̂) = γ·mean(dy ∘ x̂)
      const meanD = training ? <real>(<f64>g * sumDy / <f64>B) : <real>0, meanDX = training ? <real>(<f64>g * sumDyX / <f64>B) : <real>0;
      for (let b = 0; b < B; b++) {
        const x = load<real>(at(xhat, q * auxStride + b * H + j));
        store<real>(at(dv, b * rowStride + e), r * (g * load<real>(at(dv, b * rowStride + e)) - meanD - x * meanDX));
      }
    }
  }
}

// ---- LSTM ----

/** g: a [B, 4H] in, activations i, f, g, o out; hh: p [B, 4H] (scratch); cp: γ_ih, β_ih, γ_hh, β_hh [4H], γ_c, β_c [H]. */
export function bnLstmForwardStep(g: usize, hh: usize, cPrev: usize, c: usize, h: usize, aux: usize, auxStride: i32, B: i32, H: i32, cp: usize): void {
  const GH = LSTM_GATES * H;
  normaliseColumns(g, GH, B, LSTM_GATES, H, cp, at(cp, GH), at(aux, auxStride), at(aux, 10 * auxStride), auxStride, 0, GH);
  normaliseColumns(hh, GH, B, LSTM_GATES, H, at(cp, 2 * GH), at(cp, 3 * GH), at(aux, 5 * auxStride), at(aux, 14 * auxStride), auxStride, 2, GH);
  for (let e = 0; e < B * GH; e++) store<real>(at(g, e), load<real>(at(g, e)) + load<real>(at(hh, e)));
  // the plain LSTM step on a' + p' gives the gates and c_t (its tanh(c_t) and h are replaced below)
  lstmForwardStep(g, cPrev, c, aux, h, B, H, 0, 0, 0, false);
  // c' = BN(c_t) into h as scratch, then h = o ∘ tanh(c')
  memory.copy(h, c, <usize>(B * H) << alignof<real>());
  normaliseColumns(h, H, B, 1, H, at(cp, 4 * GH), at(cp, 4 * GH + H), at(aux, 9 * auxStride), at(aux, 18 * auxStride), auxStride, 4, GH);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const row = b * H, tc = tanhr(load<real>(at(h, row + j)));
      store<real>(at(aux, row + j), tc);
      store<real>(at(h, row + j), load<real>(at(g, b * GH + 3 * H + j)) * tc);
    }
  }
}

/**
 * dh: ∂L/∂h_t [B, H]; dc: in ∂L/∂c_t from step t + 1, out ∂L/∂c_{t−1}. Writes dG = ∂L/∂a and
 * dGhh = ∂L/∂p [B, 4H]; adds the six tensors' gradients into gcp.
 */
export function bnLstmBackwardStep(g: usize, cPrev: usize, aux: usize, auxStride: i32, dh: usize, dc: usize, dG: usize, dGhh: usize,
                                   B: i32, H: i32, cp: usize, gcp: usize): void {
  const GH = LSTM_GATES * H;
  // ∂L/∂c' = dh ∘ o ∘ (1 − tanh²c') into dGhh's first B·H entries as scratch (rows of H), through BN_c
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const row = b * H, o = load<real>(at(g, b * GH + 3 * H + j)), tc = load<real>(at(aux, row + j));
      store<real>(at(dGhh, row + j), load<real>(at(dh, row + j)) * o * (<real>1 - tc * tc));
    }
  }
  normaliseColumnsBackward(dGhh, H, B, 1, H, at(cp, 4 * GH), at(aux, 9 * auxStride), at(aux, 18 * auxStride), auxStride, at(gcp, 4 * GH), at(gcp, 4 * GH + H));
  for (let b = 0; b < B; b++) {
    const row = b * H, gr = at(g, b * GH), d = at(dG, b * GH);
    for (let j = 0; j < H; j++) {
      const i = load<real>(at(gr, j)), f = load<real>(at(gr, H + j)), gg = load<real>(at(gr, 2 * H + j)), o = load<real>(at(gr, 3 * H + j));
      const tc = load<real>(at(aux, row + j)), cpv = load<real>(at(cPrev, row + j));
      const dcj = load<real>(at(dc, row + j)) + load<real>(at(dGhh, row + j));
      store<real>(at(d, j), dcj * gg * i * (<real>1 - i));
      store<real>(at(d, H + j), dcj * cpv * f * (<real>1 - f));
      store<real>(at(d, 2 * H + j), dcj * i * (<real>1 - gg * gg));
      store<real>(at(d, 3 * H + j), load<real>(at(dh, row + j)) * tc * o * (<real>1 - o));
      store<real>(at(dc, row + j), dcj * f);
    }
  }
  // the gates' pre-activation is a' + p': the same gradient reaches both normalisations
  memory.copy(dGhh, dG, <usize>(B * GH) << alignof<real>());
  normaliseColumnsBackward(dG, GH, B, LSTM_GATES, H, cp, at(aux, auxStride), at(aux, 10 * auxStride), auxStride, gcp, at(gcp, GH));
  normaliseColumnsBackward(dGhh, GH, B, LSTM_GATES, H, at(cp, 2 * GH), at(aux, 5 * auxStride), at(aux, 14 * auxStride), auxStride, at(gcp, 2 * GH), at(gcp, 3 * GH));
}

// ---- GRU ----

/** g: a [B, 3H] in, activations r, z, n out; hh: p [B, 3H] (overwritten by p'); cp: γ_ih, β_ih, γ_hh, β_hh [3H]. */
export function bnGruForwardStep(g: usize, hh: usize, prev: usize, next: usize, aux: usize, auxStride: i32, B: i32, H: i32, cp: usize): void {
  const GH = GRU_GATES * H;
  normaliseColumns(g, GH, B, GRU_GATES, H, cp, at(cp, GH), at(aux, auxStride), at(aux, 7 * auxStride), auxStride, 0, GH);
  normaliseColumns(hh, GH, B, GRU_GATES, H, at(cp, 2 * GH), at(cp, 3 * GH), at(aux, 4 * auxStride), at(aux, 10 * auxStride), auxStride, 2, GH);
  gruForwardStep(g, hh, aux, prev, next, B, H);
}

/** dh: ∂L/∂h_t [B, H]. Writes dG = ∂L/∂a, dGhh = ∂L/∂p [B, 3H] and the direct ∂L/∂h_{t−1} = dh ∘ z. */
export function bnGruBackwardStep(g: usize, prev: usize, aux: usize, auxStride: i32, dh: usize, dG: usize, dGhh: usize, dhPrev: usize,
                                  B: i32, H: i32, cp: usize, gcp: usize): void {
  const GH = GRU_GATES * H;
  gruBackwardStep(g, aux, prev, dh, dG, dGhh, dhPrev, B, H); // ∂L/∂a', ∂L/∂p'
  normaliseColumnsBackward(dG, GH, B, GRU_GATES, H, cp, at(aux, auxStride), at(aux, 7 * auxStride), auxStride, gcp, at(gcp, GH));
  normaliseColumnsBackward(dGhh, GH, B, GRU_GATES, H, at(cp, 2 * GH), at(aux, 4 * auxStride), at(aux, 10 * auxStride), auxStride, at(gcp, 2 * GH), at(gcp, 3 * GH));
}
