// Layer-normalised LSTM and GRU (--norm layer; src/wasm/layerNorm.ts), each part against a reference
// made another way:
//   - central finite differences in f64 (1–2 layers, one-hot and embedding, residual, ragged lengths);
//   - LayerNormLSTM / LayerNormGRU, torch.nn.Modules written from Ba, Kiros & Hinton (2016) in
//     test/fixtures/generateNormCellFixtures.py: logits, loss, final state and every gradient, f64
//     core to 1e-9 and every f32 kernel to 1e-5;
// and the seams: the closed-form tensor table and parameter count, checkpoints, refusals, the CLI.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Core } from "../../src/engine/core/core";
import { KERNEL_VARIANTS, variantAvailable } from "../../src/engine/core/coreLoader";
import { gradientCheck } from "../../src/engine/insight/gradientCheck";
import { coreShape, parameterCount, tensorTable } from "../../src/engine/model/cells";
import { coreMemoryBytes } from "../../src/engine/core/limits";
import { ModelSpec, fromTorchLayout, torchName, validateSpec } from "../../src/engine/model/modelSpec";
import { TensorSlot } from "../../src/engine/core/coreAbi";
import { isTransposedInTorch } from "../../src/engine/model/modelSpec";
import { Model, decodeCheckpoint, encodeCheckpoint } from "../../src/engine/files/checkpoint";
import { exportOnnx, pytorchProject } from "../../src/engine/interop/modelExport";
import { decodeSafetensors } from "../../src/engine/interop/safetensors";
import { importTorchWeights } from "../../src/engine/interop/torchImport";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { initialiseParameters } from "../../src/engine/model/initialise";
import { describeSpec } from "../../src/engine/model/modelSpec";
import { recordActivations } from "../../src/engine/insight/activations";
import { DEFAULT_TRAIN_OPTIONS } from "../../src/engine/training/trainOptions";
import { Trainer, splitCorpus } from "../../src/engine/training/trainer";
import { expectClose, jsonLines, projectRoot, runCli, tempDir } from "../helpers";

const lstm: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 1, hidden: 5, embed: 0, vocabSize: 6, peephole: false, coupled: false, residual: false, norm: "layer" };
const gru: ModelSpec = { ...lstm, cell: "gru" };

function worst(spec: ModelSpec, options = {}): number {
  const checks = gradientCheck(spec, options);
  return Math.max(...checks.map((c) => c.maxRelError));
}

describe("layer-normalised LSTM and GRU: finite differences in f64", () => {
  for (const base of [lstm, gru]) {
    for (const layers of [1, 2]) {
      for (const embed of [0, 4]) {
        test(`${base.cell}, ${layers} layer(s), ${embed ? "embedding" : "one-hot"}`, () => {
          const spec = { ...base, layers, embed };
          const checks = gradientCheck(spec);
          for (const c of checks) assert.ok(c.maxRelError < 1e-6, `${c.name}: ${c.maxRelError.toExponential(2)}`);
          assert.ok(checks.some((c) => c.name.startsWith("rnn.ln_ih_gain")), "the gains are checked");
        });
      }
    }
    test(`${base.cell}, 2 layers, residual, dropout`, () => {
      assert.ok(worst({ ...base, layers: 2, embed: 4, residual: true }, { dropout: 0.3 }) < 1e-6);
    });
  }
});

interface Fixture {
  name: string; spec: ModelSpec; batch: number; steps: number; inputs: number[]; targets: number[]; h0: number[]; c0: number[];
  params: Record<string, { shape: number[]; data: number[] }>; logits: number[]; loss: number; hn: number[]; cn: number[]; grads: Record<string, number[]>;
}
const fixtures = JSON.parse(readFileSync(join(projectRoot, "test", "fixtures", "normCellFixtures.json"), "utf8")) as { models: Fixture[] };

function loadFixture(f: Fixture, precision: "f32" | "f64", variant?: (typeof KERNEL_VARIANTS)[number]): Core {
  const core = new Core(coreShape(f.spec), precision, variant);
  core.setShape(f.batch, f.steps);
  assert.equal(core.tensors.length, Object.keys(f.params).length, "the module's tensors, no more, no fewer");
  for (const slot of core.tensors) {
    const p = f.params[torchName(slot)];
    assert.ok(p, `the module has ${torchName(slot)}`);
    fromTorchLayout(slot, p.data, core.tensor(slot));
  }
  core.inputs().set(f.inputs);
  core.targets().set(f.targets);
  const n = f.batch * f.spec.hidden;
  for (let l = 0; l < f.spec.layers; l++) {
    core.hiddenStates(l).set(f.h0.slice(l * n, (l + 1) * n));
    if (f.c0.length) core.cellStates(l).set(f.c0.slice(l * n, (l + 1) * n));
  }
  return core;
}

/** Core layout → PyTorch layout in f64. */
function torchLayout64(slot: TensorSlot, data: ArrayLike<number>): Float64Array {
  const out = new Float64Array(slot.rows * slot.cols);
  for (let r = 0; r < slot.rows; r++) for (let c = 0; c < slot.cols; c++) out[isTransposedInTorch(slot) ? c * slot.rows + r : r * slot.cols + c] = data[r * slot.cols + c];
  return out;
}

function checkFixture(f: Fixture, core: Core, tol: { atol: number; rtol: number }): number {
  const loss = core.forward(false, 0, true);
  let worst = Math.max(expectClose(core.logits(), f.logits, tol, "logits"), expectClose([loss], [f.loss], tol, "loss"));
  const n = f.batch * f.spec.hidden;
  for (let l = 0; l < f.spec.layers; l++) {
    worst = Math.max(worst, expectClose(core.finalHidden(l), f.hn.slice(l * n, (l + 1) * n), tol, `h_n of layer ${l}`));
    if (f.cn.length) worst = Math.max(worst, expectClose(core.finalCell(l), f.cn.slice(l * n, (l + 1) * n), tol, `c_n of layer ${l}`));
  }
  core.zeroGrads();
  core.backward();
  for (const slot of core.tensors) {
    const name = torchName(slot);
    worst = Math.max(worst, expectClose(torchLayout64(slot, core.tensor(slot, core.grads())), f.grads[name], tol, `gradient of ${name}`));
  }
  return worst;
}

describe("layer-normalised LSTM and GRU against torch.nn.Modules written from Ba et al. (2016)", () => {
  assert.equal(fixtures.models.length, 10);
  for (const variant of KERNEL_VARIANTS) {
    for (const f of fixtures.models) {
      test(`f32 ${variant}: ${f.name} (1e-5)`, () => {
        assert.ok(variantAvailable(variant), `${variant} does not validate here`);
        const worst = checkFixture(f, loadFixture(f, "f32", variant), { atol: 1e-5, rtol: 1e-5 });
        process.stdout.write(`# ${variant} ${f.name}: worst |Δ| ${worst.toExponential(2)}\n`);
      });
    }
  }
  for (const f of fixtures.models) {
    test(`f64: ${f.name} (1e-12)`, () => {
      const worst = checkFixture(f, loadFixture(f, "f64"), { atol: 1e-12, rtol: 1e-12 });
      process.stdout.write(`# f64 ${f.name}: worst |Δ| ${worst.toExponential(2)}\n`);
    });
  }
});

describe("layer norm: the registry's closed forms, options and refusals", () => {
  for (const spec of [lstm, gru, { ...lstm, layers: 2, embed: 3 }, { ...gru, layers: 3, hidden: 7 }]) {
    test(`${spec.cell} ${spec.layers} layer(s): the core's tensor table and parameter count are the registry's`, () => {
      const core = new Core(coreShape(spec), "f64");
      assert.deepEqual(core.tensors.map((t) => ({ ...t })), tensorTable(spec).map((t) => ({ ...t })));
      assert.equal(core.params().length, parameterCount(spec));
      assert.ok(!tensorTable(spec).some((t) => torchName(t).startsWith("rnn.bias_")), "no b_ih, b_hh: the normalisations' biases stand for them");
    });
  }
  test("limits.ts's memory estimate of a core is what the core grows to (13 and 9 per-step buffers)", () => {
    for (const spec of [lstm, gru, { ...lstm, layers: 3, hidden: 50, embed: 16, vocabSize: 65 }, { ...gru, layers: 2, hidden: 130, residual: true }]) {
      for (const [batch, window] of [[1, 1], [7, 13], [50, 50]] as const) {
        for (const precision of ["f32", "f64"] as const) {
          const core = new Core(coreShape(spec), precision);
          core.setShape(batch, window);
          const predicted = coreMemoryBytes(spec, batch, window, precision === "f64" ? 8 : 4), grown = core.memoryBytes();
          assert.ok(predicted >= grown && predicted - grown <= 65536, `${JSON.stringify(spec)} ${batch}×${window} ${precision}: ${predicted} vs ${grown}`);
        }
      }
    }
  });
    test("the names are documented ones, one per tensor", () => {
    assert.deepEqual(tensorTable(lstm).map(torchName), ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.ln_ih_gain_l0", "rnn.ln_ih_bias_l0",
      "rnn.ln_hh_gain_l0", "rnn.ln_hh_bias_l0", "rnn.ln_c_gain_l0", "rnn.ln_c_bias_l0", "head.weight", "head.bias"]);
    assert.deepEqual(tensorTable(gru).map(torchName).filter((n) => n.includes("ln_")), ["rnn.ln_ih_gain_l0", "rnn.ln_ih_bias_l0", "rnn.ln_hh_gain_l0", "rnn.ln_hh_bias_l0"]);
  });
  const refused: [string, Partial<ModelSpec>, RegExp][] = [
    ["an RNN", { cell: "rnn" }, /LSTM and GRU only, not RNN/],
    ["a CTRNN", { cell: "ctrnn" }, /LSTM and GRU only, not CTRNN/],
    ["minGRU", { cell: "mingru" }, /gates read only the input/],
    ["peepholes", { peephole: true }, /plain LSTM/],
    ["coupled gates", { coupled: true }, /plain LSTM/],
    ["the reset-before GRU", { cell: "gru", gruReset: "before" }, /reset-after GRU only/],
    ["an unknown norm", { norm: "group" as never }, /must be none, layer, batch/],
  ];
  for (const [what, change, why] of refused) {
    test(`refused with a reason: ${what}`, () => assert.throws(() => validateSpec({ ...lstm, ...change }), why));
  }
});

const PYTHON = "/usr/bin/python3";

function randomModel(spec: Partial<ModelSpec>, seed = 3): Model {
  const { vocab } = CharVocabulary.fromText("abc defg, 中文!\n");
  const full: ModelSpec = { ...lstm, layers: 2, hidden: 6, vocabSize: vocab.size, ...spec };
  const core = new Core(coreShape(full));
  initialiseParameters(core, full, "scaled", 1, seed);
  const params = Float32Array.from(core.params(), (v, i) => v + 0.05 * Math.sin(i)); // gains and biases away from 1 and 0
  return { spec: full, vocab, params, training: null };
}

/** Logits [T, V] of the f32 core for one stream from a zero state. */
function coreLogits(model: Model, ids: Int32Array): Float32Array {
  const core = new Core(coreShape(model.spec));
  core.params().set(model.params);
  core.setShape(1, ids.length);
  core.inputs().set(ids);
  core.forward(false, 0, false);
  return Float32Array.from(core.logits());
}

describe("layer norm: checkpoints, import, export, the CLI", () => {
  test("initialisation: gains 1, biases 0 but the LSTM's forget block of β_ih (the forget bias)", () => {
    const spec: ModelSpec = { ...lstm, hidden: 3 };
    const core = new Core(coreShape(spec));
    initialiseParameters(core, spec, "scaled", 1, 1);
    const get = (name: string) => Array.from(core.tensor(core.tensors.find((t) => torchName(t) === name)!));
    assert.deepEqual(get("rnn.ln_ih_gain_l0"), new Array(12).fill(1));
    assert.deepEqual(get("rnn.ln_c_gain_l0"), [1, 1, 1]);
    assert.deepEqual(get("rnn.ln_ih_bias_l0"), [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(get("rnn.ln_hh_bias_l0"), new Array(12).fill(0));
  });

  for (const cell of ["lstm", "gru"] as const) {
    test(`${cell}: a checkpoint keeps the option; its safetensors imports as the same model`, () => {
      const model = randomModel({ cell });
      const back = decodeCheckpoint(encodeCheckpoint(model));
      assert.equal(back.spec.norm, "layer");
      assert.deepEqual(Array.from(back.params), Array.from(model.params));
      assert.match(describeSpec(back.spec), /layer norm$/);
      const file = decodeSafetensors(encodeCheckpoint(model));
      assert.ok(file.tensors.has("rnn.ln_hh_gain_l1"));
      const imported = importTorchWeights({ ...file, metadata: {} }, model.vocab).model; // a bare state_dict: the gate count tells the cell
      assert.equal(imported.spec.cell, cell);
      assert.equal(imported.spec.norm, "layer", "the gains' names say the model is layer-normalised");
      assert.deepEqual(Array.from(imported.params), Array.from(model.params));
    });

    test(`${cell}: ONNX export is refused with the reason`, () => {
      assert.throws(() => exportOnnx(randomModel({ cell })), /no normalisation inside the recurrence.*safetensors or as a PyTorch project/);
    });

    test(`${cell}: the exported PyTorch project's LayerNormRNN gives the core's logits`, (t) => {
      if (spawnSync(PYTHON, ["-c", "import torch"]).status !== 0) return t.skip("/usr/bin/python3 has no torch");
      const model = randomModel({ cell, embed: 4 });
      const dir = tempDir();
      for (const [name, bytes] of pytorchProject(model, null)) writeFileSync(join(dir, name), bytes);
      const ids = Int32Array.from({ length: 9 }, (_, i) => (i * 4 + 2) % model.vocab.size);
      const script = `
import json, torch
from model import CharModel, load_checkpoint
spec, vocab, _, state = load_checkpoint("model.safetensors")
m = CharModel(spec)
m.load_state_dict(state)
m.eval()
print(type(m.rnn).__name__)
logits, _ = m(torch.tensor(${JSON.stringify(Array.from(ids))}).unsqueeze(1))
print(json.dumps(logits.reshape(-1).tolist()))
`;
      const r = spawnSync(PYTHON, ["-c", script], { cwd: dir, encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: "1" } });
      assert.equal(r.status, 0, r.stderr);
      const [moduleName, logits] = r.stdout.trim().split("\n");
      assert.equal(moduleName, "LayerNormRNN");
      expectClose(JSON.parse(logits) as number[], coreLogits(model, ids), { atol: 1e-5, rtol: 1e-5 }, "model.py logits");
    });
  }

  test("the CLI: train, sample, eval and resume keep --norm layer; it cannot change on resume; other cells refuse it in one line", () => {
    const dir = tempDir();
    const text = join(dir, "text.txt");
    writeFileSync(text, "the quick brown fox jumps over the lazy dog. ".repeat(40));
    const ckpt = join(dir, "m.safetensors");
    const t = runCli(["train", text, "--cell", "lstm", "--norm", "layer", "--layers", "2", "--hidden", "16", "--steps", "4", "--batch", "4", "--seq", "16", "--out", ckpt, "--json", "--threads", "1"]);
    assert.equal(t.status, 0, t.stderr);
    assert.equal(decodeCheckpoint(readFileSync(ckpt)).spec.norm, "layer");
    assert.equal(runCli(["sample", ckpt, "--length", "20", "--json"]).status, 0);
    const e = runCli(["eval", ckpt, text, "--json"]);
    assert.equal(e.status, 0, e.stderr);
    const r = runCli(["train", text, "--resume", ckpt, "--steps", "6", "--json", "--threads", "1"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(decodeCheckpoint(readFileSync(ckpt)).spec.norm, "layer");
    const changed = runCli(["train", text, "--resume", ckpt, "--norm", "none", "--steps", "8"]);
    assert.equal(changed.status, 2);
    assert.match(changed.stderr, /--norm cannot change when resuming/);
    const bad = runCli(["train", text, "--cell", "rnn", "--norm", "layer", "--steps", "2"]);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /built for LSTM and GRU only, not RNN/);
    assert.equal(bad.stderr.trim().split("\n").length, 1, bad.stderr);
    const g = runCli(["gradcheck", "--cell", "gru", "--norm", "layer", "--layers", "2", "--hidden", "8", "--json"]);
    assert.equal(g.status, 0, g.stdout + g.stderr);
    const summary = jsonLines(g.stdout).find((l) => l.type === "summary")!;
    assert.equal(summary.pass, true);
    assert.ok((summary.max_rel_error as number) < 1e-6);
  });
});

describe("layer norm: the gate heatmap's normalised pre-activations", () => {
  // recomputed on the TS side (insight/normalisedActivations.ts); checked against the core's own gates:
  // LSTM g = tanh(a'_g + p'_g) and h = o ∘ tanh(c'); GRU n = tanh(a'_n + r ∘ p'_n)
  for (const [cell, extra] of [["lstm", {}], ["lstm", { embed: 3, layers: 3, residual: true }], ["gru", {}], ["gru", { embed: 4, layers: 2 }]] as const) {
    test(`${cell} ${JSON.stringify(extra)}`, () => {
      const model = randomModel({ cell, ...extra });
      const a = recordActivations(model, "abc de, 中文!\nabc");
      const names = a.quantities.map((q) => q.name);
      const at = (name: string) => names.indexOf(name);
      assert.ok(at("normalised input (candidate)") >= 0 && at("normalised recurrent (candidate)") >= 0);
      assert.equal(at("normalised cell state") >= 0, cell === "lstm");
      let worst = 0;
      for (const layer of a.perLayer) {
        const v = (name: string) => layer.values[at(name)];
        const x = v("normalised input (candidate)"), p = v("normalised recurrent (candidate)");
        for (let k = 0; k < x.length; k++) {
          const expected = cell === "lstm" ? Math.tanh(x[k] + p[k]) : Math.tanh(x[k] + v("reset gate")[k] * p[k]);
          worst = Math.max(worst, Math.abs(expected - v("candidate")[k]));
          if (cell === "lstm") worst = Math.max(worst, Math.abs(v("output gate")[k] * Math.tanh(v("normalised cell state")[k]) - v("hidden state")[k]));
        }
      }
      assert.ok(worst < 1e-5, `worst ${worst}`);
    });
  }
  test("without the option the heatmap has none of them", () => {
    const a = recordActivations(randomModel({ cell: "gru", norm: undefined }), "abc");
    assert.ok(!a.quantities.some((q) => q.name.startsWith("normalised")));
  });
});

describe("layer norm: data-parallel training and exact resume", () => {
  const text = "It was the best of times, it was the worst of times; 最好的时代，最坏的时代。 ".repeat(30);
  const { vocab } = CharVocabulary.fromText(text);
  const data = vocab.encode(text);
  const options = { ...DEFAULT_TRAIN_OPTIONS, batch: 6, seq: 10, lr: 5e-3, dropout: 0.2, valFraction: 0.1 };
  const train = (spec: ModelSpec, threads: number, steps: number, from: ReturnType<Trainer["snapshot"]> | null = null): Trainer => {
    const t = new Trainer(spec, vocab, splitCorpus(data, 0.1), options, { files: [], sha256: "", chars: data.length, trainChars: 0 }, from, undefined, threads);
    try {
      for (let k = 0; k < steps; k++) t.trainStep();
    } finally {
      t.dispose();
    }
    return t;
  };
  for (const cell of ["lstm", "gru"] as const) {
    const spec: ModelSpec = { ...lstm, cell, layers: 2, hidden: 12, vocabSize: vocab.size };
    test(`${cell}: 3 threads equal 1 thread up to summation order (the statistics are per stream)`, () => {
      const one = train(spec, 1, 8), three = train(spec, 3, 8);
      expectClose(three.core.params(), one.core.params(), { atol: 2e-5, rtol: 1e-4 }, "3 threads vs 1");
    });
    test(`${cell}: stopping, saving and resuming continues bit for bit`, () => {
      const whole = train(spec, 1, 8);
      const half = decodeCheckpoint(encodeCheckpoint(train(spec, 1, 4).snapshot()));
      const resumed = train(spec, 1, 4, half);
      assert.equal(resumed.step, 8);
      assert.ok(Buffer.from(Float32Array.from(resumed.core.params()).buffer).equals(Buffer.from(Float32Array.from(whole.core.params()).buffer)));
    });
  }
});
