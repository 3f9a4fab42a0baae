// The classify / tag / segment tasks on the seam (tasks/classifyTask.ts, tagTask.ts,
// sequenceBatches.ts): batches bucketed by length with lengths and masks; padding that changes
// nothing (a sequence alone and inside a padded batch give the same logits, f64); evaluations equal
// to the same model run one sequence at a time and scored independently; scheme-constrained
// decoding against enumeration of every allowed path; the f64 gradient of the task's loss (class
// weights, mixed lengths, last-step and every-step rows) against central differences; balanced class
// weights worked by hand; the checkpoint entry round trip; 2 threads = 1 thread.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Core } from "../../src/engine/core/core";
import { coreShape, ModelSpec } from "../../src/engine/model/modelSpec";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { initialiseParameters } from "../../src/engine/model/initialise";
import { decodeCheckpoint, encodeCheckpoint } from "../../src/engine/files/checkpoint";
import { ClassifyTask, balancedClassWeights } from "../../src/engine/tasks/classifyTask";
import { TagTask, detectScheme } from "../../src/engine/tasks/tagTask";
import { SequenceBatches, SequenceData, encodeSequences, fillSequences } from "../../src/engine/tasks/sequenceBatches";
import { restoreTask } from "../../src/engine/tasks/taskRegistry";
import { transitionRules } from "../../src/engine/tasks/linearChainCrf";
import { relativeError, stepFor } from "../../src/engine/insight/gradientCheck";
import { Trainer } from "../../src/engine/training/trainer";
import { DEFAULT_TRAIN_OPTIONS } from "../../src/engine/training/trainOptions";

function rng(seed: number) {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
}

const VOCAB = new CharVocabulary({ chars: ["a", "b", "c", "d", "e"], unk: -1 });

/** n random sequences of 1 … maxLen characters with a class each (classify) or a tag per character. */
function randomData(n: number, maxLen: number, K: number, perStep: boolean, seed: number): SequenceData {
  const r = rng(seed);
  const seqs: string[][] = [], targets: (number | number[])[] = [];
  for (let i = 0; i < n; i++) {
    const len = 1 + Math.floor(r() * maxLen);
    seqs.push(Array.from({ length: len }, () => VOCAB.chars[Math.floor(r() * 5)]));
    targets.push(perStep ? Array.from({ length: len }, () => Math.floor(r() * K)) : Math.floor(r() * K));
  }
  return encodeSequences(VOCAB, seqs, targets, maxLen).data;
}

function spec(outputs: number, cell: ModelSpec["cell"] = "lstm", layers = 1): ModelSpec {
  return { cell, nonlinearity: "tanh", layers, hidden: 5, embed: 3, vocabSize: 5, peephole: false, coupled: false, residual: false, outputs };
}

function coreFor(s: ModelSpec, precision: "f32" | "f64" = "f64", seed = 3): Core {
  const core = new Core(coreShape(s), precision);
  core.setShape(1, 1);
  initialiseParameters(core, s, "scaled", 1, seed);
  const p = core.params(), r = rng(seed + 1);
  for (let i = 0; i < p.length; i++) p[i] += 0.3 * (r() - 0.5); // biases away from zero too
  return core;
}

function buffers(core: Core) {
  return { tokens: core.inputs(), vectors: null, targets: core.targets(), targetValues: null, lossWeights: core.lossWeights(), lengths: core.lengths() };
}

/** The logits of one sequence run alone (B = 1, T = its length), [T, O]. */
function aloneLogits(core: Core, data: SequenceData, i: number): Float64Array {
  const o = data.offsets[i], n = data.offsets[i + 1] - o, O = core.outputs;
  core.setShape(1, n);
  core.resetState();
  core.inputs().set(data.ids.subarray(o, o + n));
  core.targets().fill(-1);
  core.forward(false, 0, false);
  return Float64Array.from(core.logits().subarray(0, n * O));
}

function logSoftmax(row: ArrayLike<number>): number[] {
  const m = Math.max(...Array.from(row));
  const z = Math.log(Array.from(row).reduce((a, v) => a + Math.exp(v - m), 0)) + m;
  return Array.from(row, (v) => v - z);
}

describe("sequence batches", () => {
  test("bucketed by length: every sequence in some batch, lengths and masks as the layout says, steps = the batch's longest", () => {
    const data = randomData(23, 9, 3, false, 1);
    const b = new SequenceBatches(data, 5, 9, "last-step", (y) => y + 1, 4);
    assert.equal(b.batchesPerEpoch, 5);
    const seen = new Set<number>();
    const tokens = new Int32Array(45), targets = new Int32Array(45), lossWeights = new Float32Array(45), lengths = new Int32Array(5);
    for (let k = 0; k < b.batchesPerEpoch; k++) {
      b.fillBatch(k, { tokens, vectors: null, targets, targetValues: null, lossWeights, lengths });
      const steps = b.stepsOf(k);
      assert.equal(steps, Math.max(...lengths), "a batch runs its longest sequence's steps");
      assert.ok(Math.max(...lengths) - Math.min(...lengths) <= 4, "sorted by length: a batch's lengths are close");
      for (let s = 0; s < 5; s++) {
        // find which sequence this stream holds by its tokens
        const toks = Array.from({ length: lengths[s] }, (_, t) => tokens[t * 5 + s]);
        const idx = [...Array(23).keys()].find((i) => data.offsets[i + 1] - data.offsets[i] === lengths[s] && Array.from(data.ids.subarray(data.offsets[i], data.offsets[i + 1])).join() === toks.join())!;
        assert.ok(idx !== undefined);
        seen.add(idx);
        for (let t = 0; t < steps; t++) {
          const r = t * 5 + s, last = t === lengths[s] - 1;
          assert.equal(targets[r], last ? data.targets[idx] : -1);
          assert.equal(lossWeights[r], last ? data.targets[idx] + 1 : 0);
        }
      }
    }
    assert.equal(seen.size, 23);
  });

  test("a sequence alone and inside a padded batch give the same logits (f64, 1e-12), every-step layout", () => {
    const s = spec(4, "gru", 2), core = coreFor(s);
    const data = randomData(7, 11, 4, true, 2);
    const alone = [...Array(7).keys()].map((i) => aloneLogits(core, data, i));
    core.setShape(7, 11);
    core.resetState();
    const steps = fillSequences(data, [...Array(7).keys()], "every-step", buffers(core), () => 1);
    core.setSteps(steps);
    core.forward(false, 0, true);
    const logits = core.logits();
    for (let i = 0; i < 7; i++) {
      const n = data.offsets[i + 1] - data.offsets[i];
      for (let t = 0; t < n; t++) for (let k = 0; k < 4; k++) assert.ok(Math.abs(logits[(t * 7 + i) * 4 + k] - alone[i][t * 4 + k]) < 1e-12, `sequence ${i} step ${t}`);
    }
  });
});

describe("classify task", () => {
  test("evaluation = each sequence alone: loss the mean −log p(class) at its last character, predictions the argmax, report counted from them", () => {
    const s = spec(3), core = coreFor(s);
    const data = randomData(17, 8, 3, false, 5);
    const task = new ClassifyTask({ classes: ["neg", "neu", "pos"], pool: "last", classWeights: null, maxLength: 8, seed: 1 }, 5);
    const e = task.evaluate(core, data, 4, 8)!;
    let loss = 0, correct = 0;
    for (let i = 0; i < 17; i++) {
      const n = data.offsets[i + 1] - data.offsets[i];
      const lp = logSoftmax(aloneLogits(core, data, i).subarray((n - 1) * 3, n * 3));
      loss -= lp[data.targets[i]];
      const best = lp.indexOf(Math.max(...lp));
      assert.equal(e.predicted[i], best, `sequence ${i}`);
      if (best === data.targets[i]) correct++;
    }
    assert.ok(Math.abs(e.loss - loss / 17) < 1e-10);
    assert.equal(e.weight, 17);
    assert.equal(e.report.accuracy, correct / 17);
    assert.equal(e.report.confusion.flat().reduce((a, b) => a + b, 0), 17);
  });

  test("balanced class weights are scikit-learn's documented n / (K · count): worked by hand", () => {
    // 3 of class 0, 1 of class 1, 2 of class 2: n = 6, K = 3 → 6/9, 6/3, 6/6
    assert.deepEqual(balancedClassWeights([0, 2, 0, 1, 0, 2], 3).map((w) => +w.toFixed(12)), [0.666666666667, 2, 1]);
    // a class absent from training keeps weight 1 (it has no rows to weight)
    assert.deepEqual(balancedClassWeights([1, 1, 0, 1], 3), [4 / 3, 4 / 9, 1]);
  });

  test("pooling other than last is refused until the core's pooled head exists, with the reason", () => {
    assert.throws(() => new ClassifyTask({ classes: ["a", "b"], pool: "mean", classWeights: null, maxLength: 8, seed: 1 }, 5), /--pool mean needs the core's pooled sequence head/);
  });
});

describe("tag task", () => {
  test("scheme detection", () => {
    assert.equal(detectScheme(["B", "E", "M", "S"]), "bmes");
    assert.equal(detectScheme(["B-PER", "I-PER", "O"]), "bio");
    assert.equal(detectScheme(["consonant", "vowel"]), "none");
  });

  for (const [scheme, tags] of [["bmes", ["B", "E", "M", "S"]], ["bio", ["B-LOC", "B-PER", "I-LOC", "I-PER", "O"]]] as const) {
    test(`${scheme}: decoding = the best allowed path by enumeration of every path, and never an impossible one`, () => {
      const task = new TagTask({ tags: [...tags], scheme, segment: scheme === "bmes", maxLength: 8, seed: 1 }, 5);
      const K = tags.length, rules = transitionRules(tags, scheme), r = rng(K);
      const allowed = (p: number[]) => !!rules.first[p[0]] && !!rules.last[p[p.length - 1]] && p.every((y, t) => t === 0 || !!rules.allowed[p[t - 1] * K + y]);
      for (let trial = 0; trial < 30; trial++) {
        const T = 1 + (trial % 5);
        const logits = Float64Array.from({ length: T * K }, () => 6 * (r() - 0.5));
        const lp = Array.from({ length: T }, (_, t) => logSoftmax(logits.subarray(t * K, (t + 1) * K)));
        let best = -Infinity, bestPath: number[] = [];
        const path = new Array(T).fill(0);
        for (let code = 0; code < K ** T; code++) {
          for (let t = 0, c = code; t < T; t++, c = Math.floor(c / K)) path[t] = c % K;
          if (!allowed(path)) continue;
          const sc = path.reduce((a, y, t) => a + lp[t][y], 0);
          if (sc > best) { best = sc; bestPath = path.slice(); }
        }
        const got = Array.from(task.decode(logits, T));
        assert.ok(allowed(got), `decoded ${got} is impossible under ${scheme}`);
        assert.deepEqual(got, bestPath);
      }
    });
  }
});

describe("the tasks' loss through the whole model (f64, central differences < 1e-6 per tensor)", () => {
  for (const [what, layout, weights] of [["classify, balanced class weights", "last-step", [0.5, 2, 1.25]], ["tag", "every-step", [1, 1, 1]]] as const) {
    test(`${what}: mixed lengths in one batch`, () => {
      const s = spec(3, "lstm", 2), core = coreFor(s, "f64", 9);
      const data = randomData(4, 6, 3, layout === "every-step", 11);
      core.setShape(4, 6);
      const run = () => {
        core.resetState();
        const steps = fillSequences(data, [0, 1, 2, 3], layout, buffers(core), (y) => weights[y]);
        core.setSteps(steps);
        return core.forward(false, 0, true);
      };
      run();
      core.zeroGrads();
      core.backward();
      const g = Float64Array.from(core.grads());
      const p = core.params();
      for (const slot of core.tensors) {
        let worst = 0;
        for (let k = slot.offset; k < slot.offset + slot.rows * slot.cols; k++) {
          // the harness's seven-point stencil (insight/gradientCheck.ts), error O(h⁶)
          const x = p[k], h = stepFor(s);
          const at = (d: number) => { p[k] = x + d; return run(); };
          const numeric = (45 * (at(h) - at(-h)) - 9 * (at(2 * h) - at(-2 * h)) + (at(3 * h) - at(-3 * h))) / (60 * h);
          p[k] = x;
          worst = Math.max(worst, relativeError(g[k], numeric));
        }
        assert.ok(worst < 1e-6, `tensor kind ${slot.kind} layer ${slot.layer}: ${worst}`);
      }
    });
  }
});

describe("checkpoint entry and threads", () => {
  test("classify, tag and segment entries round-trip through a training checkpoint and rebuild the same task", () => {
    const data = randomData(40, 7, 2, false, 21);
    const task = new ClassifyTask({ classes: ["x", "y"], pool: "last", classWeights: [0.75, 1.5], maxLength: 7, seed: 3 }, 5);
    const trainer = new Trainer<SequenceData, SequenceBatches>(spec(2), VOCAB, { train: data, val: data }, { ...DEFAULT_TRAIN_OPTIONS, batch: 8, seq: 7 },
      { files: ["x.csv"], sha256: "0", chars: data.ids.length, trainChars: data.ids.length }, null, undefined, 1, task);
    for (let i = 0; i < 7; i++) trainer.trainStep(); // 5 batches an epoch: step 7 is epoch 1, window 2
    const back = decodeCheckpoint(encodeCheckpoint(trainer.snapshot()));
    trainer.dispose();
    assert.deepEqual(back.task, task.checkpoint());
    const again = restoreTask(back.task!, back.spec) as unknown as ClassifyTask;
    assert.deepEqual(again.meta, task.meta);
    assert.equal(back.training!.step, 7);
    for (const segment of [false, true]) {
      const t = new TagTask({ tags: ["B", "E", "M", "S"], scheme: "bmes", segment, maxLength: 9, seed: 2 }, 5);
      const r = restoreTask(JSON.parse(JSON.stringify(t.checkpoint())), spec(4)) as unknown as TagTask;
      assert.equal(r.name, segment ? "segment" : "tag");
      assert.deepEqual(r.meta, t.meta);
    }
  });

  test("2 threads train as 1 (same losses to float rounding)", () => {
    const data = randomData(48, 10, 3, true, 31);
    const task = new TagTask({ tags: ["p", "q", "r"], scheme: "none", segment: false, maxLength: 10, seed: 5 }, 5);
    const losses = [1, 2].map((threads) => {
      const t = new Trainer<SequenceData, SequenceBatches>(spec(3), VOCAB, { train: data, val: data }, { ...DEFAULT_TRAIN_OPTIONS, batch: 8, seq: 10 },
        { files: ["x.jsonl"], sha256: "0", chars: 1, trainChars: 1 }, null, undefined, threads, task);
      try { return Array.from({ length: 8 }, () => t.trainStep().loss); } finally { t.dispose(); }
    });
    losses[0].forEach((l, i) => assert.ok(Math.abs(l - losses[1][i]) < 1e-5 * Math.max(1, l), `step ${i}: ${l} vs ${losses[1][i]}`));
  });
});
