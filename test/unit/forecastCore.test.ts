// The core's numeric task (setRegression): dense inputs and the mse / mae / Gaussian heads, direct (H·K
// outputs at the window's last step, the other rows weighted 0) and recursive (K outputs at every
// step). Analytic gradients against a seven-point central stencil in the f64 core, every parameter.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Core } from "../../src/engine/core/core";
import { RegressionLoss } from "../../src/engine/core/coreAbi";
import { coreShape } from "../../src/engine/model/modelSpec";
import { ModelSpec } from "../../src/engine/model/modelSpec";
import { relativeError } from "../../src/engine/insight/gradientCheck";

const THRESHOLD = 1e-6;
const LOSSES: [string, RegressionLoss][] = [["mse", RegressionLoss.Mse], ["mae", RegressionLoss.Mae], ["gaussian", RegressionLoss.Gaussian], ["quantile (0.1, 0.5, 0.9)", RegressionLoss.Quantile]];
/** The quantile head's levels in these tests (the loss's gradient differs per level: −τ or 1 − τ). */
const LEVELS = [0.1, 0.5, 0.9];
const regression = (loss: RegressionLoss, targets: number) => ({ loss, targets, ...(loss === RegressionLoss.Quantile ? { quantiles: LEVELS } : {}) });

interface Case { spec: ModelSpec; loss: RegressionLoss; targets: number; direct: boolean; batch: number; steps: number }

/** Worst relative error over every parameter; inputs and targets drawn from the core's generator. */
function worstGradientError(c: Case): { worst: number; name: string; loss: number } {
  const core = new Core({ ...coreShape(c.spec), regression: regression(c.loss, c.targets) }, "f64");
  core.setShape(c.batch, c.steps);
  core.seed(11);
  core.fillRandom(core.params(), 0.5);
  core.fillRandom(core.denseInputs(), 1);
  const weights = core.lossWeights();
  // direct: only the window's last step carries loss (rows (T−1)·B …); recursive: every step
  if (c.direct) weights.fill(0).fill(1, (c.steps - 1) * c.batch);
  const loss = () => { core.resetState(); return core.forward(true, 0, true); };
  // MAE and pinball have a kink at e = 0: targets at least 0.25 from every output they are compared
  // with (each quantile level's), so no stencil point crosses it; either side of each level happens
  loss();
  const out = core.outputValues(), y = core.realTargets(), O = core.outputs;
  const levels = c.loss === RegressionLoss.Quantile ? O / c.targets : 1;
  for (let r = 0; r < c.batch * c.steps; r++) {
    for (let k = 0; k < c.targets; k++) {
      const compared = Array.from({ length: levels }, (_, j) => out[r * O + j * c.targets + k]);
      let v = NaN;
      for (let tries = 0; tries < 50 && !(compared.every((q) => Math.abs(v - q) >= 0.25)); tries++) {
        v = compared[core.nextU32() % levels] + (core.nextU32() % 2 ? 1 : -1) * (0.25 + (core.nextU32() % 1000) / 1000);
      }
      if (!compared.every((q) => Math.abs(v - q) >= 0.25)) v = Math.max(...compared) + 0.5;
      y[r * c.targets + k] = v;
    }
  }
  core.zeroGrads();
  const value = loss();
  core.backward();
  const analytic = Float64Array.from(core.grads());
  const params = core.params();
  let worst = 0, name = "";
  const h = 1e-3;
  for (const slot of core.tensors) {
    for (let k = slot.offset; k < slot.offset + slot.rows * slot.cols; k++) {
      const saved = params[k];
      const at = (d: number) => { params[k] = saved + d; return loss(); };
      const numeric = (45 * (at(h) - at(-h)) - 9 * (at(2 * h) - at(-2 * h)) + (at(3 * h) - at(-3 * h))) / (60 * h);
      params[k] = saved;
      const e = relativeError(analytic[k], numeric);
      if (e > worst) { worst = e; name = `kind ${slot.kind} layer ${slot.layer} element ${k - slot.offset}`; }
    }
  }
  return { worst, name, loss: value };
}

const base: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 1, hidden: 4, embed: 0, vocabSize: 5, peephole: false, coupled: false, residual: false };

describe(`forecast heads: f64 gradient check, max relative error < ${THRESHOLD}`, () => {
  for (const [lossName, loss] of LOSSES) {
    for (const direct of [true, false]) {
      for (const [cellName, v] of [["LSTM", {}], ["GRU 2 layers", { cell: "gru", layers: 2 }], ["RNN tanh, residual 2 layers", { cell: "rnn", layers: 2, residual: true }]] as [string, Partial<ModelSpec>][]) {
        test(`${lossName}, ${direct ? "direct (H = 3)" : "recursive"}, ${cellName}, 2 targets + 3 inputs per step`, () => {
          const targets = direct ? 2 * 3 : 2;
          const r = worstGradientError({ spec: { ...base, ...v }, loss, targets, direct, batch: 3, steps: 4 });
          assert.ok(Number.isFinite(r.loss) && r.loss > 0);
          assert.ok(r.worst < THRESHOLD, `worst ${r.worst} at ${r.name}`);
        });
      }
    }
  }
});

describe("forecast heads: the loss is the mean the formula gives", () => {
  for (const [lossName, loss] of LOSSES) {
    test(`${lossName}: rows of weight 0 count for nothing`, () => {
      const spec = base;
      const core = new Core({ ...coreShape(spec), regression: regression(loss, 2) }, "f64");
      core.setShape(2, 3);
      core.seed(3);
      core.fillRandom(core.params(), 0.5);
      core.fillRandom(core.denseInputs(), 1);
      core.fillRandom(core.realTargets(), 1);
      const w = core.lossWeights();
      w.fill(0); w[4] = 1; w[5] = 1; // the last step's two rows
      core.resetState();
      const value = core.forward(false, 0, true);
      const out = core.outputValues(), y = core.realTargets(), O = core.outputs;
      let sum = 0;
      for (const r of [4, 5]) {
        for (let k = 0; k < 2; k++) {
          const e = out[r * O + k] - y[r * 2 + k];
          if (loss === RegressionLoss.Mse) sum += e * e;
          else if (loss === RegressionLoss.Mae) sum += Math.abs(e);
          else if (loss === RegressionLoss.Quantile) {
            // e above is q_1 − y; every level j: max(τ (y − q_j), (τ − 1)(y − q_j)), averaged over the levels
            for (let j = 0; j < LEVELS.length; j++) { const u = y[r * 2 + k] - out[r * O + j * 2 + k]; sum += Math.max(LEVELS[j] * u, (LEVELS[j] - 1) * u) / LEVELS.length; }
          }
          else { const s = out[r * O + 2 + k]; sum += 0.5 * (Math.log(2 * Math.PI) + s + (e * e) / Math.exp(s)); }
        }
      }
      assert.ok(Math.abs(value - sum / 4) < 1e-12, `${value} vs ${sum / 4}`);
    });
  }

  test("a head width that does not fit the loss is refused", () => {
    assert.throws(() => new Core({ ...coreShape(base), regression: { loss: RegressionLoss.Gaussian, targets: 0 } }, "f64"), /refused/);
  });

  test("quantile levels outside (0, 1), none, or more than the core holds are refused", () => {
    for (const quantiles of [[0, 0.5], [0.5, 1], [], Array.from({ length: 17 }, (_, j) => (j + 1) / 18)]) {
      assert.throws(() => new Core({ ...coreShape(base), regression: { loss: RegressionLoss.Quantile, targets: 2, quantiles } }, "f64"), /refused/, JSON.stringify(quantiles));
    }
  });
});
