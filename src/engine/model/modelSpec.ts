// What a model is, independent of the core's memory layout, and how its tensors are named and shaped
// in PyTorch's state_dict (nn.Embedding "embed", nn.RNN/LSTM/GRU "rnn", nn.Linear "head").

import { InputError, found } from "../messages/inputError";
import { TensorKind, TensorSlot } from "../core/coreAbi";
import { AdditiveForm, CELL_TYPES, CellNorm, CellType, GruReset, Nonlinearity, additiveForm, cellEntry, cellOptionProblem, ctrnnOptions, isCellType } from "./cells";
import { LIMITS } from "../core/limits";

// The cell list, its options and the core's shape live in the registry (cells.ts).
export type { CellNorm, CellType, GruReset, Nonlinearity } from "./cells";
export { coreShape, gatesPerUnit, torchTensorName as torchName } from "./cells";

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
  // Cell options added later: optional, absent = the default, present only on the cells that have them.
  tau?: number; // CTRNN: time constant τ per unit (fixed, or the learned one's start); default 4
  learnTau?: boolean; // CTRNN: τ = Δt + softplus(ρ) learned per unit; default false
  dt?: number; // CTRNN: Euler step Δt, α = Δt/τ; default 1
  additiveForm?: AdditiveForm; // additive: "input" h + tanh(W x + b) or "state" h + tanh(W x + R h + b); default "input"
  gruReset?: GruReset; // GRU only: the reset gate after (PyTorch, absent = after) or before (TensorFlow) the recurrent product
  norm?: CellNorm; // LSTM, GRU: "layer" or "batch" normalisation inside the cell (docs/cells.md); absent = "none"
  outputs?: number; // the head's width O when it is not the vocabulary: classes or tags (absent = vocabSize)
  bidirectional?: boolean; // two directions per layer (PyTorch's bidirectional = True); absent = false
  crf?: boolean; // the CRF's transition, start and end scores in the parameter block (tagging with --crf); absent = false
}

export const MAX_LAYERS = LIMITS.layers.max;

export function validateSpec(spec: ModelSpec): void {
  const bad = (why: string): never => { throw new InputError(`invalid model: ${why}`); };
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) bad("the model description is not an object");
  const int = (v: unknown, range: { min: number; max: number }, what: string) => {
    if (!Number.isInteger(v) || (v as number) < range.min || (v as number) > range.max) bad(`${what} must be ${range.min} to ${range.max}, ${found(v)}`);
  };
  if (!isCellType(spec.cell)) bad(`cell must be one of ${CELL_TYPES.join(", ")}, ${found(spec.cell)}`);
  if (!["tanh", "relu"].includes(spec.nonlinearity)) bad(`nonlinearity must be tanh or relu, ${found(spec.nonlinearity)}`);
  int(spec.layers, LIMITS.layers, "layers");
  int(spec.hidden, LIMITS.hidden, "hidden size");
  int(spec.embed, LIMITS.embed, "embedding size (0 = one-hot)");
  if (Number.isInteger(spec.vocabSize) && spec.vocabSize < LIMITS.vocabulary.min) bad(`vocabulary needs at least 2 characters, not ${spec.vocabSize}`);
  int(spec.vocabSize, LIMITS.vocabulary, "vocabulary size");
  if (spec.outputs !== undefined) int(spec.outputs, LIMITS.vocabulary, "head width (classes or tags)");
  for (const flag of ["peephole", "coupled", "residual"] as const) if (typeof spec[flag] !== "boolean") bad(`${flag} must be true or false, ${found(spec[flag])}`);
  for (const key of ["tau", "dt"] as const) if (spec[key] !== undefined && typeof spec[key] !== "number") bad(`${key} must be a number, ${found(spec[key])}`);
  if (spec.learnTau !== undefined && typeof spec.learnTau !== "boolean") bad(`learnTau must be true or false, ${found(spec.learnTau)}`);
  for (const key of ["bidirectional", "crf"] as const) if (spec[key] !== undefined && typeof spec[key] !== "boolean") bad(`${key} must be true or false, ${found(spec[key])}`);
  const cellProblem = cellOptionProblem(spec);
  if (cellProblem) bad(cellProblem);
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
  | { kind: "residual" }
  | { kind: "tau"; tau: number; learned: boolean }
  | { kind: "dt"; dt: number }
  | { kind: "additive-form"; form: AdditiveForm }
  | { kind: "reset-before" }
  | { kind: "layer-norm" }
  | { kind: "batch-norm" }
  | { kind: "bidirectional" };

/** What a model is, in parts: every place that names a model (log, CLI, explorer, panels) starts from this. */
export interface ModelDescription {
  cell: string; // "LSTM", "GRU", "RNN (tanh)", "RNN (relu)", "minGRU": names, never translated
  layers: number;
  hidden: number;
  size: string; // "2×128" (layers × hidden units)
  options: ModelOption[]; // input, vocabulary, then the cell's options
  english: string; // "LSTM 2×128, one-hot input, vocabulary 65, peepholes" ("LSTM 1×128, bidirectional, …")
}

const ENGLISH_OPTION: { [K in ModelOption["kind"]]: (o: Extract<ModelOption, { kind: K }>) => string } = {
  "one-hot": () => "one-hot input", embedding: (o) => `embedding ${o.size}`, vocabulary: (o) => `vocabulary ${o.size}`,
  peepholes: () => "peepholes", coupled: () => "coupled i/f", residual: () => "residual",
  tau: (o) => `τ ${o.tau}${o.learned ? " (learned)" : ""}`, dt: (o) => `Δt ${o.dt}`, "additive-form": (o) => `${o.form} form`, "reset-before": () => "reset before", "layer-norm": () => "layer norm", "batch-norm": () => "batch norm",
  bidirectional: () => "bidirectional",
};

export function describeModel(spec: ModelSpec): ModelDescription {
  const entry = cellEntry(spec.cell);
  const cell = entry.options.includes("nonlinearity") ? `${entry.label} (${spec.nonlinearity})` : entry.label;
  // bidirectional first: it doubles every layer's output, so it belongs with the size
  const options: ModelOption[] = spec.bidirectional ? [{ kind: "bidirectional" }] : [];
  options.push(spec.embed === 0 ? { kind: "one-hot" } : { kind: "embedding", size: spec.embed }, { kind: "vocabulary", size: spec.vocabSize });
  if (spec.peephole) options.push({ kind: "peepholes" });
  if (spec.coupled) options.push({ kind: "coupled" });
  if (entry.options.includes("tau")) {
    const o = ctrnnOptions(spec);
    options.push({ kind: "tau", tau: o.tau, learned: o.learnTau });
    if (o.dt !== 1) options.push({ kind: "dt", dt: o.dt });
  }
  if (entry.options.includes("additiveForm")) options.push({ kind: "additive-form", form: additiveForm(spec) });
  if (spec.residual) options.push({ kind: "residual" });
  if (spec.gruReset === "before") options.push({ kind: "reset-before" });
  if (spec.norm === "layer") options.push({ kind: "layer-norm" });
  if (spec.norm === "batch") options.push({ kind: "batch-norm" });
  const size = `${spec.layers}×${spec.hidden}`;
  const english = [`${cell} ${size}`, ...options.map((o) => (ENGLISH_OPTION[o.kind] as (o: ModelOption) => string)(o))].join(", ");
  return { cell, layers: spec.layers, hidden: spec.hidden, size, options, english };
}

/** The network alone in English, without its input and vocabulary (a forecaster reads values): "GRU 1×32, reset before". */
export function describeNetwork(spec: ModelSpec): string {
  const d = describeModel(spec);
  const own = d.options.filter((o) => o.kind !== "one-hot" && o.kind !== "embedding" && o.kind !== "vocabulary");
  return [`${d.cell} ${d.size}`, ...own.map((o) => (ENGLISH_OPTION[o.kind] as (o: ModelOption) => string)(o))].join(", ");
}

/** The English description (the CLI and the log): "LSTM 2×128, one-hot input, vocabulary 65". */
export function describeSpec(spec: ModelSpec): string {
  return describeModel(spec).english;
}
