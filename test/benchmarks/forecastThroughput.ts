// npm run bench -- --only forecast: forecasting training steps per second, LSTM 1×64, lookback 64,
// batch 64, 3 values per step (a target and two inputs), direct head of 8 steps, mse, Adam, clip 1:
// RNN Lab through the one training loop's Trainer and the forecasting task (tasks/forecastTask.ts:
// its batches, values head and shard threads), on 1 and 2 threads, against the same PyTorch model in
// the same run (torchForecastBaseline.py), torch threads × OpenBLAS threads in {1, 2}².

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ForecastSpec } from "../../src/engine/forecast/forecastModel";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import type { ModelSpec } from "../../src/engine/model/modelSpec";
import { mulberry32 } from "../../src/engine/model/seededRandom";
import { ForecastBatches, ForecastTask, type ForecastData } from "../../src/engine/tasks/forecastTask";
import { Trainer } from "../../src/engine/training/trainer";
import { DEFAULT_TRAIN_OPTIONS } from "../../src/engine/training/trainOptions";

const HIDDEN = 64, LOOKBACK = 64, BATCH = 64, WIDTH = 3, HORIZON = 8, ROWS = 4000;

function rnnLabStepsPerSecond(seconds: number, threads: number): number {
  const columns = ["y", "a", "b"];
  const spec: ForecastSpec = {
    targets: ["y"], inputs: ["a", "b"], timeColumn: null, timeKind: "row", calendar: [], fill: "none", lookback: LOOKBACK, horizon: HORIZON,
    strategy: "direct", loss: "mse", scaling: { columns, mean: [0, 0, 0], std: [1, 1, 1] }, split: { steps: ROWS, trainEnd: ROWS, valEnd: ROWS, testFromTime: null },
    season: 1, arOrder: null, backtest: 1,
  };
  const network: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 1, hidden: HIDDEN, embed: 0, vocabSize: WIDTH, peephole: false, coupled: false, residual: false };
  const random = mulberry32(1);
  const features = Float64Array.from({ length: ROWS * WIDTH }, () => random() * 2 - 1);
  const origins = Array.from({ length: ROWS - HORIZON - LOOKBACK + 1 }, (_, i) => LOOKBACK + i);
  const options = { ...DEFAULT_TRAIN_OPTIONS, batch: BATCH, seq: LOOKBACK, lr: 3e-3, clip: 1, seed: 1, valFraction: 0 };
  const trainer = new Trainer<ForecastData, ForecastBatches>(network, new CharVocabulary({ chars: ["0", "1"], unk: -1 }),
    { train: { features, width: WIDTH, origins, shuffle: 1 }, val: { features, width: WIDTH, origins: [] } },
    options, { files: [], sha256: "", chars: ROWS, trainChars: ROWS }, null, undefined, threads, new ForecastTask(spec, WIDTH));
  try {
    for (let k = 0; k < 3; k++) trainer.trainStep();
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < seconds * 1000) { trainer.trainStep(); n++; }
    return n / ((performance.now() - start) / 1000);
  } finally {
    trainer.dispose();
  }
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
  const ours = new Map<number, number>([[1, 0], [2, 0]]);
  const torch = new Map<string, number>();
  for (let r = 0; r < rounds; r++) {
    for (const threads of ours.keys()) ours.set(threads, Math.max(ours.get(threads)!, rnnLabStepsPerSecond(seconds, threads)));
    for (const t of torchStepsPerSecond(seconds)) torch.set(t.setting, Math.max(torch.get(t.setting) ?? 0, t.rate));
  }
  const best = torch.size ? Math.max(...torch.values()) : NaN;
  const bestSetting = [...torch].find(([, v]) => v === best)?.[0] ?? "–";
  console.log("\n| | steps/s | vs PyTorch at its best |\n|---|---:|---:|");
  for (const [threads, rate] of ours) console.log(`| RNN Lab, ${threads} thread${threads > 1 ? "s" : ""} | ${rate.toFixed(1)} | ${torch.size ? `${(rate / best).toFixed(2)}x` : "–"} |`);
  if (!torch.size) { console.log("PyTorch: not available (/usr/bin/python3 with torch)"); return; }
  for (const [setting, rate] of torch) console.log(`| PyTorch ${setting} (torch/BLAS threads) | ${rate.toFixed(1)} | ${(rate / best).toFixed(2)}x |`);
  console.log(`\nRNN Lab at its best (${Math.max(...ours.values()).toFixed(1)} steps/s) vs PyTorch at its best (${bestSetting}): ${(Math.max(...ours.values()) / best).toFixed(2)}x`);
}
