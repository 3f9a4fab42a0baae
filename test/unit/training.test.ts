// Training in f32: it learns, it is reproducible, memory stops growing, instrumentation reports
// what it should, and initialisation schemes have the stated statistics.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { decodeCheckpoint, encodeCheckpoint } from "../../src/engine/files/checkpoint";
import { Core } from "../../src/engine/core/core";
import { TensorKind } from "../../src/engine/core/coreAbi";
import { KERNEL_VARIANTS } from "../../src/engine/core/coreLoader";
import { lossOnText } from "../../src/engine/training/evaluate";
import { initialiseParameters } from "../../src/engine/model/initialise";
import { ModelSpec, coreShape } from "../../src/engine/model/modelSpec";
import { DEFAULT_TRAIN_OPTIONS, TrainOptions } from "../../src/engine/training/trainOptions";
import { NonFiniteLossError, Trainer, splitCorpus } from "../../src/engine/training/trainer";

const text = "the quick brown fox jumps over the lazy dog. ".repeat(60);
const { vocab } = CharVocabulary.fromText(text);
const data = vocab.encode(text);

function makeTrainer(specExtra: Partial<ModelSpec> = {}, opts: Partial<TrainOptions> = {}): Trainer {
  const spec: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 2, hidden: 32, embed: 0, vocabSize: vocab.size, peephole: false, coupled: false, residual: false, ...specExtra };
  const options = { ...DEFAULT_TRAIN_OPTIONS, batch: 8, seq: 16, lr: 1e-2, valFraction: 0.1, ...opts };
  return new Trainer(spec, vocab, splitCorpus(data, options.valFraction), options, { files: ["mem"], sha256: "x", chars: data.length, trainChars: 0 });
}

describe("training", () => {
  for (const [name, extra, opts] of [
    ["LSTM, Adam", {}, {}],
    ["GRU, RMSprop", { cell: "gru" }, { optimizer: "rmsprop", lr: 3e-3 }],
    ["RNN, SGD with momentum", { cell: "rnn", layers: 1 }, { optimizer: "sgd", lr: 0.05, momentum: 0.9 }],
    ["LSTM, AdamW, dropout, residual, embedding", { embed: 16, residual: true }, { optimizer: "adamw", weightDecay: 0.01, dropout: 0.2 }],
  ] as [string, Partial<ModelSpec>, Partial<TrainOptions>][]) {
    test(`${name}: validation loss falls well below the uniform ln V`, () => {
      const t = makeTrainer(extra, opts);
      const before = t.evaluate()!;
      for (let k = 0; k < 150; k++) t.trainStep();
      const after = t.evaluate()!;
      assert.ok(Math.abs(before - Math.log(vocab.size)) < 0.3, `starts near ln V: ${before}`);
      assert.ok(after < 0.5 * before, `${before} → ${after}`);
    });
  }

  test("the same seed gives bit-identical parameters; a different seed does not", () => {
    const run = (seed: number) => {
      const t = makeTrainer({}, { seed, dropout: 0.3 });
      for (let k = 0; k < 20; k++) t.trainStep();
      return Buffer.from(Float32Array.from(t.core.params()).buffer);
    };
    assert.ok(run(5).equals(run(5)));
    assert.ok(!run(5).equals(run(6)));
  });

  test("stop and resume from a checkpoint equals never stopping, bit for bit", () => {
    const straight = makeTrainer({}, { dropout: 0.25 });
    for (let k = 0; k < 30; k++) straight.trainStep();
    const first = makeTrainer({}, { dropout: 0.25 });
    for (let k = 0; k < 15; k++) first.trainStep();
    const saved = decodeCheckpoint(encodeCheckpoint(first.snapshot()));
    const resumed = new Trainer(saved.spec, saved.vocab, splitCorpus(data, 0.1), saved.training!.options, saved.training!.corpus, saved);
    for (let k = 0; k < 15; k++) resumed.trainStep();
    assert.equal(resumed.step, 30);
    assert.ok(Buffer.from(Float32Array.from(resumed.core.params()).buffer).equals(Buffer.from(Float32Array.from(straight.core.params()).buffer)));
    assert.equal(resumed.lastLoss, straight.lastLoss);
  });

  test("every kernel variant trains the same model to the same loss (they differ only in rounding)", () => {
    const losses = KERNEL_VARIANTS.map((v) => {
      const t = new Trainer(makeTrainer().spec, vocab, splitCorpus(data, 0.1), { ...DEFAULT_TRAIN_OPTIONS, batch: 8, seq: 16, lr: 1e-2, valFraction: 0.1 }, { files: [], sha256: "", chars: 0, trainChars: 0 }, null, v);
      assert.equal(t.core.variant, v);
      for (let k = 0; k < 20; k++) t.trainStep();
      return t.evaluate()!;
    });
    for (const l of losses) assert.ok(Math.abs(l - losses[0]) < 1e-3, losses.join(" "));
  });

  test("memory does not grow after warm-up", () => {
    const t = makeTrainer({}, { dropout: 0.1 });
    for (let k = 0; k < 5; k++) t.trainStep();
    t.evaluate();
    const warm = t.core.memoryBytes();
    for (let k = 0; k < 300; k++) t.trainStep();
    t.evaluate();
    assert.equal(t.core.memoryBytes(), warm);
  });

  test("a step whose loss is not finite throws and leaves the state as before", () => {
    const t = makeTrainer({}, { optimizer: "sgd", lr: 1e38, clip: 0, momentum: 0 });
    const stepsBefore = () => t.step;
    let caught: unknown = null;
    for (let k = 0; k < 10 && !caught; k++) {
      try { t.trainStep(); } catch (e) { caught = e; }
    }
    assert.ok(caught instanceof NonFiniteLossError, "huge SGD steps make the loss non-finite");
    const step = stepsBefore();
    assert.throws(() => t.trainStep(), NonFiniteLossError);
    assert.equal(t.step, step, "a failed step is not counted");
  });

  test("instrumentation: gates in range, gradient flow per step, per-tensor norms add up", () => {
    const t = makeTrainer({}, { clip: 0 });
    for (let k = 0; k < 5; k++) t.trainStep();
    const core = t.core;
    t.batches.fill(0, core.inputs(), core.targets());
    core.zeroGrads();
    core.forward(false, 0, true);
    const H = 32, gates = Float32Array.from(core.gates(0));
    core.backward(true);
    for (let r = 0; r < 16 * 8; r++) {
      for (let j = 0; j < H; j++) {
        for (const g of [0, 1, 3]) { const v = gates[r * 4 * H + g * H + j]; assert.ok(v > 0 && v < 1, `sigmoid gate ${g}: ${v}`); }
        const c = gates[r * 4 * H + 2 * H + j];
        assert.ok(c > -1 && c < 1, `candidate ${c}`);
      }
    }
    const flow = core.gradFlow();
    for (let i = 0; i < flow.length; i++) assert.ok(flow[i] > 0 && Number.isFinite(flow[i]), `‖∂L/∂h_t‖ at ${i}`);
    const norms = t.tensorGradNorms();
    const total = Math.sqrt(norms.reduce((s, n) => s + n.norm * n.norm, 0));
    const global = core.clipGradients(0);
    assert.ok(Math.abs(total - global) < 1e-4 * global, `${total} vs ${global}`);
  });

  test("evaluation over a text equals step-by-step prediction", () => {
    const t = makeTrainer();
    for (let k = 0; k < 30; k++) t.trainStep();
    const model = t.snapshot();
    const sample = data.subarray(0, 300);
    const fast = lossOnText(model, sample, 64).loss;
    const core = new Core(coreShape(model.spec));
    core.params().set(model.params);
    core.setShape(1, 1);
    let total = 0;
    for (let i = 0; i + 1 < sample.length; i++) {
      core.inputs()[0] = sample[i];
      core.targets()[0] = sample[i + 1];
      core.forward(false, 0, true);
      const out = Array.from(core.logits());
      const m = Math.max(...out);
      total += Math.log(out.reduce((s, v) => s + Math.exp(v - m), 0)) + m - out[sample[i + 1]];
      core.carryState();
    }
    assert.ok(Math.abs(fast - total / (sample.length - 1)) < 1e-5, `${fast} vs ${total / (sample.length - 1)}`);
  });
});

describe("initialisation", () => {
  const spec: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 1, hidden: 64, embed: 0, vocabSize: 50, peephole: false, coupled: false, residual: false };
  const stats = (a: ArrayLike<number>) => {
    let s = 0, s2 = 0;
    for (let i = 0; i < a.length; i++) { s += a[i]; s2 += a[i] * a[i]; }
    const mean = s / a.length;
    return { mean, std: Math.sqrt(s2 / a.length - mean * mean), maxAbs: Math.max(...Array.from(a, Math.abs)) };
  };
  const init = (scheme: "small" | "scaled" | "xavier" | "orthogonal") => {
    const core = new Core(coreShape(spec));
    initialiseParameters(core, spec, scheme, 1, 9);
    const slot = (k: TensorKind) => core.tensors.find((s) => s.kind === k)!;
    return { core, whh: core.tensor(slot(TensorKind.WeightHh)), wih: core.tensor(slot(TensorKind.WeightIh)), bih: core.tensor(slot(TensorKind.BiasIh)) };
  };
  test("small: N(0,1)·0.01", () => {
    const s = stats(init("small").whh);
    assert.ok(Math.abs(s.std - 0.01) < 0.0005 && Math.abs(s.mean) < 0.0005, JSON.stringify(s));
  });
  test("scaled: N(0,1)·sqrt(1/fan_in)", () => {
    const { whh, wih } = init("scaled");
    assert.ok(Math.abs(stats(whh).std - Math.sqrt(1 / 64)) < 0.005);
    assert.ok(Math.abs(stats(wih).std - Math.sqrt(1 / 50)) < 0.005);
  });
  test("xavier: uniform within ±sqrt(6/(fan_in+fan_out))", () => {
    const s = stats(init("xavier").whh);
    const bound = Math.sqrt(6 / 128);
    assert.ok(s.maxAbs <= bound && s.maxAbs > 0.95 * bound && Math.abs(s.std - bound / Math.sqrt(3)) < 0.01, JSON.stringify(s));
  });
  test("orthogonal: every gate block of W_hh has orthonormal columns", () => {
    const { whh } = init("orthogonal");
    const H = 64, cols = 256;
    for (let g = 0; g < 4; g++) {
      for (const [a, b] of [[0, 0], [0, 1], [5, 63], [17, 17]]) {
        let d = 0;
        for (let i = 0; i < H; i++) d += whh[i * cols + g * H + a] * whh[i * cols + g * H + b];
        assert.ok(Math.abs(d - (a === b ? 1 : 0)) < 1e-5, `gate ${g} columns ${a},${b}: ${d}`);
      }
    }
  });
  test("forget-gate bias starts at the given value, other biases at zero", () => {
    const { bih } = init("scaled");
    assert.deepEqual([bih[0], bih[63], bih[64], bih[127], bih[128], bih[255]], [0, 0, 1, 1, 0, 0]);
  });
});
