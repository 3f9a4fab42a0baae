// The forecasting engine end to end, without the CLI: no information from the test span reaches
// training (a spike planted there changes nothing before it), the standardisation round trip (from
// the training span only, undone on output, intervals in the data's units), the checkpoint round
// trip, the evaluation's bookkeeping (origins over the test span, baselines scored on the same
// windows as the model), closed versus open loop, and the window suggestion.

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { prepareForecast, trainPrepared } from "../../src/engine/forecast/forecastTrainer";
import { LoadedForecastModel, evaluate, suggestWindowFor, surveyTable } from "../../src/engine/forecast/forecastEngine";
import { decodeForecastCheckpoint, encodeForecastCheckpoint } from "../../src/engine/forecast/forecastCheckpoint";
import { featureMatrix } from "../../src/engine/forecast/forecastFeatures";
import { parseNumericSeries } from "../../src/engine/forecast/numericSeries";
import { mulberry32 } from "../../src/engine/model/seededRandom";
import { FORECASTER_NAMES, type ForecastTrainRequest } from "../../src/engine/forecast/forecastModel";
import { naiveForecast, seasonalNaiveForecast } from "../../src/engine/forecast/baselines";
import { tempDir } from "../helpers";
import { restoreTask } from "../../src/engine/tasks/taskRegistry";
import { ForecastTask } from "../../src/engine/tasks/forecastTask";
import { ForecastNetwork } from "../../src/engine/forecast/forecastNetwork";

/** A seasonal series (period 12) with an input column and noise, as CSV text; spike: a row (0-based) multiplied by 100. */
function seasonalCsv(rows: number, spike = -1): string {
  const random = mulberry32(5);
  const lines = ["step,y,x"];
  for (let i = 0; i < rows; i++) {
    const x = Math.cos(i / 7);
    let y = 10 + 3 * Math.sin((2 * Math.PI * i) / 12) + x + (random() - 0.5);
    if (i === spike) y *= 100;
    lines.push(`${i},${y.toFixed(4)},${x.toFixed(4)}`);
  }
  return lines.join("\n") + "\n";
}

function request(data: string, extra: Partial<ForecastTrainRequest> = {}): ForecastTrainRequest {
  return { data, targets: ["y"], inputs: ["x"], timeColumn: "step", lookback: 12, horizon: 4, steps: 40, batch: 16, network: { hidden: 6 }, out: join(tempDir(), "m.safetensors"), backtest: 30, ...extra };
}

describe("no information from the test span reaches training", () => {
  for (const strategy of ["direct", "recursive"] as const) {
    test(`${strategy}: a spike planted in the test span changes no weight, no scaling, no baseline and no forecast before it`, async () => {
      const dir = tempDir();
      const rows = 240, spikeRow = 220; // the test span is the last 15 %: rows 204 …
      writeFileSync(join(dir, "clean.csv"), seasonalCsv(rows));
      writeFileSync(join(dir, "spiked.csv"), seasonalCsv(rows, spikeRow));
      const a = prepareForecast(request(join(dir, "clean.csv"), { strategy }));
      const b = prepareForecast(request(join(dir, "spiked.csv"), { strategy }));
      assert.ok(spikeRow >= a.spec.split.valEnd, "the spike lies in the test span");
      assert.deepEqual(b.spec, a.spec, "scaling, season, split: all from before the test span");
      const ta = await trainPrepared(a.series, a.spec, a.network, { steps: 40, batch: 16 });
      const tb = await trainPrepared(b.series, b.spec, b.network, { steps: 40, batch: 16 });
      assert.deepEqual(tb.params, ta.params, "the same weights, bit for bit");
      const ma = new LoadedForecastModel(a.spec, a.network, ta.params), mb = new LoadedForecastModel(b.spec, b.network, tb.params);
      const ea = evaluate(ma, a.series), eb = evaluate(mb, b.series);
      assert.deepEqual(eb.ar, ea.ar, "the AR fit reads the training span only");
      let before = 0, after = 0;
      ea.origins.forEach((o, i) => {
        for (const name of FORECASTER_NAMES) {
          const same = JSON.stringify(eb.scores[name].forecasts.mean[i]) === JSON.stringify(ea.scores[name].forecasts.mean[i]);
          if (o <= spikeRow) { assert.ok(same, `${name} at origin ${o} (before the spike) changed`); before++; }
          else if (!same) after++;
        }
      });
      assert.ok(before > 20, "origins before the spike were compared");
      assert.ok(after > 0, "forecasts after the spike do see it (the comparison can fail)");
    });
  }
});

describe("standardisation round trip", () => {
  const text = seasonalCsv(120);
  const series = parseNumericSeries(text, "s.csv", { target: ["y"], inputs: ["x"], timeColumn: "step" });

  test("the scaling is the training span's mean and population std, per column", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "s.csv"), text);
    const { spec } = prepareForecast(request(join(dir, "s.csv"), { valFraction: 0.2, testFraction: 0.2 }));
    const trainEnd = spec.split.trainEnd;
    assert.equal(trainEnd, 120 - 24 - 24);
    for (const [j, name] of ["y", "x"].entries()) {
      const v = text.trim().split("\n").slice(1, 1 + trainEnd).map((l) => Number(l.split(",")[j + 1]));
      const mean = v.reduce((s, x) => s + x, 0) / v.length;
      const std = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
      assert.ok(Math.abs(spec.scaling.mean[j] - mean) < 1e-12, `${name} mean`);
      assert.ok(Math.abs(spec.scaling.std[j] - std) < 1e-12, `${name} std`);
    }
  });

  test("standardised features map back to the table's values", () => {
    const scaling = { columns: series.columns, mean: [10, 0.5], std: [3, 2] };
    const f = featureMatrix(series, scaling, []);
    for (let i = 0; i < series.steps; i++) for (let j = 0; j < 2; j++) {
      assert.ok(Math.abs(f[i * 2 + j] * scaling.std[j] + scaling.mean[j] - series.values[i * 2 + j]) < 1e-12);
    }
  });

  test("forecasts come out in the data's units: a model whose head is its bias forecasts bias·std + mean, intervals ±1.645·σ·std", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "s.csv"), text);
    for (const loss of ["mse", "gaussian"] as const) {
      const { spec, network } = prepareForecast(request(join(dir, "s.csv"), { loss }));
      const params = new Float32Array(countParams(spec, network));
      const O = new LoadedForecastModel(spec, network, params).outputs, H = spec.horizon;
      // the head's bias is the block's last O values
      for (let j = 0; j < O; j++) params[params.length - O + j] = j < H ? 0.25 * (j + 1) : Math.log(0.3 ** 2);
      const model = new LoadedForecastModel(spec, network, params);
      const p = model.forecastAt(series, [50, 100]);
      for (const perStep of p.mean) perStep.forEach((m, h) => {
        assert.ok(Math.abs(m[0] - (0.25 * (h + 1) * spec.scaling.std[0] + spec.scaling.mean[0])) < 1e-5);
      });
      if (loss === "gaussian") {
        assert.ok(Math.abs(p.upper![0][0][0] - p.mean[0][0][0] - 1.6448536269514722 * 0.3 * spec.scaling.std[0]) < 1e-5);
        assert.ok(Math.abs(p.mean[0][0][0] - p.lower![0][0][0] - 1.6448536269514722 * 0.3 * spec.scaling.std[0]) < 1e-5);
      } else {
        assert.equal(p.lower, null);
      }
    }
  });
});

function countParams(spec: ReturnType<typeof prepareForecast>["spec"], network: ReturnType<typeof prepareForecast>["network"]): number {
  return new LoadedForecastModel(spec, network, []).parameterCount;
}

describe("checkpoint and evaluation", () => {
  test("a checkpoint round trip keeps every weight and the description; a char model or garbage is refused in one line", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "s.csv"), seasonalCsv(200));
    const { series, spec, network } = prepareForecast(request(join(dir, "s.csv"), { loss: "gaussian" }));
    const t = await trainPrepared(series, spec, network, { steps: 5 });
    const bytes = encodeForecastCheckpoint({ network, spec, params: t.params, training: t.summary });
    const back = decodeForecastCheckpoint(bytes, "m.safetensors");
    assert.deepEqual(back.params, t.params);
    assert.deepEqual(back.spec, spec);
    assert.deepEqual(back.network, network);
    assert.throws(() => decodeForecastCheckpoint(new Uint8Array([1, 2, 3]), "x.safetensors"), /^Error: x\.safetensors: not a valid safetensors file/);
    const wrong = JSON.parse(JSON.stringify(spec));
    wrong.scaling.std[0] = 0;
    assert.throws(() => decodeForecastCheckpoint(encodeForecastCheckpoint({ network, spec: wrong, params: t.params, training: null }), "m"), /positive std/);
  });

  test("origins lie in the test span; the naive and seasonal naive rows are the formulas on the same windows", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "s.csv"), seasonalCsv(200));
    const { series, spec, network } = prepareForecast(request(join(dir, "s.csv"), { season: 12 }));
    const t = await trainPrepared(series, spec, network, { steps: 5 });
    const e = evaluate(new LoadedForecastModel(spec, network, t.params), series);
    assert.equal(e.origins[0], spec.split.valEnd);
    assert.equal(e.origins[e.origins.length - 1], series.steps - spec.horizon);
    const y = Float64Array.from({ length: series.steps }, (_, i) => series.values[i * 2]);
    e.origins.forEach((o, i) => {
      assert.deepEqual(e.scores.naive.forecasts.mean[i].map((m) => m[0]), Array.from(naiveForecast(y.subarray(0, o), spec.horizon)));
      assert.deepEqual(e.scores.seasonal_naive.forecasts.mean[i].map((m) => m[0]), Array.from(seasonalNaiveForecast(y.subarray(0, o), spec.horizon, 12)));
    });
    // per step MAE of naive at step 1, computed here
    const mae1 = e.origins.reduce((s, o) => s + Math.abs(y[o - 1] - y[o]), 0) / e.origins.length;
    assert.ok(Math.abs(e.scores.naive.perStep[0][0].mae - mae1) < 1e-12);
    for (let h = 0; h < spec.horizon; h++) assert.ok(FORECASTER_NAMES.includes(e.winner[0][h]));
  });

  test("recursive: the open loop reads the actual values, the closed loop its own predictions; at step 1 they agree", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "s.csv"), seasonalCsv(200));
    const { series, spec, network } = prepareForecast(request(join(dir, "s.csv"), { strategy: "recursive" }));
    const t = await trainPrepared(series, spec, network, { steps: 20 });
    const model = new LoadedForecastModel(spec, network, t.params);
    const closed = model.forecastAt(series, [150, 160], { closedLoop: true, horizon: 6 });
    const open = model.forecastAt(series, [150, 160], { closedLoop: false, horizon: 6 });
    assert.deepEqual(open.mean.map((p) => p[0]), closed.mean.map((p) => p[0]));
    assert.notDeepEqual(open.mean.map((p) => p[5]), closed.mean.map((p) => p[5]));
    // open loop at origin o, step h = the one-step forecast from origin o + h
    const one = model.forecastAt(series, [155], { horizon: 1 });
    assert.ok(Math.abs(open.mean[0][5][0] - one.mean[0][0][0]) < 1e-6, `${open.mean[0][5][0]} vs ${one.mean[0][0][0]}`);
  });
});

describe("what the quick picks show", () => {
  test("the survey names numeric, date and text columns with ranges and missing counts", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "t.csv"), "date,a,b,name\n2020-01-01,1,,x\n2020-01-02,3,2.5,y\n2020-01-03,-2,NA,z\n");
    const s = surveyTable(join(dir, "t.csv"));
    assert.deepEqual(s.map((c) => [c.name, c.numeric, c.dates, c.min, c.max, c.missing]), [
      ["date", false, true, null, null, 0], ["a", true, false, -2, 3, 0], ["b", true, false, 2.5, 2.5, 2], ["name", false, false, null, null, 0]]);
  });

  test("a monthly season suggests lookback 24 and horizon 12", () => {
    const v = Array.from({ length: 240 }, (_, i) => Math.sin((2 * Math.PI * i) / 12) + 0.05 * Math.cos(i * 1.7));
    const w = suggestWindowFor(v);
    assert.deepEqual([w.season, w.lookback, w.horizon], [12, 24, 12]);
  });
});

describe("forecasting on the task seam", () => {
  for (const [strategy, loss] of [["direct", "gaussian"], ["recursive", "mse"]] as const) {
    test(`${strategy}, ${loss}: restoreTask rebuilds the task from its checkpoint entry; its evaluation is the core's loss on the same windows`, () => {
      const dir = tempDir();
      writeFileSync(join(dir, "s.csv"), seasonalCsv(200));
      const { series, spec, network } = prepareForecast(request(join(dir, "s.csv"), { strategy, loss }));
      const task = restoreTask(new ForecastTask(spec, network.vocabSize).checkpoint(), network) as ForecastTask;
      assert.ok(task instanceof ForecastTask);
      const K = strategy === "direct" ? spec.horizon : 1;
      assert.deepEqual([task.input, task.head, task.lossRows, task.carriesState], [
        { kind: "vectors", width: network.vocabSize }, { kind: "values", width: K * (loss === "gaussian" ? 2 : 1), loss }, strategy === "direct" ? "horizon" : "every-step", false]);
      const features = featureMatrix(series, spec.scaling, spec.calendar);
      const origins = [40, 57, 90, 120, 131];
      const net = new ForecastNetwork(spec, network, "f64");
      net.core.seed(3);
      net.core.fillRandom(net.core.params(), 0.3);
      net.loadTrainingBatch(features, origins);
      net.core.resetState();
      const direct = net.core.forward(false, 0, true);
      const e = task.evaluate(net.core, { features, width: network.vocabSize, origins }, 2, spec.lookback)!;
      assert.ok(Math.abs(e.loss - direct) < 1e-12, `${e.loss} vs ${direct}`);
      assert.equal(e.weight, strategy === "direct" ? origins.length : origins.length * spec.lookback);
      assert.ok(e.mae > 0 && Number.isFinite(e.mae));
    });
  }
});
