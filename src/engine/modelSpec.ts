// What a model is, independent of the core's memory layout, and how its tensors are named and shaped
// in PyTorch's state_dict (nn.Embedding "embed", nn.RNN/LSTM/GRU "rnn", nn.Linear "head").

import { InputError } from "./inputError";
import { CellCode, CoreFlag, CoreShape, TensorKind, TensorSlot } from "./coreAbi";
import { LIMITS } from "./limits";

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

export const MAX_LAYERS = LIMITS.layers.max;

export function validateSpec(spec: ModelSpec): void {
  const bad = (why: string): never => { throw new InputError(`invalid model: ${why}`); };
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) bad("the model description is not an object");
  const got = (v: unknown) => (v === undefined ? "but it is missing" : `not ${JSON.stringify(v)}`);
  const int = (v: unknown, range: { min: number; max: number }, what: string) => {
    if (!Number.isInteger(v) || (v as number) < range.min || (v as number) > range.max) bad(`${what} must be ${range.min} to ${range.max}, ${got(v)}`);
  };
  if (!["rnn", "lstm", "gru"].includes(spec.cell)) bad(`cell must be rnn, lstm or gru, ${got(spec.cell)}`);
  if (!["tanh", "relu"].includes(spec.nonlinearity)) bad(`nonlinearity must be tanh or relu, ${got(spec.nonlinearity)}`);
  int(spec.layers, LIMITS.layers, "layers");
  int(spec.hidden, LIMITS.hidden, "hidden size");
  int(spec.embed, LIMITS.embed, "embedding size (0 = one-hot)");
  if (Number.isInteger(spec.vocabSize) && spec.vocabSize < LIMITS.vocabulary.min) bad(`vocabulary needs at least 2 characters, not ${spec.vocabSize}`);
  int(spec.vocabSize, LIMITS.vocabulary, "vocabulary size");
  for (const flag of ["peephole", "coupled", "residual"] as const) if (typeof spec[flag] !== "boolean") bad(`${flag} must be true or false, ${got(spec[flag])}`);
  if (spec.cell !== "lstm" && (spec.peephole || spec.coupled)) bad("peepholes and coupled gates are LSTM options");
}

/**
 * The core's tensor table for a spec, computed here without making a core (network.ts configure():
 * embedding, then per layer W_ih, W_hh, b_ih, b_hh and the peepholes, then the head), so that a
 * checkpoint's claims can be checked before anything is allocated. limits.test.ts compares it with a core's.
 */
export function tensorLayout(spec: ModelSpec): TensorSlot[] {
  const GH = spec.hidden * gatesPerUnit(spec.cell);
  const slots: TensorSlot[] = [];
  let offset = 0;
  const add = (kind: TensorKind, layer: number, rows: number, cols: number) => {
    slots.push({ kind, layer, offset, rows, cols });
    offset += rows * cols;
  };
  if (spec.embed > 0) add(TensorKind.Embed, -1, spec.vocabSize, spec.embed);
  for (let l = 0; l < spec.layers; l++) {
    add(TensorKind.WeightIh, l, l === 0 ? (spec.embed > 0 ? spec.embed : spec.vocabSize) : spec.hidden, GH);
    add(TensorKind.WeightHh, l, spec.hidden, GH);
    add(TensorKind.BiasIh, l, 1, GH);
    add(TensorKind.BiasHh, l, 1, GH);
    if (spec.cell === "lstm" && spec.peephole) {
      add(TensorKind.PeepI, l, 1, spec.hidden);
      add(TensorKind.PeepF, l, 1, spec.hidden);
      add(TensorKind.PeepO, l, 1, spec.hidden);
    }
  }
  add(TensorKind.HeadWeight, -1, spec.hidden, spec.vocabSize);
  add(TensorKind.HeadBias, -1, 1, spec.vocabSize);
  return slots;
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

export function describeSpec(spec: ModelSpec): string {
  const cell = spec.cell === "rnn" ? `RNN(${spec.nonlinearity})` : spec.cell.toUpperCase();
  const extras = [spec.peephole && "peepholes", spec.coupled && "coupled i/f", spec.residual && "residual"].filter(Boolean);
  const input = spec.embed === 0 ? "one-hot input" : `embedding ${spec.embed}`;
  return `${cell} ${spec.layers}×${spec.hidden}, ${input}, vocabulary ${spec.vocabSize}${extras.length ? ", " + extras.join(", ") : ""}`;
}
