// Attributions of a classifier's logit to the characters of its input (src/engine/insight/attributions.ts):
// integrated gradients add up to logit(x) − logit(0) (completeness, within 1 %), gradient × input adds
// up to the directional derivative d logit(α·x)/dα at α = 1 (finite differences on another core), and
// the quadrature is Gauss–Legendre's.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Core } from "../../src/engine/core/core";
import { SequencePool } from "../../src/engine/core/coreAbi";
import type { Model } from "../../src/engine/files/checkpoint";
import { attributions, gaussLegendre } from "../../src/engine/insight/attributions";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { ModelSpec, coreShape } from "../../src/engine/model/modelSpec";

const vocab = new CharVocabulary({ chars: [..."abcdefgh 今天好"], unk: -1 });
const base: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 2, hidden: 5, embed: 4, vocabSize: vocab.size, peephole: false, coupled: false, residual: false, outputs: 3, bidirectional: true };

function randomModel(spec: ModelSpec, pool: string, seed = 3): Model {
  const core = new Core(coreShape(spec), "f64");
  core.seed(seed);
  core.fillRandom(core.params(), 0.6);
  return { spec, vocab, params: Float32Array.from(core.params()), training: null, task: { name: "classify", metadata: { pool, classes: ["a", "b", "c"] } } };
}

/** d logit_c(α·x)/dα at α = 1 by a seven-point stencil, on a core of its own. */
function directionalDerivative(model: Model, text: string, c: number, pool: SequencePool): number {
  const ids = model.vocab.encode(text);
  const core = new Core(coreShape(model.spec), "f64");
  core.setShape(1, ids.length);
  core.setSequenceHead(pool);
  core.params().set(model.params);
  core.inputs().set(ids);
  const at = (alpha: number) => { core.setInputScale(alpha); core.resetState(); core.forward(false, 0, false); return core.logits()[c]; };
  const e = 1e-3;
  return (45 * (at(1 + e) - at(1 - e)) - 9 * (at(1 + 2 * e) - at(1 - 2 * e)) + (at(1 + 3 * e) - at(1 - 3 * e))) / (60 * e);
}

describe("attributions", () => {
  test("Gauss–Legendre on [0, 1]: weights sum to 1, x⁵ and x⁹ integrate exactly with 3 and 5 nodes", () => {
    for (const n of [1, 2, 3, 5, 32]) {
      const { nodes, weights } = gaussLegendre(n);
      assert.ok(Math.abs(weights.reduce((a, b) => a + b, 0) - 1) < 1e-13, `n ${n}`);
      assert.ok(nodes.every((x) => x > 0 && x < 1));
    }
    const integral = (n: number, f: (x: number) => number) => { const q = gaussLegendre(n); return q.nodes.reduce((s, x, k) => s + q.weights[k] * f(x), 0); };
    assert.ok(Math.abs(integral(3, (x) => x ** 5) - 1 / 6) < 1e-14);
    assert.ok(Math.abs(integral(5, (x) => x ** 9) - 1 / 10) < 1e-14);
    assert.ok(Math.abs(integral(2, (x) => x ** 4) - 1 / 5) > 1e-4, "too few nodes are not exact (the check can fail)");
  });

  const cases: [string, Partial<ModelSpec>, string][] = [
    ["bidirectional LSTM, mean", {}, "mean"], ["bidirectional LSTM, last", {}, "last"], ["bidirectional GRU, max", { cell: "gru" }, "max"],
    ["one-hot bidirectional RNN, last", { cell: "rnn", embed: 0, layers: 1 }, "last"], ["one-direction LSTM, last", { bidirectional: false }, "last"],
  ];
  for (const [name, extra, pool] of cases) {
    test(`${name}: integrated gradients add up to logit(x) − logit(0) within 1 %; gradient × input to d logit(αx)/dα`, () => {
      const model = randomModel({ ...base, ...extra }, pool);
      const text = "abc 今天好 hgfe";
      for (const c of [0, 2]) {
        // max pooling's integrand jumps where an arg max changes along the path, so the quadrature
        // converges like 1/steps there (this model: 2.6 % at 32 nodes, 1.6 % at 128, 0.01 % at 256)
        const ig = attributions(model, text, c, "ig", pool === "max" ? 256 : 32);
        assert.equal(ig.scores.length, Array.from(text).length);
        assert.deepEqual(ig.characters, Array.from(text));
        const delta = ig.logit - ig.baselineLogit;
        assert.ok(Math.abs(delta) > 1e-2, `a logit difference that can be missed (${delta})`);
        assert.ok(Math.abs(ig.total - delta) <= 0.01 * Math.abs(delta), `class ${c}: Σ ${ig.total}, logit difference ${delta}`);
        assert.ok(ig.completenessError! <= 0.01);
        const gx = attributions(model, text, c, "gradxinput");
        const poolCode = { last: SequencePool.Last, mean: SequencePool.Mean, max: SequencePool.Max }[pool]!;
        const numeric = directionalDerivative(model, text, c, poolCode);
        assert.ok(Math.abs(gx.total - numeric) < 1e-7 * Math.max(1, Math.abs(numeric)), `class ${c}: Σ ${gx.total}, d/dα ${numeric}`);
        assert.equal(gx.completenessError, null);
      }
    });
  }

  test("bad requests are refused with a sentence", () => {
    const model = randomModel(base, "mean");
    assert.throws(() => attributions(model, "abc", 3, "ig"), /class 3 is not one of the model's 3 classes/);
    assert.throws(() => attributions(model, "", 0, "ig"), /no text/);
    assert.throws(() => attributions(model, "abc", 0, "ig", 0), /1 to 1024 steps/);
  });
});
