// One shard of a training step — streams [b0, b1) of the batch — the same on the main thread and
// on every worker: load the carried state, let the task's batch fill the core's buffers, forward,
// backward, hand back the final state. The gradients stay in the core (the weighted mean over this
// shard's loss rows; Core.lossWeightTotal() is its weight); the caller combines shards.

import { Core } from "../core/core";
import type { CoreShape } from "../core/coreAbi";
import { ModelSpec, coreShape } from "../model/modelSpec";
import type { BatchBuffers, Task, TaskBatches } from "../tasks/task";

/** Hidden (and LSTM cell) state of every stream, [layers, batch, hidden]. */
export interface CarriedState {
  h: Float32Array;
  c: Float32Array | null;
}

export interface ShardJob {
  batchIndex: number; // which batch of the epoch (the trainer's `window`, as checkpoints call it)
  epoch: number; // which epoch (a task may order its batches per epoch)
  dropoutKey: number;
  dropout: number;
}

export function carriedState(layers: number, batch: number, hidden: number, lstm: boolean, shared: boolean): CarriedState {
  const make = () => new Float32Array(shared ? new SharedArrayBuffer(layers * batch * hidden * 4) : new ArrayBuffer(layers * batch * hidden * 4));
  return { h: make(), c: lstm ? make() : null };
}

/** Mixes seed and step into the dropout key of that step (any thread count draws the same masks). */
export function dropoutKeyFor(seed: number, step: number): number {
  let x = (Math.imul(seed, 0x9e3779b1) ^ Math.imul(step + 1, 0x85ebca77)) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> 0;
  return (x ^ (x >>> 12)) >>> 0;
}

/** The shape of every core made for `task`'s model of `spec` (the trainer's, its evaluation core, each shard thread's): the spec's, with the task's values head when it has one. */
export function taskCoreShape(spec: ModelSpec, task: Pick<Task, "coreRegression">): CoreShape {
  const shape = coreShape(spec);
  return task.coreRegression ? { ...shape, regression: task.coreRegression } : shape;
}

/** The core's buffers as a task's batch writes them (views made now: see Core). */
export function coreBuffers(core: Core): BatchBuffers {
  const values = core.regression; // the numeric task's buffers (forecasting), when the core has them
  return { tokens: core.inputs(), vectors: values ? core.denseInputs() : null, targets: core.targets(), targetValues: values ? core.realTargets() : null, lossWeights: core.lossWeights(), lengths: core.lengths(),
    classTargets: core.classTargets(), streamWeights: core.streamWeights() };
}

/** Returns this shard's mean loss; the core's gradient block holds this shard's mean gradient. */
export function runShard(core: Core, batches: TaskBatches, layers: number, hidden: number, b0: number, b1: number,
                         job: ShardJob, current: CarriedState, next: CarriedState): number {
  const B = batches.streams;
  for (let l = 0; l < layers; l++) {
    const from = (l * B + b0) * hidden, to = (l * B + b1) * hidden;
    core.hiddenStates(l).set(current.h.subarray(from, to));
    if (current.c) core.cellStates(l).set(current.c.subarray(from, to));
  }
  if (batches.stepsOf) core.setSteps(batches.stepsOf(job.batchIndex)); // a batch of short sequences runs only its own steps
  batches.fillBatch(job.batchIndex, coreBuffers(core), b0, b1, job.epoch);
  core.zeroGrads();
  core.setDropoutKey(job.dropoutKey, b0, B);
  let loss = core.forward(true, job.dropout, true);
  // a loss the core's head does not compute (a CRF over the per-step logits) replaces it and its ∂L/∂logits
  if (batches.externalLoss) loss = batches.externalLoss(core, job.batchIndex, b0, b1);
  core.backward();
  for (let l = 0; l < layers; l++) {
    const from = (l * B + b0) * hidden;
    next.h.set(core.finalHidden(l), from);
    if (next.c) next.c.set(core.finalCell(l), from);
  }
  return loss;
}
