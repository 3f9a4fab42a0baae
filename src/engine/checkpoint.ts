// RNN Lab's checkpoint: one .safetensors file. Model tensors carry PyTorch's state_dict names and
// layouts; a training checkpoint adds the optimizer moments ("optimizer.exp_avg.<name>",
// "optimizer.exp_avg_sq.<name>") and the carried hidden state ("state.h", "state.c": [layers, batch,
// hidden]). Architecture, vocabulary and the scalar training state are JSON strings in __metadata__.

import { cellEntry, parameterCount, tensorTable } from "./cells";
import { CharVocabulary, VocabularyJson } from "./charVocabulary";
import { ModelSpec, fromTorchLayout, toTorchLayout, torchName, torchShape, validateSpec } from "./modelSpec";
import { NamedTensor, SafetensorsError, decodeSafetensors, encodeSafetensors } from "./safetensors";
import { TrainOptions, validateTrainOptions } from "./trainOptions";

export const CHECKPOINT_FORMAT = "rnn-lab";
export const CHECKPOINT_VERSION = 1;

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
  params: Float32Array; // core layout
  training: TrainingState | null;
}

// The core's tensor table and parameter count for a spec, in closed form from the cell registry: no
// core is made, so the extension host may call them (the explorer, the comparison panel, the dashboard).
export { tensorTable as tensorSlots, parameterCount as paramCount } from "./cells";

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
  const metadata: Record<string, string> = {
    ...extraMetadata,
    format: CHECKPOINT_FORMAT,
    format_version: String(CHECKPOINT_VERSION),
    model: JSON.stringify(model.spec),
    vocab: JSON.stringify(model.vocab.toJSON()),
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

export function decodeCheckpoint(bytes: Uint8Array, name = "checkpoint"): Model {
  const fail = (why: string): never => { throw new CheckpointError(`${name}: ${why}`); };
  let file;
  try {
    file = decodeSafetensors(bytes);
  } catch (e) {
    if (e instanceof SafetensorsError) fail(`not a valid safetensors file: ${e.message}`);
    throw e;
  }
  const md = file.metadata;
  if (md.format !== CHECKPOINT_FORMAT) fail("not an RNN Lab checkpoint (no rnn-lab format in its metadata); PyTorch weights need importing first");
  const version = Number(md.format_version);
  if (!Number.isInteger(version) || version < 1) fail(`unreadable format version ${JSON.stringify(md.format_version)}`);
  if (version > CHECKPOINT_VERSION) fail(`written by a newer RNN Lab (checkpoint format ${version}; this version reads up to ${CHECKPOINT_VERSION}); update RNN Lab to open it`);
  const parse = <T>(key: string): T => {
    try {
      return JSON.parse(md[key]) as T;
    } catch {
      return fail(`metadata "${key}" is missing or not JSON`);
    }
  };
  const spec = parse<ModelSpec>("model");
  let vocab: CharVocabulary;
  try {
    validateSpec(spec);
    vocab = new CharVocabulary(parse<VocabularyJson>("vocab"));
  } catch (e) {
    return fail((e as Error).message);
  }
  if (vocab.size !== spec.vocabSize) fail(`vocabulary has ${vocab.size} characters, the model expects ${spec.vocabSize}`);
  const slots = tensorTable(spec);
  const total = slots.reduce((n, s) => n + s.rows * s.cols, 0);
  const readBlock = (prefix: string): Float32Array => {
    const block = new Float32Array(total);
    for (const slot of slots) {
      const tname = prefix + torchName(slot);
      const t = file.tensors.get(tname) ?? fail(`tensor ${tname} is missing`);
      const want = torchShape(slot);
      if (t.shape.join(",") !== want.join(",")) fail(`tensor ${tname} has shape [${t.shape}], the model needs [${want}]`);
      for (let k = 0; k < t.data.length; k++) if (!Number.isFinite(t.data[k])) fail(`tensor ${tname} holds a non-finite value`);
      fromTorchLayout(slot, t.data, block.subarray(slot.offset, slot.offset + slot.rows * slot.cols));
    }
    return block;
  };
  const params = readBlock("");
  let training: TrainingState | null = null;
  if (md.training !== undefined) {
    const progress = parse<TrainingProgress>("training");
    try {
      validateTrainOptions(progress.options);
    } catch (e) {
      fail((e as Error).message);
    }
    if (!Array.isArray(progress.rng) || progress.rng.length !== 4) fail("training state has no generator state");
    const stateSize = spec.layers * progress.options.batch * spec.hidden;
    const stateTensor = (n: string): Float32Array => {
      const t = file.tensors.get(n) ?? fail(`tensor ${n} is missing`);
      if (t.data.length !== stateSize) fail(`tensor ${n} has ${t.data.length} values, the run needs ${stateSize}`);
      return t.data;
    };
    training = {
      ...progress,
      moment1: readBlock("optimizer.exp_avg."),
      moment2: readBlock("optimizer.exp_avg_sq."),
      hidden: stateTensor("state.h"),
      cell: cellEntry(spec.cell).cellState ? stateTensor("state.c") : null,
    };
  }
  return { spec, vocab, params, training };
}
