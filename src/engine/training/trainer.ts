// A training run: truncated BPTT over a task's batches (tasks/task.ts; char-rnn's streams for the
// character model), global-norm clipping, one optimizer step per batch. Everything that decides the
// next step (parameters, moments, position in the epoch, carried hidden state) is in the snapshot,
// so a resumed run continues exactly. What a batch holds, whether the state is carried to the next
// batch and what an evaluation measures are the task's; nothing here knows about characters.
// With threads > 1 the batch's streams are split into shards: the main thread runs the first,
// worker threads the others (shardPool.ts), and the shard gradients are summed, weighted by shard
// size, before one optimizer step. Dropout masks and data do not depend on the split, so any thread
// count gives the same run up to float summation order, and a fixed count gives it bit for bit.

import { InputError } from "../messages/inputError";
import { Core } from "../core/core";
import { KernelVariant } from "../core/coreLoader";
import { CharVocabulary, TokenIds } from "../model/charVocabulary";
import { checkMemory, trainingMemory } from "../core/limits";
import { Model, TrainingState } from "../files/checkpoint";
import { initialiseParameters } from "../model/initialise";
import { ModelSpec, validateSpec } from "../model/modelSpec";
import { ShardPool } from "./shardPool";
import { CarriedState, carriedState, dropoutKeyFor, runShard, taskCoreShape } from "./shardStep";
import { StreamBatches } from "./streamBatches";
import { CharacterModel } from "../tasks/characterModel";
import { Evaluation, Task, TaskBatches, isBetter, metricValue } from "../tasks/task";
import { TrainOptions, learningRateAt, optimizerCode, optimizerCoefficients, validateTrainOptions } from "./trainOptions";
import { cellEntry, cellNorm } from "../model/cells";
import { restoreNormStats, snapshotNormStats } from "../model/batchNormStats";

export interface StepReport {
  step: number; // steps completed, including this one
  epoch: number;
  loss: number; // nats per character, this window
  gradNorm: number; // global norm before clipping
  clipped: boolean;
  lr: number;
}

export class NonFiniteLossError extends Error {
  constructor(readonly step: number, readonly loss: number, readonly gradNorm: number) {
    super(`the loss became ${Number.isFinite(loss) ? "finite but its gradient " + gradNorm : loss} at step ${step + 1}; training stopped (try a lower --lr or --clip)`);
  }
}

/** A task's data, split: training and validation (whole, never trained on). */
export interface TaskSplit<D> {
  train: D;
  val: D;
}

export type CorpusSplit = TaskSplit<TokenIds>;

/** One validation pass: the task's evaluation, its metrics by name, and whether it beat the best so far. */
export interface ValidationResult<E extends Evaluation = Evaluation> {
  evaluation: E;
  loss: number;
  metrics: Record<string, number>; // every metric of the task (val_loss, …)
  improved: boolean; // the task's selection metric beat the best before this pass
}

/** The last valFraction of the text is for validation (whole, never trained on). */
export function splitCorpus(data: TokenIds, valFraction: number): CorpusSplit {
  const nVal = Math.floor(data.length * valFraction);
  return { train: data.subarray(0, data.length - nVal), val: data.subarray(data.length - nVal) };
}

/** Splits B streams into n contiguous shards, sizes differing by at most one. */
export function shardStreams(batch: number, n: number): { b0: number; b1: number }[] {
  const out: { b0: number; b1: number }[] = [];
  for (let k = 0, b0 = 0; k < n; k++) {
    const b1 = b0 + Math.floor(batch / n) + (k < batch % n ? 1 : 0);
    out.push({ b0, b1 });
    b0 = b1;
  }
  return out;
}

export class Trainer<D = TokenIds, B extends TaskBatches = StreamBatches> {
  /** The main thread's core: runs the first shard, holds the optimizer state, applies updates. */
  readonly core: Core;
  readonly task: Task<D, Evaluation, unknown, B>;
  readonly batches: B;
  readonly threads: number;
  private readonly mainShard: { b0: number; b1: number };
  private readonly pool: ShardPool | null = null;
  /** Carried state of all streams before the next step, and the state the step in progress leaves. */
  private readonly state: CarriedState;
  private readonly nextState: CarriedState;
  private evalCore: Core | null = null;
  step = 0;
  epoch = 0;
  window = 0;
  lastLoss = NaN;
  bestValLoss: number | null = null;
  lastValLoss: number | null = null;
  /** The best value of the task's selection metric (= bestValLoss when that is val_loss). */
  bestSelection: number | null = null;
  elapsedSeconds = 0;
  charsSeen = 0;
  /**
   * Milliseconds the last step spent: own shard, the slowest worker's shard (copies included), how
   * late the last worker woke after the step started, the most a worker spent copying parameters in
   * and its gradient out, waiting for the other threads, summing shards, clipping and updating (with
   * publishing the parameters to the workers).
   */
  lastStepTimings = { shard: 0, workerShard: 0, wake: 0, workerCopies: 0, wait: 0, combine: 0, update: 0 };

  constructor(
    readonly spec: ModelSpec,
    readonly vocab: CharVocabulary,
    readonly data: TaskSplit<D>,
    readonly options: TrainOptions,
    readonly corpus: TrainingState["corpus"],
    resumeFrom: Model | null = null,
    variant?: KernelVariant, // default: the fastest build this runtime runs
    threads = 1,
    task?: Task<D, Evaluation, unknown, B>, // default: the character model (data = character ids)
  ) {
    validateSpec(spec);
    validateTrainOptions(options);
    if (!Number.isInteger(threads) || threads < 1) throw new InputError(`threads must be a positive integer, not ${threads}`);
    this.task = task ?? (new CharacterModel(spec.vocabSize) as unknown as Task<D, Evaluation, unknown, B>);
    if (spec.bidirectional && this.task instanceof CharacterModel) {
      throw new InputError("a language model cannot be bidirectional: its backward direction would read the very characters it is asked to predict (bidirectional is for --task classify, tag or segment)");
    }
    batchNormProblem(spec, this.task instanceof CharacterModel, options.batch);
    // a thread needs at least one stream; a batch-normalised model trains on one (its statistics are the whole batch's)
    this.threads = cellNorm(spec) === "batch" ? 1 : Math.min(threads, options.batch);
    // Before any core is made: what this run will hold at its peak, against wasm32 and the cap.
    checkTrainingMemory(spec, options, this.threads, this.task.size(data.train) + this.task.size(data.val));
    const shared = this.threads > 1;
    const trainData = shared ? this.task.shared(data.train) : data.train;
    this.batches = this.task.batches(trainData, options.batch, options.seq);
    const shards = shardStreams(options.batch, this.threads);
    this.mainShard = shards[0];
    this.core = new Core(taskCoreShape(spec, this.task), "f32", variant);
    this.task.prepareCore?.(this.core);
    this.core.setShape(this.mainShard.b1 - this.mainShard.b0, options.seq);
    this.state = carriedState(spec.layers, options.batch, spec.hidden, cellEntry(spec.cell).cellState, shared);
    this.nextState = carriedState(spec.layers, options.batch, spec.hidden, cellEntry(spec.cell).cellState, shared);
    if (resumeFrom) this.restore(resumeFrom);
    else initialiseParameters(this.core, spec, options.init, options.forgetBias, options.seed);
    if (shared) {
      this.pool = new ShardPool(spec, this.core.variant as KernelVariant, this.task.checkpoint(), options.batch, options.seq, options.dropout, this.core.paramCount,
        trainData, shards.slice(1), this.state, this.nextState);
      this.pool.publishParams(this.core.params());
    }
  }

  /** Stops the worker threads (a Trainer with threads = 1 has none). */
  dispose(): void {
    this.pool?.dispose();
  }

  private restore(model: Model): void {
    const t = model.training;
    this.core.params().set(model.params);
    restoreNormStats(this.core, model.normStats);
    // weights only (an import, an export): a new run from these weights, fresh optimizer and state
    if (!t) return;
    if (t.window >= this.batches.batchesPerEpoch) {
      throw new InputError(`the checkpoint is at window ${t.window} of an epoch, but this text has ${this.batches.batchesPerEpoch} windows per epoch at batch ${this.options.batch} × seq ${this.options.seq}`);
    }
    this.core.moment1().set(t.moment1);
    this.core.moment2().set(t.moment2);
    this.core.setRngState(t.rng);
    this.state.h.set(t.hidden);
    if (t.cell && this.state.c) this.state.c.set(t.cell);
    this.step = t.step;
    this.epoch = t.epoch;
    this.window = t.window;
    this.lastLoss = t.lastLoss;
    this.bestValLoss = t.bestValLoss;
    this.lastValLoss = t.lastValLoss;
    this.bestSelection = this.task.selectionMetric === "val_loss" ? t.bestValLoss : t.bestSelection ?? null;
    this.elapsedSeconds = t.elapsedSeconds;
    this.charsSeen = t.charsSeen;
  }

  /** What one step trains on, in the task's unit (characters for the character model). */
  get charsPerStep(): number { return this.batches.unitsPerBatch; }

  /** One batch: forward, backward, clip, update, carry the state (when the task carries it). Throws NonFiniteLossError and leaves the state as before the step. */
  trainStep(): StepReport {
    const o = this.options;
    const core = this.core;
    const { layers, hidden } = this.spec;
    const job = { batchIndex: this.window, epoch: this.epoch, dropoutKey: dropoutKeyFor(o.seed, this.step), dropout: o.dropout };
    const t0 = performance.now();
    this.pool?.start(job);
    const { b0, b1 } = this.mainShard;
    let loss = runShard(core, this.batches, layers, hidden, b0, b1, job, this.state, this.nextState);
    const t1 = performance.now();
    let t2 = t1;
    if (this.pool) {
      this.pool.finish();
      t2 = performance.now();
      loss = this.combineShards(loss);
    }
    const t3 = performance.now();
    const gradNorm = core.clipGradients(o.clip);
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) throw new NonFiniteLossError(this.step, loss, gradNorm);
    const lr = learningRateAt(o, this.step);
    const [a, b] = optimizerCoefficients(o);
    core.optimizerStep(optimizerCode(o.optimizer), lr, a, b, o.eps, o.weightDecay, this.step + 1);
    this.pool?.publishParams(core.params());
    const workers = this.pool?.lastStepTimes() ?? { wake: 0, shard: 0, copies: 0 };
    this.lastStepTimings = { shard: t1 - t0, workerShard: workers.shard, wake: workers.wake, workerCopies: workers.copies, wait: t2 - t1, combine: t3 - t2, update: performance.now() - t3 };
    this.step++;
    this.charsSeen += this.charsPerStep;
    this.lastLoss = loss;
    this.window++;
    if (this.window >= this.batches.batchesPerEpoch) {
      // a new epoch starts every stream again from zero state
      this.window = 0;
      this.epoch++;
      this.state.h.fill(0);
      this.state.c?.fill(0);
    } else if (this.task.carriesState) {
      this.state.h.set(this.nextState.h);
      if (this.state.c) this.state.c.set(this.nextState.c!);
    }
    return { step: this.step, epoch: this.epoch, loss, gradNorm, clipped: o.clip > 0 && gradNorm > o.clip, lr };
  }

  /**
   * Main core's gradient ← Σ_k (W_k / W)·g_k over all shards, each g_k the weighted mean over its
   * own loss rows and W_k their total weight (Core.lossWeightTotal; T·B_k when every row counts,
   * so the factor is then exactly B_k / B); returns the loss combined the same way.
   */
  private combineShards(mainLoss: number): number {
    const pool = this.pool!;
    const W0 = this.core.lossWeightTotal();
    let W = W0;
    pool.shards.forEach((_, i) => { W += pool.weights[i]; });
    const share = (Wk: number) => (W > 0 ? Wk / W : 0);
    const w0 = share(W0);
    let loss = mainLoss * w0;
    pool.shards.forEach((_, i) => {
      const w = share(pool.weights[i]);
      this.core.accumulateGrads(pool.grads[i], i === 0 ? w0 : 1, w);
      loss += w * pool.losses[i];
    });
    return loss;
  }

  /** Per-tensor gradient norms of the last backward pass (after clipping, if it clipped). */
  tensorGradNorms(): { index: number; norm: number }[] {
    const g = this.core.grads();
    return this.core.tensors.map((slot, index) => {
      let s = 0;
      for (let k = slot.offset; k < slot.offset + slot.rows * slot.cols; k++) s += g[k] * g[k];
      return { index, norm: Math.sqrt(s) };
    });
  }

  /** Mean validation loss (nats/char for the character model) over the whole validation data; null when there is too little. */
  evaluate(): number | null {
    return this.validate()?.loss ?? null;
  }

  /** One validation pass through the task: its evaluation and metrics, and whether its selection metric improved. */
  validate(): ValidationResult | null {
    if (!this.evalCore) {
      this.evalCore = new Core(taskCoreShape(this.spec, this.task), "f32", this.core.variant as KernelVariant);
      this.task.prepareCore?.(this.evalCore);
    }
    this.evalCore.params().set(this.core.params());
    restoreNormStats(this.evalCore, this.core.normStats()); // batch norm: validation uses the running averages
    const evaluation = this.task.evaluate(this.evalCore, this.data.val, this.options.batch, this.options.seq);
    if (evaluation === null) return null;
    const loss = evaluation.loss;
    const metrics = Object.fromEntries(this.task.metrics.map((m) => [m.name, m.of(evaluation)]));
    const selection = metricValue(this.task, this.task.selectionMetric, evaluation) ?? loss;
    const better = this.task.metrics.find((m) => m.name === this.task.selectionMetric)?.better ?? "lower";
    const improved = isBetter(better, selection, this.bestSelection);
    this.lastValLoss = loss;
    if (this.bestValLoss === null || loss < this.bestValLoss) this.bestValLoss = loss;
    if (improved) this.bestSelection = selection;
    return { evaluation, loss, metrics, improved };
  }

  /** The model and everything needed to continue, as copies. */
  snapshot(): Model {
    const h = Float32Array.from(this.state.h);
    const c = this.state.c ? Float32Array.from(this.state.c) : null;
    return {
      spec: this.spec,
      vocab: this.vocab,
      task: this.task.checkpoint(),
      params: Float32Array.from(this.core.params()),
      ...(snapshotNormStats(this.core) ? { normStats: snapshotNormStats(this.core) } : {}),
      training: {
        options: this.options,
        step: this.step,
        epoch: this.epoch,
        window: this.window,
        rng: this.core.rngState(),
        corpus: this.corpus,
        lastLoss: this.lastLoss,
        bestValLoss: this.bestValLoss,
        lastValLoss: this.lastValLoss,
        ...(this.task.selectionMetric === "val_loss" ? {} : { bestSelection: this.bestSelection }),
        elapsedSeconds: this.elapsedSeconds,
        charsSeen: this.charsSeen,
        moment1: Float32Array.from(this.core.moment1()),
        moment2: Float32Array.from(this.core.moment2()),
        hidden: h,
        cell: c,
      },
    };
  }
}

/** Refuses (MemoryLimitError) a run whose peak need (limits.ts trainingMemory) is over wasm32's 4 GiB or the cap. */
export function checkTrainingMemory(spec: ModelSpec, options: TrainOptions, threads: number, corpusChars: number): void {
  const t = Math.max(1, Math.min(threads, options.batch));
  checkMemory(`training ${spec.cell.toUpperCase()} ${spec.layers}×${spec.hidden} (vocabulary ${spec.vocabSize}) at batch ${options.batch} × seq ${options.seq} on ${t} thread${t > 1 ? "s" : ""}`,
    trainingMemory(spec, { batch: options.batch, seq: options.seq, threads: t, corpusChars }));
}

/**
 * Recurrent batch normalisation's limits in training (src/wasm/batchNorm.ts, docs/cells.md): at least
 * two streams (over one, every variance is 0), and every stream must run every step of the window, or
 * the text tasks' padding would enter each step's batch statistics. (Its one-thread rule is the constructor's: shards would each have their own statistics.)
 */
function batchNormProblem(spec: ModelSpec, languageModel: boolean, batch: number): void {
  if (cellNorm(spec) !== "batch") return;
  if (batch < 2) throw new InputError(`batch normalisation (--norm batch) needs a batch of at least 2 streams, not ${batch}: over one stream every column's variance is 0 and the normalised values are all 0; raise --batch`);
  if (!languageModel) throw new InputError("batch normalisation (--norm batch) is built for the language model (--task lm): the text tasks pad streams to different lengths, and the padding would enter each step's batch statistics; use --norm layer");
}

/** Why an explicit thread count > 1 cannot train a batch-normalised model (the CLI's refusal). */
export const BATCH_NORM_THREADS_REFUSAL = "batch normalisation (--norm batch) trains on one thread: its statistics are the whole batch's at each step, and several threads would each normalise their own part of the batch; drop --threads (or use --norm layer, which normalises each stream on its own)";
