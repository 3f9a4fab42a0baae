// Drawing characters: reproducible for a seed, argmax at temperature 0 (and as it approaches 0),
// top-k and top-p keep exactly the right set, and draws follow softmax(logits / temperature).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { Model } from "../../src/engine/files/checkpoint";
import { Core } from "../../src/engine/core/core";
import { initialiseParameters } from "../../src/engine/model/initialise";
import { ModelSpec, coreShape } from "../../src/engine/model/modelSpec";
import { Sampler } from "../../src/engine/insight/sampler";

const vocab = new CharVocabulary({ chars: [..."abcdefgh\n"], unk: -1 });
const spec: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 2, hidden: 16, embed: 0, vocabSize: vocab.size, peephole: false, coupled: false, residual: false };

function randomModel(seed: number, scale = 1): Model {
  const core = new Core(coreShape(spec));
  initialiseParameters(core, spec, "scaled", 1, seed);
  const params = Float32Array.from(core.params(), (v) => v * scale);
  return { spec, vocab, params, training: null };
}

/** A 1-row core whose logits we set by hand. */
function logitCore(logits: number[]): Core {
  const core = new Core({ cell: 0, layers: 1, vocab: logits.length, embed: 0, hidden: 1, flags: 0 });
  core.logits().set(logits);
  core.seed(5);
  return core;
}

describe("sampling", () => {
  test("a fixed seed reproduces the same text; another seed does not", () => {
    const m = randomModel(1, 4);
    const a = new Sampler(m, 42).generate(300, { temperature: 1, topK: 0, topP: 1 });
    const b = new Sampler(m, 42).generate(300, { temperature: 1, topK: 0, topP: 1 });
    const c = new Sampler(m, 43).generate(300, { temperature: 1, topK: 0, topP: 1 });
    assert.equal(a, b);
    assert.notEqual(a, c);
    assert.equal([...a].length, 300);
  });

  test("temperature 0 is argmax, and temperature → 0 converges to it", () => {
    const m = randomModel(2, 4);
    const greedy = new Sampler(m, 1).generate(200, { temperature: 0, topK: 0, topP: 1 });
    // Independent argmax: run the model step by step and pick the largest logit ourselves.
    const core = new Core(coreShape(spec));
    core.params().set(m.params);
    core.setShape(1, 1);
    let x = vocab.indexOf("\n"), expected = "";
    for (let k = 0; k < 200; k++) {
      core.inputs()[0] = x;
      core.forward(false, 0, false);
      core.carryState();
      const lg = core.logits();
      x = lg.indexOf(Math.max(...lg));
      expected += vocab.chars[x];
    }
    assert.equal(greedy, expected);
    for (const seed of [1, 2, 3]) assert.equal(new Sampler(m, seed).generate(200, { temperature: 1e-4, topK: 0, topP: 1 }), greedy);
    assert.equal(new Sampler(m, 9).generate(200, { temperature: 1, topK: 1, topP: 1 }), greedy, "top-k 1 is argmax too");
  });

  test("draws follow softmax(logits / T)", () => {
    const logits = [1.0, 2.0, 0.5, -1.0, 1.5];
    for (const temperature of [1, 0.5, 2]) {
      const core = logitCore(logits);
      const counts = new Array(logits.length).fill(0);
      const N = 40000;
      for (let k = 0; k < N; k++) counts[core.sampleRow(0, temperature, 0, 1)]++;
      const e = logits.map((l) => Math.exp(l / temperature));
      const z = e.reduce((a, b) => a + b);
      e.forEach((p, i) => {
        const want = p / z, got = counts[i] / N;
        const sd = Math.sqrt((want * (1 - want)) / N);
        assert.ok(Math.abs(got - want) < 5 * sd + 1e-4, `T=${temperature}, index ${i}: ${got} vs ${want}`);
      });
    }
  });

  test("top-k keeps the k most likely; top-p keeps the smallest set reaching p", () => {
    const logits = [0.1, 3.0, 2.0, 1.0, -2.0, 2.5];
    const core = logitCore(logits);
    const seen = new Set<number>();
    for (let k = 0; k < 3000; k++) seen.add(core.sampleRow(0, 1, 3, 1));
    assert.deepEqual([...seen].sort(), [1, 2, 5]);
    const probs = core.sampleProbs();
    assert.equal(probs[0] + probs[3] + probs[4], 0);
    assert.ok(Math.abs(probs[1] + probs[2] + probs[5] - 1) < 1e-6, "kept probabilities renormalised");
    // softmax: p(1)≈0.445, p(5)≈0.270, p(2)≈0.164 … : top-p 0.6 keeps {1, 5}; 0.75 adds 2
    const e = logits.map(Math.exp), z = e.reduce((a, b) => a + b);
    assert.ok(e[1] / z < 0.6 && (e[1] + e[5]) / z >= 0.6 && (e[1] + e[5]) / z < 0.75);
    const seenP = new Set<number>();
    for (let k = 0; k < 3000; k++) seenP.add(core.sampleRow(0, 1, 0, 0.6));
    assert.deepEqual([...seenP].sort(), [1, 5]);
    const seenP2 = new Set<number>();
    for (let k = 0; k < 3000; k++) seenP2.add(core.sampleRow(0, 1, 0, 0.75));
    assert.deepEqual([...seenP2].sort(), [1, 2, 5]);
  });

  test("priming with text the vocabulary lacks says which character", () => {
    const s = new Sampler(randomModel(3), 1);
    assert.throws(() => s.prime("abz"), /"z" \(U\+007A\)/);
  });
});
