// The cell registry: everything the TypeScript side knows about a recurrent cell, in one entry per
// cell. Every other file reads it (validation, the core's configure code, initialisation, PyTorch
// names and import, ONNX export, the heatmap's quantities, the closed-form parameter count,
// experiments, the CLI's and the settings' lists). Adding a cell = one core file (src/wasm) + one
// entry here + its tests and fixtures; see ARCHITECTURE.md.
//
// Nothing here loads the core: the extension host's thread reads this file (parameter counts for the
// explorer, the comparison panel and the dashboard) and must never instantiate wasm.

import { CoreFlag, CoreShape, TensorKind, TensorSlot } from "../core/coreAbi";

export type CellType = "rnn" | "lstm" | "gru" | "ctrnn" | "additive" | "mingru" | "minlstm";
export type Nonlinearity = "tanh" | "relu";
export const NONLINEARITIES: readonly Nonlinearity[] = ["tanh", "relu"];
/** Where the GRU's reset gate acts: after the recurrent product (PyTorch, the default) or before it (TensorFlow/Keras, Cho et al. 2014). */
export type GruReset = "after" | "before";
export const GRU_RESETS: readonly GruReset[] = ["after", "before"];
/**
 * Normalisation inside an LSTM or GRU: none, layer normalisation (Ba, Kiros & Hinton 2016;
 * src/wasm/layerNorm.ts) or recurrent batch normalisation (Cooijmans et al. 2016; src/wasm/batchNorm.ts).
 */
export type CellNorm = "none" | "layer" | "batch";
export const CELL_NORMS: readonly CellNorm[] = ["none", "layer", "batch"];

/** The cell-specific options of a ModelSpec (the spec's field names). */
export type CellOption = "nonlinearity" | "peephole" | "coupled" | "tau" | "learnTau" | "dt" | "additiveForm" | "gruReset" | "norm";

/** The additive recurrence's increment: g(x) (input) or g(x, h_{t−1}) (state). */
export type AdditiveForm = "input" | "state";
export const ADDITIVE_FORMS: readonly AdditiveForm[] = ["input", "state"];
/** The CTRNN's options when a spec leaves them out: τ = 4 steps of Δt = 1 (α = 0.25), fixed. */
export const CTRNN_DEFAULTS = { tau: 4, dt: 1, learnTau: false } as const;

/** What a cell sees of a spec. */
export interface CellSpec {
  cell: CellType;
  nonlinearity: Nonlinearity;
  layers: number;
  hidden: number;
  embed: number; // 0 = one-hot input
  vocabSize: number;
  peephole: boolean;
  coupled: boolean;
  residual: boolean;
  // Optional, absent in every spec before these cells existed (absent = the default).
  tau?: number; // CTRNN: the time constant per unit (fixed, or the learned one's initial value), in units of time
  learnTau?: boolean; // CTRNN: τ = Δt + softplus(ρ) learned per unit
  dt?: number; // CTRNN: the Euler step Δt; α = Δt/τ
  additiveForm?: AdditiveForm; // additive recurrence: increment from the input only, or from input and state
  gruReset?: GruReset; // GRU only; absent = "after"
  norm?: CellNorm; // LSTM, GRU: normalisation inside the cell; absent = "none"
  /** O, the head's width when it is not the vocabulary (classes, tags: tasks/classifyTask.ts, tagTask.ts); absent = vocabSize. */
  outputs?: number;
  /** Two directions per layer, PyTorch's bidirectional = True (the core's CoreFlag.Bidirectional); absent = one. */
  bidirectional?: boolean;
  /** A linear-chain CRF's scores in the parameter block after the head (transitions [O, O], start and end [1, O]). */
  crf?: boolean;
}

/** Directions per layer: 2 when bidirectional. */
export function directionCount(spec: CellSpec): 1 | 2 {
  return spec.bidirectional ? 2 : 1;
}

/** O: the head's width, classes or tags, else the vocabulary (language modelling). */
export function headWidth(spec: CellSpec): number {
  return spec.outputs ?? spec.vocabSize;
}

/** How a quantity's values are bounded: gates in [0, 1], tanh outputs in [−1, 1], the rest unbounded. */
export type QuantityRange = "gate" | "tanh" | "unbounded";
export interface QuantityInfo { name: string; range: QuantityRange }
/** A heatmap quantity and where the core holds it: a gate block of the gates buffer (core order) or a state buffer. */
export interface HeatmapQuantity extends QuantityInfo {
  /** `perUnit`: a value per unit, the same at every step, from the parameters (CTRNN's α); params in the core's block layout. */
  source: { gate: number } | { gateTimesPreviousHidden: number } | "cell" | "hidden" | { perUnit(spec: CellSpec, params: ArrayLike<number>, layer: number): Float32Array }
    /** a normalised cell's candidate block of N(x·W_ih) or N(h_{t−1}·W_hh), or N(c_t), N = LN or BN (insight/normalisedActivations.ts) */
    | { normalised: "input" | "recurrent" | "cell" };
}

export type OnnxAttribute = { name: string; i: number } | { name: string; strings: string[] };

export interface CellEntry {
  readonly type: CellType;
  /** Short name for people: "LSTM". */
  readonly label: string;
  /** One line of English: what the cell is. */
  readonly description: string;
  /** Gate blocks of W_ih, W_hh and the biases, in the core's order (= PyTorch's); the length is gates per unit. */
  readonly gates: readonly string[];
  /** The spec options that apply to this cell (the others must be off / default). */
  readonly options: readonly CellOption[];
  /** Carries a cell state c besides h (state.c in checkpoints, c0/cn in ONNX). */
  readonly cellState: boolean;
  /** configure()'s cell argument (src/wasm/network.ts CELL_*). */
  coreCode(spec: CellSpec): number;
  /** The torch.nn module with the same maths and state_dict names, and the options it has. */
  readonly torch: { module: "RNN" | "LSTM" | "GRU" | "MinGRU" | "MinLSTM" | null; options: readonly CellOption[] };
  /**
   * ONNX operator: `gateOrder[k]` is the core gate block that ONNX's gate k takes; peepholes in
   * ONNX's order (i, o, f); the operator's cell-specific attributes.
   */
  readonly onnx: { op: "RNN" | "LSTM" | "GRU" | "Scan"; gateOrder: readonly number[]; peepholes?: readonly TensorKind[]; attributes(spec: CellSpec): OnnxAttribute[] }
    | { op: null; refusal: string };
  /** What the gate heatmap can show, in display order. */
  heatmap(spec: CellSpec): readonly HeatmapQuantity[];
  /** The gate block whose input bias starts at forgetBias (LSTM's f), unless `coupled`. */
  readonly forgetGate?: number;
  /**
   * The buffers the core gives the cell per layer (src/wasm/cells.ts; the <CELL>_STATES, _AUX and
   * _RECURRENT constants of its file): carried vectors, per-step values kept for backward, and whether
   * the recurrent product has a gradient buffer of its own. limits.ts sizes a core from them.
   */
  readonly coreBuffers: { states: number; aux: number; separateRecurrent: boolean };
  /**
   * The gates read only the input (minGRU, minLSTM): no W_hh and no b_hh; the state update is
   * h_t = a_t ∘ h_{t−1} + b_t, which the core solves for a whole window at once (sequentially or by a
   * scan, src/wasm/linearScan.ts). Absent = the cell has a recurrent product.
   */
  readonly linearRecurrence?: true;
  /** The carried state is a running sum that nothing shrinks (additive): it grows with the text's length. */
  readonly unboundedState?: boolean;
  /** Whether the layer has W_hh and b_hh (a recurrent product); absent = yes. */
  hasRecurrentWeights?(spec: CellSpec): boolean;
  /** The cell's own [1, H] tensors per layer, in the core's order (cells.ts cellExtraTensorKind); absent = LSTM's peepholes rule. */
  ownTensors?(spec: CellSpec): readonly TensorKind[];
  /** The layer has no b_ih, b_hh (the core's CD_OWN_BIASES: its own tensors hold the biases); absent = it has them. */
  ownBiases?(spec: CellSpec): boolean;
  /** setCellConstant's values for the spec (src/wasm/cells.ts); absent = none. */
  constants?(spec: CellSpec): number[];
  /** The spec options that configure()'s code and flags stand for (the inverse of coreCode and the flags). */
  optionsOfCore?(code: number, flags: number): Partial<CellSpec>;
  /** Why this cell's own options do not fit the spec, or null. */
  optionProblem?(spec: CellSpec): string | null;
  /** coreBuffers where an option changes them (recurrentProducts 2: W_hh packed in two column parts, network.ts). */
  coreBuffersOf?(spec: CellSpec): { states: number; aux: number; separateRecurrent: boolean; recurrentProducts?: number };
  /**
   * The option sets worth training and showing one of each (tests, comparisons): each a label and
   * the spec fields it sets. Absent = the cell with its defaults only.
   */
  readonly variants?: readonly { label: string; options: Partial<CellSpec> }[];
}

// ---- normalisation inside LSTM and GRU (option `norm`) ----

/**
 * Steps of running statistics a batch-normalised cell keeps per unit (src/wasm/batchNorm.ts's N):
 * training windows longer than this normalise their later steps by the batch but update no average.
 */
export const BATCH_NORM_STEPS = 256;

/** A spec's normalisation, the default filled in. */
export function cellNorm(s: CellSpec): CellNorm { return s.norm ?? "none"; }

/** The layer-normalised cell's own tensors in the core's order: γ, β of x·W_ih and of h·W_hh [1, G·H], then (LSTM) of c [1, H]. */
const LAYER_NORM_TENSORS: readonly TensorKind[] = [
  TensorKind.LnIhGain, TensorKind.LnIhBias, TensorKind.LnHhGain, TensorKind.LnHhBias, TensorKind.LnCGain, TensorKind.LnCBias,
];

/** The batch-normalised cell's own tensors, the same six in the same order (src/wasm/batchNorm.ts). */
const BATCH_NORM_TENSORS: readonly TensorKind[] = [
  TensorKind.BnIhGain, TensorKind.BnIhBias, TensorKind.BnHhGain, TensorKind.BnHhBias, TensorKind.BnCGain, TensorKind.BnCBias,
];

/** A normalised cell's own tensors: layer norm's or batch norm's six (the GRU the first four), else none. */
function normTensors(s: CellSpec): readonly TensorKind[] {
  return cellNorm(s) === "layer" ? LAYER_NORM_TENSORS : cellNorm(s) === "batch" ? BATCH_NORM_TENSORS : [];
}

/** The heatmap's view of the normalisation: the candidate block of a' and p' (LSTM g, GRU n), then the LSTM's LN(c). */
const NORMALISED_QUANTITIES: readonly HeatmapQuantity[] = [
  { name: "normalised input (candidate)", range: "unbounded", source: { normalised: "input" } },
  { name: "normalised recurrent (candidate)", range: "unbounded", source: { normalised: "recurrent" } },
  { name: "normalised cell state", range: "unbounded", source: { normalised: "cell" } },
];

/** The normalisation tensors that span all gates ([1, G·H]); the others are [1, H]. */
function spansGates(kind: TensorKind): boolean {
  return kind === TensorKind.LnIhGain || kind === TensorKind.LnIhBias || kind === TensorKind.LnHhGain || kind === TensorKind.LnHhBias
    || kind === TensorKind.BnIhGain || kind === TensorKind.BnIhBias || kind === TensorKind.BnHhGain || kind === TensorKind.BnHhBias;
}

/** A normalisation's gain (γ). */
export function isNormGain(kind: TensorKind): boolean {
  return kind === TensorKind.LnIhGain || kind === TensorKind.LnHhGain || kind === TensorKind.LnCGain || isBatchNormGain(kind);
}

/** A batch normalisation's gain: starts at 0.1 (Cooijmans et al. 2016, against the saturation that 1 brings); layer norm's at 1. */
export function isBatchNormGain(kind: TensorKind): boolean {
  return kind === TensorKind.BnIhGain || kind === TensorKind.BnHhGain || kind === TensorKind.BnCGain;
}

function normOfCore(flags: number): Partial<CellSpec> {
  return (flags & CoreFlag.LayerNorm) !== 0 ? { norm: "layer" } : (flags & CoreFlag.BatchNorm) !== 0 ? { norm: "batch" } : {};
}

/** Why a normalised cell has no ONNX export (null when the spec has no normalisation). */
export function normOnnxRefusal(s: CellSpec): string | null {
  if (cellNorm(s) === "none") return null;
  if (cellNorm(s) === "batch") return "ONNX's LSTM and GRU operators have no normalisation inside the recurrence, and a batch-normalised cell also needs its running statistics per time step, which no ONNX operator indexes by step: export it as safetensors (weights and running statistics) or as a PyTorch project instead";
  return "ONNX's LSTM and GRU operators have no normalisation inside the recurrence, and this export writes only ONNX's own recurrent operators (a decomposed Loop with LayerNormalization is not built): export it as safetensors or as a PyTorch project (model.py's LayerNormRNN) instead";
}

function normProblem(s: CellSpec, label: string): string | null {
  const norm = cellNorm(s);
  if (norm === "none") return null;
  const what = norm === "batch" ? "batch normalisation (--norm batch)" : "layer normalisation (--norm layer)";
  if (s.peephole || s.coupled) return `${what} is built for the plain ${label}: peepholes and coupled gates read c_{t−1} before its normalisation, which the papers leave undefined; drop --peephole / --coupled`;
  if (norm === "batch" && s.bidirectional) return "batch normalisation (--norm batch) is built for one direction: its running statistics are indexed by the step from the start, which the reverse direction reads from the other end; drop --bidirectional or use --norm layer";
  return null;
}

const RNN: CellEntry = {
  type: "rnn", label: "RNN", description: "vanilla (Elman) RNN: h = tanh or relu of W·x + R·h + b",
  gates: ["hidden"], options: ["nonlinearity"], cellState: false,
  coreCode: (s) => (s.nonlinearity === "relu" ? 1 : 0),
  torch: { module: "RNN", options: ["nonlinearity"] },
  onnx: { op: "RNN", gateOrder: [0], attributes: (s) => [{ name: "activations", strings: [s.nonlinearity === "relu" ? "Relu" : "Tanh"] }] },
  heatmap: (s) => [{ name: "hidden state", range: s.nonlinearity === "relu" ? "unbounded" : "tanh", source: "hidden" }],
  coreBuffers: { states: 1, aux: 0, separateRecurrent: false },
};

const LSTM: CellEntry = {
  type: "lstm", label: "LSTM", description: "long short-term memory: input, forget and output gates around a cell state",
  gates: ["input", "forget", "candidate", "output"], options: ["peephole", "coupled", "norm"], cellState: true,
  coreCode: () => 2,
  torch: { module: "LSTM", options: [] },
  onnx: {
    op: "LSTM", gateOrder: [0, 3, 1, 2], peepholes: [TensorKind.PeepI, TensorKind.PeepO, TensorKind.PeepF],
    attributes: (s) => (s.coupled ? [{ name: "input_forget", i: 1 }] : []),
  },
  heatmap: (s) => [
    { name: "input gate", range: "gate", source: { gate: 0 } },
    { name: "forget gate", range: "gate", source: { gate: 1 } },
    { name: "output gate", range: "gate", source: { gate: 3 } },
    { name: "candidate", range: "tanh", source: { gate: 2 } },
    { name: "cell state", range: "unbounded", source: "cell" },
    ...(cellNorm(s) !== "none" ? NORMALISED_QUANTITIES : []),
    { name: "hidden state", range: "tanh", source: "hidden" },
  ],
  forgetGate: 1,
  coreBuffers: { states: 2, aux: 1, separateRecurrent: false }, // h and c; tanh(c)
  // layer norm: tanh(c'), â (4), p̂ (4), ĉ, three 1/σ (src/wasm/layerNorm.ts); batch norm: the same
  // with 1/σ per column, 4 + 4 + 1 slots (src/wasm/batchNorm.ts); h·W_hh is normalised apart
  coreBuffersOf: (s) => (cellNorm(s) === "layer" ? { states: 2, aux: 13, separateRecurrent: true }
    : cellNorm(s) === "batch" ? { states: 2, aux: 19, separateRecurrent: true } : LSTM.coreBuffers),
  ownTensors: (s) => (cellNorm(s) !== "none" ? normTensors(s) : s.peephole ? [TensorKind.PeepI, TensorKind.PeepF, TensorKind.PeepO] : []),
  ownBiases: (s) => cellNorm(s) !== "none",
  variants: [{ label: "LSTM", options: {} }, { label: "LSTM (layer norm)", options: { norm: "layer" } }, { label: "LSTM (batch norm)", options: { norm: "batch" } }],
  optionsOfCore: (_code, flags) => normOfCore(flags),
  optionProblem: (s) => normProblem(s, "LSTM"),
};

const GRU: CellEntry = {
  type: "gru", label: "GRU", description: "gated recurrent unit: reset and update gates, no separate cell state",
  gates: ["reset", "update", "new"], options: ["gruReset", "norm"], cellState: false,
  coreCode: () => 3, // reset before: CoreFlag.ResetBefore (coreShape)
  torch: { module: "GRU", options: [] }, // nn.GRU is reset-after; the exported project writes reset-before as a module of its own
  // PyTorch's GRU applies the reset gate after the recurrent product: ONNX's linear_before_reset = 1;
  // reset before is ONNX's default form, linear_before_reset = 0 (b_hn outside the reset, as here)
  onnx: { op: "GRU", gateOrder: [1, 0, 2], attributes: (s) => [{ name: "linear_before_reset", i: s.gruReset === "before" ? 0 : 1 }] },
  heatmap: (s) => [
    { name: "reset gate", range: "gate", source: { gate: 0 } },
    { name: "update gate", range: "gate", source: { gate: 1 } },
    { name: "candidate", range: "tanh", source: { gate: 2 } },
    // reset before: what the candidate's recurrent product reads, r ∘ h_{t−1}
    ...(s.gruReset === "before" ? [{ name: "reset hidden state", range: "tanh" as const, source: { gateTimesPreviousHidden: 0 } }] : []),
    ...(cellNorm(s) !== "none" ? NORMALISED_QUANTITIES.slice(0, 2) : []),
    { name: "hidden state", range: "tanh", source: "hidden" },
  ],
  coreBuffers: { states: 1, aux: 1, separateRecurrent: true }, // W_hn·h + b_hn; the reset gate multiplies it
  // reset before: both products go into the gates; aux keeps r ∘ h_{t−1}, the second product's source
  coreBuffersOf: (s) => (s.gruReset === "before" ? { states: 1, aux: 1, separateRecurrent: false, recurrentProducts: 2 }
    : cellNorm(s) === "layer" ? { states: 1, aux: 9, separateRecurrent: true } // layer norm: p'_n, â (3), p̂ (3), two 1/σ
    : cellNorm(s) === "batch" ? { states: 1, aux: 13, separateRecurrent: true } : GRU.coreBuffers), // batch norm: 1/σ per column, 3 + 3 slots
  ownTensors: (s) => normTensors(s).slice(0, 4),
  ownBiases: (s) => cellNorm(s) !== "none",
  variants: [{ label: "GRU", options: {} }, { label: "GRU (reset before)", options: { gruReset: "before" } }, { label: "GRU (layer norm)", options: { norm: "layer" } }, { label: "GRU (batch norm)", options: { norm: "batch" } }],
  optionsOfCore: (_code, flags) => ({ gruReset: (flags & CoreFlag.ResetBefore) !== 0 ? "before" : "after", ...normOfCore(flags) }),
  optionProblem: (s) => (s.gruReset === "before" && cellNorm(s) !== "none" ? "normalisation (--norm) is built for the reset-after GRU only: with the reset before the recurrent product there are two products per step and no one pre-activation to normalise; use --gru-reset after" : normProblem(s, "GRU")),
};

// minGRU and minLSTM (Feng et al. 2024, "Were RNNs all we needed?"): W_ih holds the gate blocks in
// the order below, b_ih their biases (the paper's Linear layers); the tensors keep PyTorch-style names
// (rnn.weight_ih_l0 [gates·H, in], rnn.bias_ih_l0) and the exported project's MinGRU / MinLSTM
// modules use the same names. ONNX: decomposed into MatMul, Sigmoid, … and a Scan over time.
const MINGRU: CellEntry = {
  type: "mingru", label: "minGRU", description: "minimal GRU: an update gate from the input alone, h = (1 − z)∘h + z∘(W·x + b); parallel over time",
  gates: ["update", "candidate"], options: [], cellState: false,
  coreCode: () => 8,
  torch: { module: "MinGRU", options: [] },
  onnx: { op: "Scan", gateOrder: [0, 1], attributes: () => [] },
  heatmap: () => [
    { name: "update gate", range: "gate", source: { gate: 0 } },
    { name: "candidate", range: "unbounded", source: { gate: 1 } },
    { name: "hidden state", range: "unbounded", source: "hidden" },
  ],
  coreBuffers: { states: 1, aux: 3, separateRecurrent: false }, // a, b, ∂L/∂h_t
  linearRecurrence: true,
  hasRecurrentWeights: () => false,
};

const MINLSTM: CellEntry = {
  type: "minlstm", label: "minLSTM", description: "minimal LSTM: forget and input gates from the input alone, normalised to sum to 1; parallel over time",
  gates: ["forget", "input", "candidate"], options: [], cellState: false,
  coreCode: () => 9,
  torch: { module: "MinLSTM", options: [] },
  onnx: { op: "Scan", gateOrder: [0, 1, 2], attributes: () => [] },
  heatmap: () => [
    { name: "normalised forget gate", range: "gate", source: { gate: 0 } },
    { name: "normalised input gate", range: "gate", source: { gate: 1 } },
    { name: "candidate", range: "unbounded", source: { gate: 2 } },
    { name: "hidden state", range: "unbounded", source: "hidden" },
  ],
  forgetGate: 0,
  coreBuffers: { states: 1, aux: 4, separateRecurrent: false }, // a, b, ∂L/∂h_t, 1/(2 + e^{−p_f} + e^{−p_i})
  linearRecurrence: true,
  hasRecurrentWeights: () => false,
};

/** A CTRNN spec's τ, Δt and whether τ is learned, defaults filled in. */
export function ctrnnOptions(s: CellSpec): { tau: number; dt: number; learnTau: boolean } {
  return { tau: s.tau ?? CTRNN_DEFAULTS.tau, dt: s.dt ?? CTRNN_DEFAULTS.dt, learnTau: s.learnTau ?? CTRNN_DEFAULTS.learnTau };
}

/** softplus(x) = log(1 + eˣ), without overflow. */
export function softplus(x: number): number { return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))); }

/** ρ with Δt + softplus(ρ) = τ (learned τ's initial value; needs τ > Δt). */
export function ctrnnRhoFor(tau: number, dt: number): number {
  const excess = tau - dt;
  return excess > 30 ? excess : Math.log(Math.expm1(excess));
}

/** α = Δt/τ per unit of a CTRNN layer: the constant, or from the learned ρ in `params` (the core's block layout). */
export function ctrnnLeak(s: CellSpec, params: ArrayLike<number>, layer: number): Float32Array {
  const { tau, dt, learnTau } = ctrnnOptions(s);
  const out = new Float32Array(s.hidden).fill(dt / tau);
  if (learnTau) {
    const slot = tensorTable(s).find((t) => t.kind === TensorKind.CtrnnRho && t.layer === layer)!;
    for (let j = 0; j < s.hidden; j++) out[j] = dt / (dt + softplus(params[slot.offset + j]));
  }
  return out;
}

const CTRNN: CellEntry = {
  type: "ctrnn", label: "CTRNN", description: "continuous-time (leaky) RNN: h = (1 − α)·h + α·f(W·x + R·h + b), α = Δt/τ per unit",
  gates: ["pre-activation"], options: ["nonlinearity", "tau", "learnTau", "dt"], cellState: false,
  coreCode: (s) => (s.nonlinearity === "relu" ? 5 : 4),
  torch: { module: null, options: [] },
  onnx: { op: "Scan", gateOrder: [0], attributes: () => [] }, // no ONNX operator: MatMul, Tanh/Relu, Mul, Add in a Scan (onnxExport.ts)
  heatmap: (s) => [
    { name: "hidden state", range: s.nonlinearity === "relu" ? "unbounded" : "tanh", source: "hidden" },
    { name: "pre-activation", range: "unbounded", source: { gate: 0 } },
    { name: "leak α", range: "gate", source: { perUnit: ctrnnLeak } },
  ],
  coreBuffers: { states: 1, aux: 1, separateRecurrent: false }, // h; y = f(a)
  ownTensors: (s) => (ctrnnOptions(s).learnTau ? [TensorKind.CtrnnRho] : []),
  // α = 1/3 with Δt ≠ 1; not ReLU: a finite difference across its kink is no check
  variants: [{ label: "CTRNN", options: {} }, { label: "CTRNN (learned τ)", options: { learnTau: true, tau: 3 } }, { label: "CTRNN (τ 1.5, Δt 0.5)", options: { tau: 1.5, dt: 0.5 } }],
  constants: (s) => { const o = ctrnnOptions(s); return [o.dt, o.tau]; },
  optionsOfCore: (code, flags) => ({ nonlinearity: code === 5 ? "relu" : "tanh", learnTau: (flags & CoreFlag.LearnTau) !== 0 }),
  optionProblem: (s) => {
    const { tau, dt, learnTau } = ctrnnOptions(s);
    if (!(Number.isFinite(tau) && tau > 0)) return `τ (--tau) must be a positive number, not ${tau}`;
    if (!(Number.isFinite(dt) && dt > 0)) return `Δt (--dt) must be a positive number, not ${dt}`;
    if (typeof learnTau !== "boolean") return `learnTau must be true or false, not ${JSON.stringify(learnTau)}`;
    if (dt / tau > 1) return `α = Δt/τ = ${dt}/${tau} = ${+(dt / tau).toPrecision(4)} is above 1 (the state would overshoot f(a)); make τ ≥ Δt`;
    if (learnTau && tau <= dt) return `a learned τ = Δt + softplus(ρ) is always above Δt = ${dt}; start it with --tau above ${dt}, or keep τ = ${tau} fixed`;
    return null;
  },
};

/** An additive spec's form, the default filled in. */
export function additiveForm(s: CellSpec): AdditiveForm { return s.additiveForm ?? "input"; }

const ADDITIVE: CellEntry = {
  type: "additive", label: "Additive", description: "additive recurrence: h = h + tanh(W·x + b) (input form) or h + tanh(W·x + R·h + b) (state form)",
  gates: ["increment"], options: ["additiveForm"], cellState: false,
  coreCode: (s) => (additiveForm(s) === "state" ? 7 : 6),
  torch: { module: null, options: [] },
  onnx: { op: "Scan", gateOrder: [0], attributes: () => [] }, // no ONNX operator: MatMul, Tanh, Add in a Scan (onnxExport.ts)
  heatmap: () => [
    { name: "hidden state", range: "unbounded", source: "hidden" },
    { name: "increment", range: "tanh", source: { gate: 0 } },
  ],
  coreBuffers: { states: 1, aux: 0, separateRecurrent: false },
  hasRecurrentWeights: (s) => additiveForm(s) === "state",
  unboundedState: true,
  variants: [{ label: "Additive", options: {} }, { label: "Additive (state form)", options: { additiveForm: "state" } }],
  optionsOfCore: (code) => ({ additiveForm: code === 7 ? "state" : "input" }),
  optionProblem: (s) => (s.additiveForm === undefined || ADDITIVE_FORMS.includes(s.additiveForm) ? null
    : `the additive form must be ${ADDITIVE_FORMS.join(" or ")}, not ${JSON.stringify(s.additiveForm)}`),
};

/** Every cell, in the order lists show them (the first is the default). */
export const CELLS: readonly CellEntry[] = [LSTM, GRU, RNN, CTRNN, ADDITIVE, MINGRU, MINLSTM];
export const CELL_TYPES: readonly CellType[] = CELLS.map((c) => c.type);

export function isCellType(v: unknown): v is CellType {
  return typeof v === "string" && (CELL_TYPES as readonly string[]).includes(v);
}

export function cellEntry(type: CellType): CellEntry {
  const c = CELLS.find((e) => e.type === type);
  if (!c) throw new RangeError(`no cell ${JSON.stringify(type)}; the cells are ${CELL_TYPES.join(", ")}`);
  return c;
}

export function gatesPerUnit(type: CellType): number {
  return cellEntry(type).gates.length;
}

/** Why the spec's cell options do not fit its cell, or null when they do (the cell itself must be known). */
export function cellOptionProblem(spec: CellSpec): string | null {
  const entry = cellEntry(spec.cell);
  if (!NONLINEARITIES.includes(spec.nonlinearity)) return `nonlinearity must be ${NONLINEARITIES.join(" or ")}, not ${spec.nonlinearity}`;
  if (spec.gruReset !== undefined && !GRU_RESETS.includes(spec.gruReset)) return `the GRU's reset (--gru-reset) must be ${GRU_RESETS.join(" or ")}, not ${JSON.stringify(spec.gruReset)}`;
  if (spec.gruReset === "before" && !entry.options.includes("gruReset")) return `reset before (--gru-reset) is only for GRU, not ${entry.label}`;
  if (spec.norm !== undefined && !CELL_NORMS.includes(spec.norm)) return `the normalisation (--norm) must be ${CELL_NORMS.join(", ")}, not ${JSON.stringify(spec.norm)}`;
  if (cellNorm(spec) !== "none" && !entry.options.includes("norm")) {
    return `normalisation (--norm ${spec.norm}) is built for LSTM and GRU only, not ${entry.label}: ${entry.linearRecurrence ? "its gates read only the input, so there is no recurrent pre-activation to normalise" : "use --cell lstm or --cell gru"}`;
  }
  const on = (["peephole", "coupled"] as const).filter((o) => spec[o] && !entry.options.includes(o));
  if (on.length) {
    const owners = CELLS.filter((c) => on.every((o) => c.options.includes(o))).map((c) => c.label).join(" or ");
    return `${on.map((o) => (o === "peephole" ? "peepholes" : "coupled gates")).join(" and ")} are only for ${owners || "no cell"}, not ${entry.label}`;
  }
  // the optional options: present (and not their default-off value) only on the cells that have them
  const given = (["tau", "learnTau", "dt", "additiveForm"] as const).filter((o) => spec[o] !== undefined && spec[o] !== false && !entry.options.includes(o));
  if (given.length) {
    const flag = { tau: "--tau", learnTau: "--learn-tau", dt: "--dt", additiveForm: "--additive-form" };
    const owner = (o: CellOption) => CELLS.filter((c) => c.options.includes(o)).map((c) => c.label).join(" or ");
    return `${flag[given[0]]} is only for ${owner(given[0])}, not ${entry.label}`;
  }
  if (spec.bidirectional && entry.linearRecurrence) return `${entry.label} cannot be bidirectional: its whole-window solver runs forwards only (use LSTM, GRU or RNN)`;
  return entry.optionProblem?.(spec) ?? null;
}

/** The cell's own [1, H] tensors per layer for a spec, in the core's order. */
export function ownTensorKinds(spec: CellSpec): readonly TensorKind[] {
  const entry = cellEntry(spec.cell);
  if (entry.ownTensors) return entry.ownTensors(spec);
  return spec.peephole && entry.options.includes("peephole") ? [TensorKind.PeepI, TensorKind.PeepF, TensorKind.PeepO] : [];
}

/** Whether the spec's layers lack b_ih and b_hh (the cell's own tensors hold its biases). */
export function ownBiases(spec: CellSpec): boolean {
  return cellEntry(spec.cell).ownBiases?.(spec) ?? false;
}

/** Whether the spec's layers have W_hh and b_hh. */
export function hasRecurrentWeights(spec: CellSpec): boolean {
  return cellEntry(spec.cell).hasRecurrentWeights?.(spec) ?? true;
}

/** The spec options configure()'s arguments stand for beyond the cell type (limits.ts sizes a core from them). */
export function cellOptionsOfCoreShape(shape: CoreShape): Partial<CellSpec> {
  return cellEntry(cellTypeOfCoreCode(shape.cell)).optionsOfCore?.(shape.cell, shape.flags) ?? {};
}

/** configure()'s arguments for a spec. */
export function coreShape(spec: CellSpec): CoreShape {
  const entry = cellEntry(spec.cell);
  const flags = (spec.peephole ? CoreFlag.Peephole : 0) | (spec.coupled ? CoreFlag.Coupled : 0) | (spec.residual ? CoreFlag.Residual : 0)
    | (spec.gruReset === "before" && entry.options.includes("gruReset") ? CoreFlag.ResetBefore : 0)
    | (spec.learnTau && entry.options.includes("learnTau") ? CoreFlag.LearnTau : 0)
    | (entry.options.includes("norm") ? (cellNorm(spec) === "layer" ? CoreFlag.LayerNorm : cellNorm(spec) === "batch" ? CoreFlag.BatchNorm : 0) : 0)
    | (spec.bidirectional ? CoreFlag.Bidirectional : 0) | (spec.crf ? CoreFlag.CrfTensors : 0);
  const shape: CoreShape = { cell: entry.coreCode(spec), layers: spec.layers, vocab: spec.vocabSize, embed: spec.embed, hidden: spec.hidden, flags,
    ...(spec.outputs !== undefined ? { outputs: spec.outputs } : {}) };
  const constants = entry.constants?.(spec);
  return constants ? { ...shape, constants } : shape;
}

/**
 * The core's tensor table in closed form, as configure() lays it out: the embedding [V, E] (when
 * E > 0); per layer W_ih [in, G·H], W_hh [H, G·H], b_ih and b_hh [1, G·H], and with peepholes
 * p_i, p_f, p_o [1, H]; then the head [H, V] and its bias [1, V]. in = E, or V for one-hot input,
 * or H above the first layer. Offsets count elements into the block.
 */
export function tensorTable(spec: CellSpec): TensorSlot[] {
  const H = spec.hidden, V = spec.vocabSize, GH = gatesPerUnit(spec.cell) * H;
  const own = ownTensorKinds(spec), recurrent = hasRecurrentWeights(spec), biases = !ownBiases(spec);
  const slots: TensorSlot[] = [];
  let offset = 0;
  let direction = 0;
  const add = (kind: TensorKind, layer: number, rows: number, cols: number) => {
    slots.push(direction === 1 ? { kind, layer, offset, rows, cols, direction } : { kind, layer, offset, rows, cols });
    offset += rows * cols;
  };
  const D = directionCount(spec), O = headWidth(spec);
  if (spec.embed > 0) add(TensorKind.Embed, -1, V, spec.embed);
  for (let l = 0; l < spec.layers; l++) {
    for (direction = 0; direction < D; direction++) {
      add(TensorKind.WeightIh, l, l > 0 ? D * H : spec.embed > 0 ? spec.embed : V, GH);
      if (recurrent) add(TensorKind.WeightHh, l, H, GH);
      if (biases) add(TensorKind.BiasIh, l, 1, GH);
      if (recurrent && biases) add(TensorKind.BiasHh, l, 1, GH);
      for (const k of own) add(k, l, 1, spansGates(k) ? GH : H);
    }
  }
  direction = 0;
  add(TensorKind.HeadWeight, -1, D * H, O);
  add(TensorKind.HeadBias, -1, 1, O);
  if (spec.crf) {
    add(TensorKind.CrfTransitions, -1, O, O);
    add(TensorKind.CrfStart, -1, 1, O);
    add(TensorKind.CrfEnd, -1, 1, O);
  }
  return slots;
}

/** The buffers the core gives this spec's cell per layer (its options may change them). */
export function cellCoreBuffers(spec: CellSpec): { states: number; aux: number; separateRecurrent: boolean; recurrentProducts?: number } {
  const entry = cellEntry(spec.cell);
  return entry.coreBuffersOf ? entry.coreBuffersOf(spec) : entry.coreBuffers;
}

/** The number of parameters of a spec, in closed form (the sum of tensorTable's sizes). */
export function parameterCount(spec: CellSpec): number {
  const H = spec.hidden, V = spec.vocabSize, GH = gatesPerUnit(spec.cell) * H;
  const own = ownTensorKinds(spec).reduce((sum, k) => sum + (spansGates(k) ? GH : H), 0), recurrent = hasRecurrentWeights(spec);
  const biases = ownBiases(spec) ? 0 : recurrent ? 2 * GH : GH;
  let n = spec.embed > 0 ? V * spec.embed : 0;
  const D = directionCount(spec), O = headWidth(spec);
  for (let l = 0; l < spec.layers; l++) {
    const input = l > 0 ? D * H : spec.embed > 0 ? spec.embed : V;
    n += D * (input * GH + (recurrent ? H * GH : 0) + biases + own);
  }
  return n + D * H * O + O + (spec.crf ? O * O + 2 * O : 0);
}

/** PyTorch's state_dict name of a tensor (nn.Embedding "embed", nn.RNN/LSTM/GRU "rnn", nn.Linear "head"); peepholes have no PyTorch counterpart and get names of their own. */
export function torchTensorName(slot: TensorSlot): string {
  const l = slot.direction === 1 ? `${slot.layer}_reverse` : slot.layer;
  switch (slot.kind) {
    case TensorKind.Embed: return "embed.weight";
    case TensorKind.WeightIh: return `rnn.weight_ih_l${l}`;
    case TensorKind.WeightHh: return `rnn.weight_hh_l${l}`;
    case TensorKind.BiasIh: return `rnn.bias_ih_l${l}`;
    case TensorKind.BiasHh: return `rnn.bias_hh_l${l}`;
    case TensorKind.PeepI: return `rnn.weight_ci_l${l}`;
    case TensorKind.PeepF: return `rnn.weight_cf_l${l}`;
    case TensorKind.PeepO: return `rnn.weight_co_l${l}`;
    case TensorKind.CtrnnRho: return `rnn.tau_rho_l${l}`;
    case TensorKind.LnIhGain: return `rnn.ln_ih_gain_l${l}`;
    case TensorKind.LnIhBias: return `rnn.ln_ih_bias_l${l}`;
    case TensorKind.LnHhGain: return `rnn.ln_hh_gain_l${l}`;
    case TensorKind.LnHhBias: return `rnn.ln_hh_bias_l${l}`;
    case TensorKind.LnCGain: return `rnn.ln_c_gain_l${l}`;
    case TensorKind.LnCBias: return `rnn.ln_c_bias_l${l}`;
    case TensorKind.BnIhGain: return `rnn.bn_ih_gain_l${l}`;
    case TensorKind.BnIhBias: return `rnn.bn_ih_bias_l${l}`;
    case TensorKind.BnHhGain: return `rnn.bn_hh_gain_l${l}`;
    case TensorKind.BnHhBias: return `rnn.bn_hh_bias_l${l}`;
    case TensorKind.BnCGain: return `rnn.bn_c_gain_l${l}`;
    case TensorKind.BnCBias: return `rnn.bn_c_bias_l${l}`;
    case TensorKind.HeadWeight: return "head.weight";
    case TensorKind.HeadBias: return "head.bias";
    case TensorKind.CrfTransitions: return "crf.transitions";
    case TensorKind.CrfStart: return "crf.start_transitions";
    case TensorKind.CrfEnd: return "crf.end_transitions";
  }
}

/** The cells whose recurrent weight has `gates` blocks per unit (a PyTorch state_dict tells no more). */
/** The cell type configure()'s cell code `code` stands for. */
export function cellTypeOfCoreCode(code: number): CellType {
  for (const e of CELLS) {
    for (const nonlinearity of ["tanh", "relu"] as const) {
      for (const form of ADDITIVE_FORMS) {
        if (e.coreCode({ cell: e.type, nonlinearity, layers: 1, hidden: 1, embed: 0, vocabSize: 2, peephole: false, coupled: false, residual: false, additiveForm: form }) === code) return e.type;
      }
    }
  }
  throw new RangeError(`no cell has core code ${code}`);
}

export function cellsWithGates(gates: number): CellEntry[] {
  return CELLS.filter((c) => c.gates.length === gates);
}
