// The continuous-time RNN and the additive recurrence (issue 17): the core against PyTorch modules
// written from the equations (test/fixtures/generateLeakyCellFixtures.py), f64 finite-difference
// gradient checks for every option at 1 and 2 layers, the closed-form tensor table, the refusals,
// the checkpoint's options, the heatmap's leak, and the additive state's bound over long runs.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Core } from "../../src/engine/core/core";
import { KERNEL_VARIANTS, KernelVariant, Precision } from "../../src/engine/core/coreLoader";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { decodeCheckpoint, encodeCheckpoint } from "../../src/engine/files/checkpoint";
import { GRADIENT_CHECK_THRESHOLD, gradientCheck } from "../../src/engine/insight/gradientCheck";
import { recordActivations } from "../../src/engine/insight/activations";
import { exportSafetensors } from "../../src/engine/interop/modelExport";
import { decodeSafetensors } from "../../src/engine/interop/safetensors";
import { importTorchWeights } from "../../src/engine/interop/torchImport";
import { cellEntry, parameterCount, softplus, tensorTable } from "../../src/engine/model/cells";
import { initialiseParameters } from "../../src/engine/model/initialise";
import { ModelSpec, coreShape, describeSpec, torchName, validateSpec } from "../../src/engine/model/modelSpec";
import { Sampler } from "../../src/engine/insight/sampler";
import { lossOnText } from "../../src/engine/training/evaluate";
import { expectClose } from "../helpers";
import { expectOnnxMatchesCore } from "../onnxAgainstCore";
import { checkCellFixture, loadCellFixture, readCellFixtures } from "../cellFixtures";

const fixtures = readCellFixtures("leakyCellFixtures.json");

const BASE: ModelSpec = { cell: "ctrnn", nonlinearity: "tanh", layers: 1, hidden: 6, embed: 0, vocabSize: 7, peephole: false, coupled: false, residual: false };

describe("CTRNN and additive recurrence against PyTorch modules from the equations", () => {
  for (const f of fixtures) {
    for (const variant of KERNEL_VARIANTS) test(`${f.name}: f32 ${variant} core to 1e-5`, () => { checkCellFixture(f, loadCellFixture(f, "f32", variant), { atol: 1e-5, rtol: 1e-5 }); });
    test(`${f.name}: f64 core to 1e-10`, () => { checkCellFixture(f, loadCellFixture(f, "f64"), { atol: 1e-10, rtol: 1e-10 }); });
  }
});

const GRADCHECK_SPECS: Partial<ModelSpec>[] = [
  { cell: "ctrnn" }, { cell: "ctrnn", tau: 2.5, dt: 0.5 }, { cell: "ctrnn", nonlinearity: "relu", tau: 3 }, { cell: "ctrnn", tau: 1 },
  { cell: "ctrnn", learnTau: true, tau: 3 }, { cell: "ctrnn", learnTau: true, tau: 5, dt: 0.7 }, { cell: "ctrnn", nonlinearity: "relu", learnTau: true, tau: 2 },
  { cell: "additive", additiveForm: "input" }, { cell: "additive", additiveForm: "state" },
];

describe("f64 finite-difference gradient checks, every option, 1 and 2 layers", () => {
  for (const options of GRADCHECK_SPECS) for (const layers of [1, 2]) for (const extra of [{}, { embed: 4, residual: layers > 1 }]) {
    const spec: ModelSpec = { ...BASE, hidden: 8, ...options, layers, ...extra };
    test(`${describeSpec(spec)}`, () => {
      // ReLU is piecewise linear: a draw with a pre-activation within the stencil's ±3ε of zero makes
      // the finite difference straddle a kink (not a wrong gradient: the PyTorch parity above covers
      // ReLU exactly). Seeds 1–12 gave 4 to 11 kink-free draws per ReLU case here; seed 10 is one for
      // the four one-hot cases and seed 2 for the four with an embedding; other cells keep the default.
      const results = gradientCheck(spec, spec.nonlinearity === "relu" ? { seed: spec.embed > 0 ? 2 : 10 } : {});
      if (spec.learnTau) assert.ok(results.some((r) => r.name.startsWith("rnn.tau_rho_l")), "ρ is checked");
      for (const r of results) assert.ok(r.maxRelError < GRADIENT_CHECK_THRESHOLD, `${r.name}: ${r.maxRelError.toExponential(2)}`);
    });
  }
  test("with dropout between layers", () => {
    for (const options of [{ cell: "ctrnn", learnTau: true, tau: 3 }, { cell: "additive", additiveForm: "state" }] as Partial<ModelSpec>[]) {
      const results = gradientCheck({ ...BASE, hidden: 8, layers: 2, ...options }, { dropout: 0.3 });
      for (const r of results) assert.ok(r.maxRelError < GRADIENT_CHECK_THRESHOLD, `${JSON.stringify(options)} ${r.name}: ${r.maxRelError.toExponential(2)}`);
    }
  });
});

describe("the tensor table and the parameter count in closed form", () => {
  for (const options of [{ cell: "ctrnn" }, { cell: "ctrnn", learnTau: true }, { cell: "additive", additiveForm: "input" }, { cell: "additive", additiveForm: "state" }] as Partial<ModelSpec>[]) {
    for (const layers of [1, 3]) test(`${JSON.stringify(options)}, ${layers} layers, embedding 5`, () => {
      const spec: ModelSpec = { ...BASE, ...options, layers, embed: 5, vocabSize: 11, hidden: 9 };
      const core = new Core(coreShape(spec));
      assert.deepEqual(tensorTable(spec), core.tensors, "the core's table");
      assert.equal(parameterCount(spec), core.paramCount);
      // by hand: V·E + per layer in·H + H (+ H·H + H with W_hh) (+ H for ρ), head H·V + V
      const perLayer = (input: number) => input * 9 + 9 + (options.additiveForm === "input" ? 0 : 81 + 9) + (options.learnTau ? 9 : 0);
      let expected = 11 * 5 + 9 * 11 + 11;
      for (let l = 0; l < layers; l++) expected += perLayer(l === 0 ? 5 : 9);
      assert.equal(core.paramCount, expected);
    });
  }
  test("the input form has no recurrent weights; the state form and the CTRNN have PyTorch's four", () => {
    const names = (o: Partial<ModelSpec>) => tensorTable({ ...BASE, ...o }).map(torchName);
    assert.deepEqual(names({ cell: "additive" }), ["rnn.weight_ih_l0", "rnn.bias_ih_l0", "head.weight", "head.bias"]);
    assert.deepEqual(names({ cell: "additive", additiveForm: "state" }), ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "head.weight", "head.bias"]);
    assert.deepEqual(names({ cell: "ctrnn", learnTau: true }), ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "rnn.tau_rho_l0", "head.weight", "head.bias"]);
  });
});

describe("what the CTRNN's options mean", () => {
  test("τ = Δt (α = 1) is the plain RNN: the same weights give the same logits", () => {
    for (const nonlinearity of ["tanh", "relu"] as const) {
      const rnn: ModelSpec = { ...BASE, cell: "rnn", nonlinearity, layers: 2 };
      const ctrnn: ModelSpec = { ...rnn, cell: "ctrnn", tau: 0.5, dt: 0.5 };
      const a = new Core(coreShape(rnn), "f64"), b = new Core(coreShape(ctrnn), "f64");
      initialiseParameters(a, rnn, "scaled", 1, 3);
      b.params().set(a.params());
      for (const c of [a, b]) { c.setShape(2, 6); c.inputs().set([1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5]); c.forward(false, 0, false); }
      expectClose(b.logits(), a.logits(), { atol: 1e-12, rtol: 0 }, `${nonlinearity} logits`);
    }
  });
  test("a learned τ starts at --tau in every unit, and the heatmap's leak α is Δt/τ per unit", () => {
    const spec: ModelSpec = { ...BASE, vocabSize: 4, learnTau: true, tau: 5, dt: 0.5, layers: 2 };
    const core = new Core(coreShape(spec));
    initialiseParameters(core, spec, "scaled", 1, 1);
    const rho = core.tensors.filter((s) => s.kind === tensorTable(spec).find((t) => torchName(t) === "rnn.tau_rho_l0")!.kind);
    assert.equal(rho.length, 2);
    for (const slot of rho) for (const r of core.tensor(slot)) assert.ok(Math.abs(0.5 + softplus(r) - 5) < 1e-5, `τ = ${0.5 + softplus(r)}`);
    const params = Float32Array.from(core.params());
    params[rho[1].offset + 2] = -1; // one unit of layer 1 learned a shorter time constant
    const vocab = new CharVocabulary({ chars: ["a", "b", "c", "d"], unk: -1 });
    const act = recordActivations({ spec, vocab, params, training: null }, "abcdab");
    const names = act.quantities.map((q) => q.name);
    assert.deepEqual(names, ["hidden state", "pre-activation", "leak α"]);
    const leak = act.perLayer[1].values[2];
    for (let t = 0; t < 6; t++) for (let j = 0; j < spec.hidden; j++) {
      const expected = j === 2 ? 0.5 / (0.5 + Math.log1p(Math.exp(-1))) : 0.1;
      assert.ok(Math.abs(leak[t * spec.hidden + j] - expected) < 1e-6, `α at step ${t}, unit ${j}: ${leak[t * spec.hidden + j]} vs ${expected}`);
    }
  });
  test("a ρ written between passes is the one the next pass uses (the core keeps α rows across steps)", () => {
    // The core computes α and ∂α/∂ρ once per layer and pass and reuses them while ρ is unchanged: a
    // core that has run with one ρ and then gets another must give what a fresh core gives with it.
    const spec: ModelSpec = { ...BASE, vocabSize: 5, hidden: 9, learnTau: true, tau: 3, layers: 2 };
    const run = (core: Core) => {
      core.setShape(2, 4);
      core.inputs().set([1, 2, 3, 4, 0, 1, 2, 3]);
      core.targets().set([2, 3, 4, 0, 1, 2, 3, 4]);
      core.resetState();
      core.zeroGrads();
      const loss = core.forward(true, 0, true);
      core.backward();
      return { loss, grads: Array.from(core.grads()) };
    };
    const builds: [Precision, KernelVariant | undefined][] = [["f64", undefined], ...KERNEL_VARIANTS.map((v): [Precision, KernelVariant] => ["f32", v])];
    for (const [precision, variant] of builds) {
      const used = new Core(coreShape(spec), precision, variant);
      initialiseParameters(used, spec, "scaled", 1, 4);
      const before = run(used);
      const changed = Float64Array.from(used.params());
      for (const slot of used.tensors.filter((s) => s.kind === tensorTable(spec).find((t) => torchName(t) === "rnn.tau_rho_l0")!.kind)) {
        for (let j = 0; j < slot.rows * slot.cols; j++) changed[slot.offset + j] += 0.75 + 0.1 * j; // every unit of both layers
      }
      used.params().set(changed);
      const fresh = new Core(coreShape(spec), precision, variant);
      fresh.params().set(changed);
      const after = run(used), expected = run(fresh);
      assert.notEqual(after.loss, before.loss, `${precision} ${variant}: ρ matters`);
      assert.equal(after.loss, expected.loss, `${precision} ${variant}: the loss with the new ρ`);
      assert.deepEqual(after.grads, expected.grads, `${precision} ${variant}: the gradients with the new ρ`);
    }
  });
  test("a fixed τ's α is the same constant in every unit", () => {
    const spec: ModelSpec = { ...BASE, vocabSize: 3, tau: 8 };
    const core = new Core(coreShape(spec));
    initialiseParameters(core, spec, "scaled", 1, 1);
    const act = recordActivations({ spec, vocab: new CharVocabulary({ chars: ["a", "b", "c"], unk: -1 }), params: Float32Array.from(core.params()), training: null }, "abc");
    assert.ok(act.perLayer[0].values[2].every((a) => a === Math.fround(1 / 8)));
  });
});

describe("refusals, one line each", () => {
  const problem = (o: Partial<ModelSpec>) => { try { validateSpec({ ...BASE, ...o }); return null; } catch (e) { return (e as Error).message; } };
  test("α outside (0, 1]", () => {
    assert.match(problem({ tau: 0.5 })!, /α = Δt\/τ = 1\/0\.5 = 2 is above 1.*make τ ≥ Δt/);
    assert.match(problem({ tau: 2, dt: 3 })!, /α = Δt\/τ = 3\/2 = 1\.5 is above 1/);
    assert.match(problem({ tau: 0 })!, /τ \(--tau\) must be a positive number/);
    assert.match(problem({ tau: -1 })!, /τ \(--tau\) must be a positive number/);
    assert.match(problem({ dt: 0 })!, /Δt \(--dt\) must be a positive number/);
    assert.match(problem({ tau: Number.NaN })!, /τ \(--tau\) must be a positive number/);
    assert.equal(problem({ tau: 1, dt: 1 }), null, "α = 1 is allowed");
  });
  test("a learned τ must start above Δt (τ = Δt + softplus(ρ) > Δt)", () => {
    assert.match(problem({ learnTau: true, tau: 1 })!, /learned τ = Δt \+ softplus\(ρ\) is always above Δt = 1; start it with --tau above 1/);
    assert.equal(problem({ learnTau: true, tau: 1.01 }), null);
  });
  test("options on cells that do not have them", () => {
    assert.match(problem({ cell: "lstm", tau: 3 })!, /--tau is only for CTRNN, not LSTM/);
    assert.match(problem({ cell: "rnn", learnTau: true })!, /--learn-tau is only for CTRNN, not RNN/);
    assert.match(problem({ cell: "gru", dt: 0.5 })!, /--dt is only for CTRNN, not GRU/);
    assert.match(problem({ cell: "ctrnn", additiveForm: "state" })!, /--additive-form is only for Additive, not CTRNN/);
    assert.match(problem({ cell: "additive", additiveForm: "both" as never })!, /additive form must be input or state, not "both"/);
    assert.match(problem({ cell: "additive", tau: 2 })!, /--tau is only for CTRNN, not Additive/);
  });
});

describe("ONNX export (a Scan of standard operators) runs in onnxruntime with RNN Lab's numbers (1e-4)", () => {
  const cases: [string, Partial<ModelSpec>][] = [
    ["CTRNN 2 layers, one-hot", { layers: 2 }],
    ["CTRNN ReLU, learned τ, embedding", { nonlinearity: "relu", learnTau: true, tau: 3, embed: 4 }],
    ["CTRNN τ 1.5, Δt 0.5, 3 layers, residual", { tau: 1.5, dt: 0.5, layers: 3, residual: true }],
    ["additive input 2 layers, one-hot", { cell: "additive", layers: 2 }],
    ["additive state 1 layer, embedding", { cell: "additive", additiveForm: "state", embed: 3 }],
    ["additive state 2 layers, residual", { cell: "additive", additiveForm: "state", layers: 2, residual: true }],
  ];
  for (const [name, over] of cases) {
    test(name, async () => {
      const spec: ModelSpec = { ...BASE, ...over };
      const core = new Core(coreShape(spec));
      initialiseParameters(core, spec, "scaled", 1, 3);
      // biases and ρ away from zero, so that a dropped bias or a wrong α shows
      const params = Float32Array.from(core.params(), (v, i) => v + 0.05 * Math.sin(i));
      const { worst } = await expectOnnxMatchesCore({ spec, vocab: new CharVocabulary({ chars: "abcdefg".split(""), unk: -1 }), params, training: null }, 3, 7, 3);
      assert.ok(worst < 1e-4, `worst logit difference ${worst}`);
    });
  }
});

describe("checkpoints keep the cell's options; specs without them still load", () => {
  test("round trip", () => {
    for (const o of [{ cell: "ctrnn", learnTau: true, tau: 3, dt: 0.5, nonlinearity: "relu" }, { cell: "additive", additiveForm: "state" }] as Partial<ModelSpec>[]) {
      const spec: ModelSpec = { ...BASE, ...o };
      const params = Float32Array.from({ length: parameterCount(spec) }, (_, k) => Math.sin(k));
      const back = decodeCheckpoint(encodeCheckpoint({ spec, vocab: new CharVocabulary({ chars: "abcdefg".split(""), unk: -1 }), params, training: null }));
      assert.deepEqual(back.spec, spec);
      assert.deepEqual(Array.from(back.params), Array.from(params));
    }
  });
  test("a spec written before these options existed is the default: an additive spec without a form is the input form", () => {
    const spec: ModelSpec = { ...BASE, cell: "additive" };
    validateSpec(spec);
    assert.equal(cellEntry("additive").coreCode(spec), cellEntry("additive").coreCode({ ...spec, additiveForm: "input" }));
    assert.equal(describeSpec({ ...BASE }), "CTRNN (tanh) 1×6, one-hot input, vocabulary 7, τ 4");
  });
});

describe("the additive state grows, boundedly", () => {
  test("|h_t| ≤ |h_0| + t per unit over 20,000 steps, and stays finite in f32", () => {
    for (const additiveForm of ["input", "state"] as const) {
      const spec: ModelSpec = { ...BASE, cell: "additive", additiveForm, hidden: 16, layers: 2 };
      const core = new Core(coreShape(spec));
      initialiseParameters(core, spec, "scaled", 1, 5);
      core.freezeWeights();
      core.setShape(1, 500);
      core.resetState();
      let steps = 0, largest = 0;
      for (let w = 0; w < 40; w++) {
        core.inputs().set(Array.from({ length: 500 }, (_, k) => (k * 7 + w) % 7));
        core.forward(false, 0, false);
        steps += 500;
        for (let l = 0; l < spec.layers; l++) for (const v of core.finalHidden(l)) {
          assert.ok(Number.isFinite(v) && Math.abs(v) <= steps * (1 + 1e-6), `${additiveForm}: |h| = ${v} after ${steps} steps`);
          largest = Math.max(largest, Math.abs(v));
        }
        assert.ok(core.logits().every(Number.isFinite), "finite logits");
        core.carryState();
      }
      assert.ok(largest > 100, `${additiveForm}: the state does grow (${largest.toFixed(0)} after 20,000 steps); nothing in the core rescales it`);
    }
  });
  test("evaluating a long text names the growing state, not an overflow of the weights", () => {
    const spec: ModelSpec = { ...BASE, cell: "additive", additiveForm: "input", hidden: 8, vocabSize: 2 };
    const core = new Core(coreShape(spec));
    core.params().fill(0);
    // every increment is tanh(2) in every unit, and the head scores character 0 by the state's sum
    for (const slot of core.tensors) if (torchName(slot) === "rnn.bias_ih_l0") core.tensor(slot).fill(2);
    for (const slot of core.tensors) if (torchName(slot) === "head.weight") for (let j = 0; j < 8; j++) core.tensor(slot)[j * 2] = 1;
    const model = { spec, vocab: new CharVocabulary({ chars: ["a", "b"], unk: -1 }), params: Float32Array.from(core.params()), training: null };
    const text = Int32Array.from({ length: 3000 }, () => 1); // always "b": the growing score for "a" is ever more wrong
    assert.throws(() => lossOnText(model, text), (e: Error) =>
      /the Additive cell's state grew to \|h\| = 2\.89e\+3 over 2,999 characters .*evaluate a shorter text/.test(e.message) && !/weights overflow/.test(e.message));
    const short = lossOnText(model, text.subarray(0, 5)); // 4 predictions: loss = mean of 8·tanh(2)·t for t = 1…4
    assert.ok(Math.abs(short.loss - 8 * Math.tanh(2) * 2.5) < 1e-3, `${short.loss}`);
  });
  test("sampling 20,000 characters from an additive model gives characters, not an error", () => {
    const spec: ModelSpec = { ...BASE, cell: "additive", additiveForm: "state", hidden: 16 };
    const core = new Core(coreShape(spec));
    initialiseParameters(core, spec, "scaled", 1, 2);
    const sampler = new Sampler({ spec, vocab: new CharVocabulary({ chars: "abcdefg".split(""), unk: -1 }), params: Float32Array.from(core.params()), training: null }, 9);
    let text = "";
    for (let k = 0; k < 20000; k++) text += sampler.next({ temperature: 1, topK: 0, topP: 1 }).char;
    assert.equal(Array.from(text).length, 20000);
  });
});

describe("safetensors export and import", () => {
  const vocab = new CharVocabulary({ chars: "abcdefg".split(""), unk: -1 });
  const cases: Partial<ModelSpec>[] = [
    { cell: "ctrnn", learnTau: true, tau: 3, dt: 0.5, layers: 2 }, { cell: "ctrnn", tau: 6, embed: 3 },
    { cell: "additive", additiveForm: "input", layers: 2 }, { cell: "additive", additiveForm: "state" },
  ];
  test("an export imports back to the same model (the metadata names the cell and its options)", () => {
    for (const o of cases) {
      const spec: ModelSpec = { ...BASE, ...o };
      const params = Float32Array.from({ length: parameterCount(spec) }, (_, k) => Math.cos(k));
      const back = importTorchWeights(decodeSafetensors(exportSafetensors({ spec, vocab, params, training: null })), vocab).model;
      assert.deepEqual(back.spec, spec, JSON.stringify(o));
      assert.deepEqual(Array.from(back.params), Array.from(params));
    }
  });
  test("weights without metadata: one gate block is nn.RNN's unless --cell says otherwise; the flags give τ", () => {
    const spec: ModelSpec = { ...BASE, cell: "ctrnn", tau: 5, learnTau: true };
    const file = decodeSafetensors(exportSafetensors({ spec, vocab, params: new Float32Array(parameterCount(spec)), training: null }));
    file.metadata = {};
    assert.throws(() => importTorchWeights(file, vocab), /rnn\.tau_rho_l0 .*do(es)? not belong to a RNN \(tanh\) 1×6/);
    const named = importTorchWeights(file, vocab, { cell: "ctrnn", cellOptions: { tau: 5 } }).model.spec;
    assert.deepEqual(named, spec, "learned τ read off rnn.tau_rho_l0, τ from the flag");
    const additive: ModelSpec = { ...BASE, cell: "additive", layers: 2 };
    const f2 = decodeSafetensors(exportSafetensors({ spec: additive, vocab, params: new Float32Array(parameterCount(additive)), training: null }));
    f2.metadata = {};
    // weights without W_hh may be a minGRU/minLSTM's too, so the gate count decides, and one block per unit is only RNN Lab's additive cell
    assert.throws(() => importTorchWeights(f2, vocab), /1 gate block\(s\) per unit fit Additive, which no PyTorch module makes; .* --cell additive/);
    assert.deepEqual(importTorchWeights(f2, vocab, { cell: "additive" }).model.spec, { ...additive, additiveForm: "input" });
  });
});
