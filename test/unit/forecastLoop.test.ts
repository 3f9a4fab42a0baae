// Forecasting on the one training loop (forecast/forecastTrainer.ts on TrainingSession and the
// Trainer): a run stopped halfway and resumed from its checkpoint ends with the very parameters and
// Adam moments of a run never stopped (epochs wrap inside each half, so the per-epoch window order and
// the dropout keys are continued too); two threads give a fixed run bit for bit and the one-thread run
// up to float summation order; keep-best keeps the weights of the validation whose closed-loop MAE,
// recomputed here by the engine's own forecasts (rnn-lab eval's), is the lowest.

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { prepareForecast, resumePoint, trainPrepared } from "../../src/engine/forecast/forecastTrainer";
import { encodeForecastCheckpoint } from "../../src/engine/forecast/forecastCheckpoint";
import { LoadedForecastModel } from "../../src/engine/forecast/forecastEngine";
import type { ForecastTrainProgress, ForecastTrainRequest } from "../../src/engine/forecast/forecastModel";
import type { NumericSeries } from "../../src/engine/forecast/numericSeries";
import { mulberry32 } from "../../src/engine/model/seededRandom";
import { expectClose, tempDir } from "../helpers";

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
