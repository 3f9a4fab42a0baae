// Data-parallel training: the batch's streams split across threads give the same run as one thread
// up to float summation order, a fixed thread count repeats bit for bit, and checkpoints move
// between thread counts.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { decodeCheckpoint, encodeCheckpoint } from "../../src/engine/files/checkpoint";
import { ModelSpec } from "../../src/engine/model/modelSpec";
import { DEFAULT_TRAIN_OPTIONS, TrainOptions } from "../../src/engine/training/trainOptions";
import { Trainer, shardStreams, splitCorpus } from "../../src/engine/training/trainer";
import { expectClose } from "../helpers";

const text = "It was the best of times, it was the worst of times; 最好的时代，最坏的时代。 ".repeat(40);
const { vocab } = CharVocabulary.fromText(text);
const data = vocab.encode(text);
const spec: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 2, hidden: 24, embed: 0, vocabSize: vocab.size, peephole: false, coupled: false, residual: false };
const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, batch: 7, seq: 12, lr: 5e-3, dropout: 0.3, valFraction: 0.1 };

function train(threads: number, steps: number, from: ReturnType<Trainer["snapshot"]> | null = null, s: ModelSpec = spec): Trainer {
  const t = new Trainer(s, vocab, splitCorpus(data, 0.1), options, { files: [], sha256: "", chars: data.length, trainChars: 0 }, from, undefined, threads);
  try {
    for (let k = 0; k < steps; k++) t.trainStep();
  } finally {
    t.dispose();
  }
  return t;
}

describe("training on several threads", () => {
  test("shards cover the batch, sizes differing by at most one", () => {
    assert.deepEqual(shardStreams(7, 3), [{ b0: 0, b1: 3 }, { b0: 3, b1: 5 }, { b0: 5, b1: 7 }]);
    assert.deepEqual(shardStreams(4, 1), [{ b0: 0, b1: 4 }]);
  });

  for (const [name, s] of [["LSTM with dropout", spec], ["GRU with dropout, residual", { ...spec, cell: "gru", residual: true }]] as [string, ModelSpec][]) {
    test(`${name}: 2 and 3 threads equal 1 thread up to summation order`, () => {
      const one = train(1, 12, null, s);
      for (const threads of [2, 3]) {
        const many = train(threads, 12, null, s);
        assert.equal(many.threads, threads);
        expectClose(many.core.params(), one.core.params(), { atol: 2e-5, rtol: 1e-4 }, `${threads} threads vs 1`);
        assert.ok(Math.abs(many.lastLoss - one.lastLoss) < 1e-4, `${many.lastLoss} vs ${one.lastLoss}`);
      }
    });
  }

  test("a fixed thread count repeats bit for bit, and resuming across thread counts continues the run", () => {
    const a = train(2, 10), b = train(2, 10);
    assert.ok(Buffer.from(Float32Array.from(a.core.params()).buffer).equals(Buffer.from(Float32Array.from(b.core.params()).buffer)));
    const half = decodeCheckpoint(encodeCheckpoint(train(2, 5).snapshot()));
    const resumedOnOne = train(1, 5, half);
    assert.equal(resumedOnOne.step, 10);
    expectClose(resumedOnOne.core.params(), a.core.params(), { atol: 2e-5, rtol: 1e-4 }, "2 threads, stop, 1 thread vs 2 threads throughout");
    const resumedOnTwo = train(2, 5, half);
    assert.ok(Buffer.from(Float32Array.from(resumedOnTwo.core.params()).buffer).equals(Buffer.from(Float32Array.from(a.core.params()).buffer)), "same thread count: bit for bit");
  });

  test("more threads than streams uses one thread per stream", () => {
    const t = new Trainer(spec, vocab, splitCorpus(data, 0.1), { ...options, batch: 2 }, { files: [], sha256: "", chars: 0, trainChars: 0 }, null, undefined, 5);
    try {
      assert.equal(t.threads, 2);
      t.trainStep();
    } finally {
      t.dispose();
    }
  });
});
