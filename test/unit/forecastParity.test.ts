// The forecasting network against PyTorch: windows built from a feature matrix by ForecastNetwork
// (direct and recursive targets, loss weights), nn.RNN / nn.LSTM / nn.GRU + nn.Linear, mse / mae /
// Gaussian NLL, pinball at three quantile levels: the head's outputs at every step, the loss and every gradient. PyTorch builds its
// windows itself (test/fixtures/generateForecastModelFixtures.py, float64).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ModelSpec, fromTorchLayout, isTransposedInTorch, torchName } from "../../src/engine/model/modelSpec";
import type { TensorSlot } from "../../src/engine/core/coreAbi";
import { ForecastNetwork } from "../../src/engine/forecast/forecastNetwork";
import type { ForecastSpec } from "../../src/engine/forecast/forecastModel";
import { expectClose, projectRoot } from "../helpers";

interface Case {
  name: string; spec: ModelSpec; targets: number; lookback: number; horizon: number; strategy: "direct" | "recursive"; loss: "mse" | "mae" | "gaussian" | "quantile"; quantiles?: number[];
  origins: number[]; params: Record<string, { shape: number[]; data: number[] }>; outputs: number[]; loss_value: number; grads: Record<string, number[]>;
}
const fixtures = JSON.parse(readFileSync(join(projectRoot, "test", "fixtures", "forecastModelFixtures.json"), "utf8")) as { features: number[]; cases: Case[] };

export function forecastSpecFor(c: Pick<Case, "targets" | "lookback" | "horizon" | "strategy" | "loss" | "quantiles">, inputs: number): ForecastSpec {
  const columns = [...Array.from({ length: c.targets }, (_, k) => `y${k}`), ...Array.from({ length: inputs }, (_, j) => `x${j}`)];
  return {
    targets: columns.slice(0, c.targets), inputs: columns.slice(c.targets), timeColumn: null, timeKind: "row", calendar: [], fill: "none",
    lookback: c.lookback, horizon: c.horizon, strategy: c.strategy, loss: c.loss, ...(c.quantiles ? { quantiles: c.quantiles } : {}),
    scaling: { columns, mean: columns.map(() => 0), std: columns.map(() => 1) }, split: { steps: 0, trainEnd: 0, valEnd: 0, testFromTime: null },
    season: 1, arOrder: null, backtest: 1,
  };
}

/** Core layout → PyTorch's, in f64 (toTorchLayout rounds to f32, which would hide the f64 core's accuracy). */
function torchLayout(slot: TensorSlot, data: ArrayLike<number>): Float64Array {
  if (!isTransposedInTorch(slot)) return Float64Array.from(data);
  const out = new Float64Array(slot.rows * slot.cols);
  for (let r = 0; r < slot.rows; r++) for (let c = 0; c < slot.cols; c++) out[c * slot.rows + r] = data[r * slot.cols + c];
  return out;
}

for (const [precision, tol] of [["f64", { atol: 1e-9, rtol: 1e-9 }], ["f32", { atol: 1e-5, rtol: 1e-5 }]] as const) {
  describe(`forecasting network = PyTorch (${precision} core, tolerance ${tol.atol})`, () => {
    for (const c of fixtures.cases) {
      test(c.name, () => {
        const net = new ForecastNetwork(forecastSpecFor(c, c.spec.vocabSize - c.targets), c.spec, precision);
        const core = net.core;
        net.loadTrainingBatch(Float64Array.from(fixtures.features), c.origins);
        for (const slot of core.tensors) fromTorchLayout(slot, c.params[torchName(slot)].data, core.tensor(slot));
        core.resetState();
        core.zeroGrads();
        const loss = core.forward(false, 0, true);
        expectClose(core.outputValues(), c.outputs, tol, "outputs");
        expectClose([loss], [c.loss_value], tol, "loss");
        core.backward();
        for (const slot of core.tensors) expectClose(torchLayout(slot, core.tensor(slot, core.grads())), c.grads[torchName(slot)], tol, `gradient of ${torchName(slot)}`);
      });
    }
  });
}
