// Recurrently batch-normalised LSTM and GRU (--norm batch; src/wasm/batchNorm.ts), each part against
// a reference made another way:
//   - central finite differences in f64, training mode (1–2 layers, one-hot and embedding);
//   - BatchNormLSTM / BatchNormGRU, torch.nn.Modules written from Cooijmans et al. (2016) on
//     torch.nn.BatchNorm1d per time step (test/fixtures/generateBatchNormFixtures.py): training-mode
//     logits, loss, final state, every gradient and the running averages after one pass, to 1e-5;
//   - evaluation mode: a stream's outputs do not depend on the other streams of the batch;
// and the seams: tensor names, initial gains, checkpoints with the running statistics, refusals.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Core } from "../../src/engine/core/core";
import { KERNEL_VARIANTS, variantAvailable } from "../../src/engine/core/coreLoader";
import { TensorSlot } from "../../src/engine/core/coreAbi";
import { coreShape } from "../../src/engine/model/cells";
import { fromTorchLayout, isTransposedInTorch, torchName } from "../../src/engine/model/modelSpec";
import { expectClose, projectRoot } from "../helpers";
import { gradientCheck } from "../../src/engine/insight/gradientCheck";
import { ModelSpec } from "../../src/engine/model/modelSpec";

const lstm: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 1, hidden: 5, embed: 0, vocabSize: 6, peephole: false, coupled: false, residual: false, norm: "batch" };
const gru: ModelSpec = { ...lstm, cell: "gru" };

describe("batch-normalised LSTM and GRU: finite differences in f64 (training mode)", () => {
  for (const base of [lstm, gru]) {
    for (const layers of [1, 2]) {
      for (const embed of [0, 4]) {
        test(`${base.cell}, ${layers} layer(s), ${embed ? "embedding" : "one-hot"}`, () => {
          const checks = gradientCheck({ ...base, layers, embed }); // batch 8 (gradientCheckBatch)
          for (const c of checks) assert.ok(c.maxRelError < 1e-6, `${c.name}: ${c.maxRelError.toExponential(2)}`);
          const names = checks.map((c) => c.name);
          for (const n of ["rnn.bn_ih_gain_l0", "rnn.bn_hh_bias_l0", ...(base.cell === "lstm" ? ["rnn.bn_c_gain_l0"] : [])]) assert.ok(names.includes(n), `${n} is checked`);
          process.stdout.write(`# ${base.cell} ${layers}L ${embed ? "embed" : "one-hot"}: worst ${Math.max(...checks.map((c) => c.maxRelError)).toExponential(2)}\n`);
        });
      }
    }
  }
});

interface Fixture {
  name: string; spec: ModelSpec; batch: number; steps: number; inputs: number[]; targets: number[]; h0: number[]; c0: number[];
  params: Record<string, { shape: number[]; data: number[] }>; logits: number[]; loss: number; hn: number[]; cn: number[]; grads: Record<string, number[]>;
  running: Record<string, { mean: number[][]; var: number[][] }>; evalLogits: number[];
}
const fixtures = JSON.parse(readFileSync(join(projectRoot, "test", "fixtures", "batchNormFixtures.json"), "utf8")) as { models: Fixture[] };

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
  setInitialState(core, f);
  return core;
}

function setInitialState(core: Core, f: Fixture): void {
  const n = f.batch * f.spec.hidden;
  for (let l = 0; l < f.spec.layers; l++) {
    core.hiddenStates(l).set(f.h0.slice(l * n, (l + 1) * n));
    if (f.c0.length) core.cellStates(l).set(f.c0.slice(l * n, (l + 1) * n));
  }
}

/** Core layout → PyTorch layout in f64. */
function torchLayout64(slot: TensorSlot, data: ArrayLike<number>): Float64Array {
  const out = new Float64Array(slot.rows * slot.cols);
  for (let r = 0; r < slot.rows; r++) for (let c = 0; c < slot.cols; c++) out[isTransposedInTorch(slot) ? c * slot.rows + r : r * slot.cols + c] = data[r * slot.cols + c];
  return out;
}

/** The running averages of one layer and quantity (ih, hh, c) at step t, from the core's buffer (Core.normStats's layout). */
function coreRunning(core: Core, spec: ModelSpec, layer: number, what: "ih" | "hh" | "c", t: number): { mean: number[]; var: number[] } {
  const H = spec.hidden, GH = (spec.cell === "lstm" ? 4 : 3) * H, N = core.normStatSteps;
  const unitStride = N * (4 * GH + (spec.cell === "lstm" ? 2 * H : 0)), base = 1 + layer * unitStride;
  const at = (k: number, width: number, offset: number) => Array.from(core.normStats().subarray(base + offset + k * N * width + t * width, base + offset + k * N * width + (t + 1) * width));
  if (what === "c") return { mean: at(0, H, 4 * N * GH), var: at(1, H, 4 * N * GH) };
  const k = what === "ih" ? 0 : 2;
  return { mean: at(k, GH, 0), var: at(k + 1, GH, 0) };
}

function checkFixture(f: Fixture, core: Core, tol: { atol: number; rtol: number }): number {
  const loss = core.forward(true, 0, true);
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
  assert.equal(core.normStats()[0], f.steps, "the steps training has reached");
  for (const [key, steps] of Object.entries(f.running)) {
    const [what, layerName] = key.split("_") as ["ih" | "hh" | "c", string];
    const layer = Number(layerName.slice(1));
    for (let t = 0; t < f.steps; t++) {
      const got = coreRunning(core, f.spec, layer, what, t);
      worst = Math.max(worst, expectClose(got.mean, steps.mean[t], tol, `running mean ${key} step ${t}`), expectClose(got.var, steps.var[t], tol, `running variance ${key} step ${t}`));
    }
    const untouched = coreRunning(core, f.spec, layer, what, f.steps);
    assert.ok(untouched.mean.every((v) => v === 0) && untouched.var.every((v) => v === 1), `${key}: a step no pass reached keeps μ̄ = 0, σ̄² = 1`);
  }
  // evaluation: the same batch from the same state, normalised by the running averages
  setInitialState(core, f);
  core.forward(false, 0, false);
  worst = Math.max(worst, expectClose(core.logits(), f.evalLogits, tol, "evaluation-mode logits"));
  return worst;
}

describe("batch-normalised LSTM and GRU against torch.nn.BatchNorm1d per time step (Cooijmans et al. 2016)", () => {
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
