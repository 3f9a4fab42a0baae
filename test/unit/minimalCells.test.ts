// minGRU and minLSTM (Feng et al. 2024): gates from the input alone, a linear recurrence solved over
// the whole window. Checked here: the closed-form tensor table against the core's; the scan against
// the sequential solution (f32 and f64, ragged lengths too); f64 finite-difference gradients for
// 1–2 layers with residual, dropout, embedding and ragged streams; the PyTorch modules written from
// the paper's equations (test/fixtures/generateMinimalCellFixtures.py: outputs, loss, every gradient).

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Core } from "../../src/engine/core/core";
import { LinearSolver } from "../../src/engine/core/coreAbi";
import { gradientCheck, GRADIENT_CHECK_THRESHOLD } from "../../src/engine/insight/gradientCheck";
import { parameterCount, tensorTable } from "../../src/engine/model/cells";
import { ModelSpec, coreShape, fromTorchLayout, toTorchLayout, torchName, torchShape } from "../../src/engine/model/modelSpec";
import { KERNEL_VARIANTS } from "../../src/engine/core/coreLoader";
import { coreMemoryBytes } from "../../src/engine/core/limits";
import { recordActivations } from "../../src/engine/insight/activations";
import { expectOnnxMatchesCore } from "../onnxAgainstCore";
import { randomCharModel } from "../cellFixtures";
import { expectClose, jsonLines, projectRoot, runCli, tempDir } from "../helpers";
import { Model } from "../../src/engine/files/checkpoint";
import { NamedTensor, decodeSafetensors, encodeSafetensors } from "../../src/engine/interop/safetensors";
import { importTorchWeights } from "../../src/engine/interop/torchImport";
import { InputError } from "../../src/engine/messages/inputError";

const CELLS = ["mingru", "minlstm"] as const;
const PYTHON = "/usr/bin/python3";

function spec(cell: ModelSpec["cell"], over: Partial<ModelSpec> = {}): ModelSpec {
  return { cell, nonlinearity: "tanh", layers: 1, hidden: 5, embed: 0, vocabSize: 7, peephole: false, coupled: false, residual: false, ...over };
}

describe("minGRU and minLSTM: layout", () => {
  for (const cell of CELLS) {
    test(`${cell}: no recurrent weights; the closed-form table and count are the core's`, () => {
      for (const s of [spec(cell), spec(cell, { layers: 3, embed: 4, hidden: 6, residual: true })]) {
        const core = new Core(coreShape(s));
        assert.deepEqual(core.tensors.map(({ kind, layer, offset, rows, cols }) => ({ kind, layer, offset, rows, cols })), tensorTable(s));
        assert.equal(core.paramCount, parameterCount(s));
        const gates = cell === "mingru" ? 2 : 3;
        // embedding, per layer W_ih [in, gates·H] and b_ih, head: nothing else
        const H = s.hidden, V = s.vocabSize;
        let expected = s.embed > 0 ? V * s.embed : 0;
        for (let l = 0; l < s.layers; l++) expected += (l === 0 ? (s.embed || V) : H) * gates * H + gates * H;
        assert.equal(core.paramCount, expected + H * V + V);
        assert.ok(!core.tensors.some((t) => torchName(t).includes("weight_hh") || torchName(t).includes("bias_hh")));
      }
    });
  }
});

/** A core with random weights, data and carried state. */
function filledCore(s: ModelSpec, precision: "f32" | "f64", B: number, T: number): Core {
  const core = new Core(coreShape(s), precision);
  core.setShape(B, T);
  core.seed(11);
  core.fillRandom(core.params(), 0.6);
  const inputs = core.inputs(), targets = core.targets();
  for (let k = 0; k < inputs.length; k++) { inputs[k] = core.nextU32() % s.vocabSize; targets[k] = core.nextU32() % s.vocabSize; }
  for (let l = 0; l < s.layers; l++) core.fillRandom(core.hiddenStates(l).subarray(0, B * s.hidden), 0.5);
  return core;
}

/** Everything one training step computes, under one solver: loss, logits, every state, gradients, flow, ∂L/∂h_0. */
function pass(core: Core, solver: LinearSolver, s: ModelSpec, dropout: number) {
  core.setLinearSolver(solver);
  core.seed(5);
  core.zeroGrads();
  const loss = core.forward(true, dropout, true);
  const logits = Float64Array.from(core.logits());
  const states = Array.from({ length: s.layers }, (_, l) => Float64Array.from(core.hiddenStates(l)));
  core.backward(true);
  return { loss, logits, states, grads: Float64Array.from(core.grads()), flow: Float64Array.from(core.gradFlow()),
    dh0: Array.from({ length: s.layers }, (_, l) => Float64Array.from(core.stateGrad(l))) };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): { abs: number; rel: number } {
  assert.equal(a.length, b.length);
  let abs = 0, scale = 0;
  for (let k = 0; k < a.length; k++) { abs = Math.max(abs, Math.abs(a[k] - b[k])); scale = Math.max(scale, Math.abs(a[k])); }
  return { abs, rel: abs / Math.max(scale, 1e-30) };
}

describe("the parallel scan equals the sequential recurrence", () => {
  for (const cell of CELLS) {
    for (const [precision, tol] of [["f32", 1e-5], ["f64", 1e-13]] as const) {
      test(`${cell}, ${precision}: windows of 1 to 100 steps, 2 layers, residual, dropout (within ${tol} relative)`, () => {
        const s = spec(cell, { layers: 2, hidden: 9, embed: 4, residual: true });
        for (const T of [1, 3, 4, 5, 17, 64, 100]) {
          const core = filledCore(s, precision, 3, T);
          const h0 = Array.from({ length: s.layers }, (_, l) => Float64Array.from(core.hiddenStates(l).subarray(0, 3 * s.hidden)));
          const seq = pass(core, LinearSolver.Sequential, s, 0.25);
          for (let l = 0; l < s.layers; l++) core.hiddenStates(l).set(h0[l]);
          const scan = pass(core, LinearSolver.Scan, s, 0.25);
          const where = `${cell} ${precision} T=${T}`;
          assert.ok(Math.abs(seq.loss - scan.loss) <= tol * Math.abs(seq.loss), `${where} loss ${seq.loss} vs ${scan.loss}`);
          for (const [name, a, b] of [["logits", seq.logits, scan.logits], ["gradients", seq.grads, scan.grads], ["gradient flow", seq.flow, scan.flow],
            ...seq.states.map((st, l) => [`states l${l}`, st, scan.states[l]]), ...seq.dh0.map((d, l) => [`∂L/∂h0 l${l}`, d, scan.dh0[l]])] as [string, Float64Array, Float64Array][]) {
            const d = maxDiff(a, b);
            assert.ok(d.rel <= tol, `${where} ${name}: max difference ${d.abs} (${d.rel} relative)`);
          }
          // the scan really ran a different association order somewhere (else this test proves nothing)
          if (precision === "f32" && T >= 17) assert.notDeepEqual(Array.from(seq.states[1]), Array.from(scan.states[1]), `${where}: scan and sequential gave identical bits`);
        }
      });
    }
  }
});

describe("f64 gradients equal central finite differences (< 1e-6 relative per tensor)", () => {
  const cases: [string, Partial<ModelSpec>, number][] = [
    ["1 layer, one-hot", {}, 0],
    ["2 layers, embedding", { layers: 2, embed: 3 }, 0],
    ["2 layers, residual, dropout 0.3", { layers: 2, residual: true, embed: 4 }, 0.3],
  ];
  for (const cell of CELLS) {
    for (const [name, over, dropout] of cases) {
      test(`${cell}, ${name}`, () => {
        const checks = gradientCheck(spec(cell, { hidden: 4, ...over }), { dropout, steps: 7 });
        assert.ok(checks.length >= 3);
        for (const c of checks) assert.ok(c.maxRelError < GRADIENT_CHECK_THRESHOLD, `${c.name}: ${c.maxRelError}`);
      });
    }
  }
});

interface ModelFixture {
  name: string; spec: ModelSpec; batch: number; steps: number; inputs: number[]; targets: number[]; h0: number[];
  params: Record<string, { shape: number[]; data: number[] }>; logits: number[]; loss: number; hn: number[]; grads: Record<string, number[]>;
}
interface FlowFixture { cell: ModelSpec["cell"]; steps: number; inputs: number[]; target: number; params: ModelFixture["params"]; flow: number[] }
const fixtures = JSON.parse(readFileSync(join(projectRoot, "test", "fixtures", "minimalCellFixtures.json"), "utf8")) as { models: ModelFixture[]; flow: FlowFixture[] };
const TOL = { atol: 1e-5, rtol: 1e-5 };

function loadWeights(core: Core, params: ModelFixture["params"]): void {
  assert.equal(core.tensors.length, Object.keys(params).length, "as many tensors as the PyTorch module");
  const block = core.params();
  for (const slot of core.tensors) {
    const ref = params[torchName(slot)];
    assert.ok(ref, `the PyTorch module has ${torchName(slot)}`);
    assert.deepEqual(ref.shape, torchShape(slot), `${torchName(slot)}'s shape`);
    fromTorchLayout(slot, ref.data, core.tensor(slot, block));
  }
}

for (const variant of KERNEL_VARIANTS) {
  describe(`minGRU and minLSTM against PyTorch modules from the paper's equations (f32 ${variant} core, 1e-5)`, () => {
    for (const f of fixtures.models) {
      for (const solver of [LinearSolver.Sequential, LinearSolver.Scan]) {
        test(`${f.name}, ${solver === LinearSolver.Scan ? "scan" : "sequential"}`, () => {
          const core = new Core(coreShape(f.spec), "f32", variant);
          core.setShape(f.batch, f.steps);
          core.setLinearSolver(solver);
          loadWeights(core, f.params);
          core.inputs().set(f.inputs);
          core.targets().set(f.targets);
          const n = f.batch * f.spec.hidden;
          for (let l = 0; l < f.spec.layers; l++) core.hiddenStates(l).set(f.h0.slice(l * n, (l + 1) * n));
          const loss = core.forward(false, 0, true);
          expectClose(core.logits(), f.logits, TOL, "logits");
          expectClose([loss], [f.loss], TOL, "loss");
          for (let l = 0; l < f.spec.layers; l++) expectClose(core.finalHidden(l), f.hn.slice(l * n, (l + 1) * n), TOL, `h_T of layer ${l}`);
          core.zeroGrads();
          core.backward();
          const grads = core.grads();
          for (const slot of core.tensors) expectClose(toTorchLayout(slot, core.tensor(slot, grads)), f.grads[torchName(slot)], TOL, `gradient of ${torchName(slot)}`);
        });
      }
    }
  });
}

describe("gradient flow ‖∂L_T/∂h_t‖ equals PyTorch's (120 steps, the last step's loss)", () => {
  for (const f of fixtures.flow) {
    test(f.cell, () => {
      const s = spec(f.cell, { hidden: 6, vocabSize: 7 });
      const core = new Core(coreShape(s), "f64");
      core.setShape(1, f.steps);
      loadWeights(core, f.params);
      core.inputs().set(f.inputs);
      core.targets().fill(-1); // only the last step carries loss
      core.targets()[f.steps - 1] = f.target;
      core.forward(false, 0, true);
      core.backward(true);
      expectClose(core.gradFlow(), f.flow, { atol: 1e-12, rtol: 1e-9 }, "‖∂L/∂h_t‖");
      assert.ok(f.flow[f.steps - 1 - 100] > 0, "the flow at distance 100 is not zero (the comparison is not vacuous)");
    });
  }
});

/** A model with random weights (biases away from zero, so a dropped bias shows). */
const randomModel = (over: Partial<ModelSpec>, seed = 3): Model => randomCharModel(spec("mingru", { layers: 2, hidden: 6, ...over }), seed);

describe("ONNX export (standard operators and a Scan) runs in onnxruntime with RNN Lab's numbers (1e-4)", () => {
  const cases: [string, Partial<ModelSpec>][] = [
    ["minGRU 2 layers, one-hot", { cell: "mingru" }],
    ["minGRU 1 layer, embedding", { cell: "mingru", layers: 1, embed: 4 }],
    ["minLSTM 2 layers, embedding, residual", { cell: "minlstm", embed: 5, residual: true }],
    ["minLSTM 3 layers, one-hot", { cell: "minlstm", layers: 3 }],
  ];
  for (const [name, over] of cases) {
    test(name, async () => {
      await expectOnnxMatchesCore(randomModel(over), 3, 7, 3);
    });
  }
});

describe("the exported PyTorch project writes minGRU / minLSTM as torch.nn.Modules and trains them", () => {
  for (const cell of CELLS) {
    test(`${cell}: RNN Lab → project → 6 PyTorch steps → RNN Lab evaluates its checkpoint to the loss it printed`, (t) => {
      if (spawnSync(PYTHON, ["-c", "import torch"]).status !== 0) return t.skip("no PyTorch in /usr/bin/python3 (apt-get install python3-torch)");
      const dir = tempDir("rnnlab-minproject-");
      const corpus = join(dir, "corpus.txt");
      writeFileSync(corpus, "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.\n".repeat(8));
      const ckpt = join(dir, "run.safetensors");
      const train = runCli(["train", corpus, "--cell", cell, "--layers", "2", "--hidden", "12", "--batch", "4", "--seq", "16", "--steps", "5", "--dropout", "0.1", "--out", ckpt, "--json"]);
      assert.equal(train.status, 0, train.stderr);
      const project = join(dir, "project");
      assert.equal(runCli(["export", ckpt, "--format", "pytorch", "--out", project]).status, 0);
      assert.match(readFileSync(join(project, "model.py"), "utf8"), cell === "mingru" ? /class MinGRU\(/ : /class MinLSTM\(/);
      const run = spawnSync(PYTHON, ["train.py", "--steps", "6", "--print-every", "3", "--out", join(dir, "torch.safetensors")], { cwd: project, encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: "1" } });
      assert.equal(run.status, 0, run.stderr);
      const printed = Number(/eval loss ([\d.]+)/.exec(run.stdout)?.[1]);
      assert.ok(Number.isFinite(printed), run.stdout);
      const ev = runCli(["eval", join(dir, "torch.safetensors"), join(project, "data.txt"), "--json"]);
      assert.equal(ev.status, 0, ev.stderr);
      assert.ok(Math.abs((jsonLines(ev.stdout)[0].loss as number) - printed) < 1e-4, `RNN Lab ${jsonLines(ev.stdout)[0].loss} vs PyTorch ${printed}`);
      const before = jsonLines(runCli(["eval", ckpt, join(project, "data.txt"), "--json"]).stdout)[0].loss as number;
      assert.ok(before - printed > 0.01, `six PyTorch steps lower the loss (${before} → ${printed})`);
    });
  }
});

describe("PyTorch-style weights without a recurrent matrix import as minGRU / minLSTM", () => {
  for (const cell of CELLS) {
    test(`${cell}: read off the gate count (prefixes gru./decoder. renamed), parameters bit for bit; a wrong --cell is refused`, () => {
      const model = randomModel({ cell, embed: 3 });
      const slots = tensorTable(model.spec);
      // a plain state_dict (no RNN Lab metadata) under other common prefixes
      const tensors: NamedTensor[] = slots.map((slot) => ({
        name: torchName(slot).replace(/^rnn\./, "gru.").replace(/^head\./, "decoder."), shape: torchShape(slot),
        data: toTorchLayout(slot, model.params.subarray(slot.offset, slot.offset + slot.rows * slot.cols)),
      }));
      const file = decodeSafetensors(encodeSafetensors(tensors, {}));
      const { model: imported, summary } = importTorchWeights(file, model.vocab);
      assert.deepEqual(imported.spec, model.spec, summary);
      assert.deepEqual(Array.from(imported.params), Array.from(model.params));
      const other = cell === "mingru" ? "minlstm" : "mingru";
      assert.throws(() => importTorchWeights(file, model.vocab, { cell: other }), (e: Error) => e instanceof InputError && /gate block/.test(e.message), `--cell ${other}`);
      assert.throws(() => importTorchWeights(file, model.vocab, { cell: "lstm" }), (e: Error) => e instanceof InputError && /mingru, minlstm/.test(e.message));
    });
  }
});

describe("limits.ts sizes minGRU / minLSTM cores exactly (no packed W_hh, the scan's scratch)", () => {
  test("coreMemoryBytes is the memory the core grows to, within one page", () => {
    for (const cell of CELLS) {
      for (const s of [spec(cell, { layers: 3, hidden: 50, embed: 16, vocabSize: 65 }), spec(cell, { layers: 2, hidden: 130, residual: true, vocabSize: 300 })]) {
        for (const [batch, window] of [[1, 1], [50, 50], [7, 13], [128, 100]]) {
          for (const precision of ["f32", "f64"] as const) {
            const core = new Core(coreShape(s), precision);
            core.setShape(batch, window);
            const predicted = coreMemoryBytes(s, batch, window, precision === "f64" ? 8 : 4), grown = core.memoryBytes();
            assert.ok(predicted >= grown && predicted - grown <= 65536, `${cell} ${s.layers}×${s.hidden} at ${batch}×${window} (${precision}): predicted ${predicted}, grown ${grown}`);
          }
        }
      }
    }
  });
});

describe("the gate heatmap records minGRU / minLSTM's quantities", () => {
  for (const cell of CELLS) {
    test(`${cell}: every quantity follows the paper's equations, recomputed here in f64 over 300 characters (two chunks)`, () => {
      const model = randomModel({ cell, layers: 1, hidden: 5 });
      const text = "abc defg, 中文!\n".repeat(20).slice(0, 300);
      const rec = recordActivations(model, text);
      assert.deepEqual(rec.quantities.map((q) => q.name), cell === "mingru"
        ? ["update gate", "candidate", "hidden state"] : ["normalised forget gate", "normalised input gate", "candidate", "hidden state"]);
      const H = 5, G = cell === "mingru" ? 2 : 3, GH = G * H;
      const slot = tensorTable(model.spec);
      const W = slot.find((s) => s.kind === 1)!, b = slot.find((s) => s.kind === 3)!;
      const ids = model.vocab.encode(text);
      const sig = (x: number) => 1 / (1 + Math.exp(-x));
      const h = new Float64Array(H);
      const values = rec.perLayer[0].values;
      for (let t = 0; t < ids.length; t++) {
        const pre = (g: number, j: number) => model.params[W.offset + ids[t] * GH + g * H + j] + model.params[b.offset + g * H + j];
        for (let j = 0; j < H; j++) {
          const candidate = pre(G - 1, j);
          let a: number, keep: number[];
          if (cell === "mingru") { const z = sig(pre(0, j)); a = 1 - z; keep = [z]; }
          else { const f = sig(pre(0, j)), i = sig(pre(1, j)); a = f / (f + i); keep = [a, i / (f + i)]; }
          h[j] = a * h[j] + (1 - a) * candidate; // minGRU: z = 1 − a; minLSTM: i' = 1 − f'
          const expected = [...keep, candidate, h[j]];
          expected.forEach((v, q) => assert.ok(Math.abs(values[q][t * H + j] - v) <= 1e-5 * Math.max(1, Math.abs(v)), `${rec.quantities[q].name} at step ${t}, unit ${j}: ${values[q][t * H + j]} vs ${v}`));
        }
      }
    });
  }
});
