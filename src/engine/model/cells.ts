// The cell registry: everything the TypeScript side knows about a recurrent cell, in one entry per
// cell. Every other file reads it (validation, the core's configure code, initialisation, PyTorch
// names and import, ONNX export, the heatmap's quantities, the closed-form parameter count,
// experiments, the CLI's and the settings' lists). Adding a cell = one core file (src/wasm) + one
// entry here + its tests and fixtures; see ARCHITECTURE.md.
//
// Nothing here loads the core: the extension host's thread reads this file (parameter counts for the
// explorer, the comparison panel and the dashboard) and must never instantiate wasm.

import { CoreFlag, CoreShape, TensorKind, TensorSlot } from "../core/coreAbi";

export type CellType = "rnn" | "lstm" | "gru";
export type Nonlinearity = "tanh" | "relu";
export const NONLINEARITIES: readonly Nonlinearity[] = ["tanh", "relu"];
/** Where the GRU's reset gate acts: after the recurrent product (PyTorch, the default) or before it (TensorFlow/Keras, Cho et al. 2014). */
export type GruReset = "after" | "before";
export const GRU_RESETS: readonly GruReset[] = ["after", "before"];

/** The cell-specific options of a ModelSpec (the spec's field names). */
export type CellOption = "nonlinearity" | "peephole" | "coupled" | "gruReset";

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
  gruReset?: GruReset; // GRU only; absent = "after"
}

/** How a quantity's values are bounded: gates in [0, 1], tanh outputs in [−1, 1], the rest unbounded. */
export type QuantityRange = "gate" | "tanh" | "unbounded";
export interface QuantityInfo { name: string; range: QuantityRange }
/** A heatmap quantity and where the core holds it: a gate block of the gates buffer (core order) or a state buffer. */
export interface HeatmapQuantity extends QuantityInfo {
  /** gateTimesPreviousHidden: gate block k times the state the step started from (the reset state r ∘ h_{t−1}). */
  source: { gate: number } | { gateTimesPreviousHidden: number } | "cell" | "hidden";
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
  readonly torch: { module: "RNN" | "LSTM" | "GRU"; options: readonly CellOption[] };
  /**
   * ONNX operator: `gateOrder[k]` is the core gate block that ONNX's gate k takes; peepholes in
   * ONNX's order (i, o, f); the operator's cell-specific attributes.
   */
  readonly onnx: { op: "RNN" | "LSTM" | "GRU"; gateOrder: readonly number[]; peepholes?: readonly TensorKind[]; attributes(spec: CellSpec): OnnxAttribute[] };
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
  /** coreBuffers where an option changes them (recurrentProducts 2: W_hh packed in two column parts, network.ts). */
  coreBuffersOf?(spec: CellSpec): { states: number; aux: number; separateRecurrent: boolean; recurrentProducts?: number };
  /**
   * The option sets worth training and showing one of each (tests, comparisons): each a label and
   * the spec fields it sets. Absent = the cell with its defaults only.
   */
  readonly variants?: readonly { label: string; options: Partial<CellSpec> }[];
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
  gates: ["reset", "update", "new"], options: ["gruReset"], cellState: false,
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
    { name: "hidden state", range: "tanh", source: "hidden" },
  ],
  coreBuffers: { states: 1, aux: 1, separateRecurrent: true }, // W_hn·h + b_hn; the reset gate multiplies it
  // reset before: both products go into the gates; aux keeps r ∘ h_{t−1}, the second product's source
  coreBuffersOf: (s) => (s.gruReset === "before" ? { states: 1, aux: 1, separateRecurrent: false, recurrentProducts: 2 } : GRU.coreBuffers),
  variants: [{ label: "GRU", options: {} }, { label: "GRU (reset before)", options: { gruReset: "before" } }],
};

/** Every cell, in the order lists show them (the first is the default). */
export const CELLS: readonly CellEntry[] = [LSTM, GRU, RNN];
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
  const flags = (spec.peephole ? CoreFlag.Peephole : 0) | (spec.coupled ? CoreFlag.Coupled : 0) | (spec.residual ? CoreFlag.Residual : 0)
    | (spec.gruReset === "before" && entry.options.includes("gruReset") ? CoreFlag.ResetBefore : 0);
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
  const slots: TensorSlot[] = [];
  let offset = 0;
  const add = (kind: TensorKind, layer: number, rows: number, cols: number) => {
    slots.push({ kind, layer, offset, rows, cols });
    offset += rows * cols;
  };
  if (spec.embed > 0) add(TensorKind.Embed, -1, V, spec.embed);
  for (let l = 0; l < spec.layers; l++) {
    add(TensorKind.WeightIh, l, l > 0 ? H : spec.embed > 0 ? spec.embed : V, GH);
    add(TensorKind.WeightHh, l, H, GH);
    add(TensorKind.BiasIh, l, 1, GH);
    add(TensorKind.BiasHh, l, 1, GH);
    if (peephole) for (const k of [TensorKind.PeepI, TensorKind.PeepF, TensorKind.PeepO]) add(k, l, 1, H);
  }
  add(TensorKind.HeadWeight, -1, H, V);
  add(TensorKind.HeadBias, -1, 1, V);
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
  const peephole = spec.peephole && cellEntry(spec.cell).options.includes("peephole");
  let n = spec.embed > 0 ? V * spec.embed : 0;
  for (let l = 0; l < spec.layers; l++) {
    const input = l > 0 ? H : spec.embed > 0 ? spec.embed : V;
    n += input * GH + H * GH + 2 * GH + (peephole ? 3 * H : 0);
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
