// The f32 core against PyTorch: logits, loss, final state and every gradient for nn.RNN (tanh, relu),
// nn.LSTM and nn.GRU, 1 and 2 layers, embedding and one-hot input; the optimizers against
// torch.optim; clipping against clip_grad_norm_. References: test/fixtures/generateTorchFixtures.py.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Core } from "../../src/engine/core/core";
import { OptimizerCode } from "../../src/engine/core/coreAbi";
import { KERNEL_VARIANTS, KernelVariant, variantAvailable } from "../../src/engine/core/coreLoader";
import { ModelSpec, coreShape, fromTorchLayout, toTorchLayout, torchName } from "../../src/engine/model/modelSpec";
import { expectClose, projectRoot } from "../helpers";

interface ModelFixture {
  name: string;
  spec: ModelSpec;
  batch: number;
  steps: number;
  inputs: number[];
  targets: number[];
  h0: number[];
  c0: number[] | null;
  params: Record<string, { shape: number[]; data: number[] }>;
  logits: number[];
  loss: number;
  hn: number[];
  cn: number[] | null;
  grads: Record<string, number[]>;
}

const fixtures = JSON.parse(readFileSync(join(projectRoot, "test", "fixtures", "torchFixtures.json"), "utf8"));
const TOL = { atol: 1e-5, rtol: 1e-5 };

function loadCase(f: ModelFixture, variant: KernelVariant): Core {
  const core = new Core(coreShape(f.spec), "f32", variant);
  core.setShape(f.batch, f.steps);
  const params = core.params();
  assert.equal(core.tensors.length, Object.keys(f.params).length, "same number of tensors as the PyTorch model");
  for (const slot of core.tensors) {
    const ref = f.params[torchName(slot)];
    assert.ok(ref, `PyTorch has ${torchName(slot)}`);
    fromTorchLayout(slot, ref.data, core.tensor(slot, params));
  }
  core.inputs().set(f.inputs);
  core.targets().set(f.targets);
  const { layers, hidden } = f.spec;
  const n = f.batch * hidden;
  for (let l = 0; l < layers; l++) {
    core.hiddenStates(l).set(f.h0.slice(l * n, (l + 1) * n));
    if (f.c0) core.cellStates(l).set(f.c0.slice(l * n, (l + 1) * n));
  }
  return core;
}

for (const variant of KERNEL_VARIANTS) describe(`parity with PyTorch (f32 ${variant} core, tolerance 1e-5)`, () => {
  test("this runtime runs the build", () => assert.ok(variantAvailable(variant), `${variant} build does not validate here`));
  for (const f of fixtures.models as ModelFixture[]) {
    test(f.name, () => {
      const core = loadCase(f, variant);
      const loss = core.forward(false, 0, true);
      expectClose(core.logits(), f.logits, TOL, "logits");
      expectClose([loss], [f.loss], TOL, "loss");
      const { layers, hidden } = f.spec;
      const n = f.batch * hidden;
      for (let l = 0; l < layers; l++) {
        const last = core.hiddenStates(l).subarray(f.steps * n, (f.steps + 1) * n);
        expectClose(last, f.hn.slice(l * n, (l + 1) * n), TOL, `h_n of layer ${l}`);
        if (f.cn) expectClose(core.cellStates(l).subarray(f.steps * n, (f.steps + 1) * n), f.cn.slice(l * n, (l + 1) * n), TOL, `c_n of layer ${l}`);
      }
      core.zeroGrads();
      core.backward();
      const grads = core.grads();
      for (const slot of core.tensors) {
        const name = torchName(slot);
        expectClose(toTorchLayout(slot, core.tensor(slot, grads)), f.grads[name], TOL, `gradient of ${name}`);
      }
    });
  }
});

describe("optimizers and clipping against torch.optim", () => {
  const o = fixtures.optimizers;
  // The optimizers run over a whole parameter block: any small model's block serves, with the
  // fixture's 12 values at its start and zeros (which stay zero) after them.
  const core = new Core({ cell: 0, layers: 1, vocab: 2, embed: 0, hidden: 2, flags: 0 });
  assert.ok(core.paramCount >= 12);
  const codes: Record<string, OptimizerCode> = { sgd: OptimizerCode.Sgd, rmsprop: OptimizerCode.Rmsprop, adam: OptimizerCode.Adam, adamw: OptimizerCode.AdamW };
  for (const c of o.cases) {
    test(`${c.optimizer}: two steps equal PyTorch's`, () => {
      core.params().fill(0);
      core.moment1().fill(0);
      core.moment2().fill(0);
      core.params().set(o.p0);
      const s = c.settings;
      const [a, b] = c.optimizer === "sgd" ? [s.momentum, 0] : c.optimizer === "rmsprop" ? [s.alpha, 0] : [s.betas[0], s.betas[1]];
      [o.g1, o.g2].forEach((g: number[], k: number) => {
        core.grads().fill(0);
        core.grads().set(g);
        core.optimizerStep(codes[c.optimizer], s.lr, a, b, s.eps ?? 0, s.weight_decay, k + 1);
      });
      expectClose(core.params().subarray(0, 12), c.after, { atol: 1e-6, rtol: 1e-5 }, `${c.optimizer} parameters`);
    });
  }
  test("global-norm clipping equals clip_grad_norm_", () => {
    core.grads().fill(0);
    core.grads().set(o.clip.before);
    const norm = core.clipGradients(o.clip.max_norm);
    expectClose([norm], [o.clip.norm], { atol: 1e-5, rtol: 1e-6 }, "norm before clipping");
    expectClose(core.grads().subarray(0, o.clip.after.length), o.clip.after, { atol: 1e-6, rtol: 1e-5 }, "clipped gradients");
    core.grads().set(o.clip.after);
    const unchanged = Float32Array.from(core.grads());
    core.clipGradients(o.clip.max_norm * 2);
    expectClose(core.grads(), unchanged, { atol: 0, rtol: 0 }, "gradients under the threshold are left alone");
  });
});
