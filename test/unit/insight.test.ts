// What the panels show, checked against independent computations: the gradient flow through time
// against PyTorch autograd (test/fixtures/generateGradientFlowFixtures.py); the recorded gates and
// states against the cell equations evaluated here from the weights; clipping, equal-parameter
// experiments, metrics files, sampling alternatives and the webview protocol's checks.

import assert from "node:assert/strict";
import { CELL_TYPES } from "../../src/engine/model/cells";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { recordActivations } from "../../src/engine/insight/activations";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { Model, TrainingState, paramCount, tensorSlots } from "../../src/engine/files/checkpoint";
import { Core } from "../../src/engine/core/core";
import { TensorKind } from "../../src/engine/core/coreAbi";
import { windowLogits } from "../../src/engine/training/evaluate";
import { experimentVariants, hiddenForParameters, parameterCount } from "../../src/engine/runs/experiments";
import { clippingEffect, gradientFlow, lossGradient, updateEffect } from "../../src/engine/insight/gradientFlow";
import { initialiseParameters } from "../../src/engine/model/initialise";
import { CellType, ModelSpec, coreShape, fromTorchLayout, torchName } from "../../src/engine/model/modelSpec";
import { parseRunMetrics } from "../../src/engine/runs/runMetrics";
import { Sampler } from "../../src/engine/insight/sampler";
import { DEFAULT_TRAIN_OPTIONS, OptimizerName, TrainOptions } from "../../src/engine/training/trainOptions";
import { LIMITS, parseFromWebview } from "../../src/protocol/webview";
import { expectClose, projectRoot } from "../helpers";

const ALPHABET = "abcdefg";

function randomModel(spec: Partial<ModelSpec>, seed = 5, chars = "abcdefghij \n"): Model {
  const full: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 2, hidden: 8, embed: 0, vocabSize: [...chars].length, peephole: false, coupled: false, residual: false, ...spec };
  const core = new Core(coreShape(full));
  initialiseParameters(core, full, "scaled", 1, seed);
  // larger weights than the initialisation, so gates leave their linear range
  const p = core.params();
  for (let k = 0; k < p.length; k++) p[k] *= 2.5;
  return { spec: full, vocab: new CharVocabulary({ chars: [...chars], unk: -1 }), params: Float32Array.from(p), training: null };
}

interface FlowCase { spec: ModelSpec; params: Record<string, number[]>; inputs: number[]; target: number; loss: number; norms: number[][] }
const flowFixtures: FlowCase[] = JSON.parse(readFileSync(join(projectRoot, "test", "fixtures", "gradientFlowFixtures.json"), "utf8")).cases;

function fixtureModel(f: FlowCase): Model {
  const params = new Float32Array(paramCount(f.spec));
  for (const slot of tensorSlots(f.spec)) fromTorchLayout(slot, f.params[torchName(slot)], params.subarray(slot.offset, slot.offset + slot.rows * slot.cols));
  return { spec: f.spec, vocab: new CharVocabulary({ chars: [...ALPHABET], unk: -1 }), params, training: null };
}

describe("gradient flow through time against PyTorch autograd", () => {
  for (const f of flowFixtures) {
    test(`${f.spec.cell}, ${f.spec.layers} layers: ‖∂L_T/∂h_t‖ per layer and distance`, () => {
      const text = [...f.inputs, f.target].map((i) => ALPHABET[i]).join("");
      const flow = gradientFlow(fixtureModel(f), text, f.inputs.length, 1);
      assert.equal(flow.windows, 1);
      for (let l = 0; l < f.spec.layers; l++) expectClose(flow.norms[l], f.norms[l], { atol: 1e-7, rtol: 2e-4 }, `layer ${l}`);
      // the fixtures are chosen so that the norms really do change with distance
      assert.ok(f.norms[1][0] / f.norms[1][f.inputs.length - 1] > 3, "the gradient shrinks with distance in the reference");
    });

    test(`${f.spec.cell}: a negative target is ignored, so the loss is the last step's alone`, () => {
      const core = new Core(coreShape(f.spec));
      core.params().set(fixtureModel(f).params);
      core.setShape(1, f.inputs.length);
      core.inputs().set(f.inputs);
      core.targets().fill(-1);
      core.targets()[f.inputs.length - 1] = f.target;
      assert.ok(Math.abs(core.forward(false, 0, true) - f.loss) < 1e-5, "same loss as PyTorch's cross-entropy of the last step");
    });
  }

  test("windows are averaged geometrically, and the text must be longer than the window", () => {
    const m = randomModel({ cell: "gru" });
    const text = "abc defg hij\nabc defg hij\n".repeat(10);
    const one = gradientFlow(m, text, 20, 1), many = gradientFlow(m, text, 20, 8);
    assert.equal(many.windows, 8);
    assert.equal(many.norms[1].length, 20);
    assert.ok(many.norms.every((n) => n.every((v) => v > 0 && Number.isFinite(v))));
    assert.notDeepEqual(Array.from(one.norms[1]), Array.from(many.norms[1]));
    assert.throws(() => gradientFlow(m, "abc", 20), /window needs 21/);
  });
});

describe("recorded activations follow the cell equations", () => {
  const text = "a bad cafe\nfed a dace ".repeat(30); // 660 characters: more than one chunk of 256

  test("LSTM: c_t = f∘c_{t−1} + i∘g and h_t = o∘tanh(c_t), gates in (0, 1), across chunk boundaries", () => {
    const m = randomModel({ cell: "lstm" });
    const a = recordActivations(m, text);
    assert.deepEqual(a.quantities.map((q) => q.name), ["input gate", "forget gate", "output gate", "candidate", "cell state", "hidden state"]);
    const H = a.hidden, T = a.chars.length;
    assert.equal(T, 660);
    for (const layer of a.perLayer) {
      const [i, f, o, g, c, h] = layer.values;
      for (let t = 0; t < T; t++) {
        for (let u = 0; u < H; u++) {
          const k = t * H + u, prev = t ? c[k - H] : 0;
          assert.ok(Math.abs(c[k] - (f[k] * prev + i[k] * g[k])) < 1e-5, `c at t=${t} u=${u}`);
          assert.ok(Math.abs(h[k] - o[k] * Math.tanh(c[k])) < 1e-5, `h at t=${t} u=${u}`);
          assert.ok(i[k] > 0 && i[k] < 1 && f[k] > 0 && f[k] < 1 && o[k] > 0 && o[k] < 1);
        }
      }
    }
    // the last hidden state equals the one a single whole-text forward pass ends with
    const whole = windowLogits(m, m.vocab.encode(text), 1);
    expectClose(a.perLayer[1].values[5].subarray((T - 1) * H), whole.h.subarray(H, 2 * H), { atol: 1e-5, rtol: 1e-5 }, "final h");
  });

  test("GRU: h_t = (1 − z)∘n + z∘h_{t−1}", () => {
    const a = recordActivations(randomModel({ cell: "gru" }), text);
    const H = a.hidden;
    for (const layer of a.perLayer) {
      const [, z, n, h] = layer.values;
      for (let k = 0; k < h.length; k++) {
        const prev = k >= H ? h[k - H] : 0;
        assert.ok(Math.abs(h[k] - ((1 - z[k]) * n[k] + z[k] * prev)) < 1e-5, `h[${k}]`);
      }
    }
  });

  test("RNN: h_t = tanh(x_t·W_ih + h_{t−1}·W_hh + b) evaluated here from the weights", () => {
    const m = randomModel({ cell: "rnn", layers: 1 });
    const short = "bad cafe";
    const a = recordActivations(m, short);
    const H = m.spec.hidden, V = m.spec.vocabSize;
    const slot = (kind: TensorKind) => tensorSlots(m.spec).find((s) => s.kind === kind && s.layer === 0)!;
    const view = (kind: TensorKind) => { const s = slot(kind); return m.params.subarray(s.offset, s.offset + s.rows * s.cols); };
    const wih = view(TensorKind.WeightIh), whh = view(TensorKind.WeightHh), bih = view(TensorKind.BiasIh), bhh = view(TensorKind.BiasHh);
    assert.equal(slot(TensorKind.WeightIh).rows, V); // the core stores [in, out]
    let h = new Float64Array(H);
    m.vocab.encode(short).forEach((x, t) => {
      const next = new Float64Array(H);
      for (let u = 0; u < H; u++) {
        let s = wih[x * H + u] + bih[u] + bhh[u];
        for (let j = 0; j < H; j++) s += h[j] * whh[j * H + u];
        next[u] = Math.tanh(s);
      }
      h = next;
      expectClose(a.perLayer[0].values[0].subarray(t * H, (t + 1) * H), h, { atol: 1e-5, rtol: 1e-5 }, `h_${t}`);
    });
  });

  test("a character outside the vocabulary and an over-long text are refused with a message", () => {
    const m = randomModel({ cell: "lstm" });
    assert.throws(() => recordActivations(m, "abc中"), /vocabulary does not have/);
    assert.throws(() => recordActivations(m, "a".repeat(5001)), /at most 5000/);
    assert.throws(() => recordActivations(m, ""), /no text/);
  });

  test("CJK text reads one step per character", () => {
    const m = randomModel({ cell: "gru", layers: 1 }, 2, "春眠不觉晓处闻啼鸟，。\n");
    const a = recordActivations(m, "春眠不觉晓，处处闻啼鸟。");
    assert.equal(a.chars.length, 12);
    assert.equal(a.perLayer[0].values[0].length, 12 * a.hidden);
  });

  /** A one-direction, one-layer model with direction `d`'s layer-0 tensors of a bidirectional `m`. */
  function oneDirection(m: Model, d: 0 | 1): Model {
    const spec: ModelSpec = { ...m.spec, bidirectional: false, layers: 1 };
    const params = new Float32Array(paramCount(spec));
    const from = tensorSlots(m.spec);
    for (const slot of tensorSlots(spec)) {
      if (slot.layer !== 0) continue; // the head is not read by the heatmap
      const src = from.find((s) => s.kind === slot.kind && s.layer === 0 && (s.direction ?? 0) === d)!;
      params.set(m.params.subarray(src.offset, src.offset + src.rows * src.cols), slot.offset);
    }
    return { ...m, spec, params };
  }

  // the reset-before GRU's r ∘ h reads the state before each step: h_{t+1} for the backward direction
  for (const [cell, extra] of [["lstm", {}], ["gru", {}], ["gru", { gruReset: "before" }]] as const) {
    test(`${cell}${"gruReset" in extra ? " (reset before)" : ""} bidirectional: the forward direction is a one-direction layer reading the text, the backward one reading it reversed`, () => {
      const m = randomModel({ cell, bidirectional: true, outputs: 3, ...extra }, 7);
      const a = recordActivations(m, text);
      assert.equal(a.directions, 2);
      const fwd = recordActivations(oneDirection(m, 0), text), bwd = recordActivations(oneDirection(m, 1), [...text].reverse().join(""));
      const H = a.hidden, T = a.chars.length;
      a.quantities.forEach((q, k) => {
        expectClose(a.perLayer[0].values[k], fwd.perLayer[0].values[k], { atol: 1e-5, rtol: 1e-5 }, `forward ${q.name}`);
        const reversed = new Float32Array(T * H);
        for (let t = 0; t < T; t++) reversed.set(bwd.perLayer[0].values[k].subarray((T - 1 - t) * H, (T - t) * H), t * H);
        expectClose(a.perLayer[0].reverse![k], reversed, { atol: 1e-5, rtol: 1e-5 }, `backward ${q.name}`);
      });
      // layer 2's backward direction: its state at t follows from its state at t + 1 (what it read before)
      const names = a.quantities.map((q) => q.name), r = a.perLayer[1].reverse!;
      for (let t = 0; t < T; t++) for (let u = 0; u < H; u++) {
        const k = t * H + u;
        if (cell === "lstm") {
          const [i, f, , g, c] = r, prev = t < T - 1 ? c[k + H] : 0;
          assert.ok(Math.abs(c[k] - (f[k] * prev + i[k] * g[k])) < 1e-5, `layer 2 backward c at t=${t}`);
        } else {
          const z = r[names.indexOf("update gate")], n = r[names.indexOf("candidate")], h = r[names.indexOf("hidden state")];
          const prev = t < T - 1 ? h[k + H] : 0;
          assert.ok(Math.abs(h[k] - ((1 - z[k]) * n[k] + z[k] * prev)) < 1e-5, `layer 2 backward h at t=${t}`);
        }
      }
    });
  }

});

describe("clipping by global norm on one real gradient", () => {
  test("after = before·min(1, c/‖g‖), and ‖g‖² is the sum of the tensors' squared norms", () => {
    const m = randomModel({ cell: "rnn", layers: 2 });
    const text = "abc defg hij\n".repeat(20);
    const free = clippingEffect(m, text, 0);
    assert.equal(free.scale, 1);
    const total = Math.sqrt(free.tensors.reduce((s, t) => s + t.before ** 2, 0));
    assert.ok(Math.abs(total - free.globalNorm) / total < 1e-4);
    const threshold = free.globalNorm / 4;
    const clipped = clippingEffect(m, text, threshold);
    assert.ok(Math.abs(clipped.scale - 0.25) < 1e-4);
    for (const t of clipped.tensors) assert.ok(Math.abs(t.after - t.before * clipped.scale) <= 1e-5 * t.before + 1e-9, t.name);
    assert.deepEqual(clipped.tensors.map((t) => t.name), tensorSlots(m.spec).map(torchName));
  });
});

describe("what clipping does to the optimizer's next step", () => {
  const text = "abc defg hij\n".repeat(20);

  /** A model part-way through training: moments as after `step` steps (any values with v ≥ 0 will do). */
  function training(m: Model, options: Partial<TrainOptions>, step: number): Model {
    const n = m.params.length;
    const moment1 = step ? Float32Array.from({ length: n }, (_, k) => 0.01 * Math.sin(k * 1.7)) : new Float32Array(n);
    const moment2 = step ? Float32Array.from({ length: n }, (_, k) => 1e-4 * (1.1 + Math.cos(k * 0.3))) : new Float32Array(n);
    const state = { options: { ...DEFAULT_TRAIN_OPTIONS, ...options }, step, moment1, moment2 } as unknown as TrainingState;
    return { ...m, training: state };
  }

  /** PyTorch's update rules (torch.optim docs), in f64: the step's ‖Δθ‖ per tensor for gradient g. */
  function referenceStep(m: Model, g: Float64Array): number[] {
    const t = m.training!, o = t.options, p = m.params, step = t.step + 1, lr = o.lr, wd = o.weightDecay;
    const delta = new Float64Array(p.length);
    for (let k = 0; k < p.length; k++) {
      if (o.optimizer === "sgd") {
        delta[k] = -lr * (o.momentum * t.moment1[k] + g[k] + wd * p[k]);
      } else {
        const decoupled = o.optimizer === "adamw";
        const gk = decoupled ? g[k] : g[k] + wd * p[k];
        const mk = o.beta1 * t.moment1[k] + (1 - o.beta1) * gk, vk = o.beta2 * t.moment2[k] + (1 - o.beta2) * gk * gk;
        const mHat = mk / (1 - o.beta1 ** step), vHat = vk / (1 - o.beta2 ** step);
        const shrunk = decoupled ? p[k] * (1 - lr * wd) : p[k];
        delta[k] = shrunk - lr * mHat / (Math.sqrt(vHat) + o.eps) - p[k];
      }
    }
    return tensorSlots(m.spec).map((s) => Math.sqrt(delta.subarray(s.offset, s.offset + s.rows * s.cols).reduce((a, d) => a + d * d, 0)));
  }

  const cases: [OptimizerName, Partial<TrainOptions>][] = [
    ["sgd", { optimizer: "sgd", lr: 0.1, momentum: 0.9, weightDecay: 0.01 }],
    ["adam", { optimizer: "adam", weightDecay: 0.01 }],
    ["adamw", { optimizer: "adamw", weightDecay: 0.1 }],
  ];
  for (const [name, options] of cases) {
    test(`${name}: ‖Δθ‖ per tensor, without and with clipping, equals PyTorch's rule evaluated here (to 1e-4)`, () => {
      const m = training(randomModel({ cell: "gru", layers: 2 }), options, 40);
      const g = lossGradient(new Core(coreShape(m.spec)), m, text);
      const norm = Math.sqrt(g.reduce((a, x) => a + x * x, 0));
      const threshold = norm / 4;
      const effect = updateEffect(m, g, threshold)!;
      assert.equal(effect.step, 41);
      const plain = referenceStep(m, Float64Array.from(g)), clipped = referenceStep(m, Float64Array.from(g, (x) => x * (threshold / norm)));
      const tol = { rtol: 1e-4, atol: 1e-9 };
      expectClose(effect.tensors.map((t) => t.unclipped), plain, tol, "‖Δθ‖ per tensor, unclipped");
      expectClose(effect.tensors.map((t) => t.clipped), clipped, tol, "‖Δθ‖ per tensor, clipped");
      expectClose([effect.unclipped, effect.clipped], [Math.hypot(...plain), Math.hypot(...clipped)], tol, "whole model");
      assert.ok(Math.abs(effect.clipped / effect.unclipped - 1) > 1e-3, "clipping changed the step");
    });
  }

  test("plain SGD's step shrinks by the clipping factor; Adam's first step hardly changes (it is scale-free)", () => {
    const base = randomModel({ cell: "lstm", layers: 1 });
    const g = lossGradient(new Core(coreShape(base.spec)), base, text);
    const norm = Math.sqrt(g.reduce((a, x) => a + x * x, 0));
    const sgd = updateEffect(training(base, { optimizer: "sgd", lr: 0.1, momentum: 0, weightDecay: 0 }, 0), g, norm / 4)!;
    expectClose([sgd.clipped / sgd.unclipped], [0.25], { rtol: 1e-5, atol: 0 }, "SGD");
    const adam = updateEffect(training(base, { optimizer: "adam", weightDecay: 0 }, 0), g, norm / 4)!;
    assert.ok(Math.abs(adam.clipped / adam.unclipped - 1) < 1e-3, `Adam's first step: ×${adam.clipped / adam.unclipped}`);
  });

  test("a weights-only checkpoint has no step to show; clippingEffect carries the step when there is one", () => {
    const m = randomModel({ cell: "rnn", layers: 1 });
    assert.equal(clippingEffect(m, text, 1).update, null);
    const e = clippingEffect(training(m, { optimizer: "adam" }, 3), text, 1);
    assert.equal(e.update?.optimizer, "adam");
    assert.equal(e.update?.tensors.length, e.tensors.length);
  });
});

describe("experiments compare like with like", () => {
  test("the closed-form parameter count equals the core's layout", () => {
    for (const cell of ["rnn", "lstm", "gru"] as CellType[]) {
      for (const spec of [{ layers: 1, hidden: 7, embed: 0 }, { layers: 3, hidden: 16, embed: 5 }, { layers: 2, hidden: 33, embed: 0 }]) {
        const s: ModelSpec = { cell, nonlinearity: "tanh", vocabSize: 11, peephole: cell === "lstm" && spec.layers === 3, coupled: false, residual: false, ...spec };
        assert.equal(parameterCount(s), new Core(coreShape(s)).paramCount, `${cell} ${JSON.stringify(spec)}`);
      }
    }
  });

  test("cells get hidden sizes of equal parameter count (within 2 %); init and clipping change one option", () => {
    const base: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 2, hidden: 128, embed: 0, vocabSize: 65, peephole: false, coupled: false, residual: false };
    const v = experimentVariants("cells", base, 5);
    assert.deepEqual(v.map((x) => x.spec.cell), [...CELL_TYPES]); // every registered cell, LSTM, GRU, RNN first
    assert.deepEqual(v.slice(0, 3).map((x) => x.spec.cell), ["lstm", "gru", "rnn"]);
    const target = paramCount(v[0].spec);
    for (const x of v) assert.ok(Math.abs(paramCount(x.spec) - target) / target < 0.02, `${x.name}: ${paramCount(x.spec)} vs ${target}`);
    assert.ok(v[2].spec.hidden > v[1].spec.hidden && v[1].spec.hidden > v[0].spec.hidden);
    assert.equal(hiddenForParameters({ ...base, cell: "lstm" }, target), 128);
    assert.deepEqual(experimentVariants("init", base, 5).map((x) => x.options.init), ["small", "scaled", "orthogonal"]);
    assert.deepEqual(experimentVariants("clipping", base, 5).map((x) => x.options.clip), [5, 0]);
  });
});

describe("metrics files and sampling alternatives", () => {
  test("metrics.jsonl: a cut last line is skipped and a re-recorded step replaces the old one", () => {
    const lines = [
      { type: "step", step: 1, loss: 4, grad_norm: 9, clipped: true, lr: 0.002, chars: 100, seconds: 0.1, tensor_norms: [1, 2] },
      { type: "step", step: 2, loss: 3.5, grad_norm: 4, clipped: false, lr: 0.002, chars: 200, seconds: 0.2 },
      { type: "eval", step: 2, val_loss: 3.6, chars: 200, seconds: 0.2 },
      { type: "sample", step: 2, text: "To be" },
      { type: "step", step: 2, loss: 3.4, grad_norm: 4, clipped: false, lr: 0.002, chars: 200, seconds: 0.25 },
    ].map((o) => JSON.stringify(o)).join("\n") + '\n{"type":"step","step":3,"lo';
    const m = parseRunMetrics(lines);
    assert.deepEqual(m.steps.map((s) => [s.step, s.loss]), [[1, 4], [2, 3.4]]);
    assert.deepEqual(m.steps[0].tensorNorms, [1, 2]);
    assert.equal(m.steps[1].tensorNorms, null);
    assert.deepEqual(m.evals, [{ step: 2, valLoss: 3.6, chars: 200, seconds: 0.2 }]);
    assert.deepEqual(m.samples, [{ step: 2, text: "To be" }]);
  });

  test("each drawn character comes with the likeliest alternatives of the distribution it was drawn from", () => {
    const m = randomModel({ cell: "lstm", layers: 1 });
    const s = new Sampler(m, 11), plain = new Sampler(m, 11);
    for (let n = 0; n < 50; n++) {
      const c = s.next({ temperature: 1, topK: 0, topP: 1 }, 4);
      assert.equal(plain.next({ temperature: 1, topK: 0, topP: 1 }).index, c.index, "asking for alternatives draws the same characters");
      const alts = c.alternatives!;
      assert.equal(alts.length, 4);
      for (let k = 1; k < 4; k++) assert.ok(alts[k - 1].probability >= alts[k].probability);
      const drawnRank = alts.findIndex((a) => a.index === c.index);
      if (drawnRank >= 0) assert.ok(Math.abs(alts[drawnRank].probability - c.probability) < 1e-7);
      else assert.ok(c.probability <= alts[3].probability);
    }
  });
});

describe("the host checks every message from a webview", () => {
  test("valid messages pass with their fields; anything else is null", () => {
    assert.deepEqual(parseFromWebview("dashboard", { type: "dashboard.control", action: "pause" }), { type: "dashboard.control", action: "pause" });
    assert.equal(parseFromWebview("dashboard", { type: "dashboard.control", action: "rm -rf" }), null);
    assert.equal(parseFromWebview("gateHeatmap", { type: "dashboard.control", action: "stop" }), null, "a message of another panel");
    assert.deepEqual(parseFromWebview("gateHeatmap", { type: "heatmap.request", layer: 1, text: "abc", extra: 1 }), { type: "heatmap.request", layer: 1, text: "abc" });
    assert.equal(parseFromWebview("gateHeatmap", { type: "heatmap.request", layer: 7 }), null);
    assert.equal(parseFromWebview("gateHeatmap", { type: "heatmap.request", layer: 0, text: "x".repeat(LIMITS.typedText + 1) }), null);
    assert.deepEqual(parseFromWebview("gradientFlow", { type: "flow.request", window: 50, compare: [1, 1, 0] }), { type: "flow.request", window: 50, compare: [1, 0] });
    assert.equal(parseFromWebview("gradientFlow", { type: "flow.request", window: 1, compare: [] }), null);
    assert.equal(parseFromWebview("gradientFlow", { type: "flow.request", window: 50, compare: [0.5] }), null);
    const start = { type: "generate.start", prime: "ROMEO:", length: 200, temperature: 0.8, topK: 0, topP: 0.9, seed: 3 };
    assert.deepEqual(parseFromWebview("generateText", start), start);
    for (const bad of [{ temperature: -1 }, { temperature: NaN }, { length: 0 }, { length: 1e9 }, { topP: 0 }, { seed: -1 }, { seed: 1.5 }, { prime: 5 }]) {
      assert.equal(parseFromWebview("generateText", { ...start, ...bad }), null, JSON.stringify(bad));
    }
    assert.equal(parseFromWebview("compareRuns", { type: "generate.stop" }), null);
    for (const junk of [null, 3, "ready", [], { type: "nope" }, { type: "rendered", summary: { a: {} } }]) assert.equal(parseFromWebview("dashboard", junk), null);
    assert.deepEqual(parseFromWebview("compareRuns", { type: "rendered", summary: { runs: 3, axis: "step" } }), { type: "rendered", summary: { runs: 3, axis: "step" } });

  });

  test("exports: a PNG from any panel with a plain file name; CSV and histograms only from the dashboard", () => {
    const png = { type: "export.png", name: "loss", dataUrl: "data:image/png;base64,iVBORw0KGgo=" };
    for (const kind of ["dashboard", "compareRuns", "gradientFlow", "gateHeatmap"] as const) assert.deepEqual(parseFromWebview(kind, { ...png, extra: 1 }), png);
    for (const bad of [{ name: "../../.bashrc" }, { name: "a/b" }, { name: "" }, { name: "x".repeat(81) }, { dataUrl: "data:text/html;base64,PGI+" }, { dataUrl: "data:image/png;base64,<script>" }, { dataUrl: 5 }]) {
      assert.equal(parseFromWebview("dashboard", { ...png, ...bad }), null, JSON.stringify(bad));
    }
    assert.equal(parseFromWebview("dashboard", { ...png, dataUrl: "data:image/png;base64," + "A".repeat(LIMITS.pngChars) }), null, "too large");
    assert.deepEqual(parseFromWebview("dashboard", { type: "dashboard.exportCsv", path: "/etc/passwd" }), { type: "dashboard.exportCsv" }, "the page names no path");
    assert.deepEqual(parseFromWebview("dashboard", { type: "histograms.request" }), { type: "histograms.request" });
    assert.equal(parseFromWebview("compareRuns", { type: "dashboard.exportCsv" }), null);
    assert.equal(parseFromWebview("gateHeatmap", { type: "histograms.request" }), null);
  });
});
