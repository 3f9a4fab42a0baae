// The network: embedding → L recurrent layers → linear head → softmax cross-entropy, with truncated
// BPTT over a window of T steps for B parallel streams. Time-major everywhere: row (t·B + b).
//
// Parameters live in one block, gradients and the two optimizer moments in three more blocks of the
// same layout, so clipping and the optimizers are single loops. Weight matrices are stored as
// [in, out] (the transpose of PyTorch's [out, in]) so that every product is row-major A·B with the
// SIMD loop running along contiguous outputs; the engine transposes when it reads or writes
// PyTorch-named tensors. Gate order within a layer is PyTorch's: LSTM i,f,g,o; GRU r,z,n.

import { allocI32, allocReal, arenaMark, arenaReset, at, atI32 } from "./arena";
import { KC, addColumnSums, fillRows, gemm, gemmPacked, gemmTransposedB, packPanels, packPanelsTransposed, packedSize, paddedWidth } from "./gemm";
import { gruBackwardStep, gruForwardStep } from "./gru";
import { softmaxCrossEntropy } from "./head";
import { lstmBackwardStep, lstmForwardStep } from "./lstm";
import { rnnBackwardStep, rnnForwardStep } from "./rnn";
import { hashUniform } from "./rng";
import { addInto, addTo, mulInto, sumSquares } from "./vec";

export const CELL_RNN_TANH = 0;
export const CELL_RNN_RELU = 1;
export const CELL_LSTM = 2;
export const CELL_GRU = 3;

export const FLAG_PEEPHOLE = 1;
export const FLAG_COUPLED = 2;
export const FLAG_RESIDUAL = 4;

export const MAX_LAYERS = 4;

// Tensor kinds, in block order; the engine names them (embed.weight, rnn.weight_ih_l0, …).
export const T_EMBED = 0;
export const T_W_IH = 1;
export const T_W_HH = 2;
export const T_B_IH = 3;
export const T_B_HH = 4;
export const T_PEEP_I = 5;
export const T_PEEP_F = 6;
export const T_PEEP_O = 7;
export const T_HEAD_W = 8;
export const T_HEAD_B = 9;

// ---- configuration ----
let cell = CELL_LSTM;
let L = 1;       // layers
let V = 2;       // vocabulary
let E = 0;       // embedding width; 0 = one-hot input (a row gather of W_ih, no table)
let H = 1;       // hidden units
let GH = 4;      // gate rows per layer: H · (4 LSTM, 3 GRU, 1 RNN)
let peephole = false;
let coupled = false;
let residual = false;

// ---- parameter block and tensor table ----
let paramCount = 0;
let params: usize = 0, grads: usize = 0, moment1: usize = 0, moment2: usize = 0;
let gradScratch: usize = 0; // another thread's gradient, copied in to be summed (data-parallel training)
let tensorCount = 0;
const TENSOR_FIELDS = 5; // offset, rows, cols, kind, layer
const tensorTable = memory.data(64 * TENSOR_FIELDS * 4, 16);
let embedOff = -1, headWOff = 0, headBOff = 0;

// Per-layer parameter offsets (elements into the block) and activation buffers (addresses).
const F_WIH = 0, F_WHH = 1, F_BIH = 2, F_BHH = 3, F_PI = 4, F_PF = 5, F_PO = 6;
const F_G = 7;      // [T·B, GH] gate pre-activations, then activations
const F_H = 8;      // [(T+1)·B, H] hidden states; row block 0 is the carried initial state
const F_C = 9;      // [(T+1)·B, H] LSTM cell states, likewise
const F_TC = 10;    // [T·B, H] tanh(c) (LSTM)
const F_HN = 11;    // [T·B, H] W_hn·h + b_hn (GRU)
const F_Y = 12;     // [T·B, H] layer output (H shifted by one step, or H + input with residual)
const F_XIN = 13;   // [T·B, In] the layer's input as used (after dropout), for l ≥ 1
const F_MASK = 14;  // [T·B, H] dropout mask, already scaled by 1/(1 − p)
const F_DG = 15;    // [T·B, GH] ∂L/∂ gate pre-activations (input side): the G buffer itself, overwritten
                    // step by step in backward (a step's activations are not needed after its gradients)
const F_DGHH = 16;  // [T·B, GH] the same for the recurrent side (differs only for GRU)
const F_DY = 17;    // [T·B, H] ∂L/∂ layer output
const F_WHHP = 18;  // W_hh packed in 16-column panels (gemm.ts), made once per forward pass
const F_WHHTP = 19; // W_hhᵀ packed likewise, made once per backward pass
const F_IN = 20;    // address of the input actually used by this forward pass
const F_DROP = 21;  // 1 when this forward pass used dropout on the layer's input
const F_DH0 = 22;   // [B, H] state gradient: in ∂L/∂h_T from a later window (when asked), out ∂L/∂h_0
const F_DC0 = 23;   // [B, H] the same for the LSTM cell state
const F_WIHP = 24;  // W_ih packed (layers fed by a dense input)
const LAYER_FIELDS = 25;
const layerTable = memory.data(MAX_LAYERS * LAYER_FIELDS * 4, 16);

@inline function lf(l: i32, f: i32): usize { return <usize>load<u32>(layerTable + ((<usize>(l * LAYER_FIELDS + f)) << 2)); }
@inline function setLf(l: i32, f: i32, v: usize): void { store<u32>(layerTable + ((<usize>(l * LAYER_FIELDS + f)) << 2), <u32>v); }
@inline function param(off: usize): usize { return at(params, <i32>off); }
@inline function grad(off: usize): usize { return at(grads, <i32>off); }

// ---- shape and shared buffers ----
let B = 1, Tmax = 1, T = 1;
let shapeMark: usize = 0;
let inputs: usize = 0, targets: usize = 0;      // i32 [T·B]
let embedded: usize = 0;                        // [T·B, E] gathered embedding rows
let dEmbedded: usize = 0;                       // [T·B, E]
let logits: usize = 0, dLogits: usize = 0;      // [T·B, V]
let headWP: usize = 0;                          // head weight packed
let gemmScratch: usize = 0;                     // packing space for products with a changing B
let weightsFrozen = false;                      // the engine promised not to change the parameters …
let packedFresh = false;                        // … and the packed copies were made after it did
let dh: usize = 0, dc: usize = 0, dhNext: usize = 0, hhScratch: usize = 0;
let gradFlow: usize = 0;                        // f32-or-f64 [L, Tmax]: ‖∂L/∂h_t‖ per layer and step
let sampleProbs: usize = 0, sampleOrder: usize = 0;
// Dropout masks are a hash of (key, layer, step, global stream, unit), not a sequential stream, so a
// shard of the batch on another thread draws exactly the mask the whole batch would.
let dropoutKey: u32 = 0;
let streamOffset = 0, totalStreams = 1;

/** key: fixed per optimizer step (the engine mixes seed and step); this core holds streams [offset, offset + B) of total. */
export function setDropoutKey(key: u32, offset: i32, total: i32): void {
  dropoutKey = key;
  streamOffset = offset;
  totalStreams = total;
}

function inWidth(l: i32): i32 { return l == 0 ? (E == 0 ? V : E) : H; }

// Element counts and offsets are i32 and addresses u32: a block of more than 2^32 bytes cannot exist.
const MAX_ELEMENTS: i64 = <i64>(0xffffffff >> alignof<real>());
let sizeOverflow = false;

function addTensor(kind: i32, layer: i32, rows: i32, cols: i32): i32 {
  if (<i64>paramCount + <i64>rows * <i64>cols > MAX_ELEMENTS) sizeOverflow = true;
  const off = paramCount;
  const base = tensorTable + <usize>(tensorCount * TENSOR_FIELDS * 4);
  store<i32>(base, off);
  store<i32>(base, rows, 4);
  store<i32>(base, cols, 8);
  store<i32>(base, kind, 12);
  store<i32>(base, layer, 16);
  tensorCount++;
  paramCount += rows * cols;
  return off;
}

/** Returns the number of parameters, or -1 for an invalid configuration. */
export function configure(cellType: i32, layers: i32, vocab: i32, embed: i32, hidden: i32, flags: i32): i32 {
  if (cellType < 0 || cellType > 3 || layers < 1 || layers > MAX_LAYERS || vocab < 2 || embed < 0 || hidden < 1) return -1;
  cell = cellType; L = layers; V = vocab; E = embed; H = hidden;
  peephole = cell == CELL_LSTM && (flags & FLAG_PEEPHOLE) != 0;
  coupled = cell == CELL_LSTM && (flags & FLAG_COUPLED) != 0;
  residual = (flags & FLAG_RESIDUAL) != 0;
  GH = H * (cell == CELL_LSTM ? 4 : cell == CELL_GRU ? 3 : 1);
  paramCount = 0;
  tensorCount = 0;
  sizeOverflow = false;
  embedOff = E > 0 ? addTensor(T_EMBED, -1, V, E) : -1;
  for (let l = 0; l < L; l++) {
    setLf(l, F_WIH, addTensor(T_W_IH, l, inWidth(l), GH));
    setLf(l, F_WHH, addTensor(T_W_HH, l, H, GH));
    setLf(l, F_BIH, addTensor(T_B_IH, l, 1, GH));
    setLf(l, F_BHH, addTensor(T_B_HH, l, 1, GH));
    if (peephole) {
      setLf(l, F_PI, addTensor(T_PEEP_I, l, 1, H));
      setLf(l, F_PF, addTensor(T_PEEP_F, l, 1, H));
      setLf(l, F_PO, addTensor(T_PEEP_O, l, 1, H));
    }
  }
  headWOff = addTensor(T_HEAD_W, -1, H, V);
  headBOff = addTensor(T_HEAD_B, -1, 1, V);
  if (sizeOverflow) return -1;
  arenaReset(0);
  params = allocReal(paramCount);
  grads = allocReal(paramCount);
  moment1 = allocReal(paramCount);
  moment2 = allocReal(paramCount);
  gradScratch = allocReal(paramCount);
  shapeMark = arenaMark();
  setShape(1, 1);
  return paramCount;
}

/** (Re)allocates every activation buffer for batch b and window t; keeps parameters and moments. */
export function setShape(batch: i32, steps: i32): void {
  // The largest activation buffer is [(T+1)·B, max(GH, V, E)]; its element count must fit (see MAX_ELEMENTS).
  if (batch < 1 || steps < 1 || (<i64>steps + 1) * <i64>batch * <i64>max(max(GH, V), max(E, H)) > MAX_ELEMENTS) unreachable();
  B = batch; Tmax = steps; T = steps;
  arenaReset(shapeMark);
  const R = Tmax * B;
  inputs = allocI32(R);
  targets = allocI32(R);
  embedded = E > 0 ? allocReal(R * E) : 0;
  dEmbedded = E > 0 ? allocReal(R * E) : 0;
  logits = allocReal(R * V);
  dLogits = allocReal(R * V);
  headWP = allocReal(packedSize(H, V));
  let maxIn = 0;
  for (let l = 0; l < L; l++) maxIn = max(maxIn, inWidth(l));
  gemmScratch = allocReal(max(KC * paddedWidth(max(GH, V)), max(packedSize(GH, maxIn), packedSize(V, H))));
  packedFresh = false;
  dh = allocReal(B * H);
  dc = allocReal(B * H);
  dhNext = allocReal(B * H);
  hhScratch = allocReal(B * GH);
  gradFlow = allocReal(L * Tmax);
  sampleProbs = allocReal(V);
  sampleOrder = allocI32(V);
  for (let l = 0; l < L; l++) {
    const In = inWidth(l);
    setLf(l, F_G, allocReal(R * GH));
    setLf(l, F_H, allocReal((Tmax + 1) * B * H));
    setLf(l, F_C, cell == CELL_LSTM ? allocReal((Tmax + 1) * B * H) : 0);
    setLf(l, F_TC, cell == CELL_LSTM ? allocReal(R * H) : 0);
    setLf(l, F_HN, cell == CELL_GRU ? allocReal(R * H) : 0);
    setLf(l, F_Y, residual && l > 0 ? allocReal(R * H) : lf(l, F_H) + (<usize>(B * H) << alignof<real>()));
    setLf(l, F_XIN, l > 0 ? allocReal(R * H) : 0);
    setLf(l, F_MASK, l > 0 ? allocReal(R * H) : 0);
    setLf(l, F_DG, lf(l, F_G));
    setLf(l, F_DGHH, cell == CELL_GRU ? allocReal(R * GH) : lf(l, F_DG));
    setLf(l, F_DY, allocReal(R * H));
    setLf(l, F_WHHP, allocReal(packedSize(H, GH)));
    setLf(l, F_WHHTP, allocReal(packedSize(GH, H)));
    setLf(l, F_WIHP, l > 0 || E > 0 ? allocReal(packedSize(In, GH)) : 0);
    setLf(l, F_DH0, allocReal(B * H));
    setLf(l, F_DC0, allocReal(B * H));
  }
}

/** Steps used by the next forward/backward (≤ the allocated window); lets a short last window reuse buffers. */
export function setSteps(steps: i32): void {
  T = steps < 1 ? 1 : steps > Tmax ? Tmax : steps;
}

// ---- forward ----

/**
 * inputs/targets [T·B] → logits [T·B, V]; returns the mean cross-entropy in nats (when withLoss).
 * training with dropout > 0 draws a fresh inverted-dropout mask for the input of every layer above the first.
 */
export function forward(training: bool, dropout: f64, withLoss: bool): f64 {
  const R = T * B;
  if (!(weightsFrozen && packedFresh)) packWeights();
  for (let l = 0; l < L; l++) {
    const G = lf(l, F_G);
    const wih = param(lf(l, F_WIH)), whhP = lf(l, F_WHHP);
    const bih = param(lf(l, F_BIH)), bhh = param(lf(l, F_BHH));
    const foldBiases = cell != CELL_GRU; // GRU keeps b_hh inside r ∘ (W_hn h + b_hn)
    let input: usize = 0;
    if (l == 0) {
      if (E == 0) {
        // one-hot input: x·W_ih is row x of W_ih
        for (let r = 0; r < R; r++) {
          const x = load<i32>(atI32(inputs, r));
          const dst = at(G, r * GH);
          addTo(dst, at(wih, x * GH), bih, GH);
          if (foldBiases) addInto(dst, bhh, GH);
        }
      } else {
        const table = param(<usize>embedOff);
        for (let r = 0; r < R; r++) {
          memory.copy(at(embedded, r * E), at(table, load<i32>(atI32(inputs, r)) * E), <usize>E << alignof<real>());
        }
        input = embedded;
      }
    } else {
      const below = lf(l - 1, F_Y);
      const useDropout = training && dropout > 0;
      setLf(l, F_DROP, useDropout ? 1 : 0);
      if (useDropout) {
        const mask = lf(l, F_MASK), xin = lf(l, F_XIN);
        const keepScale = <real>(1.0 / (1.0 - dropout));
        for (let t = 0; t < T; t++) {
          for (let b = 0; b < B; b++) {
            const row = (t * B + b) * H;
            const unit0 = <u32>(((l * Tmax + t) * totalStreams + streamOffset + b) * H);
            for (let j = 0; j < H; j++) {
              const m = hashUniform(dropoutKey, unit0 + <u32>j) >= dropout ? keepScale : <real>0;
              store<real>(at(mask, row + j), m);
              store<real>(at(xin, row + j), m * load<real>(at(below, row + j)));
            }
          }
        }
        input = xin;
      } else {
        input = below;
      }
    }
    setLf(l, F_IN, input);
    if (input != 0) {
      fillRows(G, R, GH, bih, foldBiases ? bhh : 0);
      gemmPacked(input, inWidth(l), 1, lf(l, F_WIHP), G, R, inWidth(l), GH, true);
    }
    const Hs = lf(l, F_H);
    for (let t = 0; t < T; t++) {
      const g = at(G, t * B * GH);
      const hPrev = at(Hs, t * B * H), hOut = at(Hs, (t + 1) * B * H);
      if (cell == CELL_LSTM) {
        gemmPacked(hPrev, H, 1, whhP, g, B, H, GH, true);
        const Cs = lf(l, F_C);
        lstmForwardStep(g, at(Cs, t * B * H), at(Cs, (t + 1) * B * H), at(lf(l, F_TC), t * B * H), hOut, B, H,
          peephole ? param(lf(l, F_PI)) : 0, peephole ? param(lf(l, F_PF)) : 0, peephole ? param(lf(l, F_PO)) : 0, coupled);
      } else if (cell == CELL_GRU) {
        fillRows(hhScratch, B, GH, bhh, 0);
        gemmPacked(hPrev, H, 1, whhP, hhScratch, B, H, GH, true);
        gruForwardStep(g, hhScratch, at(lf(l, F_HN), t * B * H), hPrev, hOut, B, H);
      } else {
        gemmPacked(hPrev, H, 1, whhP, g, B, H, GH, true);
        rnnForwardStep(g, hOut, B * H, cell == CELL_RNN_RELU);
      }
    }
    if (residual && l > 0) {
      addTo(lf(l, F_Y), at(Hs, B * H), input, R * H);
    }
  }
  fillRows(logits, R, V, param(headBOff), 0);
  gemmPacked(lf(L - 1, F_Y), H, 1, headWP, logits, R, H, V, true);
  return withLoss ? softmaxCrossEntropy(logits, targets, dLogits, R, V) : 0;
}

// ---- backward ----

export const BACKWARD_RECORD_FLOW = 1;
export const BACKWARD_STATE_GRAD_IN = 2;

/**
 * Adds ∂(mean loss)/∂θ of the last forward pass into the gradient block and leaves ∂L/∂(initial
 * state) in the state-gradient buffers. Flags: RECORD_FLOW fills gradFlow; STATE_GRAD_IN adds the
 * gradient already in the state-gradient buffers to the final state (full BPTT across windows);
 * without it the window is truncated, as in training.
 */
export function backward(flags: i32): void {
  const recordFlow = (flags & BACKWARD_RECORD_FLOW) != 0;
  const stateGradIn = (flags & BACKWARD_STATE_GRAD_IN) != 0;
  const R = T * B;
  const top = lf(L - 1, F_Y);
  gemm(top, 1, H, dLogits, grad(headWOff), H, R, V, true, gemmScratch);
  addColumnSums(dLogits, grad(headBOff), R, V);
  gemmTransposedB(dLogits, V, 1, param(headWOff), lf(L - 1, F_DY), R, V, H, false, gemmScratch);

  for (let l = L - 1; l >= 0; l--) {
    const G = lf(l, F_G), dG = lf(l, F_DG), dGhh = lf(l, F_DGHH), dY = lf(l, F_DY), Hs = lf(l, F_H);
    const whhTP = lf(l, F_WHHTP);
    packPanelsTransposed(param(lf(l, F_WHH)), GH, H, whhTP);
    const stateBytes = <usize>(B * H) << alignof<real>();
    if (stateGradIn) {
      memory.copy(dhNext, lf(l, F_DH0), stateBytes);
      if (cell == CELL_LSTM) memory.copy(dc, lf(l, F_DC0), stateBytes);
    } else {
      memory.fill(dhNext, 0, stateBytes);
      if (cell == CELL_LSTM) memory.fill(dc, 0, stateBytes);
    }
    for (let t = T - 1; t >= 0; t--) {
      const n = B * H;
      const dYt = at(dY, t * n);
      addTo(dh, dYt, dhNext, n);
      if (recordFlow) store<real>(at(gradFlow, l * Tmax + t), <real>Math.sqrt(sumSquares(dh, n)));
      const g = at(G, t * B * GH), dg = at(dG, t * B * GH);
      if (cell == CELL_LSTM) {
        const pOn = peephole;
        lstmBackwardStep(g, at(lf(l, F_C), t * n), at(lf(l, F_TC), t * n), dh, dc, dg, B, H,
          pOn ? param(lf(l, F_PI)) : 0, pOn ? param(lf(l, F_PF)) : 0, pOn ? param(lf(l, F_PO)) : 0,
          pOn ? grad(lf(l, F_PI)) : 0, pOn ? grad(lf(l, F_PF)) : 0, pOn ? grad(lf(l, F_PO)) : 0, coupled);
        gemmPacked(dg, GH, 1, whhTP, dhNext, B, GH, H, false);
      } else if (cell == CELL_GRU) {
        const dq = at(dGhh, t * B * GH);
        gruBackwardStep(g, at(lf(l, F_HN), t * n), at(Hs, t * n), dh, dg, dq, dhNext, B, H);
        gemmPacked(dq, GH, 1, whhTP, dhNext, B, GH, H, true);
      } else {
        rnnBackwardStep(g, dh, dg, n, cell == CELL_RNN_RELU);
        gemmPacked(dg, GH, 1, whhTP, dhNext, B, GH, H, false);
      }
    }
    memory.copy(lf(l, F_DH0), dhNext, stateBytes);
    if (cell == CELL_LSTM) memory.copy(lf(l, F_DC0), dc, stateBytes);
    // Weight gradients as three big products over all T·B rows at once.
    gemm(Hs, 1, H, dGhh, grad(lf(l, F_WHH)), H, R, GH, true, gemmScratch);
    addColumnSums(dG, grad(lf(l, F_BIH)), R, GH);
    addColumnSums(dGhh, grad(lf(l, F_BHH)), R, GH);
    const In = inWidth(l);
    const input = lf(l, F_IN);
    if (input == 0) {
      // one-hot: scatter-add each row of dG into the W_ih row of its input character
      const gw = grad(lf(l, F_WIH));
      for (let r = 0; r < R; r++) {
        addInto(at(gw, load<i32>(atI32(inputs, r)) * GH), at(dG, r * GH), GH);
      }
      continue;
    }
    gemm(input, 1, In, dG, grad(lf(l, F_WIH)), In, R, GH, true, gemmScratch);
    const wih = param(lf(l, F_WIH));
    if (l == 0) {
      gemmTransposedB(dG, GH, 1, wih, dEmbedded, R, GH, E, false, gemmScratch);
      const ge = grad(<usize>embedOff);
      for (let r = 0; r < R; r++) {
        addInto(at(ge, load<i32>(atI32(inputs, r)) * E), at(dEmbedded, r * E), E);
      }
    } else {
      const dBelow = lf(l - 1, F_DY);
      gemmTransposedB(dG, GH, 1, wih, dBelow, R, GH, H, false, gemmScratch);
      if (residual) addInto(dBelow, dY, R * H);
      if (lf(l, F_DROP) != 0) mulInto(dBelow, lf(l, F_MASK), R * H);
    }
  }
}

/** Packed copies of the weights the forward pass multiplies by (gemm.ts). */
function packWeights(): void {
  for (let l = 0; l < L; l++) {
    packPanels(param(lf(l, F_WHH)), GH, H, GH, lf(l, F_WHHP));
    if (lf(l, F_WIHP) != 0) packPanels(param(lf(l, F_WIH)), GH, inWidth(l), GH, lf(l, F_WIHP));
  }
  packPanels(param(headWOff), V, H, V, headWP);
  packedFresh = true;
}

/**
 * The engine promises not to change the parameters from now on (a sampler, a hover): the forward
 * pass then packs them once instead of at every call. Writing parameters later needs frozen = false.
 */
export function freezeWeights(frozen: bool): void {
  weightsFrozen = frozen;
  packedFresh = false;
}

// ---- carried state ----

/** The state after the last step becomes the initial state of the next window (char-rnn's scheme). */
/** The final state of the last window, [B, H] of layer l (what carryState would make initial). */
export function finalHiddenPtr(layer: i32): usize { return at(lf(layer, F_H), T * B * H); }
export function finalCellPtr(layer: i32): usize { return cell == CELL_LSTM ? at(lf(layer, F_C), T * B * H) : 0; }

export function carryState(): void {
  const bytes = <usize>(B * H) << alignof<real>();
  for (let l = 0; l < L; l++) {
    memory.copy(lf(l, F_H), at(lf(l, F_H), T * B * H), bytes);
    if (cell == CELL_LSTM) memory.copy(lf(l, F_C), at(lf(l, F_C), T * B * H), bytes);
  }
}

export function resetState(): void {
  const bytes = <usize>(B * H) << alignof<real>();
  for (let l = 0; l < L; l++) {
    memory.fill(lf(l, F_H), 0, bytes);
    if (cell == CELL_LSTM) memory.fill(lf(l, F_C), 0, bytes);
  }
}

// ---- views for the engine (addresses into linear memory) ----
export function getParamCount(): i32 { return paramCount; }
export function paramsPtr(): usize { return params; }
export function gradsPtr(): usize { return grads; }
export function moment1Ptr(): usize { return moment1; }
export function moment2Ptr(): usize { return moment2; }
export function gradScratchPtr(): usize { return gradScratch; }
export function getTensorCount(): i32 { return tensorCount; }
export function tensorField(index: i32, field: i32): i32 {
  return load<i32>(tensorTable + <usize>((index * TENSOR_FIELDS + field) * 4));
}
export function inputsPtr(): usize { return inputs; }
export function targetsPtr(): usize { return targets; }
export function logitsPtr(): usize { return logits; }
export function gradFlowPtr(): usize { return gradFlow; }
export function getBatch(): i32 { return B; }
export function getSteps(): i32 { return T; }
export function getMaxSteps(): i32 { return Tmax; }
/** [(T+1)·B, H]: row block 0 is the initial (carried) state, block t+1 the state after step t. */
export function hiddenPtr(layer: i32): usize { return lf(layer, F_H); }
export function cellPtr(layer: i32): usize { return lf(layer, F_C); }
/** [B, H] ∂L/∂h_0 after backward; the incoming ∂L/∂h_T before backward(STATE_GRAD_IN). */
export function stateGradPtr(layer: i32): usize { return lf(layer, F_DH0); }
export function cellGradPtr(layer: i32): usize { return lf(layer, F_DC0); }
/** [T·B, GH] gate activations of the last forward pass (backward overwrites them with their gradients). */
export function gatesPtr(layer: i32): usize { return lf(layer, F_G); }
export function sampleProbsPtr(): usize { return sampleProbs; }
export function sampleOrderPtr(): usize { return sampleOrder; }
export function vocabSize(): i32 { return V; }
export function hiddenSize(): i32 { return H; }
export function gateRows(): i32 { return GH; }
export function layerCount(): i32 { return L; }
export function cellKind(): i32 { return cell; }
