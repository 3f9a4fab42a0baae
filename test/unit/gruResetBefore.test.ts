// The reset-before GRU (--cell gru --gru-reset before), each part against a reference made another way:
//   - every f32 kernel build and the f64 core against GRUResetBefore, a torch.nn.Module written from
//     the equations (test/fixtures/generateGruResetBeforeFixtures.py): logits, loss, final state,
//     every gradient;
//   - ONNX Runtime's own GRU operator (linear_before_reset = 0) on the exported model;
//   - central finite differences in f64 (1–2 layers, embedding, residual, dropout, ragged lengths);
//   - the exported PyTorch project's module (model.py) on the same weights;
// and the seams: closed-form memory and tensor table, the heatmap's reset state, checkpoints, import,
// the CLI's flags and refusals.

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Core } from "../../src/engine/core/core";
import { CoreFlag } from "../../src/engine/core/coreAbi";
import { Model, decodeCheckpoint, encodeCheckpoint } from "../../src/engine/files/checkpoint";
import { recordActivations } from "../../src/engine/insight/activations";
import { finiteDifferenceCheck, gradientCheck } from "../../src/engine/insight/gradientCheck";
import { importTorchWeights } from "../../src/engine/interop/torchImport";
import { decodeSafetensors } from "../../src/engine/interop/safetensors";
import { cellEntry, coreShape, parameterCount, tensorTable } from "../../src/engine/model/cells";
import { cellVariants, experimentVariants } from "../../src/engine/runs/experiments";
import { ModelSpec, describeSpec, validateSpec } from "../../src/engine/model/modelSpec";
import { windowLogits } from "../../src/engine/training/evaluate";
import { expectClose, jsonLines, runCli, tempDir } from "../helpers";
import { expectOnnxMatchesCore } from "../onnxAgainstCore";
import { coreWithinMemoryEstimate, loadCellFixture, pythonHasTorch, randomCharModel, readCellFixtures, runExportedProject, testCellFixturesOnEveryCore, trainSampleEvalResume } from "../cellFixtures";

const fixtures = { models: readCellFixtures("gruResetBeforeFixtures.json") };
const base: ModelSpec = { cell: "gru", nonlinearity: "tanh", layers: 1, hidden: 4, embed: 0, vocabSize: 6, peephole: false, coupled: false, residual: false, gruReset: "before" };

describe("reset-before GRU against the PyTorch module written from its equations", () => {
  assert.equal(fixtures.models.length, 5);
  testCellFixturesOnEveryCore(fixtures.models);
  test("the same weights as a reset-after GRU give other numbers (the option reaches the core)", () => {
    const f = fixtures.models[0];
    const after = loadCellFixture({ ...f, spec: { ...f.spec, gruReset: "after" } }, "f64");
    after.forward(false, 0, true);
    const d = Math.max(...Array.from(after.logits(), (v, i) => Math.abs(v - f.logits[i])));
    assert.ok(d > 1e-3, `reset after differs from reset before by only ${d}`);
  });
});

describe("reset-before GRU: finite differences in f64, < 1e-6 relative for every tensor", () => {
  const cases: [string, Partial<ModelSpec>, number][] = [
    ["1 layer, one-hot", {}, 0], ["2 layers, one-hot", { layers: 2 }, 0], ["1 layer, embedding", { embed: 5 }, 0],
    ["2 layers, embedding", { layers: 2, embed: 5 }, 0], ["2 layers, hidden 8 (the CLI's check)", { layers: 2, hidden: 8 }, 0],
    ["3 layers, residual, dropout 0.4, embedding", { layers: 3, residual: true, embed: 3 }, 0.4],
    ["hidden 5 (scalar tails)", { hidden: 5, layers: 2 }, 0],
  ];
  for (const [name, v, dropout] of cases) {
    test(name, () => {
      const results = gradientCheck({ ...base, ...v }, { dropout });
      assert.equal(results.length, tensorTable({ ...base, ...v }).length);
      const worst = Math.max(...results.map((r) => r.maxRelError));
      for (const r of results) assert.ok(r.maxRelError < 1e-6, `${r.name}: ${r.maxRelError}`);
      process.stdout.write(`# ${name}: worst ${worst.toExponential(2)}\n`);
    });
  }

  for (const gruReset of ["before", "after"] as const) test(`a ragged batch (streams of lengths 5, 2, 0), reset ${gruReset}: held streams keep their state, gradients still match`, () => {
    const spec: ModelSpec = { ...base, layers: 2, hidden: 5, gruReset };
    const B = 3, T = 5, lengths = [5, 2, 0];
    const core = new Core(coreShape(spec), "f64");
    core.setShape(B, T);
    core.seed(11);
    core.fillRandom(core.params(), 0.5);
    // the core's lengths buffer (coreAbi lengthsPtr); Core has no view of it, so read it off the exports
    const x = (core as unknown as { x: { lengthsPtr(): number; memory: WebAssembly.Memory } }).x;
    new Int32Array(x.memory.buffer, x.lengthsPtr(), B).set(lengths);
    for (let k = 0; k < B * T; k++) { core.inputs()[k] = (k * 7 + 3) % spec.vocabSize; core.targets()[k] = (k * 5 + 1) % spec.vocabSize; }
    for (let l = 0; l < spec.layers; l++) core.fillRandom(core.hiddenStates(l).subarray(0, B * spec.hidden), 0.5);
    const loss = () => core.forward(false, 0, true);
    core.zeroGrads();
    loss();
    const H = spec.hidden, n = B * H;
    for (let l = 0; l < spec.layers; l++) {
      const hs = core.hiddenStates(l);
      // stream 1 stops after step 2 (block 2), stream 2 never moves from block 0
      for (let j = 0; j < H; j++) {
        assert.equal(hs[T * n + H + j], hs[2 * n + H + j], `layer ${l}: the short stream's final state is its state after its last step`);
        assert.equal(hs[T * n + 2 * H + j], hs[2 * H + j], `layer ${l}: the empty stream keeps its initial state`);
      }
    }
    core.backward();
    // gradientCheck's stencil (seven points, step 1e-2, error O(ε⁶)) and its relative error
    const worst = Math.max(...finiteDifferenceCheck(core, loss, 1e-2).map((c) => c.maxRelError));
    assert.ok(worst < 1e-6, `worst relative error ${worst}`);
    process.stdout.write(`# ragged, reset ${gruReset}: worst ${worst.toExponential(2)}\n`);
  });

  test("rnn-lab gradcheck --cell gru --gru-reset before --layers 2 --hidden 8 --json", () => {
    const r = runCli(["gradcheck", "--cell", "gru", "--gru-reset", "before", "--layers", "2", "--hidden", "8", "--json"]);
    assert.equal(r.status, 0, r.stderr);
    const lines = jsonLines(r.stdout);
    const summary = lines.find((l) => l.type === "summary") as { model: ModelSpec; max_rel_error: number; pass: boolean };
    assert.equal(summary.model.gruReset, "before");
    assert.equal(summary.pass, true);
    assert.ok(summary.max_rel_error < 1e-6);
    assert.equal(lines.filter((l) => l.type === "tensor").length, 2 * 4 + 2);
    process.stdout.write(`# CLI gradcheck: worst ${summary.max_rel_error.toExponential(2)}\n`);
  });
});

const randomModel = (spec: Partial<ModelSpec>, seed = 3): Model => randomCharModel({ ...base, layers: 2, hidden: 6, ...spec }, seed);

describe("reset-before GRU in ONNX Runtime (GRU operator, linear_before_reset = 0), 1e-4", () => {
  const cases: [string, Partial<ModelSpec>][] = [["2 layers, one-hot", {}], ["1 layer, embedding", { layers: 1, embed: 3 }], ["2 layers, residual, hidden 9", { residual: true, hidden: 9 }]];
  for (const [name, spec] of cases) {
    test(name, async () => {
      const model = randomModel(spec);
      const { worst, onnxLogits } = await expectOnnxMatchesCore(model, 3, 7, 3);
      // and the reset-after reading of the same graph would be wrong: the attribute matters
      const { layers, hidden } = model.spec;
      const ids = Int32Array.from({ length: 7 * 3 }, (_, i) => (i * 5 + 1) % model.vocab.size); // expectOnnxMatchesCore's window and h0
      const h0 = Float32Array.from({ length: layers * 3 * hidden }, (_, i) => 0.4 * Math.sin(i + 1));
      const after = windowLogits({ ...model, spec: { ...model.spec, gruReset: "after" } }, ids, 3, h0);
      assert.ok(Math.max(...Array.from(after.logits, (v, i) => Math.abs(v - onnxLogits[i]))) > 1e-3);
      process.stdout.write(`# onnxruntime ${name}: worst |Δ| ${worst.toExponential(2)}\n`);
    });
  }
});

describe("reset-before GRU through the seams", () => {
  const specs: ModelSpec[] = [{ ...base }, { ...base, layers: 3, hidden: 50, embed: 16, vocabSize: 65 }, { ...base, layers: 2, hidden: 5, residual: true, vocabSize: 2 }, { ...base, hidden: 130 }];
  test("closed-form tensor table, parameter count and core memory equal the core's", () => {
    for (const spec of specs) {
      for (const [batch, window] of [[1, 1], [7, 13], [50, 50]] as const) {
        for (const precision of ["f32", "f64"] as const) {
          const core = coreWithinMemoryEstimate(spec, batch, window, precision);
          assert.deepEqual(tensorTable(spec), core.tensors);
          assert.equal(parameterCount(spec), core.paramCount);
        }
      }
    }
    assert.equal(coreShape(base).flags & CoreFlag.ResetBefore, CoreFlag.ResetBefore);
    assert.equal(coreShape({ ...base, gruReset: "after" }).flags & CoreFlag.ResetBefore, 0);
  });

  test("options: validated, refused on other cells with one line, named in the description", () => {
    validateSpec(base);
    const { gruReset: _, ...old } = base; // an old checkpoint's spec: no field, reset after
    validateSpec(old);
    assert.equal(coreShape(old).flags, 0);
    assert.throws(() => validateSpec({ ...base, cell: "lstm" }), /reset before \(--gru-reset\) is only for GRU, not LSTM/);
    assert.throws(() => validateSpec({ ...base, gruReset: "sideways" as never }), /must be after or before/);
    assert.equal(describeSpec(base), "GRU 1×4, one-hot input, vocabulary 6, reset before");
    assert.deepEqual(cellEntry("gru").variants?.map((v) => v.options.gruReset ?? "after"), ["after", "before", "after", "after"]); // the third: layer norm, the fourth: batch norm
  });

  test("Compare Cells can include it, at the LSTM's parameter count; the default list stays the registry's cells", () => {
    const lstmBase: ModelSpec = { ...base, cell: "lstm", gruReset: undefined, layers: 2, hidden: 128, vocabSize: 65 };
    assert.ok(cellVariants().some((v) => v.label === "GRU (reset before)" && v.cell === "gru" && v.options.gruReset === "before"));
    const v = experimentVariants("cells", lstmBase, 5, ["LSTM", "GRU", "GRU (reset before)"]);
    assert.deepEqual(v.map((x) => [x.spec.cell, x.spec.gruReset ?? "after"]), [["lstm", "after"], ["gru", "after"], ["gru", "before"]]);
    const target = parameterCount(v[0].spec);
    for (const x of v) assert.ok(Math.abs(parameterCount(x.spec) - target) / target < 0.02, `${x.name}: ${parameterCount(x.spec)} vs ${target}`);
    assert.equal(v[1].spec.hidden, v[2].spec.hidden); // same tensors, so the same size
    assert.ok(!experimentVariants("cells", { ...lstmBase, cell: "gru", gruReset: "before" }, 5).some((x) => x.spec.gruReset === "before"), "the default list does not inherit the base's reset");
    assert.throws(() => experimentVariants("cells", lstmBase, 5, ["TF-GRU"]), /no cell variant "TF-GRU"/);
  });

  test("the heatmap shows r, z, n and the reset state r ∘ h_{t−1}", () => {
    const model = randomModel({ layers: 2, hidden: 6 });
    const text = "abc de, 中文!";
    const a = recordActivations(model, text);
    assert.deepEqual(a.quantities.map((q) => q.name), ["reset gate", "update gate", "candidate", "reset hidden state", "hidden state"]);
    const H = 6;
    for (const layer of a.perLayer) {
      const [r, , , v, h] = layer.values;
      for (let t = 0; t < a.chars.length; t++) {
        for (let j = 0; j < H; j++) {
          const prev = t === 0 ? 0 : h[(t - 1) * H + j]; // the heatmap reads from a zero state
          assert.ok(Math.abs(v[t * H + j] - r[t * H + j] * prev) < 1e-6);
          assert.ok(r[t * H + j] > 0 && r[t * H + j] < 1);
        }
      }
    }
    assert.ok(!recordActivations({ ...model, spec: { ...model.spec, gruReset: "after" } }, text).quantities.some((q) => q.name === "reset hidden state"));
  });

  test("a checkpoint keeps the option; an import of it reads the option from its metadata, or takes --gru-reset", () => {
    const model = randomModel({});
    const back = decodeCheckpoint(encodeCheckpoint(model));
    assert.equal(back.spec.gruReset, "before");
    const dir = tempDir();
    const weights = join(dir, "w.safetensors");
    writeFileSync(weights, encodeCheckpoint(model));
    const file = decodeSafetensors(readFileSync(weights));
    assert.equal(importTorchWeights(file, model.vocab).model.spec.gruReset, "before");
    // a bare state_dict (no metadata) is nn.GRU's unless told
    const bare = { ...file, metadata: {} };
    assert.equal(importTorchWeights(bare, model.vocab).model.spec.gruReset, undefined);
    assert.equal(importTorchWeights(bare, model.vocab, { gruReset: "before" }).model.spec.gruReset, "before");
  });

  test("the CLI: train, sample, eval and resume keep reset before; --gru-reset elsewhere is one clear line", () => {
    const { text, ckpt, trained, resumed } = trainSampleEvalResume(["--cell", "gru", "--gru-reset", "before", "--layers", "2", "--hidden", "16", "--batch", "4", "--seq", "16", "--json", "--threads", "1"]);
    assert.equal(trained.spec.gruReset, "before");
    assert.equal(resumed.spec.gruReset, "before");
    const changed = runCli(["train", text, "--resume", ckpt, "--gru-reset", "after", "--steps", "8"]);
    assert.equal(changed.status, 2);
    assert.match(changed.stderr, /--gru-reset cannot change when resuming/);
    for (const args of [["train", text, "--cell", "lstm", "--gru-reset", "before"], ["gradcheck", "--cell", "rnn", "--gru-reset", "before"]]) {
      const bad = runCli(args);
      assert.equal(bad.status, 2, bad.stderr);
      assert.match(bad.stderr, /--gru-reset is for --cell gru only/);
      assert.equal(bad.stderr.trim().split("\n").length, 1, bad.stderr);
    }
    const wrong = runCli(["gradcheck", "--cell", "gru", "--gru-reset", "sideways"]);
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /--gru-reset/);
  });

  test("the exported PyTorch project's module gives the core's logits (model.py, GRUResetBefore)", (t) => {
    if (!pythonHasTorch()) return t.skip("/usr/bin/python3 has no torch");
    const model = randomModel({ layers: 2, embed: 4 });
    const ids = Int32Array.from({ length: 9 }, (_, i) => (i * 4 + 2) % model.vocab.size);
    const ref = windowLogits(model, ids, 1, new Float32Array(2 * 6));
    const { moduleName, logits } = runExportedProject(model, null, ids);
    assert.equal(moduleName, "GRUResetBefore");
    expectClose(logits, ref.logits, { atol: 1e-5, rtol: 1e-5 }, "model.py logits");
  });
});
