// Worker threads that each run one shard of every training step (data parallelism). They share,
// through SharedArrayBuffers: the parameters (written by the main thread after each update), one
// gradient slot and one loss per worker, the carried state, and a control block driven with Atomics.
// The main thread computes its own shard meanwhile, then waits for all workers and sums.

import { Worker } from "node:worker_threads";
import { join } from "node:path";
import { KernelVariant } from "../core/coreLoader";
import { ModelSpec } from "../model/modelSpec";
import type { TaskCheckpoint } from "../tasks/task";
import { CarriedState, ShardJob } from "./shardStep";

// Control block (Int32Array) fields.
export const CTRL_GENERATION = 0; // bumped by the main thread to start a step
export const CTRL_DONE = 1; // workers finished with this generation
export const CTRL_ERROR = 2; // 1 + index of a worker that failed
export const CTRL_BATCH_INDEX = 3; // which batch of the epoch the step trains
export const CTRL_KEY = 4;
export const CTRL_STOP = 5;
export const CTRL_EPOCH = 6; // which epoch the step trains in
const CTRL_SIZE = 8;
const ERROR_TEXT_BYTES = 1024;
const STEP_TIMEOUT_MS = 10 * 60 * 1000;

// Per worker, STEP_FIELDS entries of `stepTimes` about its last step (milliseconds):
export const STEP_WOKE = 0; // monotonicMs() when it woke for the step
export const STEP_SHARD = 1; // from waking to done: its shard, copies included
export const STEP_COPIES = 2; // of which copying the parameters in and its gradient out
export const STEP_FIELDS = 3;

/** Milliseconds on a clock every thread of the process shares (performance.now() starts per thread). */
export function monotonicMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}

export interface ShardWorkerInit {
  index: number;
  spec: ModelSpec;
  variant: KernelVariant;
  task: TaskCheckpoint; // rebuilt with restoreTask, as a loaded checkpoint is
  batch: number;
  window: number; // T, steps per batch
  b0: number;
  b1: number;
  dropout: number;
  paramCount: number;
  data: unknown; // the task's training data, on SharedArrayBuffers (Task.shared)
  ctrl: Int32Array;
  params: Float32Array;
  grads: Float32Array; // this worker's slot
  losses: Float64Array;
  weights: Float64Array; // per worker: the total loss weight of its last shard (Core.lossWeightTotal)
  stepTimes: Float64Array; // per worker: STEP_FIELDS timings of its last step (STEP_*)
  errorText: Uint8Array;
  current: CarriedState;
  next: CarriedState;
}

export class ShardPool {
  private readonly workers: Worker[] = [];
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(CTRL_SIZE * 4));
  private readonly errorText = new Uint8Array(new SharedArrayBuffer(ERROR_TEXT_BYTES));
  readonly params: Float32Array;
  readonly grads: Float32Array[] = [];
  readonly losses: Float64Array;
  readonly weights: Float64Array;
  readonly stepTimes: Float64Array;
  /** monotonicMs() when start() woke the workers for the step in progress. */
  startedAt = 0;

  constructor(spec: ModelSpec, variant: KernelVariant, task: TaskCheckpoint, batch: number, window: number, dropout: number, paramCount: number, data: unknown,
              readonly shards: { b0: number; b1: number }[], current: CarriedState, next: CarriedState) {
    this.params = new Float32Array(new SharedArrayBuffer(paramCount * 4));
    this.losses = new Float64Array(new SharedArrayBuffer(Math.max(1, shards.length) * 8));
    this.weights = new Float64Array(new SharedArrayBuffer(Math.max(1, shards.length) * 8));
    this.stepTimes = new Float64Array(new SharedArrayBuffer(Math.max(1, shards.length) * STEP_FIELDS * 8));
    shards.forEach((shard, index) => {
      const grads = new Float32Array(new SharedArrayBuffer(paramCount * 4));
      this.grads.push(grads);
      const init: ShardWorkerInit = {
        index, spec, variant, task, batch, window, b0: shard.b0, b1: shard.b1, dropout, paramCount, data,
        ctrl: this.ctrl, params: this.params, grads, losses: this.losses, weights: this.weights, stepTimes: this.stepTimes, errorText: this.errorText, current, next,
      };
      const worker = new Worker(join(__dirname, "shardWorker.js"), { workerData: init });
      worker.unref(); // a pool never keeps a finished program alive
      this.workers.push(worker);
    });
  }

  get size(): number { return this.workers.length; }

  /** Starts every worker on `job` with the parameters last published. */
  start(job: ShardJob): void {
    Atomics.store(this.ctrl, CTRL_BATCH_INDEX, job.batchIndex);
    Atomics.store(this.ctrl, CTRL_KEY, job.dropoutKey | 0);
    Atomics.store(this.ctrl, CTRL_EPOCH, job.epoch);
    Atomics.store(this.ctrl, CTRL_DONE, 0);
    this.startedAt = monotonicMs();
    Atomics.add(this.ctrl, CTRL_GENERATION, 1);
    Atomics.notify(this.ctrl, CTRL_GENERATION);
  }

  /** Over the workers' last step: the latest wake after start(), the slowest shard, and the most time spent copying (ms). */
  lastStepTimes(): { wake: number; shard: number; copies: number } {
    let wake = 0, shard = 0, copies = 0;
    for (let i = 0; i < this.workers.length; i++) {
      const t = i * STEP_FIELDS;
      wake = Math.max(wake, this.stepTimes[t + STEP_WOKE] - this.startedAt);
      shard = Math.max(shard, this.stepTimes[t + STEP_SHARD]);
      copies = Math.max(copies, this.stepTimes[t + STEP_COPIES]);
    }
    return { wake, shard, copies };
  }

  /** Blocks until every worker has finished the step started last. */
  finish(): void {
    for (;;) {
      const done = Atomics.load(this.ctrl, CTRL_DONE);
      const failed = Atomics.load(this.ctrl, CTRL_ERROR);
      if (failed) {
        const text = new TextDecoder().decode(this.errorText.slice()).replace(/\0+$/, "");
        throw new Error(`training thread ${failed} failed: ${text}`);
      }
      if (done >= this.workers.length) return;
      if (Atomics.wait(this.ctrl, CTRL_DONE, done, STEP_TIMEOUT_MS) === "timed-out") throw new Error("a training thread stopped answering");
    }
  }

  publishParams(params: ArrayLike<number>): void {
    this.params.set(params);
  }

  dispose(): void {
    Atomics.store(this.ctrl, CTRL_STOP, 1);
    Atomics.add(this.ctrl, CTRL_GENERATION, 1);
    Atomics.notify(this.ctrl, CTRL_GENERATION);
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}
