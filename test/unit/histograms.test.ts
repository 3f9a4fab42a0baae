// The histograms panel's numbers against independent computations: bin counts against a plain scan
// of the edges, quantiles against hand-worked order statistics, and a run's histograms against the
// checkpoints' own weights, a gradient computed here and the recorded states. Also the metrics CSV.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { recordActivations } from "../../src/engine/insight/activations";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { Model } from "../../src/engine/files/checkpoint";
import { Core } from "../../src/engine/core/core";
import { lossGradient } from "../../src/engine/insight/gradientFlow";
import { DISTRIBUTION_QUANTILES, binEdges, histogram, quantiles, runHistograms } from "../../src/engine/insight/histograms";
import { initialiseParameters } from "../../src/engine/model/initialise";
import { metricsCsv } from "../../src/engine/files/metricsCsv";
import { ModelSpec, coreShape, torchName } from "../../src/engine/model/modelSpec";
import { parseRunMetrics } from "../../src/engine/runs/runMetrics";

/** The reference: for each value, the bin whose edges hold it, found by scanning (the last bin closed at its top). */
function scanCounts(values: ArrayLike<number>, edges: Float64Array): number[] {
  const bins = edges.length - 1, counts = new Array(bins).fill(0);
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (!Number.isFinite(v)) continue;
    let bin = v < edges[0] ? 0 : bins - 1;
    for (let i = 0; i < bins; i++) if (v >= edges[i] && (v < edges[i + 1] || (i === bins - 1 && v <= edges[bins]))) { bin = i; break; }
    counts[bin]++;
  }
  return counts;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
}

describe("histogram binning", () => {
  test("counts match a scan of the edges, values on edges included, for random and awkward data", () => {
    const rand = lcg(11);
    const normalish = Float32Array.from({ length: 5000 }, () => (rand() + rand() + rand() - 1.5) * 0.7);
    const cases: [string, Float32Array, Float64Array][] = [
      ["random", normalish, binEdges(Math.min(...normalish), Math.max(...normalish), 40)],
      // every value exactly on an edge of 0.1-wide bins, where floating point rounds either way
      ["on edges", Float32Array.from({ length: 31 }, (_, i) => -1.5 + i * 0.1), binEdges(-1.5, 1.5, 30)],
      ["outside the edges", Float32Array.of(-5, -1, 0, 1, 5, NaN, Infinity), binEdges(-1, 1, 4)],
    ];
    for (const [name, values, edges] of cases) {
      const counts = histogram(values, edges);
      assert.deepEqual(Array.from(counts), scanCounts(values, edges), name);
      assert.equal(counts.reduce((a, b) => a + b, 0), values.filter(Number.isFinite).length, `${name}: every finite value counted once`);
    }
  });

  test("a constant tensor gets a bin of width 1 around its value", () => {
    const edges = binEdges(0.25, 0.25, 4);
    assert.deepEqual(Array.from(edges), [-0.25, 0, 0.25, 0.5, 0.75]);
    assert.deepEqual(Array.from(histogram(Float32Array.of(0.25, 0.25), edges)), [0, 0, 2, 0]);
  });

  test("quantiles interpolate between order statistics (NumPy's linear method)", () => {
    // sorted 1 2 3 4 5: q = 0.25 sits at index 1 (2), q = 0.1 at index 0.4 (1.4), q = 0.0668 at 0.2672 (1.2672)
    const q = quantiles(Float32Array.of(5, 3, 1, 4, 2, NaN), [0, 0.0668, 0.1, 0.25, 0.5, 1]);
    assert.deepEqual(Array.from(q).map((v) => +v.toFixed(6)), [1, 1.2672, 1.4, 2, 3, 5]);
    assert.equal(DISTRIBUTION_QUANTILES.length, 9);
  });
});

function model(seed: number): Model {
  const spec: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 2, hidden: 6, embed: 0, vocabSize: 8, peephole: false, coupled: false, residual: false };
  const core = new Core(coreShape(spec));
  initialiseParameters(core, spec, "scaled", 1, seed);
  return { spec, vocab: new CharVocabulary({ chars: [..."abcdefg "], unk: -1 }), params: Float32Array.from(core.params()), training: null };
}

describe("a run's histograms from its checkpoints", () => {
  test("weights, gradients and states per checkpoint, binned on edges shared over the steps", () => {
    const text = "abc defg gfedcba ".repeat(20);
    const ckpts = [{ step: 200, model: model(2) }, { step: 100, model: model(1) }];
    const h = runHistograms(ckpts, text, 20);
    assert.deepEqual(h.steps, [100, 200], "oldest first");
    const core = new Core(coreShape(ckpts[0].model.spec));
    for (const [i, c] of [ckpts[1], ckpts[0]].entries()) {
      const grads = lossGradient(new Core(coreShape(c.model.spec)), c.model, text);
      for (const slot of core.tensors) {
        const name = torchName(slot), end = slot.offset + slot.rows * slot.cols;
        for (const [kind, values] of [["weight", c.model.params.subarray(slot.offset, end)], ["gradient", grads.subarray(slot.offset, end)]] as const) {
          const s = h.series.find((x) => x.name === name && x.kind === kind)!;
          assert.ok(s, `${kind} ${name}`);
          assert.deepEqual(Array.from(s.counts.subarray(i * 20, (i + 1) * 20)), scanCounts(values, s.edges), `${kind} ${name} at step ${h.steps[i]}`);
          const q = quantiles(values, DISTRIBUTION_QUANTILES);
          assert.deepEqual(Array.from(s.quantiles.subarray(i * 9, (i + 1) * 9)), Array.from(Float32Array.from(q)), `${kind} ${name} quantiles`);
        }
      }
      const a = recordActivations(c.model, text);
      const cellState = h.series.find((x) => x.name === "cell state · layer 2")!;
      assert.deepEqual(Array.from(cellState.counts.subarray(i * 20, (i + 1) * 20)), scanCounts(a.perLayer[1].values[a.quantities.findIndex((q) => q.name === "cell state")], cellState.edges));
    }
    // shared edges cover both checkpoints' values
    const w = h.series.find((x) => x.name === "rnn.weight_hh_l0" && x.kind === "weight")!;
    const slot = core.tensors.find((x) => torchName(x) === "rnn.weight_hh_l0")!;
    const both = ckpts.flatMap((c) => Array.from(c.model.params.subarray(slot.offset, slot.offset + slot.rows * slot.cols)));
    assert.equal(w.edges.length, 21);
    assert.equal(w.edges[0], Math.min(...both));
    assert.equal(w.edges[20], Math.max(...both));
    assert.throws(() => runHistograms([], text), /no checkpoints/);
  });
});

describe("metrics as CSV", () => {
  test("one row per step, validation on its step, tensor norms, units in the header", () => {
    const m = parseRunMetrics([
      JSON.stringify({ type: "step", step: 1, loss: 3.5, grad_norm: 2, clipped: false, lr: 0.002, chars: 100, seconds: 0.5, tensor_norms: [1, 0.5] }),
      JSON.stringify({ type: "step", step: 2, loss: 3.25, grad_norm: 7, clipped: true, lr: 0.002, chars: 200, seconds: 1, tensor_norms: [6, 1e-6] }),
      JSON.stringify({ type: "eval", step: 2, val_loss: 3.4, chars: 200, seconds: 1 }),
    ].join("\n"));
    assert.equal(m.steps.length, 2, "the fixture parses");
    const csv = metricsCsv(m, ["rnn.weight_hh_l0", "head,bias"], 400);
    assert.equal(csv, [
      'step,epoch,chars_seen,seconds,train_loss_nats_per_char,val_loss_nats_per_char,grad_norm,clipped,learning_rate,grad_norm_rnn.weight_hh_l0,"grad_norm_head,bias"',
      "1,0.25,100,0.5,3.5,,2,0,0.002,1,0.5",
      "2,0.5,200,1,3.25,3.4,7,1,0.002,6,0.000001",
      "",
    ].join("\n"));
  });
});
