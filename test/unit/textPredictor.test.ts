// Hover predictions and surprisal against an independent reading: windowLogits over exactly the
// context the predictor promises (from the anchor, zero state), whatever its cache holds.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { Model } from "../../src/engine/files/checkpoint";
import { Core } from "../../src/engine/core/core";
import { windowLogits } from "../../src/engine/training/evaluate";
import { initialiseParameters } from "../../src/engine/model/initialise";
import { ModelSpec, coreShape } from "../../src/engine/model/modelSpec";
import { TextPredictor } from "../../src/engine/insight/textPredictor";
import { bundledCorpus } from "../helpers";

function randomModel(cell: ModelSpec["cell"], text: string, layers = 2): Model {
  const { vocab } = CharVocabulary.fromText(text);
  const spec: ModelSpec = { cell, nonlinearity: "tanh", layers, hidden: 20, embed: 0, vocabSize: vocab.size, peephole: false, coupled: false, residual: false };
  const core = new Core(coreShape(spec));
  initialiseParameters(core, spec, "xavier", 1, 3);
  const params = Float32Array.from(core.params());
  for (let k = 0; k < params.length; k++) params[k] *= 3; // sharper distributions than a fresh init
  return { spec, vocab, params, training: null };
}

/** The reference: softmax after reading text[anchor, p) from zero state (a line break first at the document start). */
function reference(model: Model, text: string, p: number, W: number): Float64Array {
  const anchor = Math.max(0, Math.floor(p / W) * W - W);
  const ids = [...(anchor === 0 ? [model.vocab.indexOf("\n")] : []), ...[...text.slice(anchor, p)].map((c) => model.vocab.indexOf(c)).filter((i) => i >= 0)];
  const { logits } = windowLogits(model, Int32Array.from(ids), 1);
  const V = model.spec.vocabSize;
  const last = logits.subarray((ids.length - 1) * V, ids.length * V);
  const max = Math.max(...last);
  const e = Array.from(last, (x) => Math.exp(x - max));
  const s = e.reduce((a, b) => a + b, 0);
  return Float64Array.from(e, (x) => x / s);
}

const corpus = readFileSync(bundledCorpus, "utf8").slice(0, 20000);

for (const cell of ["lstm", "gru", "rnn"] as const) {
  test(`${cell}: predictions at random offsets, in any order, equal a fresh read of the same context`, () => {
    const model = randomModel(cell, corpus);
    const W = 64;
    const predictor = new TextPredictor(model, W);
    const text = corpus.slice(0, 3000);
    predictor.setText("doc", 1, text);
    let seed = 5;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const offsets = [0, 1, 63, 64, 65, 127, 128, 129, 2999, 3000];
    for (let k = 0; k < 40; k++) offsets.push(Math.floor(rand() * 3001));
    for (let k = 0; k < 30; k++) offsets.push(1500 + k); // moving along a line
    let worst = 0;
    for (const p of offsets) {
      const got = predictor.predict("doc", p, 5);
      const want = reference(model, text, p, W);
      const order = [...want.keys()].sort((a, b) => want[b] - want[a]);
      assert.deepEqual(got.top.map((t) => t.char), order.slice(0, 5).map((i) => model.vocab.chars[i]), `top 5 at ${p}`);
      got.top.forEach((t, i) => { worst = Math.max(worst, Math.abs(t.probability - want[order[i]])); });
      if (p < text.length) {
        assert.equal(got.actual!.char, text[p]);
        assert.ok(Math.abs(got.actual!.probability - want[model.vocab.indexOf(text[p])]) < 1e-5);
        assert.ok(Math.abs(got.actual!.bits + Math.log2(want[model.vocab.indexOf(text[p])])) < 1e-3);
      } else {
        assert.equal(got.actual, null);
      }
    }
    assert.ok(worst < 1e-5, `largest probability difference ${worst}`);
    // the cache did its job: the walk along the line fed one character per hover
    assert.equal(predictor.predict("doc", 1530, 1).fed, 1);
  });
}

test("after an edit, only states past the edit are recomputed, and results match the new text", () => {
  const model = randomModel("lstm", corpus, 1);
  const W = 50;
  const predictor = new TextPredictor(model, W);
  let text = corpus.slice(0, 1000);
  predictor.setText("doc", 1, text);
  for (let p = 0; p <= 1000; p += 7) predictor.predict("doc", p, 3);
  const edit = 600;
  text = text.slice(0, edit) + "Enter a messenger." + text.slice(edit + 3);
  predictor.setText("doc", 2, text, edit);
  for (const p of [10, 599, 600, 601, 640, 700, 900, text.length]) {
    const got = predictor.predict("doc", p, 1);
    const want = reference(model, text, p, W);
    const best = [...want.keys()].sort((a, b) => want[b] - want[a])[0];
    assert.equal(got.top[0].char, model.vocab.chars[best], `at ${p}`);
    assert.ok(Math.abs(got.top[0].probability - want[best]) < 1e-5, `at ${p}`);
  }
  assert.ok(predictor.predict("doc", 560, 1).fed <= 32, "states before the edit are still cached");
});

test("surprisal of a range equals −log2 p of each character read in one pass; CJK and emoji are one character each", () => {
  const text = "床前明月光，疑是地上霜。举头望明月，低头思故乡。🌙 moon 🌙\n".repeat(8);
  const model = randomModel("gru", text, 1);
  const W = 40;
  const predictor = new TextPredictor(model, W);
  predictor.setText("poem", 1, text);
  const start = 100, end = 180;
  const bits = predictor.surprisal("poem", start, end);
  assert.equal(bits.length, end - start);
  // the reference reads from the anchor before `start` through the range in one pass
  const anchor = Math.max(0, Math.floor(start / W) * W - W);
  const chars: { at: number; id: number }[] = [];
  for (let i = anchor; i < end;) {
    const ch = String.fromCodePoint(text.codePointAt(i)!);
    chars.push({ at: i, id: model.vocab.indexOf(ch) });
    i += ch.length;
  }
  const ids = Int32Array.from(chars.map((c) => c.id));
  const { logits } = windowLogits(model, ids, 1);
  const V = model.spec.vocabSize;
  let checked = 0;
  for (let t = 1; t < chars.length; t++) {
    if (chars[t].at < start) continue;
    const row = logits.subarray((t - 1) * V, t * V);
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
    const want = -(row[chars[t].id] - lse) / Math.LN2;
    assert.ok(Math.abs(bits[chars[t].at - start] - want) < 1e-3, `offset ${chars[t].at}: ${bits[chars[t].at - start]} vs ${want}`);
    checked++;
  }
  const emoji = text.indexOf("🌙", start);
  assert.ok(emoji < end - 1);
  assert.ok(Number.isFinite(bits[emoji - start]) && Number.isNaN(bits[emoji + 1 - start]), "the pair's second half has no value of its own");
  assert.ok(checked > 60);
  // a hover inside a surrogate pair means the pair's character
  const inside = predictor.predict("poem", emoji + 1, 1);
  assert.equal(inside.actual!.char, "🌙");
});

test("characters the model has never seen are skipped, not fatal; the mean loss of a file is the mean surprisal", () => {
  const model = randomModel("rnn", "abcab\ncab", 1); // no <unk>
  const predictor = new TextPredictor(model, 16);
  predictor.setText("d", 1, "abc xyz abc");
  const p = predictor.predict("d", 4, 2);
  assert.equal(p.actual, null, "x is not in the vocabulary");
  const bits = predictor.surprisal("d", 0, 11);
  assert.ok(Number.isNaN(bits[3]) && Number.isNaN(bits[4]));
  const { loss, predicted } = predictor.meanLoss("abcabc");
  assert.equal(predicted, 6);
  predictor.setText("e", 1, "abcabc");
  const all = predictor.surprisal("e", 0, 6);
  assert.ok(Math.abs(loss - (all.reduce((s, x) => s + x, 0) * Math.LN2) / 6) < 1e-9);
});
