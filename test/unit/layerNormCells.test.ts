// Layer-normalised LSTM and GRU (--norm layer; src/wasm/layerNorm.ts), each part against a reference
// made another way:
//   - central finite differences in f64 (1–2 layers, one-hot and embedding, residual, ragged lengths);
//   - LayerNormLSTM / LayerNormGRU, torch.nn.Modules written from Ba, Kiros & Hinton (2016) in
//     test/fixtures/generateNormCellFixtures.py: logits, loss, final state and every gradient, f64
//     core to 1e-9 and every f32 kernel to 1e-5;
// and the seams: the closed-form tensor table and parameter count, checkpoints, refusals, the CLI.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Core } from "../../src/engine/core/core";
import { gradientCheck } from "../../src/engine/insight/gradientCheck";
import { coreShape, parameterCount, tensorTable } from "../../src/engine/model/cells";
import { ModelSpec, describeSpec, torchName, validateSpec } from "../../src/engine/model/modelSpec";
import { Model, decodeCheckpoint, encodeCheckpoint } from "../../src/engine/files/checkpoint";
import { exportOnnx } from "../../src/engine/interop/modelExport";
import { decodeSafetensors } from "../../src/engine/interop/safetensors";
import { importTorchWeights } from "../../src/engine/interop/torchImport";
import { initialiseParameters } from "../../src/engine/model/initialise";
import { recordActivations } from "../../src/engine/insight/activations";
import { windowLogits } from "../../src/engine/training/evaluate";
import { expectClose, jsonLines, runCli } from "../helpers";
import { coreWithinMemoryEstimate, normalisedGateResidual, pythonHasTorch, randomCharModel, readCellFixtures, runExportedProject, smallTrainingCorpus, testCellFixturesOnEveryCore, trainSampleEvalResume } from "../cellFixtures";

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

const fixtures = readCellFixtures("normCellFixtures.json");

describe("layer-normalised LSTM and GRU against torch.nn.Modules written from Ba et al. (2016)", () => {
  assert.equal(fixtures.length, 10);
  testCellFixturesOnEveryCore(fixtures);
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
        for (const precision of ["f32", "f64"] as const) coreWithinMemoryEstimate(spec, batch, window, precision);
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

const randomModel = (spec: Partial<ModelSpec>, seed = 3): Model => randomCharModel({ ...lstm, layers: 2, hidden: 6, ...spec }, seed);

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
      if (!pythonHasTorch()) return t.skip("/usr/bin/python3 has no torch");
      const model = randomModel({ cell, embed: 4 });
      const ids = Int32Array.from({ length: 9 }, (_, i) => (i * 4 + 2) % model.vocab.size);
      const { moduleName, logits } = runExportedProject(model, null, ids);
      assert.equal(moduleName, "LayerNormRNN");
      expectClose(logits, windowLogits(model, ids, 1).logits, { atol: 1e-5, rtol: 1e-5 }, "model.py logits");
    });
  }

  test("the CLI: train, sample, eval and resume keep --norm layer; it cannot change on resume; other cells refuse it in one line", () => {
    const { text, ckpt, trained, resumed } = trainSampleEvalResume(["--cell", "lstm", "--norm", "layer", "--layers", "2", "--hidden", "16", "--batch", "4", "--seq", "16", "--json", "--threads", "1"]);
    assert.equal(trained.spec.norm, "layer");
    assert.equal(resumed.spec.norm, "layer");
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
  for (const [cell, extra] of [["lstm", {}], ["lstm", { embed: 3, layers: 3, residual: true }], ["gru", {}], ["gru", { embed: 4, layers: 2 }]] as const) {
    test(`${cell} ${JSON.stringify(extra)}`, () => {
      const worst = normalisedGateResidual(recordActivations(randomModel({ cell, ...extra }), "abc de, 中文!\nabc"), cell);
      assert.ok(worst < 1e-5, `worst ${worst}`);
    });
  }
  test("without the option the heatmap has none of them", () => {
    const a = recordActivations(randomModel({ cell: "gru", norm: undefined }), "abc");
    assert.ok(!a.quantities.some((q) => q.name.startsWith("normalised")));
  });
});

describe("layer norm: data-parallel training and exact resume", () => {
  const { vocab, trainFor } = smallTrainingCorpus();
  for (const cell of ["lstm", "gru"] as const) {
    const spec: ModelSpec = { ...lstm, cell, layers: 2, hidden: 12, vocabSize: vocab.size };
    test(`${cell}: 3 threads equal 1 thread up to summation order (the statistics are per stream)`, () => {
      const one = trainFor(spec, 8), three = trainFor(spec, 8, null, 3);
      expectClose(three.core.params(), one.core.params(), { atol: 2e-5, rtol: 1e-4 }, "3 threads vs 1");
    });
    test(`${cell}: stopping, saving and resuming continues bit for bit`, () => {
      const whole = trainFor(spec, 8);
      const half = decodeCheckpoint(encodeCheckpoint(trainFor(spec, 4).snapshot()));
      const resumed = trainFor(spec, 4, half);
      assert.equal(resumed.step, 8);
      assert.ok(Buffer.from(Float32Array.from(resumed.core.params()).buffer).equals(Buffer.from(Float32Array.from(whole.core.params()).buffer)));
    });
  }
});
