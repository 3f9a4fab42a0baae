// The cell registry: everything the TypeScript side knows about a recurrent cell, in one entry per
// cell. Every other file reads it (validation, the core's configure code, initialisation, PyTorch
// names and import, ONNX export, the heatmap's quantities, the closed-form parameter count,
// experiments, the CLI's and the settings' lists). Adding a cell = one core file (src/wasm) + one
// entry here + its tests and fixtures; see ARCHITECTURE.md.
//
// Nothing here loads the core: the extension host's thread reads this file (parameter counts for the
// explorer, the comparison panel and the dashboard) and must never instantiate wasm.

import { CoreFlag, CoreShape, TensorKind, TensorSlot } from "../core/coreAbi";

export type CellType = "rnn" | "lstm" | "gru" | "mingru" | "minlstm";
export type Nonlinearity = "tanh" | "relu";
export const NONLINEARITIES: readonly Nonlinearity[] = ["tanh", "relu"];

/** The cell-specific options of a ModelSpec (the spec's field names). */
export type CellOption = "nonlinearity" | "peephole" | "coupled";

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
}

/** How a quantity's values are bounded: gates in [0, 1], tanh outputs in [−1, 1], the rest unbounded. */
export type QuantityRange = "gate" | "tanh" | "unbounded";
export interface QuantityInfo { name: string; range: QuantityRange }
/** A heatmap quantity and where the core holds it: a gate block of the gates buffer (core order) or a state buffer. */
export interface HeatmapQuantity extends QuantityInfo { source: { gate: number } | "cell" | "hidden" }

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
  readonly torch: { module: "RNN" | "LSTM" | "GRU" | "MinGRU" | "MinLSTM"; options: readonly CellOption[] };
  /**
   * ONNX operator: `gateOrder[k]` is the core gate block that ONNX's gate k takes; peepholes in
   * ONNX's order (i, o, f); the operator's cell-specific attributes.
   */
  readonly onnx: { op: "RNN" | "LSTM" | "GRU" | "Scan"; gateOrder: readonly number[]; peepholes?: readonly TensorKind[]; attributes(spec: CellSpec): OnnxAttribute[] };
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
  gates: ["input", "forget", "candidate", "output"], options: ["peephole", "coupled"], cellState: true,
  coreCode: () => 2,
  torch: { module: "LSTM", options: [] },
  onnx: {
    op: "LSTM", gateOrder: [0, 3, 1, 2], peepholes: [TensorKind.PeepI, TensorKind.PeepO, TensorKind.PeepF],
    attributes: (s) => (s.coupled ? [{ name: "input_forget", i: 1 }] : []),
  },
  heatmap: () => [
    { name: "input gate", range: "gate", source: { gate: 0 } },
    { name: "forget gate", range: "gate", source: { gate: 1 } },
    { name: "output gate", range: "gate", source: { gate: 3 } },
    { name: "candidate", range: "tanh", source: { gate: 2 } },
    { name: "cell state", range: "unbounded", source: "cell" },
    { name: "hidden state", range: "tanh", source: "hidden" },
  ],
  forgetGate: 1,
  coreBuffers: { states: 2, aux: 1, separateRecurrent: false }, // h and c; tanh(c)
};

const GRU: CellEntry = {
  type: "gru", label: "GRU", description: "gated recurrent unit: reset and update gates, no separate cell state",
  gates: ["reset", "update", "new"], options: [], cellState: false,
  coreCode: () => 3,
  torch: { module: "GRU", options: [] },
  // PyTorch's GRU applies the reset gate after the recurrent product: ONNX's linear_before_reset = 1
  onnx: { op: "GRU", gateOrder: [1, 0, 2], attributes: () => [{ name: "linear_before_reset", i: 1 }] },
  heatmap: () => [
    { name: "reset gate", range: "gate", source: { gate: 0 } },
    { name: "update gate", range: "gate", source: { gate: 1 } },
    { name: "candidate", range: "tanh", source: { gate: 2 } },
    { name: "hidden state", range: "tanh", source: "hidden" },
  ],
  coreBuffers: { states: 1, aux: 1, separateRecurrent: true }, // W_hn·h + b_hn; the reset gate multiplies it
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
};

/** Every cell, in the order lists show them (the first is the default). */
export const CELLS: readonly CellEntry[] = [LSTM, GRU, RNN, MINGRU, MINLSTM];
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
  const on = (["peephole", "coupled"] as const).filter((o) => spec[o] && !entry.options.includes(o));
  if (on.length) {
    const owners = CELLS.filter((c) => on.every((o) => c.options.includes(o))).map((c) => c.label).join(" or ");
    return `${on.map((o) => (o === "peephole" ? "peepholes" : "coupled gates")).join(" and ")} are only for ${owners || "no cell"}, not ${entry.label}`;
  }
  return null;
}

/** configure()'s arguments for a spec. */
export function coreShape(spec: CellSpec): CoreShape {
  const entry = cellEntry(spec.cell);
  const flags = (spec.peephole ? CoreFlag.Peephole : 0) | (spec.coupled ? CoreFlag.Coupled : 0) | (spec.residual ? CoreFlag.Residual : 0);
  return { cell: entry.coreCode(spec), layers: spec.layers, vocab: spec.vocabSize, embed: spec.embed, hidden: spec.hidden, flags };
}

/**
 * The core's tensor table in closed form, as configure() lays it out: the embedding [V, E] (when
 * E > 0); per layer W_ih [in, G·H], W_hh [H, G·H], b_ih and b_hh [1, G·H], and with peepholes
 * p_i, p_f, p_o [1, H]; then the head [H, V] and its bias [1, V]. in = E, or V for one-hot input,
 * or H above the first layer. Offsets count elements into the block.
 */
export function tensorTable(spec: CellSpec): TensorSlot[] {
  const H = spec.hidden, V = spec.vocabSize, GH = gatesPerUnit(spec.cell) * H;
  const peephole = spec.peephole && cellEntry(spec.cell).options.includes("peephole");
  const recurrent = !cellEntry(spec.cell).linearRecurrence;
  const slots: TensorSlot[] = [];
  let offset = 0;
  const add = (kind: TensorKind, layer: number, rows: number, cols: number) => {
    slots.push({ kind, layer, offset, rows, cols });
    offset += rows * cols;
  };
  if (spec.embed > 0) add(TensorKind.Embed, -1, V, spec.embed);
  for (let l = 0; l < spec.layers; l++) {
    add(TensorKind.WeightIh, l, l > 0 ? H : spec.embed > 0 ? spec.embed : V, GH);
    if (recurrent) add(TensorKind.WeightHh, l, H, GH);
    add(TensorKind.BiasIh, l, 1, GH);
    if (recurrent) add(TensorKind.BiasHh, l, 1, GH);
    if (peephole) for (const k of [TensorKind.PeepI, TensorKind.PeepF, TensorKind.PeepO]) add(k, l, 1, H);
  }
  add(TensorKind.HeadWeight, -1, H, V);
  add(TensorKind.HeadBias, -1, 1, V);
  return slots;
}

/** The number of parameters of a spec, in closed form (the sum of tensorTable's sizes). */
export function parameterCount(spec: CellSpec): number {
  const H = spec.hidden, V = spec.vocabSize, GH = gatesPerUnit(spec.cell) * H;
  const peephole = spec.peephole && cellEntry(spec.cell).options.includes("peephole");
  let n = spec.embed > 0 ? V * spec.embed : 0;
  for (let l = 0; l < spec.layers; l++) {
    const input = l > 0 ? H : spec.embed > 0 ? spec.embed : V;
    n += cellEntry(spec.cell).linearRecurrence ? input * GH + GH : input * GH + H * GH + 2 * GH + (peephole ? 3 * H : 0);
  }
  return n + H * V + V;
}

/** PyTorch's state_dict name of a tensor (nn.Embedding "embed", nn.RNN/LSTM/GRU "rnn", nn.Linear "head"); peepholes have no PyTorch counterpart and get names of their own. */
export function torchTensorName(slot: TensorSlot): string {
  const l = slot.layer;
  switch (slot.kind) {
    case TensorKind.Embed: return "embed.weight";
    case TensorKind.WeightIh: return `rnn.weight_ih_l${l}`;
    case TensorKind.WeightHh: return `rnn.weight_hh_l${l}`;
    case TensorKind.BiasIh: return `rnn.bias_ih_l${l}`;
    case TensorKind.BiasHh: return `rnn.bias_hh_l${l}`;
    case TensorKind.PeepI: return `rnn.weight_ci_l${l}`;
    case TensorKind.PeepF: return `rnn.weight_cf_l${l}`;
    case TensorKind.PeepO: return `rnn.weight_co_l${l}`;
    case TensorKind.HeadWeight: return "head.weight";
    case TensorKind.HeadBias: return "head.bias";
  }
}

/** The cells whose recurrent weight has `gates` blocks per unit (a PyTorch state_dict tells no more). */
/** The cell type configure()'s cell code `code` stands for. */
export function cellTypeOfCoreCode(code: number): CellType {
  for (const e of CELLS) {
    for (const nonlinearity of ["tanh", "relu"] as const) {
      if (e.coreCode({ cell: e.type, nonlinearity, layers: 1, hidden: 1, embed: 0, vocabSize: 2, peephole: false, coupled: false, residual: false }) === code) return e.type;
    }
  }
  throw new RangeError(`no cell has core code ${code}`);
}

export function cellsWithGates(gates: number): CellEntry[] {
  return CELLS.filter((c) => c.gates.length === gates);
}
