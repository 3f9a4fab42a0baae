// npm run bench -- --only forecast: forecasting training steps per second, LSTM 1×64, lookback 64,
// batch 64, 3 values per step (a target and two inputs), direct head of 8 steps, mse, Adam, clip 1:
// the core through the forecasting network (forecast/forecastNetwork.ts, one thread: forecasting
// training has no shard threads yet) against the same PyTorch model in the same run
// (torchForecastBaseline.py), torch threads × OpenBLAS threads in {1, 2}².

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { OptimizerCode } from "../../src/engine/core/coreAbi";
import { ForecastNetwork } from "../../src/engine/forecast/forecastNetwork";
import type { ForecastSpec } from "../../src/engine/forecast/forecastModel";
import { initialiseParameters } from "../../src/engine/model/initialise";
import type { ModelSpec } from "../../src/engine/model/modelSpec";
import { mulberry32 } from "../../src/engine/model/seededRandom";

const HIDDEN = 64, LOOKBACK = 64, BATCH = 64, WIDTH = 3, HORIZON = 8, ROWS = 4000;

function rnnLabStepsPerSecond(seconds: number): number {
  const columns = ["y", "a", "b"];
  const spec: ForecastSpec = {
    targets: ["y"], inputs: ["a", "b"], timeColumn: null, timeKind: "row", calendar: [], fill: "none", lookback: LOOKBACK, horizon: HORIZON,
    strategy: "direct", loss: "mse", scaling: { columns, mean: [0, 0, 0], std: [1, 1, 1] }, split: { steps: ROWS, trainEnd: ROWS, valEnd: ROWS, testFromTime: null },
    season: 1, arOrder: null, backtest: 1,
  };
  const network: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 1, hidden: HIDDEN, embed: 0, vocabSize: WIDTH, peephole: false, coupled: false, residual: false };
  const net = new ForecastNetwork(spec, network);
  initialiseParameters(net.core, network, "scaled", 1, 1);
  const random = mulberry32(1);
  const features = Float64Array.from({ length: ROWS * WIDTH }, () => random() * 2 - 1);
  const step = (k: number) => {
    const origins = Array.from({ length: BATCH }, () => LOOKBACK + Math.floor(random() * (ROWS - HORIZON - LOOKBACK)));
    net.loadTrainingBatch(features, origins);
    net.core.zeroGrads();
    net.core.forward(true, 0, true);
    net.core.backward();
    net.core.clipGradients(1);
    net.core.optimizerStep(OptimizerCode.Adam, 3e-3, 0.9, 0.999, 1e-8, 0, k);
  };
  for (let k = 1; k <= 3; k++) step(k);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) step(4 + n++);
  return n / ((performance.now() - start) / 1000);
}

function torchStepsPerSecond(seconds: number): { setting: string; rate: number }[] {
  const script = join(__dirname, "..", "test", "benchmarks", "torchForecastBaseline.py");
  if (!existsSync("/usr/bin/python3") || !existsSync(script)) return [];
  const out: { setting: string; rate: number }[] = [];
  for (const blas of [1, 2]) {
    const r = spawnSync("/usr/bin/python3", [script, String(seconds), String(HIDDEN), String(LOOKBACK), String(BATCH), String(WIDTH), String(HORIZON), "1,2"],
      { encoding: "utf8", env: { ...process.env, OPENBLAS_NUM_THREADS: String(blas), OMP_NUM_THREADS: "1" } });
    if (r.status !== 0) return out;
    for (const line of r.stdout.trim().split("\n")) {
      const j = JSON.parse(line) as { torch_threads: number; blas_threads: number; steps_per_second: number };
      out.push({ setting: `${j.torch_threads}/${j.blas_threads}`, rate: j.steps_per_second });
    }
  }
  return out;
}

export function forecastBenchmark(seconds: number, rounds: number): void {
  console.log(`\nforecasting training: LSTM 1x${HIDDEN}, lookback ${LOOKBACK}, batch ${BATCH}, ${WIDTH} values per step, direct head ${HORIZON}, mse, Adam (steps/s, best of ${rounds} rounds)`);
  let ours = 0;
  const torch = new Map<string, number>();
  for (let r = 0; r < rounds; r++) {
    ours = Math.max(ours, rnnLabStepsPerSecond(seconds));
    for (const t of torchStepsPerSecond(seconds)) torch.set(t.setting, Math.max(torch.get(t.setting) ?? 0, t.rate));
  }
  console.log(`  RNN Lab (1 thread)      ${ours.toFixed(1)}`);
  if (!torch.size) { console.log("  PyTorch: not available (/usr/bin/python3 with torch)"); return; }
  for (const [setting, rate] of torch) console.log(`  PyTorch ${setting.padEnd(4)} (torch/BLAS threads)  ${rate.toFixed(1)}   RNN Lab / PyTorch ${(ours / rate).toFixed(2)}x`);
  const best = Math.max(...torch.values());
  console.log(`  vs PyTorch at its best: ${(ours / best).toFixed(2)}x`);
}
