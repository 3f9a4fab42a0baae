// What a model is, independent of the core's memory layout, and how its tensors are named and shaped
// in PyTorch's state_dict (nn.Embedding "embed", nn.RNN/LSTM/GRU "rnn", nn.Linear "head").

import { InputError } from "./inputError";
import { CellCode, CoreFlag, CoreShape, TensorKind, TensorSlot } from "./coreAbi";

export type CellType = "rnn" | "lstm" | "gru";
export type Nonlinearity = "tanh" | "relu";

export interface ModelSpec {
  cell: CellType;
  nonlinearity: Nonlinearity; // vanilla RNN only
  layers: number; // 1–4
  hidden: number;
  embed: number; // embedding width; 0 = one-hot input (a frozen identity table, never stored)
  vocabSize: number;
  peephole: boolean; // LSTM only
  coupled: boolean; // LSTM only: f = 1 − i
  residual: boolean; // y_l = h_l + x_l for layers above the first
}

export const MAX_LAYERS = 4;

export function validateSpec(spec: ModelSpec): void {
  const bad = (why: string): never => { throw new InputError(`invalid model: ${why}`); };
  if (!["rnn", "lstm", "gru"].includes(spec.cell)) bad(`cell must be rnn, lstm or gru, not ${spec.cell}`);
  if (!["tanh", "relu"].includes(spec.nonlinearity)) bad(`nonlinearity must be tanh or relu, not ${spec.nonlinearity}`);
  if (!Number.isInteger(spec.layers) || spec.layers < 1 || spec.layers > MAX_LAYERS) bad(`layers must be 1 to ${MAX_LAYERS}, not ${spec.layers}`);
  if (!Number.isInteger(spec.hidden) || spec.hidden < 1 || spec.hidden > 8192) bad(`hidden size must be 1 to 8192, not ${spec.hidden}`);
  if (!Number.isInteger(spec.embed) || spec.embed < 0 || spec.embed > 8192) bad(`embedding size must be 0 (one-hot) to 8192, not ${spec.embed}`);
  if (!Number.isInteger(spec.vocabSize) || spec.vocabSize < 2) bad(`vocabulary needs at least 2 characters, not ${spec.vocabSize}`);
  if (spec.cell !== "lstm" && (spec.peephole || spec.coupled)) bad("peepholes and coupled gates are LSTM options");
}

export function coreShape(spec: ModelSpec): CoreShape {
  const cell = spec.cell === "lstm" ? CellCode.Lstm : spec.cell === "gru" ? CellCode.Gru
    : spec.nonlinearity === "relu" ? CellCode.RnnRelu : CellCode.RnnTanh;
  const flags = (spec.peephole ? CoreFlag.Peephole : 0) | (spec.coupled ? CoreFlag.Coupled : 0) | (spec.residual ? CoreFlag.Residual : 0);
  return { cell, layers: spec.layers, vocab: spec.vocabSize, embed: spec.embed, hidden: spec.hidden, flags };
}

export function gatesPerUnit(cell: CellType): number {
  return cell === "lstm" ? 4 : cell === "gru" ? 3 : 1;
}

/** PyTorch's name for a core tensor. Peephole weights have no PyTorch counterpart; they get their own names. */
export function torchName(slot: TensorSlot): string {
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

/** Weight matrices are stored [in, out] in the core and [out, in] in PyTorch. */
export function isTransposedInTorch(slot: TensorSlot): boolean {
  return slot.kind === TensorKind.WeightIh || slot.kind === TensorKind.WeightHh || slot.kind === TensorKind.HeadWeight;
}

export function torchShape(slot: TensorSlot): number[] {
  if (isTransposedInTorch(slot)) return [slot.cols, slot.rows];
  if (slot.rows === 1) return [slot.cols];
  return [slot.rows, slot.cols];
}

/** Core layout → PyTorch layout (a new Float32Array). */
export function toTorchLayout(slot: TensorSlot, data: ArrayLike<number>): Float32Array {
  const out = new Float32Array(slot.rows * slot.cols);
  if (!isTransposedInTorch(slot)) {
    for (let k = 0; k < out.length; k++) out[k] = data[k];
    return out;
  }
  for (let r = 0; r < slot.rows; r++) for (let c = 0; c < slot.cols; c++) out[c * slot.rows + r] = data[r * slot.cols + c];
  return out;
}

/** PyTorch layout → core layout, written into `target`. */
export function fromTorchLayout(slot: TensorSlot, data: ArrayLike<number>, target: { [k: number]: number }): void {
  if (!isTransposedInTorch(slot)) {
    for (let k = 0; k < slot.rows * slot.cols; k++) target[k] = data[k];
    return;
  }
  for (let r = 0; r < slot.rows; r++) for (let c = 0; c < slot.cols; c++) target[r * slot.cols + c] = data[c * slot.rows + r];
}

/** One part of a model's description besides its cell and size, for a host that words it in the user's language. */
export type ModelOption =
  | { kind: "one-hot" }
  | { kind: "embedding"; size: number }
  | { kind: "vocabulary"; size: number }
  | { kind: "peepholes" }
  | { kind: "coupled" }
  | { kind: "residual" };

/** What a model is, in parts: every place that names a model (log, CLI, explorer, panels) starts from this. */
export interface ModelDescription {
  cell: string; // "LSTM", "GRU", "RNN (tanh)", "RNN (relu)": names, never translated
  layers: number;
  hidden: number;
  size: string; // "2×128" (layers × hidden units)
  options: ModelOption[]; // input, vocabulary, then the cell's options
  english: string; // "LSTM 2×128, one-hot input, vocabulary 65, peepholes"
}

const ENGLISH_OPTION: { [K in ModelOption["kind"]]: (o: Extract<ModelOption, { kind: K }>) => string } = {
  "one-hot": () => "one-hot input", embedding: (o) => `embedding ${o.size}`, vocabulary: (o) => `vocabulary ${o.size}`,
  peepholes: () => "peepholes", coupled: () => "coupled i/f", residual: () => "residual",
};

export function describeModel(spec: ModelSpec): ModelDescription {
  const cell = spec.cell === "rnn" ? `RNN (${spec.nonlinearity})` : spec.cell.toUpperCase();
  const options: ModelOption[] = [spec.embed === 0 ? { kind: "one-hot" } : { kind: "embedding", size: spec.embed }, { kind: "vocabulary", size: spec.vocabSize }];
  if (spec.peephole) options.push({ kind: "peepholes" });
  if (spec.coupled) options.push({ kind: "coupled" });
  if (spec.residual) options.push({ kind: "residual" });
  const size = `${spec.layers}×${spec.hidden}`;
  const english = [`${cell} ${size}`, ...options.map((o) => (ENGLISH_OPTION[o.kind] as (o: ModelOption) => string)(o))].join(", ");
  return { cell, layers: spec.layers, hidden: spec.hidden, size, options, english };
}

/** The English description (the CLI and the log): "LSTM 2×128, one-hot input, vocabulary 65". */
export function describeSpec(spec: ModelSpec): string {
  return describeModel(spec).english;
}
