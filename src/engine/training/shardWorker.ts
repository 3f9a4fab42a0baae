// A training thread: waits for each step on the shared control block, runs its shard, writes its
// gradient and loss to its slots, and says it is done. See shardPool.ts for the shared layout.

import { workerData } from "node:worker_threads";
import { Core } from "../core/core";
import { CTRL_DONE, CTRL_EPOCH, CTRL_ERROR, CTRL_BATCH_INDEX, CTRL_GENERATION, CTRL_KEY, CTRL_STOP, STEP_COPIES, STEP_FIELDS, STEP_SHARD, STEP_WOKE, ShardWorkerInit, monotonicMs } from "./shardPool";
import { restoreTask } from "../tasks/taskRegistry";
import { runShard, taskCoreShape } from "./shardStep";
import { LOW_PRIORITY_ENV, lowerThisThreadPriority } from "./threadPriority";

const w = workerData as ShardWorkerInit;
if (process.env[LOW_PRIORITY_ENV]) lowerThisThreadPriority();
const task = restoreTask(w.task, w.spec);
const core = new Core(taskCoreShape(w.spec, task), "f32", w.variant);
core.setShape(w.b1 - w.b0, w.window);
task.prepareCore?.(core);
const batches = task.batches(w.data, w.batch, w.window);
let generation = 0;

for (;;) {
  Atomics.wait(w.ctrl, CTRL_GENERATION, generation);
  generation = Atomics.load(w.ctrl, CTRL_GENERATION);
  if (Atomics.load(w.ctrl, CTRL_STOP)) break;
  try {
    const t0 = monotonicMs();
    core.params().set(w.params);
    const t1 = monotonicMs();
    const job = { batchIndex: Atomics.load(w.ctrl, CTRL_BATCH_INDEX), dropoutKey: Atomics.load(w.ctrl, CTRL_KEY) >>> 0, epoch: Atomics.load(w.ctrl, CTRL_EPOCH), dropout: w.dropout };
    w.losses[w.index] = runShard(core, batches, w.spec.layers, w.spec.hidden, w.b0, w.b1, job, w.current, w.next);
    w.weights[w.index] = core.lossWeightTotal();
    const t2 = monotonicMs();
    w.grads.set(core.grads());
    const t3 = monotonicMs();
    const times = w.index * STEP_FIELDS;
    w.stepTimes[times + STEP_WOKE] = t0;
    w.stepTimes[times + STEP_SHARD] = t3 - t0;
    w.stepTimes[times + STEP_COPIES] = (t1 - t0) + (t3 - t2);
  } catch (e) {
    w.errorText.set(new TextEncoder().encode(String(e instanceof Error ? e.message : e)).subarray(0, w.errorText.length));
    Atomics.store(w.ctrl, CTRL_ERROR, w.index + 1);
  }
  Atomics.add(w.ctrl, CTRL_DONE, 1);
  Atomics.notify(w.ctrl, CTRL_DONE);
}
