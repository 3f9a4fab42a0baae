// The network: embedding → L recurrent layers → linear head → softmax cross-entropy, with truncated
// BPTT over a window of T steps for B parallel streams. Time-major everywhere: row (t·B + b).
//
// Parameters live in one block, gradients and the two optimizer moments in three more blocks of the
// same layout, so clipping and the optimizers are single loops. Weight matrices are stored as
// [in, out] (the transpose of PyTorch's [out, in]) so that every product is row-major A·B with the
// SIMD loop running along contiguous outputs; the engine transposes when it reads or writes
// PyTorch-named tensors. Gate order within a layer is PyTorch's: LSTM i,f,g,o; GRU r,z,n.
//
// Cells are data (cells.ts): this file runs any cell over time — input projection, one recurrent
// product per step, the cell's pointwise step — and never asks which cell it has. What a cell needs
// (gate width, carried states, per-step buffers, where its recurrent product goes, its own tensors)
// comes from its description, read once in configure().
//
// What a batch is, beyond inputs and targets (the task seam, core half):
//   lossWeights  real [T·B]  per-row weight of the loss; 0 = no loss (a mask). 1 after setShape.
//   lengths      i32 [B]     per-stream length; steps t ≥ length neither change that stream's state
//                            (so the carried and final state is the state after its last real step)
//                            nor carry loss, and get no gradient. Tmax after setShape.
//   outputs      the head's width O, independent of the vocabulary (O = V for language modelling).
// With every weight 1 and every length ≥ T the results are bit-for-bit those of the plain mean over
// every row whose target is ≥ 0 (negative targets stay ignored, head.ts).
//
// Adding a cell now touches, on the core side:
//   src/wasm/<cell>.ts    its forward and backward pointwise steps and description constants
//                         (gates, states, per-step buffers, recurrent mode, direct path)
//   src/wasm/cells.ts     a CELL_* code, a case in cellDescription, cellOptions (if it reads option
//                         bits of configure()'s flags), cellExtraTensorKind and cellExtraTensorBlocks
//                         (if it has tensors of its own), cellForwardStep and cellBackwardStep;
//                         CD_OWN_BIASES if it adds its biases itself (no b_ih, b_hh here)
//   nothing in network.ts, head.ts or index.ts (the engine's registry entry, src/engine/model/cells.ts,
//   gives the CELL_* code as its coreCode; a new tensor kind needs a TensorKind name in coreAbi.ts).
//
// Two directions per layer (FLAG_BIDIRECTIONAL): the layer table is indexed by unit (layer,
// direction). configure() adds a second W_ih, W_hh, b_ih, b_hh (+ the cell's own tensors) per layer
// with tensor field 5 (direction) = 1 (PyTorch's *_reverse); outWidth(l) is 2H, so layer l + 1's W_ih
// has 2H rows and the head 2H. directionForward(l, 1) walks t = T − 1 … 0 from a zero state in block
// T, reading states block t + 1 and writing block t; the held-stream rule stays "t ≥ length", so the
// reverse direction starts at each stream's own last step, holding its zero state through the
// padding. The layer output Y [T·B, 2H] gets the two directions' h side by side (a copy per
// direction after its loop), residual adds the [T·B, 2H] input to it, and backward splits dY by
// columns into each direction's F_DYU, with dBelow = Σ_d dG_d·W_ih,dᵀ (the second product
// accumulates). gradFlow is [L·D, Tmax] (row l·D + d). The linear-recurrence cells refuse it.
//
// A second recurrent product per step (reset-before GRU: W_hn·(r ∘ h)): see cells.ts. The network
// side is the product-then-step pair in directionForward's time loop, run once per phase; W_hh is
// packed in two parts per unit, one after the other in F_WHHP (and F_WHHTP): the first product's
// columns (all gate blocks but the last), then the last block's; in directionBackward the phases in
// reverse, and one more weight-gradient product over the cell's product-source aux slot.

import { allocI32, allocReal, arenaMark, arenaReset, at, atI32 } from "./arena";
import {
  CD_AUX, CD_DIRECT_PATH, CD_EXTRA_TENSORS, CD_GATES, CD_PRODUCT_SOURCE, CD_RECURRENT, CD_RECURRENT_PRODUCTS, CD_STATES, CELL_LSTM,
  CD_OWN_BIASES, RECURRENT_SEPARATE, cellBackwardPhase0, cellBackwardStep, cellDescription, cellExtraTensorBlocks, cellExtraTensorKind, cellForwardPhase0, cellForwardStep, cellOptions, resetCellConstants, validCell,
} from "./cells";
import { CD_LINEAR_RECURRENCE, batchNorm, cellLinearCoefficients, cellLinearGradients } from "./cells";
import { allocateNormStats, clearNormStats, setNormPass, setNormStep } from "./batchNorm";
import { SOLVE_SCAN, SOLVE_SEQUENTIAL, affineRow, solveLinear } from "./linearScan";
import { KC, PANEL, addColumnSums, fillRows, gemm, gemmPacked, gemmTransposedB, packPanels, packPanelsTransposed, packedSize, paddedWidth } from "./gemm";
import { lastWeightTotal, softmaxCrossEntropy } from "./head";
import { LOSS_CROSS_ENTROPY, LOSS_GAUSSIAN, LOSS_QUANTILE, MAX_QUANTILES, lastRegressionWeightTotal, regressionLoss } from "./regression";
import { hashUniform } from "./rng";
import { addInto, addScaled, addTo, dot, mulInto, sumSquares } from "./vec";

export { CELL_MINGRU, CELL_MINLSTM } from "./cells";
export { CELL_GRU, CELL_LSTM, CELL_RNN_RELU, CELL_RNN_TANH, FLAG_COUPLED, FLAG_LAYER_NORM, FLAG_PEEPHOLE, FLAG_RESET_BEFORE, T_PEEP_F, T_PEEP_I, T_PEEP_O } from "./cells";
export const FLAG_RESIDUAL = 4;
/** Two directions per layer (PyTorch's bidirectional = True); refused for the linear-recurrence cells. */
export const FLAG_BIDIRECTIONAL = 128;
/** The CRF's tensors in the block after the head (kinds T_CRF_*): the core only stores them (the engine's CRF uses them). */
export const FLAG_CRF_TENSORS = 256;

export const MAX_LAYERS = 4;
export const MAX_DIRECTIONS = 2;

// Tensor kinds, in block order; the engine names them (embed.weight, rnn.weight_ih_l0, …). Kinds
// 5–7 are the LSTM's own (cells.ts); a new cell's own tensors take new codes after T_HEAD_B.
export const T_EMBED = 0;
export const T_W_IH = 1;
export const T_W_HH = 2;
export const T_B_IH = 3;
export const T_B_HH = 4;
export const T_HEAD_W = 8;
export const T_HEAD_B = 9;
// The linear-chain CRF's scores (FLAG_CRF_TENSORS): transitions [O, O] (from row tag to column tag),
// start and end [1, O]. Kinds 11–19 are the normalisation layers'.
export const T_CRF_TRANSITIONS = 20;
export const T_CRF_START = 21;
export const T_CRF_END = 22;

// The head over the top layer's output Y [T·B, W] (W = D·H): per step (every row gets logits, as a
// language model or a tagger), or one row per stream pooled over its real steps t < length:
//   last  D = 1: Y at the stream's last real step; D = 2: the forward half there joined with the
//         backward half at step 0 (its state after reading the whole stream backwards) = PyTorch's h_n
//   mean  Σ_{t<len} Y_t / len;   max  per column over t < len (the gradient goes to the arg max)
// A pooled head writes logits [B, O] into rows 0 … B−1 of logitsPtr() and its loss is the weighted
// softmax cross-entropy against classTargets [B] with weights streamWeights [B] (Σ w·ℓ / Σ w); a
// stream of length 0 carries no loss (and a negative class target none either, as in head.ts).
export const POOL_STEPS = 0;
export const POOL_LAST = 1;
export const POOL_MEAN = 2;
export const POOL_MAX = 3;

// ---- configuration ----
let cell = CELL_LSTM;
let cellFlags = 0; // configure()'s flags, passed to the cell's steps (peephole, coupled)
let L = 1;       // layers
let D = 1;       // directions per layer (2 = bidirectional)
let V = 2;       // vocabulary (input ids)
let O = 2;       // head outputs (targets are 0 … O − 1); V for language modelling
let E = 0;       // embedding width; 0 = one-hot input (a row gather of W_ih, no table)
let H = 1;       // hidden units
let GH = 4;      // gate rows per layer and direction: H · the cell's gates
let S = 2;       // carried state vectors per layer and direction (slot 0 = h)
let A = 1;       // per-step [T·B, H] buffers the cell keeps for backward
let separateRecurrent = false; // the cell wants h·W_hh + b_hh apart from G (RECURRENT_SEPARATE)
let directPath = false;        // the cell's backward step writes a direct term of ∂L/∂h_{t−1}
let extraTensors = 0;          // the cell's own [1, H] tensors per unit
let twoProducts = false;       // a second recurrent product per step, from aux slot productSource (cells.ts)
let productSource = 0;
let residual = false;
let recurrentProducts = 1;     // products with W_hh per step; 0: the cell has no W_hh, b_hh (cells.ts)
let ownBiases = false;         // no b_ih, b_hh: G is x·W_ih, HH is h·W_hh alone (CD_OWN_BIASES)
let linearRecurrence = false;  // h_t = a_t ∘ h_{t−1} + b_t from the input alone (CD_LINEAR_RECURRENCE)
let linearSolver = 0;          // setLinearSolver(): 0 = the faster on this core (sequential), else SOLVE_*
// The numeric task (forecasting, setRegression): layer 0 reads a real vector of V values per row
// (denseInputs [T·B, V]) instead of an id, and the head's loss is a regression loss against
// realTargets [T·B, K] (regression.ts). LOSS_CROSS_ENTROPY = ids and softmax, as before.
let lossKind = LOSS_CROSS_ENTROPY;
let K = 0;       // target values per row (regression only)
let pool = POOL_STEPS;        // setSequenceHead()
let crfTensors = false;       // FLAG_CRF_TENSORS
let crfOff = -1;              // the transitions' offset (start and end follow)
let inputScale: real = 1;     // setInputScale(): layer 0 reads α·x (integrated gradients' path)
let wantInputGrad = false;    // backward(BACKWARD_INPUT_GRAD)

// ---- parameter block and tensor table ----
let paramCount = 0;
let params: usize = 0, grads: usize = 0, moment1: usize = 0, moment2: usize = 0;
let gradScratch: usize = 0; // another thread's gradient, copied in to be summed (data-parallel training)
let tensorCount = 0;
const TENSOR_FIELDS = 6; // offset, rows, cols, kind, layer, direction
const MAX_TENSORS = 128;
const tensorTable = memory.data(MAX_TENSORS * TENSOR_FIELDS * 4, 16);
let embedOff = -1, headWOff = 0, headBOff = 0;

// The layer table: one row per unit (layer l, direction d) = l·MAX_DIRECTIONS + d. Parameter fields
// are element offsets into the block, the others addresses. Fields marked "per layer" are kept in
// the direction-0 row only (the layer's input and output are shared by its directions).
const F_WIH = 0, F_WHH = 1, F_BIH = 2, F_BHH = 3;
const F_CP = 4;     // the cell's own tensors (extraTensors of [1, H], contiguous), when it has any
const F_G = 5;      // [T·B, GH] gate pre-activations, then what the cell's forward step leaves there
const F_STATES = 6; // [S, (T+1)·B, H] carried states (cells.ts); row block 0 is the carried initial state
const F_AUX = 7;    // [A, T·B, H] the cell's per-step buffers
const F_Y = 8;      // per layer: [T·B, H] layer output (h shifted by one step, or h + input with residual)
const F_XIN = 9;    // per layer: [T·B, In] the layer's input as used (after dropout), for l ≥ 1
const F_MASK = 10;  // per layer: [T·B, In] dropout mask, already scaled by 1/(1 − p)
const F_DGHH = 11;  // [T·B, GH] ∂L/∂ recurrent pre-activations: its own buffer for RECURRENT_SEPARATE,
                    // else F_G itself (backward overwrites G with dG step by step: a step's
                    // activations are not needed after its gradients)
const F_DY = 12;    // per layer: [T·B, H] ∂L/∂ layer output
const F_WHHP = 13;  // W_hh packed in 16-column panels (gemm.ts), made once per forward pass
const F_WHHTP = 14; // W_hhᵀ packed likewise, made once per backward pass
const F_IN = 15;    // per layer: address of the input actually used by this forward pass (0 = one-hot)
const F_DROP = 16;  // per layer: 1 when this forward pass used dropout on the layer's input
const F_DSTATE0 = 17; // [max(S, 2), B, H] state gradient: in ∂L/∂state_T from a later window (when asked), out ∂L/∂state_0
const F_WIHP = 18;  // W_ih packed (layers fed by a dense input)
const F_DYU = 19;   // D = 2: [T·B, H] this direction's columns of the layer's ∂L/∂Y (F_DY split by columns)
const LAYER_FIELDS = 20;
const layerTable = memory.data(MAX_LAYERS * MAX_DIRECTIONS * LAYER_FIELDS * 4, 16);

@inline function unit(l: i32, d: i32): i32 { return l * MAX_DIRECTIONS + d; }
@inline function uf(u: i32, f: i32): usize { return <usize>load<u32>(layerTable + ((<usize>(u * LAYER_FIELDS + f)) << 2)); }
@inline function setUf(u: i32, f: i32, v: usize): void { store<u32>(layerTable + ((<usize>(u * LAYER_FIELDS + f)) << 2), <u32>v); }
@inline function lf(l: i32, f: i32): usize { return uf(unit(l, 0), f); }
@inline function param(off: usize): usize { return at(params, <i32>off); }
@inline function grad(off: usize): usize { return at(grads, <i32>off); }

// ---- shape and shared buffers ----
let B = 1, Tmax = 1, T = 1;
let shapeMark: usize = 0;
let inputs: usize = 0, targets: usize = 0;      // i32 [T·B]
let denseInputs: usize = 0, realTargets: usize = 0; // regression: real [T·B, V], real [T·B, K]
let lossWeights: usize = 0;                     // real [T·B] per-row loss weight (1 = counts, 0 = masked)
let lengths: usize = 0;                         // i32 [B] per-stream length
let rowWeights: usize = 0;                      // real [T·B] lossWeights with the rows past each length zeroed
let embedded: usize = 0;                        // [T·B, E] gathered embedding rows
let dEmbedded: usize = 0;                       // [T·B, E]
let logits: usize = 0, dLogits: usize = 0;      // [T·B, O]
let headWP: usize = 0;                          // head weight packed
let slabT: usize = 0;                           // [weightGradientWidth(), SLAB_T_STRIDE] a KC-row slab of a weight gradient's A, transposed
let headColumn: usize = 0;                      // [D·H] one column of the head's weight or of its gradient (headTail)
let gemmScratch: usize = 0;                     // packing space for products with a changing B
let weightsFrozen = false;                      // the engine promised not to change the parameters …
let packedFresh = false;                        // … and the packed copies were made after it did
let stateStride = 0, auxStride = 0;             // elements between state slots, between aux slots
let dState: usize = 0;                          // [S, B, H] ∂L/∂state_t in backward (slot 0 = dh)
let dStateHeld: usize = 0;                      // [S, B, H] rows of held streams, saved across a step
let dhNext: usize = 0, hhScratch: usize = 0;    // [B, H] ∂L/∂h_{t−1}; [B, GH] separate recurrent product
let biasSums: usize = 0;                        // [2, GH] backward: column sums of dG and dGhh (the bias gradients); forward: b_ih + b_hh
let gradFlow: usize = 0;                        // f32-or-f64 [L, Tmax]: ‖∂L/∂h_t‖ per layer and step
let scanScratch: usize = 0;                     // [2, B, H] the linear scan's running products
let sampleProbs: usize = 0, sampleOrder: usize = 0;
let pooled: usize = 0, dPooled: usize = 0;      // [B, W] the pooled head's input and its gradient
let poolArg: usize = 0;                         // i32 [B, W] the step each max came from
let classTargets: usize = 0;                    // i32 [B] one class per stream (pooled head)
let streamWeights: usize = 0;                   // real [B] per-stream loss weight, 1 after setShape
let inputGrad: usize = 0;                       // real [T·B] one-hot input: ∂L/∂(the active entry of row r)
// Lengths of this forward pass, clamped to [0, T]: steps t < minLen run every stream, steps
// t ≥ maxLen hold every stream, and in between the streams with length ≤ t are held.
let minLen = 1, maxLen = 1;
let ragged = false; // minLen < T: some stream ends before the window does
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

/** Width of layer l's output: H per direction, side by side. */
function outWidth(l: i32): i32 { return H * D; }
function inWidth(l: i32): i32 { return l == 0 ? (E == 0 ? V : E) : outWidth(l - 1); }
@inline function denseInput(): bool { return lossKind != LOSS_CROSS_ENTROPY; }

// Element counts and offsets are i32 and addresses u32: a block of more than 2^32 bytes cannot exist.
const MAX_ELEMENTS: i64 = <i64>(0xffffffff >> alignof<real>());
let sizeOverflow = false;

function addTensor(kind: i32, layer: i32, direction: i32, rows: i32, cols: i32): i32 {
  if (<i64>paramCount + <i64>rows * <i64>cols > MAX_ELEMENTS) sizeOverflow = true;
  const off = paramCount;
  const base = tensorTable + <usize>(tensorCount * TENSOR_FIELDS * 4);
  store<i32>(base, off);
  store<i32>(base, rows, 4);
  store<i32>(base, cols, 8);
  store<i32>(base, kind, 12);
  store<i32>(base, layer, 16);
  store<i32>(base, direction, 20);
  tensorCount++;
  paramCount += rows * cols;
  return off;
}

/** Returns the number of parameters, or -1 for an invalid configuration. The head has vocab outputs. */
export function configure(cellType: i32, layers: i32, vocab: i32, embed: i32, hidden: i32, flags: i32): i32 {
  return configureModel(cellType, layers, vocab, embed, hidden, flags, vocab);
}

/** configure() with the head's width given: outputs ≥ 1 classes, tags or symbols (targets 0 … outputs − 1). */
export function configureModel(cellType: i32, layers: i32, vocab: i32, embed: i32, hidden: i32, flags: i32, outputs: i32): i32 {
  if (!validCell(cellType) || layers < 1 || layers > MAX_LAYERS || vocab < 2 || embed < 0 || hidden < 1 || outputs < 1) return -1;
  const products = cellDescription(cellType, flags, CD_RECURRENT_PRODUCTS);
  const linear = cellDescription(cellType, flags, CD_LINEAR_RECURRENCE) == 1;
  if (products < 0 || products > 2 || (linear && products != 0)) return -1; // see cells.ts
  const bidirectional = (flags & FLAG_BIDIRECTIONAL) != 0;
  if (bidirectional && linear) return -1; // the whole-window solver runs forwards only (the registry says why)
  recurrentProducts = products; linearRecurrence = linear;
  resetCellConstants();
  cell = cellType; L = layers; D = bidirectional ? 2 : 1; V = vocab; O = outputs; E = embed; H = hidden;
  lossKind = LOSS_CROSS_ENTROPY; K = 0; pool = POOL_STEPS; inputScale = 1;
  crfTensors = (flags & FLAG_CRF_TENSORS) != 0;
  cellFlags = cellOptions(cell, flags);
  residual = (flags & FLAG_RESIDUAL) != 0;
  GH = H * cellDescription(cell, cellFlags, CD_GATES);
  S = cellDescription(cell, cellFlags, CD_STATES);
  A = cellDescription(cell, cellFlags, CD_AUX);
  separateRecurrent = cellDescription(cell, cellFlags, CD_RECURRENT) == RECURRENT_SEPARATE;
  directPath = cellDescription(cell, cellFlags, CD_DIRECT_PATH) != 0;
  extraTensors = cellDescription(cell, cellFlags, CD_EXTRA_TENSORS);
  twoProducts = products == 2;
  productSource = twoProducts ? cellDescription(cell, cellFlags, CD_PRODUCT_SOURCE) : 0;
  ownBiases = cellDescription(cell, cellFlags, CD_OWN_BIASES) == 1;
  if ((E > 0 ? 1 : 0) + L * D * (4 + extraTensors) + 5 > MAX_TENSORS) return -1;
  paramCount = 0;
  tensorCount = 0;
  sizeOverflow = false;
  embedOff = E > 0 ? addTensor(T_EMBED, -1, 0, V, E) : -1;
  for (let l = 0; l < L; l++) {
    for (let d = 0; d < D; d++) {
      const u = unit(l, d);
      setUf(u, F_WIH, addTensor(T_W_IH, l, d, inWidth(l), GH));
      if (recurrentProducts > 0) setUf(u, F_WHH, addTensor(T_W_HH, l, d, H, GH));
      if (!ownBiases) setUf(u, F_BIH, addTensor(T_B_IH, l, d, 1, GH));
      if (recurrentProducts > 0 && !ownBiases) setUf(u, F_BHH, addTensor(T_B_HH, l, d, 1, GH));
      for (let k = 0; k < extraTensors; k++) {
        const off = addTensor(cellExtraTensorKind(cell, cellFlags, k), l, d, 1, H * cellExtraTensorBlocks(cell, cellFlags, k));
        if (k == 0) setUf(u, F_CP, off);
      }
    }
  }
  headWOff = addTensor(T_HEAD_W, -1, 0, outWidth(L - 1), O);
  headBOff = addTensor(T_HEAD_B, -1, 0, 1, O);
  crfOff = -1;
  if (crfTensors) {
    crfOff = addTensor(T_CRF_TRANSITIONS, -1, 0, O, O);
    addTensor(T_CRF_START, -1, 0, 1, O);
    addTensor(T_CRF_END, -1, 0, 1, O);
  }
  if (sizeOverflow) return -1;
  arenaReset(0);
  params = allocReal(paramCount);
  grads = allocReal(paramCount);
  moment1 = allocReal(paramCount);
  moment2 = allocReal(paramCount);
  gradScratch = allocReal(paramCount);
  // a batch-normalised cell's running statistics: outside the parameter block (batchNorm.ts)
  if (batchNorm(cell, cellFlags)) allocateNormStats(L * D, cell == CELL_LSTM, H);
  else clearNormStats();
  shapeMark = arenaMark();
  setShape(1, 1);
  return paramCount;
}

/**
 * After configureModel (embed 0), before setShape: the numeric task. loss = regression.ts LOSS_*
 * (not cross-entropy), targetWidth K values per row (O = K, 2K for the Gaussian, Q·K for Q quantile
 * levels, set by setQuantileLevel). Returns 0, or −1 when the head's width does not fit the loss.
 */
export function setRegression(loss: i32, targetWidth: i32): i32 {
  if (loss <= LOSS_CROSS_ENTROPY || loss > LOSS_QUANTILE || E != 0 || targetWidth < 1) return -1;
  if (loss == LOSS_QUANTILE ? O % targetWidth != 0 || O / targetWidth > MAX_QUANTILES : O != (loss == LOSS_GAUSSIAN ? 2 : 1) * targetWidth) return -1;
  lossKind = loss; K = targetWidth;
  setShape(1, 1);
  return 0;
}

/** n rounded up to a multiple of 16 elements, so every slot of a buffer starts 64-byte aligned. */
function slotStride(n: i32): i32 { return (n + 15) & ~15; }

/** (Re)allocates every activation buffer for batch b and window t; keeps parameters and moments. */
export function setShape(batch: i32, steps: i32): void {
  // The largest activation buffer is [(T+1)·B, max(GH, V, O, E, H)]; its element count must fit (see MAX_ELEMENTS).
  if (batch < 1 || steps < 1 || (<i64>steps + 1) * <i64>batch * <i64>max(max(GH, max(V, O)), max(E, H)) > MAX_ELEMENTS) unreachable();
  B = batch; Tmax = steps; T = steps;
  arenaReset(shapeMark);
  const R = Tmax * B;
  inputs = allocI32(R);
  targets = allocI32(R);
  denseInputs = denseInput() ? allocReal(R * V) : 0;
  realTargets = denseInput() ? allocReal(R * K) : 0;
  lossWeights = allocReal(R);
  for (let r = 0; r < R; r++) store<real>(at(lossWeights, r), 1);
  rowWeights = allocReal(R);
  lengths = allocI32(B);
  for (let b = 0; b < B; b++) store<i32>(atI32(lengths, b), Tmax);
  embedded = E > 0 ? allocReal(R * E) : 0;
  dEmbedded = E > 0 ? allocReal(R * E) : 0;
  logits = allocReal(R * O);
  dLogits = allocReal(R * O);
  const top = outWidth(L - 1);
  headWP = allocReal(packedSize(top, O));
  headColumn = allocReal(top);
  let maxIn = 0;
  for (let l = 0; l < L; l++) maxIn = max(maxIn, inWidth(l));
  gemmScratch = allocReal(max(KC * paddedWidth(max(GH, O)), max(packedSize(GH, maxIn), packedSize(O, top))));
  packedFresh = false;
  stateStride = slotStride((Tmax + 1) * B * H);
  auxStride = slotStride(R * H);
  dState = allocReal(S * B * H);
  dStateHeld = allocReal(S * B * H);
  dhNext = allocReal(B * H);
  hhScratch = allocReal(B * GH);
  biasSums = allocReal(2 * GH);
  slabT = allocReal(weightGradientWidth() * SLAB_T_STRIDE);
  gradFlow = allocReal(L * D * Tmax);
  pooled = allocReal(B * top);
  dPooled = allocReal(B * top);
  poolArg = allocI32(B * top);
  classTargets = allocI32(B);
  streamWeights = allocReal(B);
  for (let b = 0; b < B; b++) store<real>(at(streamWeights, b), 1);
  inputGrad = E == 0 ? allocReal(R) : 0;
  scanScratch = linearRecurrence ? allocReal(2 * B * H) : 0;
  sampleProbs = allocReal(O);
  sampleOrder = allocI32(O);
  for (let l = 0; l < L; l++) {
    const In = inWidth(l);
    for (let d = 0; d < D; d++) {
      const u = unit(l, d);
      setUf(u, F_G, allocReal(R * GH));
      setUf(u, F_STATES, allocReal(S * stateStride));
      setUf(u, F_AUX, A > 0 ? allocReal(A * auxStride) : 0);
      setUf(u, F_DGHH, separateRecurrent ? allocReal(R * GH) : uf(u, F_G));
      setUf(u, F_WHHP, recurrentProducts > 0 ? allocReal(twoProducts ? packedSize(H, GH - H) + packedSize(H, H) : packedSize(H, GH)) : 0);
      setUf(u, F_WHHTP, recurrentProducts > 0 ? allocReal(packedSize(GH, H)) : 0);
      setUf(u, F_WIHP, l > 0 || E > 0 || denseInput() ? allocReal(packedSize(In, GH)) : 0);
      setUf(u, F_DSTATE0, allocReal(max(S, 2) * B * H));
      setUf(u, F_DYU, D == 2 ? allocReal(R * H) : 0);
    }
    // D = 1: the output is the states' slot 0 from row block 1 on (no copy); D = 2: [T·B, 2H], each
    // direction's h copied into its half after its loop.
    setUf(unit(l, 0), F_Y, D == 2 ? allocReal(R * 2 * H) : residual && l > 0 ? allocReal(R * H) : uf(unit(l, 0), F_STATES) + (<usize>(B * H) << alignof<real>()));
    setUf(unit(l, 0), F_XIN, l > 0 ? allocReal(R * In) : 0);
    setUf(unit(l, 0), F_MASK, l > 0 ? allocReal(R * In) : 0);
    setUf(unit(l, 0), F_DY, allocReal(R * outWidth(l)));
  }
}

/** Steps used by the next forward/backward (≤ the allocated window); lets a short last window reuse buffers. */
export function setSteps(steps: i32): void {
  T = steps < 1 ? 1 : steps > Tmax ? Tmax : steps;
}

// ---- lengths and loss weights ----

@inline function lengthOf(b: i32): i32 {
  const n = load<i32>(atI32(lengths, b));
  return n < 0 ? 0 : n > T ? T : n;
}

/** Reads the lengths for this pass (B loads; every later test is against minLen / maxLen first). */
function measureLengths(): void {
  minLen = T; maxLen = 0;
  for (let b = 0; b < B; b++) {
    const n = lengthOf(b);
    minLen = min(minLen, n);
    maxLen = max(maxLen, n);
  }
  ragged = minLen < T;
}

/** Whether row r = t·B + b lies past its stream's length (only asked when ragged). */
@inline function pastLength(r: i32): bool { return r / B >= lengthOf(r % B); }

/** The input id of row r; a row past its stream's length reads id 0 (its input is never used). */
@inline function inputId(r: i32): i32 { return ragged && pastLength(r) ? 0 : load<i32>(atI32(inputs, r)); }

/** The weights the loss uses: lossWeights, with rows past each stream's length zeroed when ragged. */
function lossRowWeights(): usize {
  if (!ragged) return lossWeights;
  const R = T * B;
  for (let r = 0; r < R; r++) store<real>(at(rowWeights, r), pastLength(r) ? <real>0 : load<real>(at(lossWeights, r)));
  return rowWeights;
}

/**
 * Step t of a ragged pass: streams whose length is ≤ t keep their state (row block t → t + 1; the
 * reverse direction's step t reads block t + 1 and writes block t).
 */
function holdEndedStreams(states: usize, t: i32, reverse: bool): void {
  const n = B * H, bytes = <usize>H << alignof<real>();
  const from = reverse ? t + 1 : t, to = reverse ? t : t + 1;
  for (let b = 0; b < B; b++) {
    if (lengthOf(b) > t) continue;
    for (let k = 0; k < S; k++) {
      const slot = at(states, k * stateStride);
      memory.copy(at(slot, to * n + b * H), at(slot, from * n + b * H), bytes);
    }
  }
}

// ---- forward ----

/**
 * inputs/targets [T·B] → logits [T·B, O]; returns the weighted mean cross-entropy in nats (when
 * withLoss). training with dropout > 0 draws a fresh inverted-dropout mask for the input of every
 * layer above the first.
 */
export function forward(training: bool, dropout: f64, withLoss: bool): f64 {
  const R = T * B;
  if (!(weightsFrozen && packedFresh)) packWeights();
  measureLengths();
  setNormPass(training); // batch norm: the batch's statistics, or the running averages (batchNorm.ts)
  for (let l = 0; l < L; l++) {
    const input = layerInput(l, training, dropout);
    for (let d = 0; d < D; d++) directionForward(l, d, input);
    if (D == 2) {
      if (residual && l > 0) addInto(lf(l, F_Y), input, R * 2 * H);
    } else if (residual && l > 0) {
      addTo(lf(l, F_Y), uf(unit(l, 0), F_STATES) + (<usize>(B * H) << alignof<real>()), input, R * H);
    }
  }
  if (pool != POOL_STEPS) {
    const W = outWidth(L - 1);
    poolForward();
    headForward(pooled, B);
    if (!withLoss) return 0;
    // a stream of length 0 (a batch's unused slot) carries no loss, as rows past a length do
    let weights = streamWeights;
    if (minLen == 0) {
      for (let b = 0; b < B; b++) store<real>(at(rowWeights, b), lengthOf(b) == 0 ? <real>0 : load<real>(at(streamWeights, b)));
      weights = rowWeights;
    }
    return softmaxCrossEntropy(logits, classTargets, weights, dLogits, B, O);
  }
  headForward(lf(L - 1, F_Y), R);
  if (!withLoss) return 0;
  if (denseInput()) return regressionLoss(lossKind, logits, realTargets, lossRowWeights(), dLogits, R, O, K);
  return softmaxCrossEntropy(logits, targets, lossRowWeights(), dLogits, R, O);
}

// The head's last O mod PANEL columns, when there are only a few (a character vocabulary of 65: one):
// the kernel computes a partial panel as a whole 16-column tile (gemm.ts edgeTile), so one column
// would cost as much as sixteen. They are dot products here instead, the other columns the kernel's.
const HEAD_TAIL_MAX = 3;
@inline function headTail(): i32 { const t = O % PANEL; return t <= HEAD_TAIL_MAX ? t : 0; }

/** logits [rows, O] ← b + Y·W for the head's input Y [rows, D·H]. */
function headForward(Y: usize, rows: i32): void {
  const W = outWidth(L - 1), tail = headTail(), full = O - tail, w = param(headWOff);
  fillRows(logits, rows, O, param(headBOff), 0);
  if (full > 0) gemmPacked(Y, W, 1, headWP, logits, rows, W, full, true, O);
  for (let j = full; j < O; j++) {
    for (let p = 0; p < W; p++) store<real>(at(headColumn, p), load<real>(at(w, p * O + j)));
    for (let r = 0; r < rows; r++) {
      const c = at(logits, r * O + j);
      store<real>(c, load<real>(c) + dot(at(Y, r * W), headColumn, W));
    }
  }
}

/** ∂L/∂W_head += Yᵀ·dLogits for the head's input Y [rows, D·H]. */
function headWeightGradient(Y: usize, rows: i32): void {
  const W = outWidth(L - 1), tail = headTail(), full = O - tail, g = grad(headWOff);
  if (full > 0) gemm(Y, 1, W, dLogits, g, W, rows, full, true, gemmScratch, O, O);
  for (let j = full; j < O; j++) {
    memory.fill(headColumn, 0, <usize>W << alignof<real>());
    for (let r = 0; r < rows; r++) addScaled(headColumn, at(Y, r * W), load<real>(at(dLogits, r * O + j)), W);
    for (let p = 0; p < W; p++) store<real>(at(g, p * O + j), load<real>(at(g, p * O + j)) + load<real>(at(headColumn, p)));
  }
}

/** Layer l's input [T·B, In] as its directions use it (dropout applied); 0 = one-hot ids (layer 0, E = 0). */
function layerInput(l: i32, training: bool, dropout: f64): usize {
  const R = T * B;
  let input: usize = 0;
  if (l == 0) {
    if (denseInput()) {
      input = denseInputs;
    } else if (E > 0) {
      const table = param(<usize>embedOff);
      for (let r = 0; r < R; r++) {
        memory.copy(at(embedded, r * E), at(table, inputId(r) * E), <usize>E << alignof<real>());
      }
      if (inputScale != 1) for (let k = 0; k < R * E; k++) store<real>(at(embedded, k), inputScale * load<real>(at(embedded, k)));
      input = embedded;
    }
  } else {
    const below = lf(l - 1, F_Y);
    const In = inWidth(l);
    const useDropout = training && dropout > 0;
    setUf(unit(l, 0), F_DROP, useDropout ? 1 : 0);
    if (useDropout) {
      const mask = lf(l, F_MASK), xin = lf(l, F_XIN);
      const keepScale = <real>(1.0 / (1.0 - dropout));
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < B; b++) {
          const row = (t * B + b) * In;
          const unit0 = <u32>(((l * Tmax + t) * totalStreams + streamOffset + b) * In);
          for (let j = 0; j < In; j++) {
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
  setUf(unit(l, 0), F_IN, input);
  return input;
}

/** One direction of layer l over the window: the input projection for all T·B rows, then the recurrence. */
function directionForward(l: i32, d: i32, input: usize): void {
  const u = unit(l, d);
  const R = T * B;
  const G = uf(u, F_G);
  const bih: usize = ownBiases ? 0 : param(uf(u, F_BIH)), bhh: usize = recurrentProducts > 0 && !ownBiases ? param(uf(u, F_BHH)) : 0;
  // a separate product keeps b_hh with it (GRU: inside r ∘ (W_hn h + b_hn)); a cell without W_hh has no b_hh
  const foldBiases = !separateRecurrent && recurrentProducts > 0;
  if (input == 0) {
    // one-hot input: x·W_ih is row x of W_ih. Both biases are added as one row b_ih + b_hh (made
    // once here, as fillRows does for a dense input), so each row of G is written in one pass.
    const wih = param(uf(u, F_WIH));
    const pairBias = bih != 0 && foldBiases && inputScale == 1;
    if (pairBias) addTo(biasSums, bih, bhh, GH);
    for (let r = 0; r < R; r++) {
      const dst = at(G, r * GH);
      if (inputScale != 1) {
        const row = at(wih, inputId(r) * GH);
        if (bih != 0) for (let j = 0; j < GH; j++) store<real>(at(dst, j), inputScale * load<real>(at(row, j)) + load<real>(at(bih, j)));
        else for (let j = 0; j < GH; j++) store<real>(at(dst, j), inputScale * load<real>(at(row, j)));
        if (foldBiases) addInto(dst, bhh, GH);
      } else if (pairBias) addTo(dst, at(wih, inputId(r) * GH), biasSums, GH);
      else if (bih != 0) {
        addTo(dst, at(wih, inputId(r) * GH), bih, GH);
        if (foldBiases) addInto(dst, bhh, GH);
      } else memory.copy(dst, at(wih, inputId(r) * GH), <usize>GH << alignof<real>());
    }
  } else {
    if (bih != 0) fillRows(G, R, GH, bih, foldBiases ? bhh : 0);
    else memory.fill(G, 0, <usize>(R * GH) << alignof<real>());
    gemmPacked(input, inWidth(l), 1, uf(u, F_WIHP), G, R, inWidth(l), GH, true);
  }
  if (linearRecurrence) { linearForward(u); return; }
  const states = uf(u, F_STATES), aux = uf(u, F_AUX), whhP = uf(u, F_WHHP);
  const cp = extraTensors > 0 ? param(uf(u, F_CP)) : 0;
  const n = B * H;
  // Direction 1 walks t = T − 1 … 0 from a zero state in block T (it never carries a state: the next
  // window's future is not known), reading block t + 1 and writing block t.
  const reverse = d == 1;
  if (reverse) for (let k = 0; k < S; k++) memory.fill(at(states, k * stateStride + T * n), 0, <usize>n << alignof<real>());
  for (let i = 0; i < T; i++) {
    const t = reverse ? T - 1 - i : i;
    const prev = at(states, (reverse ? t + 1 : t) * n), next = at(states, (reverse ? t : t + 1) * n);
    if (t >= maxLen) {
      // every stream has ended: the state is held, nothing is computed
      for (let k = 0; k < S; k++) memory.copy(at(next, k * stateStride), at(prev, k * stateStride), <usize>n << alignof<real>());
      // the source rows meet zero gradients in W_hh's product: keep them finite (zero)
      if (twoProducts) memory.fill(at(aux, productSource * auxStride + t * n), 0, <usize>n << alignof<real>());
      continue;
    }
    const g = at(G, t * B * GH);
    // The recurrent product h_{t−1}·W_hh, into the gates or apart with b_hh (cells.ts), then the
    // cell's step. A cell with CD_RECURRENT_PRODUCTS = 2 repeats this pair once more per step, the
    // second product reading the cell's product-source aux slot (cells.ts header).
    let hh = g;
    if (separateRecurrent) {
      hh = hhScratch;
      if (bhh != 0) fillRows(hh, B, GH, bhh, 0);
      else memory.fill(hh, 0, <usize>(B * GH) << alignof<real>());
    }
    if (twoProducts) {
      // into the gates: h_{t−1} times W_hh's first columns, phase 0, its source times the last block's
      const F = GH - H, source = at(aux, productSource * auxStride + t * n);
      gemmPacked(prev, H, 1, whhP, g, B, H, F, true, GH);
      cellForwardPhase0(cell, cellFlags, g, prev, at(aux, t * n), auxStride, B, H);
      gemmPacked(source, H, 1, at(whhP, packedSize(H, F)), at(g, F), B, H, H, true, GH);
    } else if (recurrentProducts > 0) {
      gemmPacked(prev, H, 1, whhP, hh, B, H, GH, true);
    }
    setNormStep(l * D + d, t);
    cellForwardStep(cell, cellFlags, g, hh, prev, next, stateStride, A > 0 ? at(aux, t * n) : 0, auxStride, B, H, cp);
    if (t >= minLen) holdEndedStreams(states, t, reverse);
  }
  if (D == 2) {
    // this direction's output at step t (state block t + 1 forwards, t backwards) into its half of Y
    const Y = lf(l, F_Y), src = at(states, reverse ? 0 : n), bytes = <usize>H << alignof<real>();
    for (let r = 0; r < R; r++) memory.copy(at(Y, r * 2 * H + d * H), at(src, r * H), bytes);
  }
}

// ---- backward ----

export const BACKWARD_RECORD_FLOW = 1;
export const BACKWARD_STATE_GRAD_IN = 2;
/** Also ∂L/∂(layer 0's input): dEmbeddedPtr() [T·B, E] (always filled for embedding input) or, for one-hot, inputGradPtr() [T·B]. */
export const BACKWARD_INPUT_GRAD = 4;

/**
 * Adds ∂(mean loss)/∂θ of the last forward pass into the gradient block and leaves ∂L/∂(initial
 * state) in the state-gradient buffers. Flags: RECORD_FLOW fills gradFlow; STATE_GRAD_IN adds the
 * gradient already in the state-gradient buffers to the final state (full BPTT across windows);
 * without it the window is truncated, as in training.
 */
export function backward(flags: i32): void {
  const recordFlow = (flags & BACKWARD_RECORD_FLOW) != 0;
  const stateGradIn = (flags & BACKWARD_STATE_GRAD_IN) != 0;
  wantInputGrad = (flags & BACKWARD_INPUT_GRAD) != 0;
  const R = T * B;
  const top = lf(L - 1, F_Y), Wt = outWidth(L - 1);
  if (pool != POOL_STEPS) {
    headWeightGradient(pooled, B);
    addColumnSums(dLogits, grad(headBOff), B, O);
    gemmTransposedB(dLogits, O, 1, param(headWOff), dPooled, B, O, Wt, false, gemmScratch);
    poolBackward();
  } else {
    headWeightGradient(top, R);
    addColumnSums(dLogits, grad(headBOff), R, O);
    gemmTransposedB(dLogits, O, 1, param(headWOff), lf(L - 1, F_DY), R, O, Wt, false, gemmScratch);
  }
  if (wantInputGrad && inputGrad != 0) memory.fill(inputGrad, 0, <usize>R << alignof<real>());

  for (let l = L - 1; l >= 0; l--) {
    if (D == 2) {
      // each direction's columns of ∂L/∂Y, contiguous for its time loop
      const dY = lf(l, F_DY), bytes = <usize>H << alignof<real>();
      for (let d = 0; d < 2; d++) {
        const dst = uf(unit(l, d), F_DYU);
        for (let r = 0; r < R; r++) memory.copy(at(dst, r * H), at(dY, r * 2 * H + d * H), bytes);
      }
    }
    for (let d = 0; d < D; d++) directionBackward(l, d, recordFlow, stateGradIn);
    layerInputBackward(l);
  }
}

// ---- the pooled head (POOL_*) ----

/** setSequenceHead(mode): POOL_STEPS (0, every row) or POOL_LAST / MEAN / MAX (one row per stream); 0, or −1 refused. */
export function setSequenceHead(mode: i32): i32 {
  if (mode < POOL_STEPS || mode > POOL_MAX || denseInput()) return -1;
  pool = mode;
  return 0;
}

/** The top layer's Y [T·B, W] → pooled [B, W] over each stream's real steps (a stream of length 0 pools to zeros). */
function poolForward(): void {
  const W = outWidth(L - 1), Y = lf(L - 1, F_Y);
  const hBytes = <usize>H << alignof<real>(), wBytes = <usize>W << alignof<real>();
  for (let b = 0; b < B; b++) {
    const len = lengthOf(b), dst = at(pooled, b * W);
    if (len == 0) { memory.fill(dst, 0, wBytes); continue; }
    if (pool == POOL_LAST) {
      memory.copy(dst, at(Y, ((len - 1) * B + b) * W), hBytes);
      if (D == 2) memory.copy(at(dst, H), at(Y, b * W + H), hBytes);
    } else if (pool == POOL_MEAN) {
      memory.fill(dst, 0, wBytes);
      for (let t = 0; t < len; t++) addInto(dst, at(Y, (t * B + b) * W), W);
      const inv = <real>(1.0 / <f64>len);
      for (let j = 0; j < W; j++) store<real>(at(dst, j), load<real>(at(dst, j)) * inv);
    } else {
      memory.copy(dst, at(Y, b * W), wBytes);
      for (let j = 0; j < W; j++) store<i32>(atI32(poolArg, b * W + j), 0);
      for (let t = 1; t < len; t++) {
        const row = at(Y, (t * B + b) * W);
        for (let j = 0; j < W; j++) {
          const v = load<real>(at(row, j));
          if (v > load<real>(at(dst, j))) { store<real>(at(dst, j), v); store<i32>(atI32(poolArg, b * W + j), t); }
        }
      }
    }
  }
}

/** dPooled [B, W] → the top layer's ∂L/∂Y [T·B, W] (zero on the steps the pooling did not read). */
function poolBackward(): void {
  const W = outWidth(L - 1), dY = lf(L - 1, F_DY);
  memory.fill(dY, 0, <usize>(T * B * W) << alignof<real>());
  for (let b = 0; b < B; b++) {
    const len = lengthOf(b), src = at(dPooled, b * W);
    if (len == 0) continue;
    if (pool == POOL_LAST) {
      addInto(at(dY, ((len - 1) * B + b) * W), src, H);
      if (D == 2) addInto(at(dY, b * W + H), at(src, H), H);
    } else if (pool == POOL_MEAN) {
      const inv = <real>(1.0 / <f64>len);
      for (let t = 0; t < len; t++) {
        const row = at(dY, (t * B + b) * W);
        for (let j = 0; j < W; j++) store<real>(at(row, j), load<real>(at(row, j)) + inv * load<real>(at(src, j)));
      }
    } else {
      for (let j = 0; j < W; j++) {
        const t = load<i32>(atI32(poolArg, b * W + j));
        const p = at(dY, (t * B + b) * W + j);
        store<real>(p, load<real>(p) + load<real>(at(src, j)));
      }
    }
  }
}

/**
 * One direction of layer l: the recurrence backward through time, then its weight gradients as
 * big products over all T·B rows, then its share of ∂L/∂(layer input) (direction 0 writes it,
 * a second direction would add to it).
 */
function directionBackward(l: i32, d: i32, recordFlow: bool, stateGradIn: bool): void {
  const u = unit(l, d);
  const R = T * B, n = B * H;
  const G = uf(u, F_G), dG = G, dGhh = uf(u, F_DGHH), dY = D == 2 ? uf(u, F_DYU) : lf(l, F_DY), states = uf(u, F_STATES), aux = uf(u, F_AUX);
  const reverse = d == 1;
  const prevStates = reverse ? at(states, n) : states; // row block of the state step t started from, at row block 0
  const whhTP = uf(u, F_WHHTP);
  const cp = extraTensors > 0 ? param(uf(u, F_CP)) : 0, gcp = extraTensors > 0 ? grad(uf(u, F_CP)) : 0;
  const F = twoProducts ? GH - H : GH; // W_hh columns of the first recurrent product
  if (twoProducts) {
    packPanelsTransposed(param(uf(u, F_WHH)), F, H, whhTP, GH);
    packPanelsTransposed(at(param(uf(u, F_WHH)), F), H, H, at(whhTP, packedSize(F, H)), GH);
  } else if (recurrentProducts > 0) {
    packPanelsTransposed(param(uf(u, F_WHH)), GH, H, whhTP);
  }
  const stateBytes = <usize>n << alignof<real>();
  const dState0 = uf(u, F_DSTATE0);
  // dhNext: ∂L/∂h_t from step t + 1; dState slots ≥ 1: ∂L/∂(other states)_t.
  if (stateGradIn) {
    memory.copy(dhNext, dState0, stateBytes);
    for (let k = 1; k < S; k++) memory.copy(at(dState, k * n), at(dState0, k * n), stateBytes);
  } else {
    memory.fill(dhNext, 0, stateBytes);
    for (let k = 1; k < S; k++) memory.fill(at(dState, k * n), 0, stateBytes);
  }
  const gateBytes = <usize>(B * GH) << alignof<real>();
  // The bias gradients are column sums of dG (and dGhh): taken step by step below, while the step's
  // B·GH rows are still in cache, into biasSums [2, GH] (row 0 for b_ih, row 1 for b_hh when dGhh
  // is its own buffer), instead of two more passes over all T·B rows from memory afterwards.
  const stepBiasSums = !linearRecurrence && !ownBiases;
  if (stepBiasSums) memory.fill(biasSums, 0, <usize>(2 * GH) << alignof<real>());
  // A linear-recurrence cell solves the whole window at once (dhNext: ∂L/∂h_T in, ∂L/∂h_0 out); the
  // step-by-step loop is for the others.
  if (linearRecurrence) linearBackward(u, l, recordFlow);
  // The reverse direction's steps run backwards in the opposite order: t = 0 … T − 1.
  const steps = linearRecurrence ? 0 : T;
  for (let i = 0; i < steps; i++) {
    const t = reverse ? i : T - 1 - i;
    addTo(dState, at(dY, t * n), dhNext, n); // dh = ∂L/∂h_t, from above and from the step after (in reading order)
    if (recordFlow) store<real>(at(gradFlow, (l * D + d) * Tmax + t), <real>Math.sqrt(sumSquares(dState, n)));
    const dg = at(dG, t * B * GH), dq = at(dGhh, t * B * GH);
    if (t >= maxLen) {
      // every stream was held at this step: an identity, so the gradient passes through unchanged
      memory.fill(dg, 0, gateBytes);
      if (separateRecurrent) memory.fill(dq, 0, gateBytes);
      memory.copy(dhNext, dState, stateBytes);
      continue;
    }
    const heldSome = t >= minLen;
    if (heldSome) keepHeldGradients(t, true);
    setNormStep(l * D + d, t);
    cellBackwardStep(cell, cellFlags, at(G, t * B * GH), at(prevStates, t * n), stateStride, A > 0 ? at(aux, t * n) : 0, auxStride,
      dState, dg, dq, dhNext, B, H, cp, gcp);
    if (twoProducts) {
      // ∂L/∂source = dGhh[last block]·W_hh[:, last]ᵀ (into hhScratch, free in backward), then phase 0
      gemmPacked(at(dq, F), GH, 1, at(whhTP, packedSize(F, H)), hhScratch, B, H, H, false);
      cellBackwardPhase0(cell, cellFlags, dg, at(prevStates, t * n), hhScratch, dhNext, B, H);
    }
    if (heldSome) clearHeldRows(t, dg, dq);
    // ∂L/∂h_{t−1} += dGhh·W_hhᵀ (the cell's direct term, if it has one, is already in dhNext)
    if (recurrentProducts > 0) gemmPacked(dq, GH, 1, whhTP, dhNext, B, F, H, directPath);
    if (heldSome) keepHeldGradients(t, false);
    if (stepBiasSums) {
      addColumnSums(dg, biasSums, B, GH);
      if (separateRecurrent && recurrentProducts > 0) addColumnSums(dq, at(biasSums, GH), B, GH);
    }
  }
  memory.copy(dState0, dhNext, stateBytes);
  for (let k = 1; k < S; k++) memory.copy(at(dState0, k * n), at(dState, k * n), stateBytes);
  // Weight gradients as big products over all T·B rows at once. W_ih's and W_hh's share their B
  // (dG) when the recurrent product's gradient is dG itself and the input is dense: each KC-row slab
  // of dG is then packed once for both (weightGradientPair).
  const input = lf(l, F_IN);
  const sharedSlabs = !twoProducts && recurrentProducts > 0 && dGhh == dG && input != 0;
  if (twoProducts) {
    gemm(prevStates, 1, H, dGhh, grad(uf(u, F_WHH)), H, R, F, true, gemmScratch, GH, GH);
    gemm(at(aux, productSource * auxStride), 1, H, at(dGhh, F), at(grad(uf(u, F_WHH)), F), H, R, H, true, gemmScratch, GH, GH);
  } else if (sharedSlabs) {
    weightGradients(prevStates, H, grad(uf(u, F_WHH)), input, inWidth(l), grad(uf(u, F_WIH)), dG, R, GH);
  } else if (recurrentProducts > 0) {
    weightGradients(prevStates, H, grad(uf(u, F_WHH)), 0, 0, 0, dGhh, R, GH);
  }
  if (stepBiasSums) {
    addInto(grad(uf(u, F_BIH)), biasSums, GH);
    if (recurrentProducts > 0) addInto(grad(uf(u, F_BHH)), separateRecurrent ? at(biasSums, GH) : biasSums, GH);
  } else {
    if (!ownBiases) addColumnSums(dG, grad(uf(u, F_BIH)), R, GH);
    if (recurrentProducts > 0 && !ownBiases) addColumnSums(dGhh, grad(uf(u, F_BHH)), R, GH);
  }
  if (input == 0) {
    // one-hot: scatter-add each row of dG into the W_ih row of its input character
    const gw = grad(uf(u, F_WIH)), wih = param(uf(u, F_WIH));
    for (let r = 0; r < R; r++) {
      if (ragged && pastLength(r)) continue;
      const id = load<i32>(atI32(inputs, r));
      if (inputScale != 1) {
        const dst = at(gw, id * GH), src = at(dG, r * GH);
        for (let j = 0; j < GH; j++) store<real>(at(dst, j), load<real>(at(dst, j)) + inputScale * load<real>(at(src, j)));
      } else {
        addInto(at(gw, id * GH), at(dG, r * GH), GH);
      }
      if (wantInputGrad) {
        // ∂L/∂(active entry) = dG_r · W_ih[id], summed over the directions
        let s: real = 0;
        const w = at(wih, id * GH), g = at(dG, r * GH);
        for (let j = 0; j < GH; j++) s += load<real>(at(w, j)) * load<real>(at(g, j));
        store<real>(at(inputGrad, r), load<real>(at(inputGrad, r)) + s);
      }
    }
    return;
  }
  const In = inWidth(l);
  if (!sharedSlabs) weightGradients(input, In, grad(uf(u, F_WIH)), 0, 0, 0, dG, R, GH);
  if (l == 0 && denseInput()) return; // the data needs no gradient
  const dInput = l == 0 ? dEmbedded : lf(l - 1, F_DY);
  gemmTransposedB(dG, GH, 1, param(uf(u, F_WIH)), dInput, R, GH, In, d > 0, gemmScratch);
}

// Row stride of slabT: KC plus 4, so its rows are not a power of two apart (they would share cache sets).
const SLAB_T_STRIDE = KC + 4;

/** The widest A of a weight gradient: H, or a dense layer input's width. */
function weightGradientWidth(): i32 {
  let m = H;
  for (let l = 0; l < L; l++) m = max(m, inWidth(l) * (l > 0 || E > 0 || denseInput() ? 1 : 0));
  return m;
}

/**
 * C1 += A1ᵀ·G, and C2 += A2ᵀ·G when a2 != 0, for A_k [R, m_k] and G [R, N] row-major (C_k [m_k, N]):
 * a layer's weight gradients over every row of the window (W_hh's from the previous states, W_ih's
 * from a dense input). Slab by slab of KC rows, as gemm() runs them: G's slab is packed once for
 * both products, and each A's slab is transposed into slabT [m, KC] first, so the kernel reads A
 * along its rows (the form of every other product) instead of down its columns, rows m floats
 * apart (a power of two for H = 128, 256, 512: those reads fell into a few cache sets). The sums
 * run over the same rows in the same order as gemm()'s, so the results are the same.
 */
function weightGradients(a1: usize, m1: i32, c1: usize, a2: usize, m2: i32, c2: usize, G: usize, R: i32, N: i32): void {
  for (let p0 = 0; p0 < R; p0 += KC) {
    const kc = min(KC, R - p0);
    packPanels(at(G, p0 * N), N, kc, N, gemmScratch);
    transposeSlab(at(a1, p0 * m1), m1, kc);
    gemmPacked(slabT, SLAB_T_STRIDE, 1, gemmScratch, c1, m1, kc, N, true);
    if (a2 != 0) {
      transposeSlab(at(a2, p0 * m2), m2, kc);
      gemmPacked(slabT, SLAB_T_STRIDE, 1, gemmScratch, c2, m2, kc, N, true);
    }
  }
}

/** slabT[i, r] ← A[r, i] for A [rows, m] row-major; slabT's rows SLAB_T_STRIDE apart. */
function transposeSlab(A: usize, m: i32, rows: i32): void {
  let r = 0;
  if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
    // 4×4 blocks: four rows' vectors in, four columns' vectors out (moves only, so the same values)
    const rowB = <usize>m << 2, outB = <usize>SLAB_T_STRIDE << 2;
    for (; r + 4 <= rows; r += 4) {
      const s0 = at(A, r * m), s1 = s0 + rowB, s2 = s1 + rowB, s3 = s2 + rowB;
      let i = 0;
      for (; i + 4 <= m; i += 4) {
        const o = <usize>i << 2;
        const x0 = v128.load(s0 + o), x1 = v128.load(s1 + o), x2 = v128.load(s2 + o), x3 = v128.load(s3 + o);
        const t0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5), t1 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
        const t2 = i32x4.shuffle(x2, x3, 0, 4, 1, 5), t3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
        const d = at(slabT, i * SLAB_T_STRIDE + r);
        v128.store(d, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
        v128.store(d + outB, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
        v128.store(d + 2 * outB, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
        v128.store(d + 3 * outB, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
      }
      for (; i < m; i++) {
        const d = at(slabT, i * SLAB_T_STRIDE + r), o = <usize>i << 2;
        store<f32>(d, load<f32>(s0 + o)); store<f32>(d, load<f32>(s1 + o), 4);
        store<f32>(d, load<f32>(s2 + o), 8); store<f32>(d, load<f32>(s3 + o), 12);
      }
    }
  }
  for (; r < rows; r++) {
    const src = at(A, r * m);
    for (let i = 0; i < m; i++) store<real>(at(slabT, i * SLAB_T_STRIDE + r), load<real>(at(src, i)));
  }
}

// ---- linear-recurrence cells (minGRU, minLSTM): the whole window at once ----

/** 0: the faster solver on this core (sequential: see linearScan.ts and the benchmark), 1 sequential, 2 scan. */
export function setLinearSolver(mode: i32): void { linearSolver = mode == SOLVE_SCAN || mode == SOLVE_SEQUENTIAL ? mode : 0; }

@inline function solverInUse(): i32 { return linearSolver == 0 ? SOLVE_SEQUENTIAL : linearSolver; }

/**
 * Unit u over the window, G already x·W_ih + b_ih: the cell turns G into its activations and the
 * coefficients a, b (aux slots 0, 1); a held step is a = 1, b = 0; then h_t = a_t ∘ h_{t−1} + b_t
 * into the states' row blocks 1 … T (block 0 is the carried h_0).
 */
function linearForward(u: i32): void {
  const R = T * B, n = B * H;
  const aux = uf(u, F_AUX), a = aux, b = at(aux, auxStride), states = uf(u, F_STATES);
  cellLinearCoefficients(cell, uf(u, F_G), aux, auxStride, R, H);
  if (ragged) {
    for (let s = 0; s < B; s++) {
      for (let t = lengthOf(s); t < T; t++) {
        const row = t * n + s * H;
        for (let j = 0; j < H; j++) { store<real>(at(a, row + j), 1); store<real>(at(b, row + j), 0); }
      }
    }
  }
  affineRow(at(states, n), a, states, b, n);
  solveLinear(a, n, b, n, at(states, n), n, T, n, solverInUse(), scanScratch);
}

/**
 * The reverse recurrence g_t = ∂L/∂y_t + a_{t+1} ∘ g_{t+1} (g_{T−1} also gets dhNext, ∂L/∂h_T from a
 * later window or 0) into aux slot 2, the gradient-flow record ‖g_t‖, ∂L/∂h_0 = a_0 ∘ g_0 into
 * dhNext, and the cell's dG for every row (zero for held rows).
 */
function linearBackward(u: i32, l: i32, recordFlow: bool): void {
  const R = T * B, n = B * H;
  const aux = uf(u, F_AUX), a = aux, g = at(aux, 2 * auxStride), dY = lf(l, F_DY), G = uf(u, F_G);
  const last = (T - 1) * n;
  addTo(at(g, last), at(dY, last), dhNext, n);
  // τ = T − 1 − t walks time backwards: A_τ = a_{t+1} (row T − τ), B_τ = dY_t, out_τ = g_t.
  solveLinear(at(a, T * n), -n, at(dY, last), -n, at(g, last), -n, T, n, solverInUse(), scanScratch);
  if (recordFlow) for (let t = 0; t < T; t++) store<real>(at(gradFlow, l * Tmax + t), <real>Math.sqrt(sumSquares(at(g, t * n), n)));
  memory.copy(dhNext, g, <usize>n << alignof<real>());
  mulInto(dhNext, a, n);
  cellLinearGradients(cell, G, aux, auxStride, uf(u, F_STATES), G, R, H);
  if (ragged) {
    const bytes = <usize>GH << alignof<real>();
    for (let s = 0; s < B; s++) for (let t = lengthOf(s); t < T; t++) memory.fill(at(G, (t * B + s) * GH), 0, bytes);
  }
}

/**
 * A held stream's step is an identity: its state gradients pass through, and the cell's step must
 * add nothing for it (not even to the cell's own tensors' gradients). before = true saves the held
 * rows of dState and zeroes them, so the step sees no incoming gradient there (a backward step is
 * linear in it); before = false restores them and sets their ∂L/∂h_{t−1} to ∂L/∂h_t.
 */
function keepHeldGradients(t: i32, before: bool): void {
  const bytes = <usize>H << alignof<real>(), n = B * H;
  for (let b = 0; b < B; b++) {
    if (lengthOf(b) > t) continue;
    for (let k = 0; k < S; k++) {
      const live = at(dState, k * n + b * H), kept = at(dStateHeld, k * n + b * H);
      if (before) {
        memory.copy(kept, live, bytes);
        memory.fill(live, 0, bytes);
      } else {
        memory.copy(live, kept, bytes);
      }
    }
    if (!before) memory.copy(at(dhNext, b * H), at(dState, b * H), bytes);
  }
}

/** The held streams' rows of this step's gate gradients are zero (their step changed nothing). */
function clearHeldRows(t: i32, dg: usize, dq: usize): void {
  const bytes = <usize>GH << alignof<real>();
  for (let b = 0; b < B; b++) {
    if (lengthOf(b) > t) continue;
    memory.fill(at(dg, b * GH), 0, bytes);
    if (separateRecurrent) memory.fill(at(dq, b * GH), 0, bytes);
  }
}

/** What the layer's input did in forward, undone: the embedding's scatter, residual and dropout. */
function layerInputBackward(l: i32): void {
  const R = T * B;
  if (lf(l, F_IN) == 0) return; // one-hot: W_ih's gradient is all there is
  if (l == 0) {
    if (denseInput()) return;
    const ge = grad(<usize>embedOff);
    for (let r = 0; r < R; r++) {
      if (ragged && pastLength(r)) { memory.fill(at(dEmbedded, r * E), 0, <usize>E << alignof<real>()); continue; }
      if (inputScale != 1) {
        const dst = at(ge, load<i32>(atI32(inputs, r)) * E), src = at(dEmbedded, r * E);
        for (let j = 0; j < E; j++) store<real>(at(dst, j), load<real>(at(dst, j)) + inputScale * load<real>(at(src, j)));
      } else {
        addInto(at(ge, load<i32>(atI32(inputs, r)) * E), at(dEmbedded, r * E), E);
      }
    }
  } else {
    const dBelow = lf(l - 1, F_DY);
    if (residual) addInto(dBelow, lf(l, F_DY), R * outWidth(l));
    if (lf(l, F_DROP) != 0) mulInto(dBelow, lf(l, F_MASK), R * inWidth(l));
  }
}

/** Packed copies of the weights the forward pass multiplies by (gemm.ts). */
function packWeights(): void {
  for (let l = 0; l < L; l++) {
    for (let d = 0; d < D; d++) {
      const u = unit(l, d);
      if (twoProducts) {
        const F = GH - H;
        packPanels(param(uf(u, F_WHH)), GH, H, F, uf(u, F_WHHP));
        packPanels(at(param(uf(u, F_WHH)), F), GH, H, H, at(uf(u, F_WHHP), packedSize(H, F)));
      } else if (recurrentProducts > 0) {
        packPanels(param(uf(u, F_WHH)), GH, H, GH, uf(u, F_WHHP));
      }
      if (uf(u, F_WIHP) != 0) packPanels(param(uf(u, F_WIH)), GH, inWidth(l), GH, uf(u, F_WIHP));
    }
  }
  packPanels(param(headWOff), O, outWidth(L - 1), O, headWP);
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

/** The final state of the last window, [B, H] of layer l (what carryState would make initial). */
export function finalHiddenPtr(layer: i32): usize { return at(uf(unit(layer, 0), F_STATES), T * B * H); }
export function finalCellPtr(layer: i32): usize { return S > 1 ? at(uf(unit(layer, 0), F_STATES), stateStride + T * B * H) : 0; }

/**
 * The state after the last step becomes the initial state of the next window (char-rnn's scheme);
 * a stream that ended early carries the state after its last real step (held since).
 */
export function carryState(): void {
  const bytes = <usize>(B * H) << alignof<real>();
  for (let l = 0; l < L; l++) {
    for (let d = 0; d < D; d++) {
      const states = uf(unit(l, d), F_STATES);
      for (let k = 0; k < S; k++) memory.copy(at(states, k * stateStride), at(states, k * stateStride + T * B * H), bytes);
    }
  }
}

export function resetState(): void {
  const bytes = <usize>(B * H) << alignof<real>();
  for (let l = 0; l < L; l++) {
    for (let d = 0; d < D; d++) {
      const states = uf(unit(l, d), F_STATES);
      for (let k = 0; k < S; k++) memory.fill(at(states, k * stateStride), 0, bytes);
    }
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
/** Field 0 offset, 1 rows, 2 cols, 3 kind, 4 layer (−1 embedding and head), 5 direction. */
export function tensorField(index: i32, field: i32): i32 {
  return load<i32>(tensorTable + <usize>((index * TENSOR_FIELDS + field) * 4));
}
export function inputsPtr(): usize { return inputs; }
export function targetsPtr(): usize { return targets; }
/** real [Tmax·B] per-row loss weights (0 = the row carries no loss); every weight is 1 after setShape. */
export function lossWeightsPtr(): usize { return lossWeights; }
/** i32 [B] per-stream lengths (steps ≥ length hold the stream's state and carry no loss); Tmax after setShape. */
export function lengthsPtr(): usize { return lengths; }
/** Σ of the weights of the rows that counted in the last forward pass with loss: its mean's denominator. */
export function lossWeightTotal(): f64 { return denseInput() ? lastRegressionWeightTotal() : lastWeightTotal(); }
/** Regression: real [Tmax·B, V] the values read at each row (time-major), and real [Tmax·B, K] the targets. */
export function denseInputsPtr(): usize { return denseInputs; }
export function realTargetsPtr(): usize { return realTargets; }
export function targetWidth(): i32 { return K; }
export function logitsPtr(): usize { return logits; }
/**
 * real [Tmax·B, O] (per-step head) or [B, O] (pooled head): ∂L/∂logits. forward(withLoss) writes it;
 * the engine may write its own (a CRF's, one logit's) after forward(withLoss = false), and backward
 * then runs from it.
 */
export function dLogitsPtr(): usize { return dLogits; }
/** i32 [B]: the class of each stream (pooled head). */
export function classTargetsPtr(): usize { return classTargets; }
/** real [B]: each stream's loss weight (pooled head), 1 after setShape; 0 = the stream carries no loss. */
export function streamWeightsPtr(): usize { return streamWeights; }
/** real [B, W]: the pooled head's input of the last forward pass (W = D·H). */
export function pooledPtr(): usize { return pooled; }
/** real [Tmax·B, E]: ∂L/∂(layer 0's input row, as scaled) after backward (embedding input; 0 on rows past a length). */
export function dEmbeddedPtr(): usize { return dEmbedded; }
/** real [Tmax·B]: one-hot input, ∂L/∂(row r's active entry) after backward(BACKWARD_INPUT_GRAD); 0 for embedding input. */
export function inputGradPtr(): usize { return inputGrad; }
/** Layer 0 reads α·x (the embedded row, or the one-hot row): integrated gradients' path from the zero input. */
export function setInputScale(alpha: f64): void { inputScale = <real>alpha; }
/** real [Tmax·B, D·H]: layer l's output (both directions side by side when bidirectional). */
export function layerOutputPtr(layer: i32): usize { return lf(layer, F_Y); }
/** [(T+1)·B, H] the states of direction d of layer l (d = 1: block t is the state after reading step t backwards; block T is its zero start). */
export function directionHiddenPtr(layer: i32, direction: i32): usize { return uf(unit(layer, direction), F_STATES); }
export function directionCellPtr(layer: i32, direction: i32): usize { return S > 1 ? uf(unit(layer, direction), F_STATES) + (<usize>stateStride << alignof<real>()) : 0; }
export function directionCount(): i32 { return D; }
/** [T·B, GH] direction d's gate activations of the last forward pass (backward overwrites them). */
export function directionGatesPtr(layer: i32, direction: i32): usize { return uf(unit(layer, direction), F_G); }
export function sequenceHead(): i32 { return pool; }
export function gradFlowPtr(): usize { return gradFlow; }
export function getBatch(): i32 { return B; }
export function getSteps(): i32 { return T; }
export function getMaxSteps(): i32 { return Tmax; }
/** [(T+1)·B, H]: row block 0 is the initial (carried) state, block t+1 the state after step t. */
export function hiddenPtr(layer: i32): usize { return uf(unit(layer, 0), F_STATES); }
/** The LSTM's cell states, laid out as hiddenPtr; 0 for a cell that carries only h. */
export function cellPtr(layer: i32): usize { return S > 1 ? uf(unit(layer, 0), F_STATES) + (<usize>stateStride << alignof<real>()) : 0; }
/** [B, H] ∂L/∂h_0 after backward; the incoming ∂L/∂h_T before backward(STATE_GRAD_IN). */
export function stateGradPtr(layer: i32): usize { return uf(unit(layer, 0), F_DSTATE0); }
export function cellGradPtr(layer: i32): usize { return uf(unit(layer, 0), F_DSTATE0) + (<usize>(B * H) << alignof<real>()); }
/** [T·B, GH] gate activations of the last forward pass (backward overwrites them with their gradients). */
export function gatesPtr(layer: i32): usize { return uf(unit(layer, 0), F_G); }
export function sampleProbsPtr(): usize { return sampleProbs; }
export function sampleOrderPtr(): usize { return sampleOrder; }
export function vocabSize(): i32 { return V; }
/** The head's width: logits rows are [O]; O = vocabSize() for a language model. */
export function outputSize(): i32 { return O; }
export function hiddenSize(): i32 { return H; }
export function gateRows(): i32 { return GH; }
export function layerCount(): i32 { return L; }
export function cellKind(): i32 { return cell; }
/** Carried state vectors per layer: 2 for the LSTM (h, c), 1 for the others. */
export function stateCount(): i32 { return S; }
