// Sequences of characters with a label or a tag per character, as the classification and tagging
// tasks train on them: encoded once into flat arrays (shared with the shard threads as they are),
// cut into batches of B sequences bucketed by length, each batch padded to its own longest sequence
// (`stepsOf`) with per-stream lengths, so padding costs no steps beyond the batch's longest.
//
// Layout of a batch (the core's, time-major): row r = t·B + b for t < steps of this batch.
//   tokens   the sequence's character id at t < length, 0 after (never read: t ≥ length holds the state)
//   targets  tagging ("every-step"): the tag id at each real step, −1 after, and its loss weight
//            (0 after); classification ("pooled"): no per-row target (−1, weight 0) but the stream's
//            class in classTargets and its weight (a class weight for --class-weights balanced) in
//            streamWeights, for the core's pooled head (last, mean or max over the real steps)
//   lengths  the sequence's length (≤ the window, --max-length)

import { InputError } from "../messages/inputError";
import type { CharVocabulary } from "../model/charVocabulary";
import { mulberry32 } from "../model/seededRandom";
import type { BatchBuffers, TaskBatches } from "./task";

export interface SequenceData {
  /** i32 [Σ lengths]: every sequence's character ids, one after another */
  ids: Int32Array;
  /** i32 [n + 1]: sequence i is ids[offsets[i], offsets[i + 1]) */
  offsets: Int32Array;
  /** i32: classification [n] class ids; tagging [Σ lengths] tag ids aligned with ids */
  targets: Int32Array;
}

export type TargetLayout = "pooled" | "every-step";

export function sequenceCount(data: SequenceData): number { return data.offsets.length - 1; }
export function sequenceLength(data: SequenceData, i: number): number { return data.offsets[i + 1] - data.offsets[i]; }

/**
 * Encodes character sequences (code points) with their targets; sequences over maxLength are cut
 * to it (their tags with them) and counted. Characters outside the vocabulary become its <unk> id,
 * or 0 when it has none (a prediction on new text).
 */
export function encodeSequences(vocab: CharVocabulary, sequences: readonly (readonly string[])[], targets: readonly (number | readonly number[])[], maxLength: number): { data: SequenceData; truncated: number; unknown: number } {
  let total = 0, truncated = 0, unknown = 0;
  for (const s of sequences) { total += Math.min(s.length, maxLength); if (s.length > maxLength) truncated++; }
  const perStep = targets.length > 0 && typeof targets[0] !== "number";
  const ids = new Int32Array(total), offsets = new Int32Array(sequences.length + 1);
  const out = new Int32Array(perStep ? total : sequences.length);
  let k = 0;
  sequences.forEach((s, i) => {
    const n = Math.min(s.length, maxLength);
    for (let t = 0; t < n; t++) {
      let id = vocab.indexOf(s[t]);
      if (id < 0 || (id === vocab.unk && !vocab.has(s[t]))) unknown++;
      if (id < 0) id = 0;
      ids[k] = id;
      if (perStep) out[k] = (targets[i] as readonly number[])[t];
      k++;
    }
    offsets[i + 1] = k;
    if (!perStep) out[i] = targets[i] as number;
  });
  return { data: { ids, offsets, targets: out }, truncated, unknown };
}

/** The same data on shared memory (for the shard threads), or as it is when it already is. */
export function sharedSequences(data: SequenceData): SequenceData {
  if (data.ids.buffer instanceof SharedArrayBuffer) return data;
  const copy = (a: Int32Array) => { const s = new Int32Array(new SharedArrayBuffer(a.byteLength)); s.set(a); return s; };
  return { ids: copy(data.ids), offsets: copy(data.offsets), targets: copy(data.targets) };
}

/** Sequence indices sorted by length (stable), cut into groups of `streams`; the last group overlaps the one before rather than run short. */
export function lengthBuckets(data: SequenceData, streams: number, indices?: readonly number[]): number[][] {
  const order = (indices ?? Array.from({ length: sequenceCount(data) }, (_, i) => i)).slice();
  order.sort((a, b) => sequenceLength(data, a) - sequenceLength(data, b) || a - b);
  const groups: number[][] = [];
  for (let start = 0; start < order.length; start += streams) {
    const from = Math.max(0, Math.min(start, order.length - streams));
    groups.push(order.slice(from, from + streams));
  }
  return groups;
}

/**
 * Writes sequences `seqs` (one per stream, B' = seqs.length) into a core's buffers for `steps` steps
 * (default: their longest); streams from `real` on are fillers (weight 0). Returns the steps.
 */
export function fillSequences(data: SequenceData, seqs: readonly number[], layout: TargetLayout, into: BatchBuffers, weightOf: (target: number) => number,
                              steps = longestOf(data, seqs), real = seqs.length): number {
  const B = seqs.length;
  const rows = steps * B;
  into.tokens.fill(0, 0, rows);
  into.targets.fill(-1, 0, rows);
  into.lossWeights.fill(0, 0, rows);
  seqs.forEach((s, b) => {
    const o = data.offsets[s], n = sequenceLength(data, s);
    into.lengths[b] = n;
    for (let t = 0; t < n; t++) into.tokens[t * B + b] = data.ids[o + t];
    const w = (y: number) => (b < real ? weightOf(y) : 0);
    if (layout === "every-step") {
      for (let t = 0; t < n; t++) { const y = data.targets[o + t]; into.targets[t * B + b] = y; into.lossWeights[t * B + b] = w(y); }
    } else {
      if (!into.classTargets || !into.streamWeights) throw new Error("a pooled batch needs the core's class targets and stream weights");
      const y = data.targets[s];
      into.classTargets[b] = y;
      into.streamWeights[b] = w(y);
    }
  });
  return steps;
}

function longestOf(data: SequenceData, seqs: readonly number[]): number {
  let steps = 1;
  for (const s of seqs) steps = Math.max(steps, sequenceLength(data, s));
  return steps;
}

/** One epoch of length-bucketed batches in a seeded order (the same order every epoch and on every thread). */
export class SequenceBatches implements TaskBatches {
  readonly batchesPerEpoch: number;
  readonly unitsPerBatch: number;
  private readonly groups: number[][];
  private readonly steps: number[];

  constructor(readonly data: SequenceData, readonly streams: number, readonly window: number, readonly layout: TargetLayout,
              protected readonly weightOf: (target: number) => number, seed: number, what = "the training data") {
    const n = sequenceCount(data);
    if (n < streams) throw new InputError(`${what} has ${n} sequences, fewer than a batch of ${streams}; lower --batch`);
    let longest = 0;
    for (let i = 0; i < n; i++) longest = Math.max(longest, sequenceLength(data, i));
    if (longest > window) throw new InputError(`${what} has a sequence of ${longest} characters, longer than the window ${window} (--max-length)`);
    this.groups = lengthBuckets(data, streams);
    const rand = mulberry32(seed >>> 0);
    for (let i = this.groups.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [this.groups[i], this.groups[j]] = [this.groups[j], this.groups[i]]; }
    this.steps = this.groups.map((g) => g.reduce((m, s) => Math.max(m, sequenceLength(data, s)), 1));
    this.batchesPerEpoch = this.groups.length;
    this.unitsPerBatch = Math.round(data.ids.length / this.groups.length); // characters, on average
  }

  stepsOf(index: number): number { return this.steps[index]; }

  /** The sequences of batch `index`, one per stream. */
  sequencesOf(index: number): readonly number[] { return this.groups[index]; }

  fillBatch(index: number, into: BatchBuffers, b0 = 0, b1 = this.streams): void {
    // every shard of a batch runs the batch's steps (runShard sets them from stepsOf)
    fillSequences(this.data, this.groups[index].slice(b0, b1), this.layout, into, this.weightOf, this.steps[index]);
  }
}

export interface SequenceOutputs {
  /** the sequence's index in the data */
  index: number;
  /** its length */
  length: number;
  /** [length, O] logits of its real steps (every-step) or [1, O] of the pooled head (pooled), f64 */
  logits: Float64Array;
}

/**
 * Runs the core (no training) over every sequence of `data` in length buckets of up to `streams`,
 * calling `each` with a sequence's logits; returns the summed loss and its weight (weights 1).
 */
export function forwardSequences(core: import("../core/core").Core, data: SequenceData, streams: number, window: number, layout: TargetLayout,
                                 each: (o: SequenceOutputs) => void): { lossSum: number; weight: number } {
  const n = sequenceCount(data);
  if (n === 0) return { lossSum: 0, weight: 0 };
  const B = Math.min(streams, n);
  core.setShape(B, window);
  let lossSum = 0, weight = 0;
  const O = core.outputs;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => sequenceLength(data, a) - sequenceLength(data, b) || a - b);
  for (let start = 0; start < n; start += B) {
    const real = order.slice(start, start + B);
    const group = [...real, ...new Array<number>(B - real.length).fill(real[0])]; // a short last group is filled with weight-0 copies
    core.resetState();
    const into = { tokens: core.inputs(), vectors: null, targets: core.targets(), targetValues: null, lossWeights: core.lossWeights(), lengths: core.lengths(),
      classTargets: core.classTargets(), streamWeights: core.streamWeights() };
    const steps = fillSequences(data, group, layout, into, () => 1, undefined, real.length);
    core.setSteps(steps);
    const loss = core.forward(false, 0, true);
    const w = core.lossWeightTotal();
    lossSum += loss * w;
    weight += w;
    const logits = core.logits();
    real.forEach((s, b) => {
      const len = sequenceLength(data, s);
      const rows = layout === "every-step" ? len : 1;
      const out = new Float64Array(rows * O);
      for (let k = 0; k < rows; k++) {
        const r = layout === "every-step" ? k * B + b : b; // the pooled head's rows are 0 … B − 1
        for (let j = 0; j < O; j++) out[k * O + j] = logits[r * O + j];
      }
      each({ index: s, length: len, logits: out });
    });
  }
  return { lossSum, weight };
}
