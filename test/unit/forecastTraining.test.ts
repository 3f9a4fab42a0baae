// A forecaster trained through the extension's training worker (its "forecast" message), then read by
// the forecast worker as the panel and the hover read it: the model's row equals the forecast
// engine's own evaluation (rnn-lab eval's numbers) on the same origins, every baseline's too, and the
// hover's forecast from a row equals the model's forecast at that origin.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import { evaluateForecast, loadForecastModel, readForecastTable } from "../../src/engine/forecast/forecastModel";
import { ForecastReply, isForecastReply } from "../../src/protocol/forecastWorker";
import { TrainingEvent, isToTrainingWorker, isTrainingEvent } from "../../src/protocol/trainingWorker";
import { expectClose, projectRoot, tempDir } from "../helpers";

const data = join(projectRoot, "media", "examples", "daily-load.csv");

function trainInWorker(request: Record<string, unknown>): Promise<TrainingEvent[]> {
  const message = { type: "forecast", request };
  assert.ok(isToTrainingWorker(message), "the worker's check accepts what the host sends");
  const worker = new Worker(join(projectRoot, "dist", "trainingWorker.js"));
  const events: TrainingEvent[] = [];
  return new Promise((resolve, reject) => {
    worker.on("message", (m: unknown) => {
      if (!isTrainingEvent(m)) return reject(new Error(`not an event: ${JSON.stringify(m)}`));
      events.push(m);
      if (m.type === "forecastDone" || m.type === "error") void worker.terminate().then(() => resolve(events));
    });
    worker.on("error", reject);
    worker.postMessage(message);
  });
}

function forecastWorker() {
  const worker = new Worker(join(projectRoot, "dist", "forecastWorker.js"));
  const waiting = new Map<number, (r: ForecastReply) => void>();
  worker.on("message", (m: unknown) => {
    assert.ok(isForecastReply(m), JSON.stringify(m)?.slice(0, 300));
    waiting.get(m.id)?.(m);
  });
  return {
    ask: (request: { id: number; [k: string]: unknown }) => new Promise<ForecastReply>((resolve) => { waiting.set(request.id, resolve); worker.postMessage(request); }),
    end: () => worker.terminate(),
  };
}

test("train through the training worker, then the panel's and the hover's numbers are the engine's evaluation", async (t) => {
  const out = join(tempDir(), "load.safetensors");
  const events = await trainInWorker({ data, targets: ["load"], inputs: ["temperature"], timeColumn: "date", lookback: 14, horizon: 7, network: { cell: "gru", hidden: 8 }, steps: 60, out });
  const failed = events.find((e) => e.type === "error");
  assert.equal(failed, undefined, JSON.stringify(failed));
  const progress = events.filter((e): e is Extract<TrainingEvent, { type: "forecastProgress" }> => e.type === "forecastProgress");
  assert.ok(progress.length >= 2, `${progress.length} validations`);
  for (const p of progress) {
    assert.ok(Number.isFinite(p.progress.valMae) && Number.isFinite(p.progress.valRmse) && p.progress.valRmse! >= p.progress.valMae!, JSON.stringify(p.progress));
    assert.ok(p.progress.baselineValMae > 0);
  }
  const done = events.at(-1) as Extract<TrainingEvent, { type: "forecastDone" }>;
  assert.equal(done.type, "forecastDone");
  assert.equal(done.checkpoint, out);
  assert.ok(existsSync(out));

  const model = loadForecastModel(out);
  const table = readForecastTable(model, data);
  const ev = evaluateForecast(model, table);
  assert.ok(Math.abs(done.modelMae - ev.scores.model.overall[0].mae) < 1e-9, "forecastDone's MAE is the evaluation's");

  const s = forecastWorker();
  t.after(() => s.end());
  const r = await s.ask({ type: "report", id: 1, source: { file: data }, series: { target: "load", timeColumn: "date", fill: "none" }, checkpoint: out });
  assert.ok(r.ok && r.result.type === "report", JSON.stringify(r).slice(0, 400));
  const rep = r.result.report;
  assert.equal(r.result.modelError, undefined);
  assert.equal(r.result.model?.checkpoint, out);
  assert.deepEqual(rep.models.map((m) => m.name), ["model", "naive", "seasonal_naive", "mean", "ar", "tdnn"]);
  assert.deepEqual(rep.origins, ev.origins, "the checkpoint's backtest origins");
  assert.deepEqual([rep.trainEnd, rep.valEnd], [ev.split.trainEnd, ev.split.valEnd]);
  assert.equal(rep.horizon, 7);
  assert.equal(rep.ar.order, ev.ar[0].order);
  for (const m of rep.models) {
    const ref = ev.scores[m.name as keyof typeof ev.scores];
    expectClose(m.perStep.map((e) => e.mae), ref.perStep[0].map((e) => e.mae), { atol: 1e-9, rtol: 1e-9 }, `${m.name}: MAE per step`);
    expectClose(m.perStep.map((e) => e.rmse), ref.perStep[0].map((e) => e.rmse), { atol: 1e-9, rtol: 1e-9 }, `${m.name}: RMSE per step`);
    expectClose([m.overall.mae, m.overall.mase, m.overall.smape], [ref.overall[0].mae, ref.overall[0].mase, ref.overall[0].smape], { atol: 1e-9, rtol: 1e-9 }, `${m.name}: overall`);
  }
  const mine = rep.models[0];
  expectClose(mine.forecasts, ev.scores.model.forecasts.mean.flatMap((p) => p.map((v) => v[0])), { atol: 1e-9, rtol: 0 }, "the model's forecasts");
  assert.equal(mine.openLoop, null, "a direct model has no open loop");
  assert.ok(mine.residuals.length === table.steps - ev.split.valEnd && mine.residuals.some(Number.isFinite));

  // the hover: the forecast from file line 1001 (origin 1000)
  const f = await s.ask({ type: "forecastFrom", id: 2, source: { file: data }, series: { target: "load", timeColumn: "date", fill: "none" }, line: 1001, checkpoint: out });
  assert.ok(f.ok && f.result.type === "forecastFrom");
  assert.equal(f.result.origin, 1000);
  assert.equal(f.result.forecasts[0].name, "model");
  expectClose(f.result.forecasts[0].forecast, model.forecastAt(table, [1000]).mean[0].map((v) => v[0]), { atol: 1e-9, rtol: 0 }, "the hover's model forecast");
  // before the lookback the model cannot forecast: the baselines alone, and why
  const early = await s.ask({ type: "forecastFrom", id: 3, source: { file: data }, series: { target: "load", timeColumn: "date", fill: "none" }, line: 5, checkpoint: out });
  assert.ok(early.ok && early.result.type === "forecastFrom");
  assert.deepEqual(early.result.forecasts.map((x) => x.name).includes("model"), false);
  assert.match(early.result.modelError ?? "", /reads 14 steps/);
});

test("a request that is not a forecaster's is refused by the training worker's check", () => {
  for (const bad of [{ type: "forecast" }, { type: "forecast", request: { data: "a.csv", targets: [], lookback: 1, horizon: 1, out: "x" } }, { type: "forecast", request: { data: "a.csv", targets: ["y"], lookback: "1", horizon: 1, out: "x" } }]) {
    assert.equal(isToTrainingWorker(bad), false, JSON.stringify(bad));
  }
  assert.equal(isTrainingEvent({ type: "forecastProgress", progress: { step: 1, steps: 2, valMae: "x", valRmse: null, baselineValMae: 1 } }), false);
  assert.equal(isTrainingEvent({ type: "forecastDone", checkpoint: "c", seconds: 1, modelMae: 1, bestBaseline: "ar" }), false);
});

test("Stop on a forecaster's run in the training worker writes its best weights so far as a valid checkpoint, which a resumed run starts from", async () => {
  const out = join(tempDir(), "stopped.safetensors");
  const request = { data, targets: ["load"], inputs: ["temperature"], timeColumn: "date", lookback: 14, horizon: 7, network: { cell: "gru", hidden: 8 }, steps: 60_000, out };
  const worker = new Worker(join(projectRoot, "dist", "trainingWorker.js"));
  const events: TrainingEvent[] = [];
  await new Promise<void>((resolve, reject) => {
    worker.on("message", (m: unknown) => {
      if (!isTrainingEvent(m)) return reject(new Error(`not an event: ${JSON.stringify(m)}`));
      events.push(m);
      // stop at the first validation, as the dashboard's Stop does
      if (m.type === "forecastProgress" && events.filter((e) => e.type === "forecastProgress").length === 1) worker.postMessage({ type: "stop" });
      if (m.type === "forecastDone" || m.type === "error") void worker.terminate().then(() => resolve());
    });
    worker.on("error", reject);
    assert.ok(isToTrainingWorker({ type: "forecast", request }));
    worker.postMessage({ type: "forecast", request });
  });
  const done = events.at(-1) as Extract<TrainingEvent, { type: "forecastDone" }>;
  assert.equal(done.type, "forecastDone", JSON.stringify(done));
  assert.equal(done.stopped, true);
  assert.ok(done.steps > 0 && done.steps < 60_000, `stopped at step ${done.steps}`);
  const model = loadForecastModel(out); // a valid forecaster
  assert.ok(Number.isFinite(evaluateForecast(model, readForecastTable(model, data)).scores.model.overall[0].mae));
  const resumed = await trainInWorker({ ...request, steps: 30, resumeFrom: out, out: join(tempDir(), "resumed.safetensors") });
  const progress = resumed.filter((e): e is Extract<TrainingEvent, { type: "forecastProgress" }> => e.type === "forecastProgress");
  assert.equal(progress.at(-1)!.progress.step, done.steps + 30, "the resumed run counts on from the stopped run's steps");
  assert.equal((resumed.at(-1) as Extract<TrainingEvent, { type: "forecastDone" }>).stopped, false);
});
