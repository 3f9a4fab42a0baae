// The task seam through Core (core.ts), the only caller of the exports: loss weights, per-stream
// lengths and a head width that is not the vocabulary's change the loss and the gradients exactly
// as an independent computation says:
//   - a mask of zeros on some streams = a separate core holding only the other streams;
//   - a mask of zeros on the last steps = a separate core with the shorter window;
//   - lengths = each stream run alone for its own length, losses and gradients combined by row count,
//     and the state a short stream ends in = its state after its last real step;
//   - arbitrary positive weights = Σ w·ℓ / Σ w with each row's ℓ from the logits by log-softmax here;
//   - outputs ≠ vocabulary: the head's width, logits rows and loss follow it.
// In f64 (the gradient-check core), so "equal" is to 1e-12.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Core } from "../../src/engine/core/core";
import { CoreShape, TensorKind } from "../../src/engine/core/coreAbi";
import { CellType, coreShape } from "../../src/engine/model/modelSpec";
import { expectClose } from "../helpers";

const TIGHT = { atol: 1e-12, rtol: 1e-10 };
const V = 6, H = 5;

function shapeOf(cell: CellType, outputs?: number): CoreShape {
  const s = coreShape({ cell, nonlinearity: "tanh", layers: 2, hidden: H, embed: 0, vocabSize: V, peephole: false, coupled: false, residual: false });
  return outputs === undefined ? s : { ...s, outputs };
}

/** Deterministic pseudo-random ids and parameters shared by every core of a case. */
function ids(n: number, seed: number, range: number): number[] {
  let x = seed >>> 0;
  return Array.from({ length: n }, () => { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; return x % range; });
}

/** A stream's inputs and targets, [T] each. */
interface Stream { inputs: number[]; targets: number[] }

function streamsOf(B: number, T: number, seed: number, outputs = V): Stream[] {
  return Array.from({ length: B }, (_, b) => ({ inputs: ids(T, seed + 17 * b, V), targets: ids(T, seed + 31 * b + 5, outputs) }));
}

function makeCore(shape: CoreShape, params: Float64Array | null, B: number, T: number): Core {
  const core = new Core(shape, "f64");
  if (params) core.params().set(params);
  else { core.seed(11); core.fillRandom(core.params(), 0.4); }
  core.setShape(B, T);
  core.resetState();
  return core;
}

/** Loads streams (their first T steps) into the core, time-major. */
function load(core: Core, streams: Stream[], T: number): void {
  const B = streams.length, inputs = core.inputs(), targets = core.targets();
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      inputs[t * B + b] = streams[b].inputs[t];
      targets[t * B + b] = streams[b].targets[t];
    }
  }
}

/** forward with loss, backward; returns the loss and a copy of the gradients. */
function lossAndGrads(core: Core): { loss: number; grads: Float64Array } {
  core.zeroGrads();
  const loss = core.forward(false, 0, true);
  core.backward();
  return { loss, grads: Float64Array.from(core.grads()) };
}

for (const cell of ["lstm", "gru", "rnn"] as CellType[]) {
  describe(`Core's task seam (${cell}, f64)`, () => {
    const shape = shapeOf(cell);
    const reference = makeCore(shape, null, 1, 1);
    const params = Float64Array.from(reference.params());

    test("lossWeights and lengths have their shapes and defaults after setShape", () => {
      const core = makeCore(shape, params, 3, 4);
      assert.equal(core.lossWeights().length, 12);
      assert.ok(core.lossWeights().every((w) => w === 1));
      assert.deepEqual(Array.from(core.lengths()), [4, 4, 4]);
      assert.equal(core.outputs, V, "without outputs the head is as wide as the vocabulary");
      assert.equal(core.stateCount, cell === "lstm" ? 2 : 1);
    });

    test("a mask of zeros on one stream = a core of the other streams alone", () => {
      const B = 3, T = 5, all = streamsOf(B, T, 3);
      const masked = makeCore(shape, params, B, T);
      load(masked, all, T);
      const w = masked.lossWeights();
      for (let t = 0; t < T; t++) w[t * B + 1] = 0;
      const a = lossAndGrads(masked);
      assert.equal(masked.lossWeightTotal(), T * (B - 1));
      const alone = makeCore(shape, params, 2, T);
      load(alone, [all[0], all[2]], T);
      const b = lossAndGrads(alone);
      expectClose([a.loss], [b.loss], TIGHT, "loss");
      expectClose(a.grads, b.grads, TIGHT, "gradients");
    });

    test("a mask of zeros on the last steps = a core with the shorter window", () => {
      const B = 2, T = 6, keep = 4, all = streamsOf(B, T, 9);
      const masked = makeCore(shape, params, B, T);
      load(masked, all, T);
      const w = masked.lossWeights();
      for (let r = keep * B; r < T * B; r++) w[r] = 0;
      const a = lossAndGrads(masked);
      const shorter = makeCore(shape, params, B, keep);
      load(shorter, all, keep);
      const b = lossAndGrads(shorter);
      expectClose([a.loss], [b.loss], TIGHT, "loss");
      expectClose(a.grads, b.grads, TIGHT, "gradients");
    });

    test("lengths = each stream alone for its own length, combined by the rows each counts", () => {
      const T = 5, lens = [5, 2, 3], all = streamsOf(3, T, 21);
      const ragged = makeCore(shape, params, 3, T);
      load(ragged, all, T);
      ragged.lengths().set(lens);
      const a = lossAndGrads(ragged);
      assert.equal(ragged.lossWeightTotal(), 10);
      let loss = 0;
      const grads = new Float64Array(a.grads.length);
      all.forEach((s, b) => {
        const alone = makeCore(shape, params, 1, lens[b]);
        load(alone, [s], lens[b]);
        const r = lossAndGrads(alone);
        loss += r.loss * lens[b] / 10;
        for (let k = 0; k < grads.length; k++) grads[k] += r.grads[k] * lens[b] / 10;
        for (let l = 0; l < 2; l++) {
          const hFinal = Array.from(ragged.finalHidden(l).subarray(b * H, (b + 1) * H));
          expectClose(hFinal, alone.finalHidden(l), TIGHT, `stream ${b}'s final state, layer ${l}`);
        }
      });
      expectClose([a.loss], [loss], TIGHT, "loss");
      expectClose(a.grads, grads, TIGHT, "gradients");
    });

    test("weights give Σ w·ℓ / Σ w, each row's ℓ from its logits by log-softmax", () => {
      const B = 2, T = 4, all = streamsOf(B, T, 40);
      const core = makeCore(shape, params, B, T);
      load(core, all, T);
      const weights = [0.5, 2, 0, 1.25, 3, 0.1, 1, 0.75];
      core.lossWeights().set(weights);
      const loss = core.forward(false, 0, true);
      const logits = core.logits(), targets = core.targets();
      let num = 0, den = 0;
      for (let r = 0; r < B * T; r++) {
        const row = Array.from(logits.subarray(r * V, (r + 1) * V));
        const max = Math.max(...row);
        const logSum = max + Math.log(row.reduce((s, z) => s + Math.exp(z - max), 0));
        num += weights[r] * (logSum - row[targets[r]]);
        den += weights[r];
      }
      expectClose([loss], [num / den], TIGHT, "weighted loss");
      expectClose([core.lossWeightTotal()], [den], TIGHT, "weight total");
    });

    test("a head of 3 outputs over a vocabulary of 6: its width, logits and loss", () => {
      const narrow = new Core(shapeOf(cell, 3), "f64");
      assert.equal(narrow.outputs, 3);
      assert.equal(narrow.vocab, V);
      const head = narrow.tensors.find((s) => s.kind === TensorKind.HeadWeight)!;
      assert.deepEqual([head.rows, head.cols], [H, 3]);
      narrow.seed(5);
      narrow.fillRandom(narrow.params(), 0.4);
      const B = 2, T = 3, all = streamsOf(B, T, 50, 3);
      narrow.setShape(B, T);
      load(narrow, all, T);
      const loss = narrow.forward(false, 0, true);
      const logits = narrow.logits();
      assert.equal(logits.length, B * T * 3);
      let total = 0;
      for (let r = 0; r < B * T; r++) {
        const row = Array.from(logits.subarray(r * 3, r * 3 + 3));
        const max = Math.max(...row);
        total += max + Math.log(row.reduce((s, z) => s + Math.exp(z - max), 0)) - row[narrow.targets()[r]];
      }
      expectClose([loss], [total / (B * T)], TIGHT, "loss over 3 classes");
    });
  });
}
