// The task seam, engine half: what a model is trained *for*. A Task says what a batch holds, what
// the head predicts and how wide it is, which rows carry loss, whether the state is carried from one
// window to the next, what an evaluation measures and which metrics it reports, what a prediction
// is, and what a checkpoint stores for it. The trainer (training/trainer.ts), its shard threads
// (training/shardStep.ts) and the run session talk to a Task only through this interface; nothing
// there knows about characters, classes or series. The core half is the loss weights, per-stream
// lengths and head width of src/wasm/network.ts, reached through Core (core/core.ts).
//
// Shapes (the core's conventions, coreAbi.ts): B = streams of a batch (or of one shard of it, B'),
// T = steps of the window, O = the head's width (independent of the vocabulary), rows are time-major:
// row r = t·B + b. A stream is one text stream (language modelling), one sequence (classification,
// tagging) or one window of a series (forecasting).
//
// How the tasks of the next issues fit:
//   character model   tokens in, classes head O = V, every step carries loss, state carried (characterModel.ts)
//   classification    tokens in, classes head O = classes, one row per sequence (lossRows "last-step" or
//                     "pooled"), lengths per sequence, state reset per batch, metrics accuracy / macro F1;
//                     metadata: the class list and the pooling
//   tagging           tokens in, classes head O = tags, every real step (lengths), state reset per batch;
//                     metadata: the tag set (and the CRF's transitions are parameters of the task's own)
//   forecasting       vectors in (width = targets + inputs + calendar features), values head
//                     O = targets × horizon (× 2 for gaussian), the horizon rows carry loss, state reset
//                     per window (or carried over the history); metadata: the columns and their scaling

import type { Core, RealArray } from "../core/core";
import type { CoreShape } from "../core/coreAbi";

/** What the model reads at each step. */
export type StepInput =
  /** One id per step, 0 … vocabulary − 1, embedded or one-hot: the core's inputs() buffer. */
  | { kind: "tokens"; vocabulary: number }
  /** A real vector of `width` per step (a row of a series, with its exogenous inputs and calendar features). */
  | { kind: "vectors"; width: number };

/** What the head predicts and the loss on it. */
export type Head =
  /** Softmax cross-entropy over `width` classes (characters, labels, tags); a target is a class id. */
  | { kind: "classes"; width: number }
  /** Regression onto `width` reals per row (loss "gaussian": mean and log-variance per value, so width = 2 × values; "pinball": Q quantile levels per value, width = Q × values). */
  | { kind: "values"; width: number; loss: "mse" | "mae" | "gaussian" | "pinball" };

/**
 * Which rows of a window carry loss (the batch writes the loss weights accordingly; 0 = no loss):
 *   every-step  each real step of each stream (language model, tagging);
 *   last-step   the last real step of each sequence only (many-to-one read at the end);
 *   pooled      one row per sequence that pools its real steps (mean / max; many-to-one);
 *   horizon     the steps whose targets fall in the forecast horizon.
 */
export type LossRows = "every-step" | "last-step" | "pooled" | "horizon";

/**
 * The core's buffers for streams [b0, b1) of a batch, as a shard sees them (B' = b1 − b0 streams,
 * row t·B' + (b − b0)). A batch writes every field its task uses, each time: the core keeps them
 * from one pass to the next.
 */
export interface BatchBuffers {
  /** i32 [T·B']: the input id per row (StepInput "tokens"). */
  tokens: Int32Array;
  /** real [T·B', width]: the input vector per row (StepInput "vectors"); null while the core has no such buffer. */
  vectors: RealArray | null;
  /** i32 [T·B']: the target class per row (Head "classes"); negative = no target. */
  targets: Int32Array;
  /** real [T·B', O]: the target values per row (Head "values"); null while the core has no such buffer. */
  targetValues: RealArray | null;
  /** real [T·B']: the loss weight per row; 0 = the row carries no loss. 1 after Core.setShape. */
  lossWeights: RealArray;
  /** i32 [B']: the real steps of each stream in this window (T after Core.setShape); later steps hold its state. */
  lengths: Int32Array;
  /** i32 [B']: one class per stream, for the core's pooled head (Core.setSequenceHead); absent where a caller has no such head. */
  classTargets?: Int32Array;
  /** real [B']: one loss weight per stream, for the pooled head. */
  streamWeights?: RealArray;
}

/** One epoch of a data set cut into batches of B streams × T steps. */
export interface TaskBatches {
  readonly streams: number; // B
  readonly window: number; // T, the steps of one batch (never a step budget)
  /** Batches in one epoch; a run's position is (epoch, batch index < batchesPerEpoch). */
  readonly batchesPerEpoch: number;
  /** What one batch trains on, in the task's unit (characters, sequences, time steps): the "chars/s" of progress lines. */
  readonly unitsPerBatch: number;
  /** Steps batch `index` runs when fewer than `window` (sequences bucketed by length); absent = window. */
  stepsOf?(index: number): number;
  /**
   * A loss the core's head does not compute (a CRF over the per-step logits): called after the
   * forward pass with loss; returns this shard's mean loss per unit of loss weight, having written
   * Core.dLogits() and added its own parameters' gradients into Core.grads(), the same mean's.
   */
  externalLoss?(core: Core, index: number, b0: number, b1: number): number;
  /**
   * Writes batch `index` (0 ≤ index < batchesPerEpoch) of epoch `epoch`, streams [b0, b1), into a
   * shard's buffers. A task whose order changes from one epoch to the next (forecasting's windows)
   * reads `epoch`; the others give every epoch the same batches.
   */
  fillBatch(index: number, into: BatchBuffers, b0?: number, b1?: number, epoch?: number): void;
}

/** What an evaluation pass over held-out data measured: a task adds its own fields (predictions and truth, errors). */
export interface Evaluation {
  loss: number; // mean loss per unit of loss weight (nats per character for the character model)
  weight: number; // the total loss weight it averaged over (predicted characters, sequences, values)
}

/** One metric a task reports, as named in `--json` lines and the run's metrics (`val_loss`, `val_accuracy`, …). */
export interface MetricDefinition<E extends Evaluation = Evaluation> {
  name: string;
  /** Which way is better: keep-best compares the task's `selectionMetric` this way. */
  better: "lower" | "higher";
  of(evaluation: E): number;
}

/** What a checkpoint stores for the task (the `task` metadata entry, JSON); absent in older files = the character model. */
export interface TaskCheckpoint {
  name: string; // a TASK_NAMES entry (taskRegistry.ts)
  /** The task's own facts, JSON-safe: a class list and pooling, a tag set, the columns and their scaling. */
  metadata: Record<string, unknown>;
}

/**
 * One objective. D is its data set (character ids for the character model, encoded sequences and
 * labels, a scaled series), E its evaluation, P its prediction for one row of head outputs, Batches
 * the type of its batches (a task may give them more than TaskBatches asks).
 * restoreTask(checkpoint(), spec) must give the same task back: a shard thread and a loaded
 * checkpoint rebuild it that way.
 */
export interface Task<D = unknown, E extends Evaluation = Evaluation, P = unknown, Batches extends TaskBatches = TaskBatches> {
  readonly name: string;
  readonly input: StepInput;
  readonly head: Head;
  readonly lossRows: LossRows;
  /**
   * true: a stream's final state is the next batch's initial state (truncated BPTT over a long
   * stream; reset at each epoch); false: every batch starts from zero state.
   */
  readonly carriesState: boolean;
  /** The metrics of an evaluation, `val_loss` first. */
  readonly metrics: readonly MetricDefinition<E>[];
  /** The metric keep-best and "best so far" compare (one of `metrics`' names). */
  readonly selectionMetric: string;

  /** The data cut into batches of `streams` × `window`; an InputError when it is too small for one. `what` names the data in that error. */
  batches(data: D, streams: number, window: number, what?: string): Batches;
  /** The data on shared memory (for the shard threads), or as it is when it already is; same content. */
  shared(data: D): D;
  /** How much data there is, in the task's unit (characters, sequences, time steps). */
  size(data: D): number;
  /** Measures `data` with the core's current parameters (no training); null when there is too little to measure. */
  evaluate(core: Core, data: D, streams: number, window: number): E | null;
  /** Row `row` of the head's outputs (O reals per row) as the task's prediction: a distribution, a label, values. */
  predictionOf(outputs: ArrayLike<number>, row: number): P;
  /** The core's values head and dense inputs (CoreShape.regression: forecasting), given to every core made for this task; absent = token inputs and a softmax head. */
  readonly coreRegression?: CoreShape["regression"];
  /** Sets up a core made for this task's model (the pooled sequence head of a classifier); absent = nothing to set. */
  prepareCore?(core: Core): void;
  /** What the checkpoint stores to rebuild this task (taskRegistry.ts restoreTask). */
  checkpoint(): TaskCheckpoint;
}

/** The value of metric `name` of an evaluation, or null when the task has no such metric. */
export function metricValue<E extends Evaluation>(task: Task<unknown, E>, name: string, evaluation: E): number | null {
  const m = task.metrics.find((d) => d.name === name);
  return m ? m.of(evaluation) : null;
}

/** Whether `value` of a metric that is `better` one way beats `best` (null: nothing yet, so it does). */
export function isBetter(better: "lower" | "higher", value: number, best: number | null): boolean {
  if (best === null) return true;
  return better === "higher" ? value > best : value < best;
}

/** Softmax of row `row` of [rows, width] logits, in f64: a classes head's prediction. Non-finite logits give NaN entries. */
export function softmaxRow(outputs: ArrayLike<number>, row: number, width: number): Float64Array {
  const off = row * width;
  let max = -Infinity;
  for (let v = 0; v < width; v++) if (outputs[off + v] > max) max = outputs[off + v];
  const out = new Float64Array(width);
  let sum = 0;
  for (let v = 0; v < width; v++) sum += out[v] = Math.exp(outputs[off + v] - max);
  for (let v = 0; v < width; v++) out[v] /= sum;
  return out;
}
