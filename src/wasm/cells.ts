// The cell table: what network.ts needs to know about each cell kind, and the one place that
// dispatches a time step to the cell's own file (lstm.ts, gru.ts, rnn.ts). network.ts runs any cell
// over time through these functions and never asks which cell it has (PyTorch's RNN.cpp split: a
// cell is one time step; the layer owns time, directions, lengths and stacking).
//
// A cell is described by numbers (cellDescription) and two pointwise steps. Per layer and direction
// the network gives every cell the same buffers (B = streams, H = hidden units, T = steps):
//   G       [T·B, gates·H]       input projection x·W_ih + b_ih (+ b_hh and h·W_hh when the recurrent
//                                product goes into the gates); the forward step overwrites its rows
//                                with whatever its backward step wants (activations)
//   HH      [B, gates·H]         h_{t−1}·W_hh + b_hh for this step, only for RECURRENT_SEPARATE
//   states  [S, (T+1)·B, H]      the S carried vectors (slot 0 is h, the layer's output; LSTM slot 1
//                                is c); row block 0 is the carried initial state, block t+1 the state
//                                after step t; slot k starts `stride` elements after slot k−1
//   aux     [A, T·B, H]          per-step values the forward step keeps for backward (LSTM tanh c,
//                                GRU W_hn·h + b_hn), slot k `auxStride` elements after slot k−1
//   params  the cell's own tensors beyond W_ih, W_hh, b_ih, b_hh (LSTM peepholes; layer norm's gains and
//           biases), contiguous, each [1, H·cellExtraTensorBlocks]
// and in backward
//   dState  [S, B, H]            in: ∂L/∂state_t (slot 0 includes the gradient from above); the step
//                                replaces slots ≥ 1 by ∂L/∂state_{t−1}; slot 0 is read only
//   dG      [B, gates·H]         out: ∂L/∂ input-side pre-activations of this step (may alias G)
//   dGhh    [B, gates·H]         out: ∂L/∂(h_{t−1}·W_hh + b_hh) — the same buffer as dG unless separate
//   dhPrev  [B, H]               out (only when CD_DIRECT_PATH): the part of ∂L/∂h_{t−1} that does not
//                                go through W_hh; the network then adds dGhh·W_hhᵀ
//
// Adding a cell: a file with its forward and backward steps and its description constants, one case
// in each switch below (cellDescription, cellOptions, cellExtraTensorKind and cellExtraTensorBlocks,
// cellForwardStep, cellBackwardStep), and a CELL_* code (the engine's registry entry in src/engine/model/cells.ts gives it as
// its coreCode).
//
// Room for a second recurrent product (a reset-before GRU needs W_hn·(r ∘ h), not W_hn·h): such a
// cell would say CD_RECURRENT_PRODUCTS = 2 and split its forward step in two phases. The network
// would pack W_hh's columns in two parts (the r, z columns and the n columns, so each part is whole
// 16-column panels), multiply h_{t−1} by the first part into HH, call the step's phase 0 (which writes
// r ∘ h_{t−1} into one of its aux slots, CD_PRODUCT_SOURCE), multiply that slot by the second part
// into HH's n block, and call phase 1. Backward runs the phases in reverse: phase 1 gives
// ∂L/∂(W_hn·v), which times W_hnᵀ is ∂L/∂v; phase 0 turns it into ∂L/∂r and the direct ∂L/∂h_{t−1};
// W_hh's gradient is h_{<T}ᵀ·dGhh[r, z] plus v_{<T}ᵀ·dGhh[n] over the window.
// Written so (gruResetBefore.ts): the second product takes the last gate block's columns of W_hh, the
// first the others; a two-product cell's steps are cellForwardPhase0 then cellForwardStep (phase 1),
// and backward cellBackwardStep (phase 1) then cellBackwardPhase0. Both products go into the gates
// (RECURRENT_INTO_GATES), so dGhh is dG; the network keeps v in aux slot CD_PRODUCT_SOURCE.
//
// No recurrent product (CD_RECURRENT_PRODUCTS = 0; the additive input form): the layer has no W_hh
// and no b_hh tensor, nothing multiplies h_{t−1}, and the cell's direct path (CD_DIRECT_PATH = 1)
// is all of ∂L/∂h_{t−1}.

import { GRU_AUX, GRU_DIRECT_PATH, GRU_GATES, GRU_RECURRENT, GRU_STATES, gruBackwardStep, gruForwardStep } from "./gru";
import { LSTM_AUX, LSTM_DIRECT_PATH, LSTM_GATES, LSTM_RECURRENT, LSTM_STATES, lstmBackwardStep, lstmForwardStep } from "./lstm";
import { RNN_AUX, RNN_DIRECT_PATH, RNN_GATES, RNN_RECURRENT, RNN_STATES, rnnBackwardStep, rnnForwardStep } from "./rnn";
import { MINGRU_AUX, MINGRU_GATES, MINGRU_STATES, minGruCoefficients, minGruGradients } from "./mingru";
import { MINLSTM_AUX, MINLSTM_GATES, MINLSTM_STATES, MINLSTM_Q_SLOT, minLstmCoefficients, minLstmGradients } from "./minlstm";
import { CTRNN_AUX, CTRNN_DIRECT_PATH, CTRNN_DT, CTRNN_GATES, CTRNN_RECURRENT, CTRNN_STATES, CTRNN_TAU, ctrnnBackwardStep, ctrnnForwardStep } from "./ctrnn";
import { ADDITIVE_AUX, ADDITIVE_DIRECT_PATH, ADDITIVE_GATES, ADDITIVE_RECURRENT, ADDITIVE_STATES, additiveBackwardStep, additiveForwardStep } from "./additive";
import {
  GRU_BEFORE_AUX, GRU_BEFORE_DIRECT_PATH, GRU_BEFORE_GATES, GRU_BEFORE_PRODUCTS, GRU_BEFORE_PRODUCT_SOURCE, GRU_BEFORE_RECURRENT, GRU_BEFORE_STATES,
  gruBeforeGatesBackward, gruBeforeGatesForward, gruBeforeStateBackward, gruBeforeStateForward,
} from "./gruResetBefore";
import {
  LN_GRU_AUX, LN_GRU_TENSORS, LN_LSTM_AUX, LN_LSTM_TENSORS, lnGruBackwardStep, lnGruForwardStep, lnLstmBackwardStep, lnLstmForwardStep,
} from "./layerNorm";
import { BN_GRU_AUX, BN_LSTM_AUX, bnGruBackwardStep, bnGruForwardStep, bnLstmBackwardStep, bnLstmForwardStep } from "./batchNorm";
import { at } from "./arena";

export const CELL_RNN_TANH = 0;
export const CELL_RNN_RELU = 1;
export const CELL_LSTM = 2;
export const CELL_GRU = 3;
export const CELL_CTRNN_TANH = 4;
export const CELL_CTRNN_RELU = 5;
export const CELL_ADDITIVE_INPUT = 6; // h + tanh(W_ih x + b): no recurrent product
export const CELL_ADDITIVE_STATE = 7; // h + tanh(W_ih x + W_hh h + b)
// Cells whose gates read only the input (Feng et al. 2024): a linear recurrence.
export const CELL_MINGRU = 8;
export const CELL_MINLSTM = 9;
export const CELL_KINDS = 10;

// Option bits of configure()'s flags that cells read (the network reads FLAG_RESIDUAL).
export const FLAG_PEEPHOLE = 1;
export const FLAG_COUPLED = 2;
export const FLAG_LEARN_TAU = 8; // CTRNN: τ is learned (the cell's own tensor ρ), else the constant CTRNN_TAU

// Real-valued cell constants (CTRNN: Δt and a fixed τ), set by the engine after configure(), which
// resets them to 1. A constant is not a parameter: it has no gradient and is not in the block.
const MAX_CELL_CONSTANTS = 4;
const cellConstants = memory.data(MAX_CELL_CONSTANTS * 8, 8);
export function resetCellConstants(): void {
  for (let k = 0; k < MAX_CELL_CONSTANTS; k++) store<f64>(cellConstants + (<usize>k << 3), 1.0);
}
/** Sets cell constant k (0 ≤ k < 4); returns 0, or −1 for a k out of range. */
export function setCellConstant(k: i32, value: f64): i32 {
  if (k < 0 || k >= MAX_CELL_CONSTANTS) return -1;
  store<f64>(cellConstants + (<usize>k << 3), value);
  return 0;
}
@inline function cellConstant(k: i32): real { return <real>load<f64>(cellConstants + (<usize>k << 3)); }
export const FLAG_LAYER_NORM = 16; // LSTM, GRU (reset after): layer normalisation (layerNorm.ts)
export const FLAG_BATCH_NORM = 32; // LSTM, GRU (reset after): recurrent batch normalisation (batchNorm.ts)
export const FLAG_RESET_BEFORE = 64; // GRU: the reset gate before the recurrent product (gruResetBefore.ts)

// Where h_{t−1}·W_hh goes.
/** Added into G (b_hh folded into G with b_ih): one product per step, dGhh is dG. */
export const RECURRENT_INTO_GATES = 0;
/** Into HH with b_hh, kept apart from G (GRU: r multiplies W_hn·h + b_hn); dGhh is its own buffer. */
export const RECURRENT_SEPARATE = 1;

// Fields of cellDescription.
export const CD_GATES = 0;              // gate blocks of H rows: the layer's gate width is gates·H
export const CD_STATES = 1;             // carried [B, H] vectors (slot 0 = h)
export const CD_AUX = 2;                // [T·B, H] buffers the forward step keeps for backward
export const CD_RECURRENT = 3;          // RECURRENT_INTO_GATES or RECURRENT_SEPARATE
export const CD_DIRECT_PATH = 4;        // 1: the backward step writes dhPrev (then W_hh's product adds to it)
export const CD_EXTRA_TENSORS = 5;      // the cell's own [1, H] tensors per layer and direction, for these flags
export const CD_RECURRENT_PRODUCTS = 6; // products with W_hh per step (1, or 2: see above; 0: no W_hh, b_hh at all)
// 1: the state update is h_t = a_t ∘ h_{t−1} + b_t with a, b from the input alone (needs
// CD_RECURRENT_PRODUCTS = 0). The cell then gives window-level steps instead of per-step ones:
// cellLinearCoefficients (G → activations and a, b for all T·B rows) and cellLinearGradients (∂L/∂h_t
// for all rows → dG); the network solves both recurrences itself, sequentially or by a scan (linearScan.ts).
export const CD_LINEAR_RECURRENCE = 7; // (the other cells answer −1: not linear)
export const CD_PRODUCT_SOURCE = 8;     // with 2 products: the aux slot the second product reads
// 1: the layer has no b_ih, b_hh: G arrives as x·W_ih and HH as h·W_hh alone, and the cell's own
// tensors hold whatever biases it adds (a normalised cell adds them after the normalisation).
export const CD_OWN_BIASES = 9;

// Tensor kinds of the cells' own tensors (the network's T_* list continues from these codes).
export const T_PEEP_I = 5;
export const T_PEEP_F = 6;
export const T_PEEP_O = 7;
export const T_CTRNN_RHO = 10; // [1, H] learned τ's parameter: τ = Δt + softplus(ρ)
// Layer normalisation (layerNorm.ts): gains and biases of LN(x·W_ih), LN(h·W_hh) [1, gates·H], LN(c) [1, H]
export const T_LN_IH_GAIN = 11;
export const T_LN_IH_BIAS = 12;
export const T_LN_HH_GAIN = 13;
export const T_LN_HH_BIAS = 14;
export const T_LN_C_GAIN = 15;
export const T_LN_C_BIAS = 16;
// Batch normalisation (batchNorm.ts): the same six in the same order, gains 17–19 and biases 24–26
export const T_BN_IH_GAIN = 17;
export const T_BN_HH_GAIN = 18;
export const T_BN_C_GAIN = 19;
export const T_BN_IH_BIAS = 24;
export const T_BN_HH_BIAS = 25;
export const T_BN_C_BIAS = 26;
const BN_TENSOR_KINDS: StaticArray<i32> = [T_BN_IH_GAIN, T_BN_IH_BIAS, T_BN_HH_GAIN, T_BN_HH_BIAS, T_BN_C_GAIN, T_BN_C_BIAS];

@inline function layerNorm(kind: i32, flags: i32): bool { return (kind == CELL_LSTM || kind == CELL_GRU) && (flags & FLAG_LAYER_NORM) != 0; }
/** Batch normalisation (batchNorm.ts): the layer-normalised cells' buffers and tensors, statistics over the batch. */
@inline export function batchNorm(kind: i32, flags: i32): bool { return (kind == CELL_LSTM || kind == CELL_GRU) && (flags & FLAG_BATCH_NORM) != 0 && (flags & FLAG_LAYER_NORM) == 0; }

/** The layer- or batch-normalised LSTM's and GRU's description (layerNorm.ts, batchNorm.ts): they differ only in aux slots. */
function layerNormDescription(kind: i32, flags: i32, field: i32): i32 {
  const lstm = kind == CELL_LSTM;
  switch (field) {
    case CD_GATES: return lstm ? LSTM_GATES : GRU_GATES;
    case CD_STATES: return lstm ? LSTM_STATES : GRU_STATES;
    case CD_AUX: return (flags & FLAG_LAYER_NORM) != 0 ? (lstm ? LN_LSTM_AUX : LN_GRU_AUX) : (lstm ? BN_LSTM_AUX : BN_GRU_AUX);
    case CD_RECURRENT: return RECURRENT_SEPARATE; // h·W_hh is normalised apart from x·W_ih
    case CD_DIRECT_PATH: return lstm ? 0 : 1;
    case CD_EXTRA_TENSORS: return lstm ? LN_LSTM_TENSORS : LN_GRU_TENSORS;
    case CD_RECURRENT_PRODUCTS: return 1;
    case CD_OWN_BIASES: return 1;
    default: return -1;
  }
}

export function validCell(kind: i32): bool { return kind >= 0 && kind < CELL_KINDS; }

export function cellDescription(kind: i32, flags: i32, field: i32): i32 {
  if (layerNorm(kind, flags) || batchNorm(kind, flags)) return layerNormDescription(kind, flags, field);
  switch (kind) {
    case CELL_LSTM: switch (field) {
      case CD_GATES: return LSTM_GATES;
      case CD_STATES: return LSTM_STATES;
      case CD_AUX: return LSTM_AUX;
      case CD_RECURRENT: return LSTM_RECURRENT;
      case CD_DIRECT_PATH: return LSTM_DIRECT_PATH;
      case CD_EXTRA_TENSORS: return (flags & FLAG_PEEPHOLE) != 0 ? 3 : 0;
      case CD_RECURRENT_PRODUCTS: return 1;
      default: return -1;
    }
    case CELL_GRU: if ((flags & FLAG_RESET_BEFORE) != 0) switch (field) {
      case CD_GATES: return GRU_BEFORE_GATES;
      case CD_STATES: return GRU_BEFORE_STATES;
      case CD_AUX: return GRU_BEFORE_AUX;
      case CD_RECURRENT: return GRU_BEFORE_RECURRENT;
      case CD_DIRECT_PATH: return GRU_BEFORE_DIRECT_PATH;
      case CD_EXTRA_TENSORS: return 0;
      case CD_RECURRENT_PRODUCTS: return GRU_BEFORE_PRODUCTS;
      case CD_PRODUCT_SOURCE: return GRU_BEFORE_PRODUCT_SOURCE;
      default: return -1;
    } else switch (field) {
      case CD_GATES: return GRU_GATES;
      case CD_STATES: return GRU_STATES;
      case CD_AUX: return GRU_AUX;
      case CD_RECURRENT: return GRU_RECURRENT;
      case CD_DIRECT_PATH: return GRU_DIRECT_PATH;
      case CD_EXTRA_TENSORS: return 0;
      case CD_RECURRENT_PRODUCTS: return 1;
      default: return -1;
    }
    case CELL_MINGRU:
    case CELL_MINLSTM: switch (field) {
      case CD_GATES: return kind == CELL_MINGRU ? MINGRU_GATES : MINLSTM_GATES;
      case CD_STATES: return kind == CELL_MINGRU ? MINGRU_STATES : MINLSTM_STATES;
      case CD_AUX: return kind == CELL_MINGRU ? MINGRU_AUX : MINLSTM_AUX;
      case CD_RECURRENT: return RECURRENT_INTO_GATES; // no recurrent product at all
      case CD_DIRECT_PATH: return 1;
      case CD_EXTRA_TENSORS: return 0;
      case CD_RECURRENT_PRODUCTS: return 0;
      case CD_LINEAR_RECURRENCE: return 1;
      default: return -1;
    }
    case CELL_CTRNN_TANH: case CELL_CTRNN_RELU: switch (field) {
      case CD_GATES: return CTRNN_GATES;
      case CD_STATES: return CTRNN_STATES;
      case CD_AUX: return CTRNN_AUX;
      case CD_RECURRENT: return CTRNN_RECURRENT;
      case CD_DIRECT_PATH: return CTRNN_DIRECT_PATH;
      case CD_EXTRA_TENSORS: return (flags & FLAG_LEARN_TAU) != 0 ? 1 : 0;
      case CD_RECURRENT_PRODUCTS: return 1;
      default: return -1;
    }
    case CELL_ADDITIVE_INPUT: case CELL_ADDITIVE_STATE: switch (field) {
      case CD_GATES: return ADDITIVE_GATES;
      case CD_STATES: return ADDITIVE_STATES;
      case CD_AUX: return ADDITIVE_AUX;
      case CD_RECURRENT: return ADDITIVE_RECURRENT;
      case CD_DIRECT_PATH: return ADDITIVE_DIRECT_PATH;
      case CD_EXTRA_TENSORS: return 0;
      case CD_RECURRENT_PRODUCTS: return kind == CELL_ADDITIVE_INPUT ? 0 : 1;
      default: return -1;
    }
    default: switch (field) { // CELL_RNN_TANH, CELL_RNN_RELU
      case CD_GATES: return RNN_GATES;
      case CD_STATES: return RNN_STATES;
      case CD_AUX: return RNN_AUX;
      case CD_RECURRENT: return RNN_RECURRENT;
      case CD_DIRECT_PATH: return RNN_DIRECT_PATH;
      case CD_EXTRA_TENSORS: return 0;
      case CD_RECURRENT_PRODUCTS: return 1;
      default: return -1;
    }
  }
}

/** The bits of configure()'s flags that this cell reads (its options); 0 for a cell without options. */
export function cellOptions(kind: i32, flags: i32): i32 {
  if (kind == CELL_CTRNN_TANH || kind == CELL_CTRNN_RELU) return flags & FLAG_LEARN_TAU;
  if (kind == CELL_GRU) return flags & (FLAG_RESET_BEFORE | FLAG_LAYER_NORM | FLAG_BATCH_NORM);
  return kind == CELL_LSTM ? flags & (FLAG_PEEPHOLE | FLAG_COUPLED | FLAG_LAYER_NORM | FLAG_BATCH_NORM) : 0;
}

/** Tensor kind of the cell's k-th own tensor (k < CD_EXTRA_TENSORS); each is [1, H·cellExtraTensorBlocks]. */
export function cellExtraTensorKind(kind: i32, flags: i32, k: i32): i32 {
  if (layerNorm(kind, flags)) return T_LN_IH_GAIN + k;
  if (batchNorm(kind, flags)) return k < 6 ? BN_TENSOR_KINDS[k] : -1;
  if (kind == CELL_CTRNN_TANH || kind == CELL_CTRNN_RELU) return k == 0 ? T_CTRNN_RHO : -1;
  return kind == CELL_LSTM ? T_PEEP_I + k : -1;
}

/** Width of the cell's k-th own tensor in blocks of H: 1, or the gate count (a normalisation's gain over all gates). */
export function cellExtraTensorBlocks(kind: i32, flags: i32, k: i32): i32 {
  if (layerNorm(kind, flags) || batchNorm(kind, flags)) return k < 4 ? cellDescription(kind, flags, CD_GATES) : 1;
  return 1;
}

/**
 * One forward time step of B streams. g: this step's G rows; hh: HH (separate recurrent product);
 * prev/next: slot 0 of row blocks t and t+1 of the states (slot k is k·stride further); aux: this
 * step's rows of aux slot 0; cp: the cell's own tensors (0 when it has none).
 */
export function cellForwardStep(kind: i32, flags: i32, g: usize, hh: usize, prev: usize, next: usize, stride: i32,
                                aux: usize, auxStride: i32, B: i32, H: i32, cp: usize): void {
  if (layerNorm(kind, flags)) {
    if (kind == CELL_LSTM) lnLstmForwardStep(g, hh, at(prev, stride), at(next, stride), next, aux, auxStride, B, H, cp);
    else lnGruForwardStep(g, hh, prev, next, aux, auxStride, B, H, cp);
    return;
  }
  if (batchNorm(kind, flags)) {
    if (kind == CELL_LSTM) bnLstmForwardStep(g, hh, at(prev, stride), at(next, stride), next, aux, auxStride, B, H, cp);
    else bnGruForwardStep(g, hh, prev, next, aux, auxStride, B, H, cp);
    return;
  }
  switch (kind) {
    case CELL_LSTM: {
      const peep = cp != 0;
      lstmForwardStep(g, at(prev, stride), at(next, stride), aux, next, B, H,
        peep ? cp : 0, peep ? at(cp, H) : 0, peep ? at(cp, 2 * H) : 0, (flags & FLAG_COUPLED) != 0);
      break;
    }
    case CELL_GRU: {
      if ((flags & FLAG_RESET_BEFORE) != 0) gruBeforeStateForward(g, prev, next, B, H);
      else gruForwardStep(g, hh, aux, prev, next, B, H);
      break;
    }
    case CELL_CTRNN_TANH: case CELL_CTRNN_RELU:
      ctrnnForwardStep(g, aux, prev, next, B, H, kind == CELL_CTRNN_RELU, cp, cellConstant(CTRNN_DT), cellConstant(CTRNN_TAU));
      break;
    case CELL_ADDITIVE_INPUT: case CELL_ADDITIVE_STATE: additiveForwardStep(g, prev, next, B * H); break;
    default: rnnForwardStep(g, next, B * H, kind == CELL_RNN_RELU);
  }
}

/**
 * One backward time step (the layout of the header above). prev: slot 0 of the states' row block t
 * (the state the step started from); gcp: the gradients of the cell's own tensors, added into.
 */
export function cellBackwardStep(kind: i32, flags: i32, g: usize, prev: usize, stride: i32, aux: usize, auxStride: i32,
                                 dState: usize, dG: usize, dGhh: usize, dhPrev: usize, B: i32, H: i32, cp: usize, gcp: usize): void {
  if (layerNorm(kind, flags)) {
    if (kind == CELL_LSTM) lnLstmBackwardStep(g, at(prev, stride), aux, auxStride, dState, at(dState, B * H), dG, dGhh, B, H, cp, gcp);
    else lnGruBackwardStep(g, prev, aux, auxStride, dState, dG, dGhh, dhPrev, B, H, cp, gcp);
    return;
  }
  if (batchNorm(kind, flags)) {
    if (kind == CELL_LSTM) bnLstmBackwardStep(g, at(prev, stride), aux, auxStride, dState, at(dState, B * H), dG, dGhh, B, H, cp, gcp);
    else bnGruBackwardStep(g, prev, aux, auxStride, dState, dG, dGhh, dhPrev, B, H, cp, gcp);
    return;
  }
  switch (kind) {
    case CELL_LSTM: {
      const peep = cp != 0;
      lstmBackwardStep(g, at(prev, stride), aux, dState, at(dState, B * H), dG, B, H,
        peep ? cp : 0, peep ? at(cp, H) : 0, peep ? at(cp, 2 * H) : 0,
        peep ? gcp : 0, peep ? at(gcp, H) : 0, peep ? at(gcp, 2 * H) : 0, (flags & FLAG_COUPLED) != 0);
      break;
    }
    case CELL_GRU: {
      if ((flags & FLAG_RESET_BEFORE) != 0) gruBeforeStateBackward(dG, prev, dState, dhPrev, B, H);
      else gruBackwardStep(g, aux, prev, dState, dG, dGhh, dhPrev, B, H);
      break;
    }
    case CELL_CTRNN_TANH: case CELL_CTRNN_RELU:
      ctrnnBackwardStep(aux, prev, dState, dG, dhPrev, B, H, kind == CELL_CTRNN_RELU, cp, gcp, cellConstant(CTRNN_DT), cellConstant(CTRNN_TAU));
      break;
    case CELL_ADDITIVE_INPUT: case CELL_ADDITIVE_STATE: additiveBackwardStep(g, dState, dG, dhPrev, B * H); break;
    default: rnnBackwardStep(g, dState, dG, B * H, kind == CELL_RNN_RELU);
  }
}

// ---- linear-recurrence cells (CD_LINEAR_RECURRENCE = 1): whole-window steps ----
// aux slots 0 and 1 are the coefficients a and b [T·B, H]; slot 2 is ∂L/∂h_t, which the network
// writes (the reverse recurrence) before it calls cellLinearGradients; slots ≥ 3 are the cell's own.

/** G [R, gates·H] pre-activations → activations; writes a (aux slot 0) and b (slot 1) for all R rows. */
export function cellLinearCoefficients(kind: i32, G: usize, aux: usize, auxStride: i32, R: i32, H: i32): void {
  if (kind == CELL_MINGRU) minGruCoefficients(G, aux, at(aux, auxStride), R, H);
  else minLstmCoefficients(G, aux, at(aux, auxStride), at(aux, MINLSTM_Q_SLOT * auxStride), R, H);
}

/** dh = aux slot 2 [R, H] (∂L/∂h_t of every row), hPrev [R, H] = h_{t−1} → dG [R, gates·H] (may alias G). */
export function cellLinearGradients(kind: i32, G: usize, aux: usize, auxStride: i32, hPrev: usize, dG: usize, R: i32, H: i32): void {
  const dh = at(aux, 2 * auxStride);
  if (kind == CELL_MINGRU) minGruGradients(G, dh, hPrev, dG, R, H);
  else minLstmGradients(G, at(aux, MINLSTM_Q_SLOT * auxStride), dh, hPrev, dG, R, H);
}

/**
 * Phase 0 of a two-product cell's forward step (CD_RECURRENT_PRODUCTS = 2), after the first product:
 * g: this step's G rows; prev: h_{t−1} [B, H]; aux: this step's rows of aux slot 0 (the product
 * source is slot CD_PRODUCT_SOURCE of them). cellForwardStep is its phase 1.
 */
export function cellForwardPhase0(kind: i32, flags: i32, g: usize, prev: usize, aux: usize, auxStride: i32, B: i32, H: i32): void {
  if (kind == CELL_GRU && (flags & FLAG_RESET_BEFORE) != 0) gruBeforeGatesForward(g, prev, at(aux, GRU_BEFORE_PRODUCT_SOURCE * auxStride), B, H);
}

/**
 * Phase 0 of a two-product cell's backward step, after cellBackwardStep (phase 1) and the product
 * dSource = ∂L/∂(product source) [B, H]; adds its direct part to dhPrev.
 */
export function cellBackwardPhase0(kind: i32, flags: i32, dG: usize, prev: usize, dSource: usize, dhPrev: usize, B: i32, H: i32): void {
  if (kind == CELL_GRU && (flags & FLAG_RESET_BEFORE) != 0) gruBeforeGatesBackward(dG, prev, dSource, dhPrev, B, H);
}
