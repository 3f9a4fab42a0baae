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
import { SequencePool } from "../../src/engine/core/coreAbi";
import { coreShape, ModelSpec } from "../../src/engine/model/modelSpec";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { initialiseParameters } from "../../src/engine/model/initialise";
import { decodeCheckpoint, encodeCheckpoint } from "../../src/engine/files/checkpoint";
import { ClassifyTask, balancedClassWeights } from "../../src/engine/tasks/classifyTask";
import { TagTask, detectScheme } from "../../src/engine/tasks/tagTask";
import { crfParameters, crfShardLoss } from "../../src/engine/tasks/crfTagging";
import { SequenceBatches, SequenceData, encodeSequences, fillSequences } from "../../src/engine/tasks/sequenceBatches";
import { restoreTask } from "../../src/engine/tasks/taskRegistry";
import { transitionRules } from "../../src/engine/tasks/linearChainCrf";
import { finiteDifferenceCheck, stepFor } from "../../src/engine/insight/gradientCheck";
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
  return { tokens: core.inputs(), vectors: null, targets: core.targets(), targetValues: null, lossWeights: core.lossWeights(), lengths: core.lengths(), classTargets: core.classTargets(), streamWeights: core.streamWeights() };
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
    const b = new SequenceBatches(data, 5, 9, "pooled", (y) => y + 1, 4);
    assert.equal(b.batchesPerEpoch, 5);
    const seen = new Set<number>();
    const tokens = new Int32Array(45), targets = new Int32Array(45), lossWeights = new Float32Array(45), lengths = new Int32Array(5), classTargets = new Int32Array(5), streamWeights = new Float32Array(5);
    for (let k = 0; k < b.batchesPerEpoch; k++) {
      b.fillBatch(k, { tokens, vectors: null, targets, targetValues: null, lossWeights, lengths, classTargets, streamWeights });
      const steps = b.stepsOf(k);
      assert.equal(steps, Math.max(...lengths), "a batch runs its longest sequence's steps");
      assert.ok(Math.max(...lengths) - Math.min(...lengths) <= 4, "sorted by length: a batch's lengths are close");
      for (let s = 0; s < 5; s++) {
        // find which sequence this stream holds by its tokens
        const toks = Array.from({ length: lengths[s] }, (_, t) => tokens[t * 5 + s]);
        const idx = [...Array(23).keys()].find((i) => data.offsets[i + 1] - data.offsets[i] === lengths[s] && Array.from(data.ids.subarray(data.offsets[i], data.offsets[i + 1])).join() === toks.join())!;
        assert.ok(idx !== undefined);
        seen.add(idx);
        assert.equal(classTargets[s], data.targets[idx]);
        assert.equal(streamWeights[s], data.targets[idx] + 1, "the class's weight");
        for (let t = 0; t < steps; t++) { assert.equal(targets[t * 5 + s], -1); assert.equal(lossWeights[t * 5 + s], 0); }
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
    // the reference: the per-step head's logits at the last character of each sequence run alone (one direction: h_n is that state)
    const alone = [...Array(17).keys()].map((i) => aloneLogits(core, data, i));
    task.prepareCore(core);
    const e = task.evaluate(core, data, 4, 8)!;
    let loss = 0, correct = 0;
    for (let i = 0; i < 17; i++) {
      const n = data.offsets[i + 1] - data.offsets[i];
      const lp = logSoftmax(alone[i].subarray((n - 1) * 3, n * 3));
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

  test("mean and max pooling, bidirectional: evaluation = each sequence alone through the pooled head (padding changes nothing)", () => {
    for (const pool of ["mean", "max"] as const) {
      const s = { ...spec(2, "gru"), bidirectional: true }, core = coreFor(s, "f64", 13);
      const data = randomData(9, 7, 2, false, 17);
      const task = new ClassifyTask({ classes: ["a", "b"], pool, classWeights: null, maxLength: 7, seed: 1 }, 5);
      task.prepareCore(core);
      const e = task.evaluate(core, data, 4, 7)!;
      for (let i = 0; i < 9; i++) {
        const one: SequenceData = { ids: data.ids.subarray(data.offsets[i], data.offsets[i + 1]), offsets: Int32Array.of(0, data.offsets[i + 1] - data.offsets[i]), targets: data.targets.subarray(i, i + 1) };
        const alone = task.evaluate(core, one, 1, 7)!;
        for (let k = 0; k < 2; k++) assert.ok(Math.abs(alone.probabilities[0][k] - e.probabilities[i][k]) < 1e-12, `${pool}, sequence ${i}`);
      }
    }
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
  for (const [what, layout, weights, pool, bidirectional] of [
    ["classify, last, balanced class weights", "pooled", [0.5, 2, 1.25], SequencePool.Last, false],
    ["classify, bidirectional, mean", "pooled", [0.5, 2, 1.25], SequencePool.Mean, true],
    ["classify, bidirectional, max", "pooled", [1, 1, 1], SequencePool.Max, true],
    ["tag", "every-step", [1, 1, 1], SequencePool.Steps, false],
    ["tag, bidirectional", "every-step", [1, 1, 1], SequencePool.Steps, true],
  ] as const) {
    test(`${what}: mixed lengths in one batch`, () => {
      // max pooling is not differentiable where two steps tie: one layer and a seed whose maxima stay apart over the stencil (seeds 1, 2, 6, 7 have a near tie)
      const s = { ...spec(3, "lstm", pool === SequencePool.Max ? 1 : 2), ...(bidirectional ? { bidirectional } : {}) }, core = coreFor(s, "f64", pool === SequencePool.Max ? 3 : 9);
      core.setSequenceHead(pool);
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
      // the harness's seven-point stencil (insight/gradientCheck.ts), error O(h⁶); max is piecewise: a stencil must not straddle a change of argmax (1e-4 leaves rounding ~1e-6)
      const h = pool === SequencePool.Max ? 1e-3 : stepFor(s);
      for (const c of finiteDifferenceCheck(core, run, h)) assert.ok(c.maxRelError < 1e-6, `${c.name}: ${c.maxRelError}`);
    });
  }
});

describe("the CRF tagger (--crf) through the whole model", () => {
  for (const bidirectional of [false, true]) {
    test(`f64 gradient of the CRF's loss: emissions through the network, transitions in the block (central differences < 1e-6 per tensor)${bidirectional ? ", bidirectional" : ""}`, () => {
      const tags = ["B", "E", "M", "S"], K = 4;
      const s: ModelSpec = { ...spec(K, "gru", 1), crf: true, ...(bidirectional ? { bidirectional } : {}) };
      const core = coreFor(s, "f64", 21);
      const p = core.params(), r = rng(5);
      for (const slot of core.tensors) if (slot.kind >= 20) for (let k = slot.offset; k < slot.offset + slot.rows * slot.cols; k++) p[k] = r() - 0.5;
      // gold B/M/E/S paths the scheme allows
      const words = [["ab", "c"], ["d", "eab"], ["abcd"], ["e", "a", "bc"]];
      const seqs = words.map((w) => Array.from(w.join(""))), gold = words.map((w) => w.flatMap((x) => (x.length === 1 ? [3] : [0, ...Array(x.length - 2).fill(2), 1])));
      const data = encodeSequences(VOCAB, seqs, gold, 8).data;
      const rules = transitionRules(tags, "bmes");
      core.setShape(4, 4);
      const run = () => {
        core.resetState();
        core.zeroGrads();
        const steps = fillSequences(data, [0, 1, 2, 3], "every-step", buffers(core), () => 1);
        core.setSteps(steps);
        core.forward(false, 0, true); // with loss, as runShard does (lossWeightTotal counts the characters)
        return crfShardLoss(core, data, [0, 1, 2, 3], rules);
      };
      const loss = run();
      core.backward();
      for (const c of finiteDifferenceCheck(core, run, stepFor(s))) assert.ok(c.maxRelError < 1e-6, `${c.name}: ${c.maxRelError}`);
      // the loss is the mean −log p(gold) per character, by enumeration of every path of each sequence
      const params = crfParameters(core);
      let brute = 0;
      for (let i = 0; i < 4; i++) {
        const n = seqs[i].length, e = aloneLogits(core, data, i);
        core.setShape(4, 4);
        const score = (path: number[]) => {
          if (!rules.first[path[0]] || !rules.last[path[n - 1]] || path.some((y, t) => t > 0 && !rules.allowed[path[t - 1] * K + y])) return -Infinity;
          return params.start[path[0]] + params.end[path[n - 1]] + path.reduce((a, y, t) => a + e[t * K + y] + (t ? params.transitions[path[t - 1] * K + y] : 0), 0);
        };
        let z = 0;
        const path = new Array(n).fill(0);
        for (let code = 0; code < K ** n; code++) { for (let t = 0, c = code; t < n; t++, c = Math.floor(c / K)) path[t] = c % K; z += Math.exp(score(path)); }
        brute += Math.log(z) - score(gold[i]);
      }
      assert.ok(Math.abs(loss - brute / data.ids.length) < 1e-10, `${loss} vs enumeration ${brute / data.ids.length}`);
    });
  }

  test("CRF decoding = the best allowed path by enumeration with the learned transitions", () => {
    const tags = ["B", "E", "M", "S"], K = 4;
    const s: ModelSpec = { ...spec(K, "lstm", 1), crf: true };
    const core = coreFor(s, "f64", 8);
    const p = core.params(), r = rng(9);
    for (const slot of core.tensors) if (slot.kind >= 20) for (let k = slot.offset; k < slot.offset + slot.rows * slot.cols; k++) p[k] = 3 * (r() - 0.5);
    const task = new TagTask({ tags, scheme: "bmes", segment: true, maxLength: 6, seed: 1 }, 5, true);
    const data = randomData(6, 5, 4, true, 3);
    const e = task.evaluate(core, data, 3, 6)!;
    const params = crfParameters(core), rules = transitionRules(tags, "bmes");
    for (let i = 0; i < 6; i++) {
      const n = data.offsets[i + 1] - data.offsets[i], em = aloneLogits(core, data, i);
      let best = -Infinity, bestPath: number[] = [];
      const path = new Array(n).fill(0);
      for (let code = 0; code < K ** n; code++) {
        for (let t = 0, c = code; t < n; t++, c = Math.floor(c / K)) path[t] = c % K;
        if (!rules.first[path[0]] || !rules.last[path[n - 1]] || path.some((y, t) => t > 0 && !rules.allowed[path[t - 1] * K + y])) continue;
        const sc = params.start[path[0]] + params.end[path[n - 1]] + path.reduce((a, y, t) => a + em[t * K + y] + (t ? params.transitions[path[t - 1] * K + y] : 0), 0);
        if (sc > best) { best = sc; bestPath = path.slice(); }
      }
      assert.deepEqual(Array.from(e.predicted[i]), bestPath, `sequence ${i}`);
    }
  });
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

  for (const [what, crf, pooled] of [["a tagger", false, false], ["a bidirectional CRF tagger", true, false], ["a bidirectional mean-pooled classifier", false, true]] as const) {
    test(`2 threads train ${what} as 1 (same losses to float rounding)`, () => {
      const data = pooled ? randomData(48, 10, 3, false, 31) : randomData(48, 10, 3, true, 31);
      const task = pooled ? new ClassifyTask({ classes: ["p", "q", "r"], pool: "mean", classWeights: [1, 2, 0.5], maxLength: 10, seed: 5 }, 5)
        : new TagTask({ tags: ["p", "q", "r"], scheme: "none", segment: false, maxLength: 10, seed: 5 }, 5, crf);
      const s: ModelSpec = { ...spec(3), ...(crf || pooled ? { bidirectional: true } : {}), ...(crf ? { crf } : {}) };
      const losses = [1, 2].map((threads) => {
        const t = new Trainer<SequenceData, SequenceBatches>(s, VOCAB, { train: data, val: data }, { ...DEFAULT_TRAIN_OPTIONS, batch: 8, seq: 10 },
          { files: ["x.jsonl"], sha256: "0", chars: 1, trainChars: 1 }, null, undefined, threads, task as never);
        try { return Array.from({ length: 8 }, () => t.trainStep().loss); } finally { t.dispose(); }
      });
      assert.notEqual(losses[0][7], losses[0][0], "the steps train");
      losses[0].forEach((l, i) => assert.ok(Math.abs(l - losses[1][i]) < 1e-5 * Math.max(1, l), `step ${i}: ${l} vs ${losses[1][i]}`));
    });
  }
});
