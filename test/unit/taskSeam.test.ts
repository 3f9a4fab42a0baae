// The task seam, engine half: the trainer goes through a Task (tasks/task.ts) and the character
// model is its first implementation. Checked here: the checkpoint's task entry round-trips and is
// checked when read; restoreTask rebuilds the task a checkpoint names; a task that does not carry
// state trains every batch from zero state (each step's loss recomputed here from a fresh core);
// a task whose batches mask rows trains on exactly the loss of the remaining rows; and the shard
// threads, which rebuild the task from its checkpoint entry, give the same run as one thread.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CharVocabulary, TokenIds } from "../../src/engine/model/charVocabulary";
import { CheckpointError, decodeCheckpoint, encodeCheckpoint } from "../../src/engine/files/checkpoint";
import { Core } from "../../src/engine/core/core";
import { ModelSpec, coreShape } from "../../src/engine/model/modelSpec";
import { DEFAULT_TRAIN_OPTIONS, TrainOptions } from "../../src/engine/training/trainOptions";
import { Trainer, splitCorpus } from "../../src/engine/training/trainer";
import { CharacterModel } from "../../src/engine/tasks/characterModel";
import { restoreTask } from "../../src/engine/tasks/taskRegistry";
import type { BatchBuffers, TaskBatches } from "../../src/engine/tasks/task";
import { StreamBatches } from "../../src/engine/training/streamBatches";

const text = "a stitch in time saves nine; ".repeat(40);
const { vocab } = CharVocabulary.fromText(text);
const data = vocab.encode(text);
const spec: ModelSpec = { cell: "gru", nonlinearity: "tanh", layers: 1, hidden: 12, embed: 0, vocabSize: vocab.size, peephole: false, coupled: false, residual: false };
const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, batch: 4, seq: 8, lr: 1e-2, valFraction: 0.1, dropout: 0 };
const corpus = { files: ["mem"], sha256: "x", chars: data.length, trainChars: 0 };

/** The character model with its state reset every batch (what classification and tagging do). */
class StatelessCharacterModel extends CharacterModel {
  override readonly carriesState = false;
}

/** The character model whose batches give stream `masked` no loss. */
class MaskedStreamModel extends CharacterModel {
  constructor(vocabulary: number, readonly masked: number) { super(vocabulary); }
  override batches(d: TokenIds, streams: number, window: number): StreamBatches {
    const inner = super.batches(d, streams, window);
    const masked = this.masked;
    return Object.assign(Object.create(inner) as StreamBatches, {
      fillBatch(index: number, into: BatchBuffers, b0 = 0, b1 = streams): void {
        inner.fillBatch(index, into, b0, b1);
        const B = b1 - b0;
        if (masked >= b0 && masked < b1) for (let t = 0; t < window; t++) into.lossWeights[t * B + masked - b0] = 0;
      },
    } satisfies Partial<TaskBatches>);
  }
}

/** Loss of batch `w` of `batches` with `params`, from zero state, streams `only` (all by default): a fresh core, nothing carried. */
function lossFromZero(params: Float32Array, batches: StreamBatches, w: number, only?: number[]): number {
  const streams = only ?? Array.from({ length: batches.batch }, (_, b) => b);
  const core = new Core(coreShape(spec));
  core.params().set(params);
  core.setShape(streams.length, batches.steps);
  const inputs = new Int32Array(batches.batch * batches.steps), targets = new Int32Array(batches.batch * batches.steps);
  batches.fill(w, inputs, targets);
  streams.forEach((b, k) => {
    for (let t = 0; t < batches.steps; t++) {
      core.inputs()[t * streams.length + k] = inputs[t * batches.batch + b];
      core.targets()[t * streams.length + k] = targets[t * batches.batch + b];
    }
  });
  return core.forward(false, 0, true);
}

describe("the task seam", () => {
  test("a training checkpoint names its task; the entry round-trips and restoreTask rebuilds the task", () => {
    const t = new Trainer(spec, vocab, splitCorpus(data, 0.1), options, corpus);
    t.trainStep();
    const back = decodeCheckpoint(encodeCheckpoint(t.snapshot()));
    assert.deepEqual(back.task, { name: "character-model", metadata: {} });
    const task = restoreTask(back.task!, back.spec);
    assert.equal(task.name, "character-model");
    assert.deepEqual(task.head, { kind: "classes", width: vocab.size });
    assert.deepEqual(task.input, { kind: "tokens", vocabulary: vocab.size });
    assert.equal(task.carriesState, true);
    t.dispose();
  });

  test("a checkpoint with an unknown task, or a task entry that is not an object, is refused in one line", () => {
    const t = new Trainer(spec, vocab, splitCorpus(data, 0.1), options, corpus);
    const unknown = encodeCheckpoint({ ...t.snapshot(), task: { name: "teleport", metadata: {} } });
    assert.throws(() => decodeCheckpoint(unknown, "x.safetensors"), (e: Error) => e instanceof CheckpointError && /^x\.safetensors.*unknown task "teleport"/.test(e.message) && !e.message.includes("\n"));
    const noMetadata = encodeCheckpoint({ ...t.snapshot(), task: { name: "character-model" } as never });
    assert.throws(() => decodeCheckpoint(noMetadata), /task's metadata is not an object/);
    t.dispose();
  });

  test("a task that does not carry state trains every batch from zero state", () => {
    const carried = new Trainer(spec, vocab, splitCorpus(data, 0.1), options, corpus);
    const stateless = new Trainer(spec, vocab, splitCorpus(data, 0.1), options, corpus, null, undefined, 1, new StatelessCharacterModel(vocab.size));
    for (const t of [carried, stateless]) t.trainStep();
    assert.deepEqual(Array.from(carried.core.params()), Array.from(stateless.core.params()), "the first batch starts from zero either way");
    const params = Float32Array.from(stateless.core.params());
    const expected = lossFromZero(params, stateless.batches, 1);
    assert.equal(stateless.trainStep().loss, expected, "the second batch's loss is the loss from zero state");
    assert.notEqual(carried.trainStep().loss, expected, "the character model carries its state into the second batch");
    carried.dispose();
    stateless.dispose();
  });

  test("a task whose batches mask a stream trains on the loss of the other streams only", () => {
    const masked = new Trainer(spec, vocab, splitCorpus(data, 0.1), options, corpus, null, undefined, 1, new MaskedStreamModel(vocab.size, 2));
    const params = Float32Array.from(masked.core.params());
    const expected = lossFromZero(params, masked.batches, 0, [0, 1, 3]);
    assert.ok(Math.abs(masked.trainStep().loss - expected) < 1e-6, "loss over streams 0, 1, 3");
    masked.dispose();
  });

  test("two shard threads (each rebuilding the task from its checkpoint entry) repeat bit for bit and match one thread up to summation order", () => {
    const run = (threads: number) => {
      const t = new Trainer(spec, vocab, splitCorpus(data, 0.1), { ...options, batch: 4 }, corpus, null, "scalar", threads);
      for (let k = 0; k < 5; k++) t.trainStep();
      const p = Buffer.from(Float32Array.from(t.core.params()).buffer);
      t.dispose();
      return p;
    };
    // shards of 2 + 2 streams: each shard's gradient is its mean, combined by weight 1/2 (exactly B_k/B)
    assert.ok(run(2).equals(run(2)), "two threads repeat bit for bit");
    const one = run(1), two = run(2);
    let worst = 0;
    const a = new Float32Array(one.buffer, one.byteOffset, one.length / 4), b = new Float32Array(two.buffer, two.byteOffset, two.length / 4);
    for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]));
    assert.ok(worst < 1e-5, `one vs two threads differ by ${worst} (float summation order only)`);
  });
});
