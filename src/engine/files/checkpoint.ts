// RNN Lab's checkpoint: one .safetensors file. Model tensors carry PyTorch's state_dict names and
// layouts; a training checkpoint adds the optimizer moments ("optimizer.exp_avg.<name>",
// "optimizer.exp_avg_sq.<name>") and the carried hidden state ("state.h", "state.c": [layers, batch,
// hidden]). A batch-normalised model adds its running statistics (model/batchNormStats.ts:
// "rnn.bn_steps_seen", "rnn.bn_ih_running_mean_l0" [N, G·H], …). Architecture, vocabulary, the task (tasks/task.ts TaskCheckpoint: its name and metadata;
// absent = the character model) and the scalar training state are JSON strings in __metadata__.

import { cellEntry, parameterCount, tensorTable } from "../model/cells";
import { CharVocabulary, VocabularyJson } from "../model/charVocabulary";
import { ModelSpec, describeSpec, fromTorchLayout, toTorchLayout, torchName, torchShape, validateSpec } from "../model/modelSpec";
import { NamedTensor, SafetensorsError, SafetensorsHeader, encodeSafetensors, readSafetensorsHeader, tensorValues } from "../interop/safetensors";
import { checkMemory, inferenceMemory } from "../core/limits";
import { normStatTensors, normStatsLength, normStatsProblem } from "../model/batchNormStats";
import { TrainOptions, validateTrainOptions } from "../training/trainOptions";
import { found, userError } from "../messages/inputError";
import type { TaskCheckpoint } from "../tasks/task";
import { taskEntryProblem } from "../tasks/taskRegistry";

export const CHECKPOINT_FORMAT = "rnn-lab";
/** The newest format this reader reads. */
export const CHECKPOINT_VERSION = 2;

// Format 1 is what every RNN Lab before the cells of issue 17 reads: the cells LSTM, GRU (reset after)
// and RNN with the spec fields below. Such a reader ignores spec fields it does not know, so a GRU with
// reset before would load silently as PyTorch's reset-after GRU (same tensors, other maths). A
// checkpoint is written as format 2 exactly when its spec uses something format 1 does not have; the
// old readers refuse format 2 by name ("written by a newer RNN Lab"), and plain LSTM/GRU/RNN
// checkpoints stay format 1, readable by every version.
const FORMAT_1_CELLS: readonly string[] = ["lstm", "gru", "rnn"];
const FORMAT_1_FIELDS: readonly string[] = ["cell", "nonlinearity", "layers", "hidden", "embed", "vocabSize", "peephole", "coupled", "residual"];
/** Later fields whose value here means what a format-1 reader assumes without them (absent and false always do). */
const FORMAT_1_MEANING: Readonly<Record<string, unknown>> = { gruReset: "after", norm: "none" };

/** The format a reader needs for this spec: 1 where a format-1 reader reads it right, else 2. */
export function checkpointVersionFor(spec: ModelSpec): number {
  if (!FORMAT_1_CELLS.includes(spec.cell)) return 2;
  for (const [key, value] of Object.entries(spec)) {
    if (FORMAT_1_FIELDS.includes(key) || value === undefined || value === false || FORMAT_1_MEANING[key] === value) continue;
    return 2;
  }
  return 1;
}

export class CheckpointError extends Error {}

/** Where a run stands, enough to continue it exactly. */
export interface TrainingProgress {
  options: TrainOptions;
  step: number; // optimizer steps taken
  epoch: number;
  window: number; // next window of the epoch
  rng: number[]; // the core's generator state (4 × u32)
  corpus: { files: string[]; sha256: string; chars: number; trainChars: number };
  lastLoss: number;
  bestValLoss: number | null;
  lastValLoss: number | null;
  /** The best value of the task's selection metric when that is not val_loss (then it is bestValLoss). */
  bestSelection?: number | null;
  elapsedSeconds: number;
  charsSeen: number;
}

export interface TrainingState extends TrainingProgress {
  moment1: Float32Array; // core layout
  moment2: Float32Array;
  hidden: Float32Array; // [layers, batch, hidden]
  cell: Float32Array | null; // LSTM only
}

export interface Model {
  spec: ModelSpec;
  vocab: CharVocabulary;
  /** What the model is trained for; absent = the character model (every checkpoint before the task seam). */
  task?: TaskCheckpoint;
  params: Float32Array; // core layout
  /** A batch-normalised model's running statistics (Core.normStats() layout, model/batchNormStats.ts); absent for other cells. */
  normStats?: Float32Array;
  training: TrainingState | null;
}

// The core's tensor table and parameter count for a spec, in closed form from the cell registry: no
// core is made, so the extension host may call them (the explorer, the comparison panel, the dashboard).
export { tensorTable as tensorSlots, parameterCount as paramCount } from "../model/cells";

/** `extraMetadata` adds string entries to __metadata__ (readers ignore what they do not know). */
export function encodeCheckpoint(model: Model, extraMetadata: Record<string, string> = {}): Uint8Array {
  const slots = tensorTable(model.spec);
  const total = parameterCount(model.spec);
  for (const [what, block] of [["parameters", model.params], ["first moments", model.training?.moment1], ["second moments", model.training?.moment2]] as const) {
    if (block && block.length !== total) throw new CheckpointError(`cannot write a checkpoint: ${block.length} ${what} for a model of ${total}`);
  }
  const tensors: NamedTensor[] = [];
  const addBlock = (prefix: string, block: Float32Array) => {
    for (const slot of slots) {
      const data = toTorchLayout(slot, block.subarray(slot.offset, slot.offset + slot.rows * slot.cols));
      tensors.push({ name: prefix + torchName(slot), shape: torchShape(slot), data });
    }
  };
  addBlock("", model.params);
  const statTensors = normStatTensors(model.spec);
  if (statTensors.length > 0) {
    const stats = model.normStats;
    if (!stats || stats.length !== normStatsLength(model.spec)) throw new CheckpointError(`cannot write a checkpoint: a batch-normalised model needs its ${normStatsLength(model.spec)} running statistics, it has ${stats?.length ?? 0}`);
    for (const t of statTensors) tensors.push({ name: t.name, shape: t.rows === 1 ? [t.cols] : [t.rows, t.cols], data: stats.slice(t.offset, t.offset + t.rows * t.cols) });
  }
  const metadata: Record<string, string> = {
    ...extraMetadata,
    format: CHECKPOINT_FORMAT,
    format_version: String(checkpointVersionFor(model.spec)),
    model: JSON.stringify(model.spec),
    vocab: JSON.stringify(model.vocab.toJSON()),
    ...(model.task ? { task: JSON.stringify(model.task) } : {}),
  };
  const t = model.training;
  if (t) {
    addBlock("optimizer.exp_avg.", t.moment1);
    addBlock("optimizer.exp_avg_sq.", t.moment2);
    const stateShape = [model.spec.layers, t.options.batch, model.spec.hidden];
    tensors.push({ name: "state.h", shape: stateShape, data: t.hidden });
    if (t.cell) tensors.push({ name: "state.c", shape: stateShape, data: t.cell });
    const { moment1, moment2, hidden, cell, ...progress } = t;
    void moment1; void moment2; void hidden; void cell;
    metadata.training = JSON.stringify(progress);
  }
  return encodeSafetensors(tensors, metadata);
}

/**
 * Checks everything before allocating anything model-sized: the safetensors header, every metadata
 * field against its schema (types, ranges, consistency), the tensor set against the model the
 * metadata describes (none missing, none extra, exact shapes, float32), the memory the model needs
 * (limits.ts), then reads the tensors and refuses non-finite values. Every refusal is a
 * CheckpointError that starts with `name`.
 */
export function decodeCheckpoint(bytes: Uint8Array, name = "checkpoint"): Model {
  const fail = (why: string): never => { throw userError(CheckpointError, "checkpointWhy", name, why); };
  let file: SafetensorsHeader;
  try {
    file = readSafetensorsHeader(bytes);
  } catch (e) {
    if (e instanceof SafetensorsError) throw userError(CheckpointError, "notSafetensors", name, e.message);
    throw e;
  }
  const md = file.metadata;
  if (md.format !== CHECKPOINT_FORMAT) throw userError(CheckpointError, "notRnnLabCheckpoint", name);
  if (!/^[0-9]{1,9}$/.test(md.format_version ?? "")) fail(md.format_version === undefined ? "metadata \"format_version\" is missing" : `unreadable format version ${JSON.stringify(md.format_version)}`);
  const version = Number(md.format_version);
  if (version < 1) fail(`unreadable format version ${JSON.stringify(md.format_version)}`);
  if (version > CHECKPOINT_VERSION) throw userError(CheckpointError, "newerCheckpoint", name, version, CHECKPOINT_VERSION);
  const parse = (key: string): unknown => {
    if (md[key] === undefined) return fail(`metadata "${key}" is missing`);
    try {
      return JSON.parse(md[key]);
    } catch {
      return fail(`metadata "${key}" is not JSON`);
    }
  };
  const spec = parse("model") as ModelSpec;
  let vocab: CharVocabulary;
  try {
    validateSpec(spec);
    const vj = parse("vocab") as VocabularyJson;
    if (typeof vj !== "object" || vj === null || Array.isArray(vj)) fail(`metadata "vocab" is not an object`);
    if (!Array.isArray(vj.chars)) fail(`metadata "vocab" has no list of characters`);
    if (vj.unk !== undefined && !Number.isInteger(vj.unk)) fail(`vocabulary's <unk> index must be an integer, not ${JSON.stringify(vj.unk) ?? "that"}`);
    if (Number.isInteger(vj.unk) && (vj.unk < -1 || vj.unk >= vj.chars.length)) fail(`vocabulary's <unk> index ${vj.unk} is out of range (${vj.chars.length} characters)`);
    vocab = new CharVocabulary(vj);
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    return fail((e as Error).message);
  }
  if (vocab.size !== spec.vocabSize) fail(`vocabulary has ${vocab.size} characters, the model expects ${spec.vocabSize}`);
  let task: TaskCheckpoint | undefined;
  if (md.task !== undefined) {
    const raw = parse("task");
    const problem = taskEntryProblem(raw);
    if (problem) fail(problem);
    task = raw as TaskCheckpoint;
  }

  const progress = md.training === undefined ? null : validateProgress(parse("training"), fail, task === undefined || task.name === "character-model");
  // The tensors this model has, and no others.
  const slots = tensorTable(spec);
  const expected = new Map<string, number[]>();
  const prefixes = progress ? ["", "optimizer.exp_avg.", "optimizer.exp_avg_sq."] : [""];
  for (const prefix of prefixes) for (const slot of slots) expected.set(prefix + torchName(slot), torchShape(slot));
  for (const t of normStatTensors(spec)) expected.set(t.name, t.rows === 1 ? [t.cols] : [t.rows, t.cols]);
  if (progress) {
    const stateShape = [spec.layers, progress.options.batch, spec.hidden];
    expected.set("state.h", stateShape);
    if (cellEntry(spec.cell).cellState) expected.set("state.c", stateShape);
  }
  for (const [tname, shape] of expected) {
    const t = file.entries.get(tname) ?? fail(`tensor ${tname} is missing (${describeSpec(spec)}${progress ? ", with training state" : ""} has it)`);
    if (t.shape.join(",") !== shape.join(",")) fail(`tensor ${tname} has shape [${t.shape}], the model needs [${shape}]`);
    if (t.dtype !== "F32") fail(`tensor ${tname} is ${t.dtype}; RNN Lab checkpoints hold F32`);
  }
  for (const tname of file.entries.keys()) {
    if (expected.has(tname)) continue;
    const hint = /weight_c[ifo]_l\d/.test(tname) ? " (peephole weights in a model declared without peepholes)"
      : /^(optimizer\.|state\.)/.test(tname) ? " (training state in a file whose metadata has none)" : "";
    fail(`tensor ${tname} does not belong to ${describeSpec(spec)}${hint}`);
  }
  try {
    checkMemory(`loading ${name} (${describeSpec(spec)})`, inferenceMemory(spec, bytes.length, progress !== null));
  } catch (e) {
    fail((e as Error).message);
  }

  const total = slots.reduce((n, s) => n + s.rows * s.cols, 0);
  const values = (tname: string): Float32Array => {
    const data = tensorValues(bytes, file, file.entries.get(tname)!);
    for (let k = 0; k < data.length; k++) if (!Number.isFinite(data[k])) fail(`tensor ${tname} holds a non-finite value`);
    return data;
  };
  const readBlock = (prefix: string): Float32Array => {
    const block = new Float32Array(total);
    for (const slot of slots) fromTorchLayout(slot, values(prefix + torchName(slot)), block.subarray(slot.offset, slot.offset + slot.rows * slot.cols));
    return block;
  };
  const params = readBlock("");
  let normStats: Float32Array | undefined;
  if (normStatTensors(spec).length > 0) {
    normStats = new Float32Array(normStatsLength(spec));
    for (const t of normStatTensors(spec)) normStats.set(values(t.name), t.offset);
    const problem = normStatsProblem(spec, normStats);
    if (problem) fail(problem);
  }
  let training: TrainingState | null = null;
  if (progress) {
    training = {
      ...progress,
      moment1: readBlock("optimizer.exp_avg."),
      moment2: readBlock("optimizer.exp_avg_sq."),
      hidden: values("state.h"),
      cell: cellEntry(spec.cell).cellState ? values("state.c") : null,
    };
    for (let k = 0; k < total; k++) if (training.moment2[k] < 0) fail("tensor optimizer.exp_avg_sq.* holds a negative second moment");
  }
  return { spec, vocab, ...(task ? { task } : {}), params, ...(normStats ? { normStats } : {}), training };
}

/** The `training` metadata: every field typed, ranged and consistent with the model and its text. */
/** `streams`: the run's batches are the character model's text streams, so its position must be one they reach. */
function validateProgress(raw: unknown, fail: (why: string) => never, streams: boolean): TrainingProgress {
  const bad = (why: string): never => fail(`training state: ${why}`);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) bad("not an object");
  const p = raw as Record<string, unknown>;
  const int = (key: string, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const v = p[key];
    if (!Number.isSafeInteger(v) || (v as number) < min || (v as number) > max) bad(`${key} must be an integer from ${min} to ${max}, ${found(v)}`);
    return v as number;
  };
  const real = (key: string, min: number, nullable: boolean): void => {
    const v = p[key];
    if (v === null && nullable) return;
    if (typeof v !== "number" || !Number.isFinite(v) || v < min) bad(`${key} must be a number ≥ ${min}${nullable ? " or null" : ""}, ${found(v)}`);
  };
  if (typeof p.options !== "object" || p.options === null || Array.isArray(p.options)) bad("options is not an object");
  try {
    validateTrainOptions(p.options as TrainOptions);
  } catch (e) {
    bad((e as Error).message);
  }
  const options = p.options as TrainOptions;
  int("step", 0);
  int("epoch", 0);
  int("window", 0);
  if (!Array.isArray(p.rng) || p.rng.length !== 4 || !p.rng.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) bad("rng must be 4 unsigned 32-bit integers");
  if ((p.rng as number[]).every((w) => w === 0)) bad("rng is all zeros (not a generator state)");
  if (typeof p.corpus !== "object" || p.corpus === null || Array.isArray(p.corpus)) bad("corpus is not an object");
  const c = p.corpus as Record<string, unknown>;
  if (!Array.isArray(c.files) || !c.files.every((f) => typeof f === "string")) bad("corpus.files must be a list of file names");
  if (typeof c.sha256 !== "string") bad(`corpus.sha256 must be a string, ${found(c.sha256)}`);
  if (!Number.isSafeInteger(c.chars) || (c.chars as number) < 0) bad(`corpus.chars must be an integer ≥ 0, ${found(c.chars)}`);
  if (!Number.isSafeInteger(c.trainChars) || (c.trainChars as number) < 0 || (c.trainChars as number) > (c.chars as number)) bad(`corpus.trainChars must be an integer from 0 to corpus.chars, ${found(c.trainChars)}`);
  // Where the run's text is described (trainChars > 0, as the CLI and the extension write it), the
  // position must be one its batching reaches (streamBatches.ts): step = epoch · windows + window.
  // Other tasks batch by their own rules (sequences bucketed by length): their trainer checks the window on resume.
  const windowsPerEpoch = Math.floor(Math.floor(((c.trainChars as number) - 1) / options.batch) / options.seq);
  if ((c.trainChars as number) > 0 && streams) {
    if (windowsPerEpoch < 1) bad(`corpus.trainChars ${c.trainChars} is shorter than one batch`);
    if ((p.window as number) >= windowsPerEpoch) bad(`window ${p.window} is past the ${windowsPerEpoch} windows of an epoch`);
    if (p.step !== (p.epoch as number) * windowsPerEpoch + (p.window as number)) bad(`step ${p.step} does not match epoch ${p.epoch} and window ${p.window} (${windowsPerEpoch} windows per epoch)`);
  }
  if (p.lastLoss !== null && (typeof p.lastLoss !== "number" || !Number.isFinite(p.lastLoss) || p.lastLoss < 0)) bad(`lastLoss must be a number ≥ 0 or null, ${found(p.lastLoss)}`);
  real("bestValLoss", 0, true);
  real("lastValLoss", 0, true);
  real("elapsedSeconds", 0, false);
  int("charsSeen", 0);
  return { ...(p as unknown as TrainingProgress), lastLoss: p.lastLoss === null ? NaN : (p.lastLoss as number) };
}
