// Forecasting on the one training loop (forecast/forecastTrainer.ts on TrainingSession and the
// Trainer): a run stopped halfway and resumed from its checkpoint ends with the very parameters and
// Adam moments of a run never stopped (epochs wrap inside each half, so the per-epoch window order and
// the dropout keys are continued too); two threads give a fixed run bit for bit and the one-thread run
// up to float summation order; keep-best keeps the weights of the validation whose closed-loop MAE,
// recomputed here by the engine's own forecasts (rnn-lab eval's), is the lowest; the checkpoints written
// every N steps resume exactly, and a CLI run killed mid-way leaves the last of them whole.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { prepareForecast, resumePoint, trainPrepared, type TrainedForecast } from "../../src/engine/forecast/forecastTrainer";
import { encodeForecastCheckpoint, readForecastCheckpoint } from "../../src/engine/forecast/forecastCheckpoint";
import { LoadedForecastModel } from "../../src/engine/forecast/forecastEngine";
import type { ForecastTrainProgress, ForecastTrainRequest } from "../../src/engine/forecast/forecastModel";
import type { NumericSeries } from "../../src/engine/forecast/numericSeries";
import { mulberry32 } from "../../src/engine/model/seededRandom";
import { cliPath, expectClose, runCli, tempDir } from "../helpers";

/** A seasonal series (period 12) with an input column and noise, as CSV text. */
function seasonalCsv(rows: number): string {
  const random = mulberry32(11);
  const lines = ["step,y,x"];
  for (let i = 0; i < rows; i++) {
    const x = Math.cos(i / 7);
    lines.push(`${i},${(10 + 3 * Math.sin((2 * Math.PI * i) / 12) + x + (random() - 0.5)).toFixed(4)},${x.toFixed(4)}`);
  }
  return lines.join("\n") + "\n";
}

function prepared(strategy: "direct" | "recursive") {
  const dir = tempDir();
  writeFileSync(join(dir, "s.csv"), seasonalCsv(240));
  const request: ForecastTrainRequest = { data: join(dir, "s.csv"), targets: ["y"], inputs: ["x"], timeColumn: "step", lookback: 12, horizon: 4, strategy, network: { cell: "lstm", hidden: 6 }, out: join(dir, "m.safetensors") };
  return { dir, p: prepareForecast(request) };
}

const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe("forecasting on the one training loop", () => {
  for (const strategy of ["direct", "recursive"] as const) {
    test(`${strategy}: 40 steps at once equal 20 steps, a checkpoint, and 20 resumed steps, bit for bit (weights and Adam's moments)`, async () => {
      const { dir, p } = prepared(strategy);
      const settings = { batch: 16, lr: 3e-3, seed: 4, dropout: 0.1 };
      const straight = await trainPrepared(p.series, p.spec, p.network, { ...settings, steps: 40 });
      const first = await trainPrepared(p.series, p.spec, p.network, { ...settings, steps: 20 });
      const epochs = first.state.progress.epoch;
      assert.ok(epochs >= 2, `the first half wraps the epoch (${epochs} epochs) so the window order must be continued`);
      const file = join(dir, "half.safetensors");
      writeFileSync(file, encodeForecastCheckpoint({ network: p.network, spec: p.spec, params: first.params, training: first.summary, state: first.state }));
      const from = resumePoint(file, p);
      assert.equal(from.steps, 20);
      const resumed = await trainPrepared(p.series, p.spec, p.network, { ...settings, steps: 20 }, undefined, undefined, from);
      assert.equal(resumed.summary.steps, 40);
      assert.ok(bits(resumed.state.params).equals(bits(straight.state.params)), "the latest weights");
      assert.ok(bits(resumed.state.moment1).equals(bits(straight.state.moment1)), "Adam's first moments");
      assert.ok(bits(resumed.state.moment2).equals(bits(straight.state.moment2)), "Adam's second moments");
      assert.ok(bits(resumed.params).equals(bits(straight.params)), "the kept best weights");
      assert.equal(resumed.summary.bestStep, straight.summary.bestStep);
      // the comparison can fail: the same resume with Adam started afresh ends elsewhere
      const fresh = await trainPrepared(p.series, p.spec, p.network, { ...settings, steps: 20 }, undefined, undefined, { ...from, state: { ...from.state!, moment1: new Float32Array(from.state!.moment1.length), moment2: new Float32Array(from.state!.moment2.length) } });
      assert.ok(!bits(fresh.state.params).equals(bits(straight.state.params)), "fresh moments change the run");
    });
  }

  test("a resume with another --batch goes on from the next epoch's start, with the checkpoint's weights and moments", async () => {
    const { dir, p } = prepared("direct");
    const first = await trainPrepared(p.series, p.spec, p.network, { batch: 16, seed: 4, steps: 12 });
    assert.ok(first.state.progress.window > 0, "stopped inside an epoch");
    const file = join(dir, "b16.safetensors");
    writeFileSync(file, encodeForecastCheckpoint({ network: p.network, spec: p.spec, params: first.params, training: first.summary, state: first.state }));
    const resumed = await trainPrepared(p.series, p.spec, p.network, { batch: 8, seed: 4, steps: 3 }, undefined, undefined, resumePoint(file, p));
    assert.equal(resumed.summary.steps, 15);
    assert.deepEqual([resumed.state.progress.epoch, resumed.state.progress.window], [first.state.progress.epoch + 1, 3]);
  });

  test("two threads: a fixed count repeats bit for bit, and equals one thread up to float summation order", async () => {
    const { p } = prepared("direct");
    const settings = { batch: 16, lr: 3e-3, seed: 2, steps: 25 };
    const one = await trainPrepared(p.series, p.spec, p.network, { ...settings, threads: 1 });
    const two = await trainPrepared(p.series, p.spec, p.network, { ...settings, threads: 2 });
    const again = await trainPrepared(p.series, p.spec, p.network, { ...settings, threads: 2 });
    assert.ok(bits(two.state.params).equals(bits(again.state.params)));
    expectClose(two.state.params, one.state.params, { atol: 2e-5, rtol: 1e-4 }, "2 threads vs 1");
  });

  test("recursive: keep-best keeps the weights whose closed-loop validation MAE (the engine's own forecasts) is the lowest", async () => {
    const { p } = prepared("recursive");
    const seen: ForecastTrainProgress[] = [];
    const run = await trainPrepared(p.series, p.spec, p.network, { batch: 16, lr: 1e-2, seed: 3, steps: 60 }, (x) => seen.push(x));
    const validated = seen.filter((x) => x.valMae !== null);
    assert.ok(validated.length >= 10, `${validated.length} validations`);
    const best = validated.reduce((a, b) => (b.valMae! < a.valMae! ? b : a));
    assert.equal(run.summary.bestStep, best.step);
    assert.ok(validated.some((x) => x.valMae !== best.valMae), "the validations differ, so the choice is a choice");
    // independently: the kept weights' closed-loop forecasts at the validation origins, on the rows before the test span
    const { trainEnd, valEnd } = p.spec.split;
    const s = p.series, w = s.columns.length;
    const visible: NumericSeries = { ...s, steps: valEnd, values: s.values.subarray(0, valEnd * w), time: s.time?.slice(0, valEnd) ?? null };
    const first = Math.max(trainEnd, p.spec.lookback), last = valEnd - p.spec.horizon, n = Math.min(64, last - first + 1);
    const origins = [...new Set(Array.from({ length: n }, (_, i) => Math.round(first + (n === 1 ? 0 : (i * (last - first)) / (n - 1)))))];
    const f = new LoadedForecastModel(p.spec, p.network, run.params).forecastAt(visible, origins, { closedLoop: true });
    let abs = 0, count = 0;
    f.mean.forEach((perStep, i) => perStep.forEach((m, h) => { abs += Math.abs(m[0] - s.values[(origins[i] + h) * w]); count++; }));
    assert.ok(Math.abs(abs / count - best.valMae!) < 1e-9 * Math.max(1, best.valMae!), `${abs / count} vs ${best.valMae}`);
    // and it is not the one-step (teacher-forced) error: the open-loop forecasts score differently
    const open = new LoadedForecastModel(p.spec, p.network, run.params).forecastAt(visible, origins, { closedLoop: false });
    let openAbs = 0;
    open.mean.forEach((perStep, i) => perStep.forEach((m, h) => { openAbs += Math.abs(m[0] - s.values[(origins[i] + h) * w]); }));
    assert.notEqual(openAbs / count, abs / count);
  });
});

describe("checkpoints during a forecaster's run", () => {
  test("every 10 steps; the one at step 30 resumed for 5 steps equals 35 steps at once, bit for bit", async () => {
    const { dir, p } = prepared("direct");
    const settings = { batch: 16, lr: 3e-3, seed: 5, dropout: 0.1 };
    const straight = await trainPrepared(p.series, p.spec, p.network, { ...settings, steps: 35 });
    const saved: TrainedForecast[] = [];
    const run = await trainPrepared(p.series, p.spec, p.network, { ...settings, steps: 35, checkpointEvery: 10 }, undefined, undefined, undefined, (t) => saved.push(structuredClone(t)));
    assert.deepEqual(saved.map((t) => t.summary.steps), [10, 20, 30]);
    assert.ok(bits(run.state.params).equals(bits(straight.state.params)), "writing checkpoints does not change the run");
    const file = join(dir, "at30.safetensors");
    const at30 = saved[2];
    writeFileSync(file, encodeForecastCheckpoint({ network: p.network, spec: p.spec, params: at30.params, training: at30.summary, state: at30.state }));
    const resumed = await trainPrepared(p.series, p.spec, p.network, { ...settings, steps: 5 }, undefined, undefined, resumePoint(file, p));
    assert.equal(resumed.summary.steps, 35);
    for (const [what, a, b] of [["latest weights", resumed.state.params, straight.state.params], ["first moments", resumed.state.moment1, straight.state.moment1],
      ["second moments", resumed.state.moment2, straight.state.moment2], ["kept best", resumed.params, straight.params]] as const) assert.ok(bits(a).equals(bits(b)), what);
    assert.equal(resumed.summary.bestStep, straight.summary.bestStep);
    // the step-20 checkpoint resumed for 5 steps is another run (so the comparison above can fail)
    const file20 = join(dir, "at20.safetensors");
    writeFileSync(file20, encodeForecastCheckpoint({ network: p.network, spec: p.spec, params: saved[1].params, training: saved[1].summary, state: saved[1].state }));
    const early = await trainPrepared(p.series, p.spec, p.network, { ...settings, steps: 5 }, undefined, undefined, resumePoint(file20, p));
    assert.ok(!bits(early.state.params).equals(bits(straight.state.params)));
  });

  test("rnn-lab train --task forecast killed mid-run leaves its last periodic checkpoint whole, and --resume goes on from it", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "s.csv"), seasonalCsv(240));
    const out = join(dir, "m.safetensors");
    const args = ["train", "s.csv", "--task", "forecast", "--target", "y", "--inputs", "x", "--time-column", "step", "--lookback", "12", "--horizon", "4", "--hidden", "6", "--threads", "1", "--out", out];
    const child = spawn(process.execPath, [cliPath, ...args, "--steps", "1000000", "--checkpoint-every", "20"], { cwd: dir, stdio: "ignore" });
    const ended = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const t0 = Date.now();
    while (!existsSync(out) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 20));
    assert.ok(existsSync(out), "a checkpoint within a minute");
    await new Promise((r) => setTimeout(r, 300)); // let it write a few more
    child.kill("SIGKILL");
    await ended;
    const c = readForecastCheckpoint(out);
    const steps = c.training!.steps;
    assert.ok(steps >= 20 && steps % 20 === 0, `a periodic checkpoint (step ${steps})`);
    assert.ok(c.state !== null && c.state !== undefined, "it keeps where training stood");
    // killed mid-write, the run may leave its temporary file, never a partial checkpoint; its lock is stale, not in the way
    const others = (f: string) => f !== "s.csv" && f !== ".m.safetensors.lock" && !/^\.m\.safetensors\.\d+\.tmp$/.test(f);
    assert.deepEqual(readdirSync(dir).filter(others), ["m.safetensors"]);
    const resumed = runCli([...args, "--steps", "10", "--resume", out, "--out", join(dir, "m2.safetensors"), "--json"], { cwd: dir });
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.equal(readForecastCheckpoint(join(dir, "m2.safetensors")).training!.steps, steps + 10);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith(".tmp")), [], "the next run removes a killed run's temporary file");
  });
});
