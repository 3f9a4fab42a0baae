// What the forecast panel, its quick picks and the CSV hover are made of, checked against independent
// computations: the table preview (kinds, ranges, missing counts, the time column), the window
// suggested from the autocorrelation, the baselines' interval widths (closed forms), the baseline
// report (equal to the fixture-checked backtest of baselines.ts where their spans agree; open loop,
// residuals and intervals written out here), and the forecast worker driven as the host drives it.

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Worker } from "node:worker_threads";
import { INTERVAL_Z, baselineReport, baselinesFrom, intervalWidths, suggestWindow } from "../../src/engine/forecast/baselineReport";
import { backtest, fitBaselines } from "../../src/engine/forecast/baselines";
import { fitAutoregression } from "../../src/engine/forecast/autoregression";
import { previewTable, forecastableColumns } from "../../src/engine/forecast/tablePreview";
import { mulberry32 } from "../../src/engine/model/seededRandom";
import { ForecastReply, isForecastReply, isForecastRequest } from "../../src/protocol/forecastWorker";
import { parseFromWebview } from "../../src/protocol/webview";
import { expectClose, projectRoot, tempDir } from "../helpers";

/** A monthly series: level 50, a yearly cycle of amplitude 10, a slow trend, Gaussian-ish noise (seeded). */
function seasonal(n: number, seed = 7): Float64Array {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n }, (_, t) => 50 + 0.05 * t + 10 * Math.sin((2 * Math.PI * t) / 12) + (r() + r() + r() - 1.5) * 2);
}

function csv(y: Float64Array, start = 2000): string {
  const rows = Array.from(y, (v, t) => `${start + Math.floor(t / 12)}-${String((t % 12) + 1).padStart(2, "0")},${v.toFixed(4)},${(t % 7) + 0.5}`);
  return `month,flow,rain\n${rows.join("\n")}\n`;
}

describe("table preview", () => {
  test("kinds, ranges and missing counts per column; a date column is the time", () => {
    const p = previewTable("when,temp,site,load\n2024-01-01,1.5,a,\n2024-01-02,NA,b,3\n2024-01-03,-2,c,4\n", "t.csv");
    assert.equal(p.rows, 3);
    assert.deepEqual(p.columns.map((c) => [c.name, c.kind, c.values, c.missing]), [["when", "date", 3, 0], ["temp", "number", 2, 1], ["site", "text", 0, 0], ["load", "number", 2, 1]]);
    assert.deepEqual([p.columns[1].min, p.columns[1].max, p.columns[3].min, p.columns[3].max], [-2, 1.5, 3, 4]);
    assert.equal(p.columns[0].min, Date.UTC(2024, 0, 1));
    assert.deepEqual(p.columns[2].firstText, { line: 2, cell: "a" });
    assert.equal(p.timeColumn, "when");
    assert.deepEqual(forecastableColumns(p).map((c) => c.name), ["temp", "load"]);
  });

  test("a strictly increasing numeric column named like time is the time; one that is not increasing is a series", () => {
    assert.equal(previewTable("year,v\n1990,3\n1991,4\n1992,2\n", "a.csv").timeColumn, "year");
    const p = previewTable("year,v\n1990,3\n1989,4\n1992,2\n", "a.csv");
    assert.equal(p.timeColumn, null);
    assert.deepEqual(forecastableColumns(p).map((c) => c.name), ["year", "v"]);
  });

  test("a TSV is split by tabs; a ragged row is one line naming it", () => {
    assert.deepEqual(previewTable("a\tb\n1\t2\n", "x.tsv").columns.map((c) => c.kind), ["number", "number"]);
    assert.throws(() => previewTable("a,b\n1,2\n3\n", "x.csv"), (e: Error) => /x\.csv:3/.test(e.message) && !e.message.includes("\n"));
  });
});

describe("window suggested from the autocorrelation", () => {
  test("a period-12 cycle: season 12, lookback two seasons, horizon one season", () => {
    const s = suggestWindow(seasonal(240).subarray(0, 168));
    assert.equal(s.season, 12);
    assert.equal(s.lookback, 24);
    assert.equal(s.horizon, 12);
    assert.ok(Math.abs(s.band - 1.96 / Math.sqrt(168)) < 1e-12);
  });

  test("an AR(1) with φ = 0.5: no season; the ACF (0.5^k) falls inside the band near log(band)/log(0.5); lookback there, horizon one less", () => {
    // seed 6: no lag past the fall-off pokes above the band by chance (detectSeason takes any local peak above it as a season)
    const r = mulberry32(6);
    const y = new Float64Array(2000);
    for (let t = 1; t < y.length; t++) y[t] = 0.5 * y[t - 1] + (r() - 0.5);
    const s = suggestWindow(y);
    assert.equal(s.season, 1);
    const expected = Math.log(1.96 / Math.sqrt(2000)) / Math.log(0.5); // ≈ 4.5
    assert.ok(Math.abs(s.falloff - expected) <= 2, `falls off at lag ${s.falloff}, about ${expected.toFixed(1)} expected`);
    assert.equal(s.lookback, Math.max(4, s.falloff));
    assert.equal(s.horizon, s.falloff - 1);
  });
});

describe("baseline interval widths", () => {
  test("AR(1): σ_h² = σ² (1 − φ^{2h}) / (1 − φ²); naive σ√h; seasonal σ√(⌊(h−1)/S⌋+1); mean s√(1+1/T)", () => {
    const r = mulberry32(11);
    const train = new Float64Array(300);
    for (let t = 1; t < train.length; t++) train[t] = 0.7 * train[t - 1] + (r() - 0.5);
    const ar = fitAutoregression(train, 1);
    const mean = train.reduce((a, b) => a + b, 0) / train.length;
    const w = intervalWidths(train, ar, mean, 4, 9);
    const phi = ar.coefficients[1];
    expectClose(w.ar!, Array.from({ length: 9 }, (_, k) => Math.sqrt((ar.sigma2 * (1 - phi ** (2 * (k + 1)))) / (1 - phi ** 2))), { atol: 1e-12, rtol: 1e-10 }, "AR(1) σ_h");
    let d = 0, ds = 0, ss = 0;
    for (let t = 1; t < 300; t++) d += (train[t] - train[t - 1]) ** 2;
    for (let t = 4; t < 300; t++) ds += (train[t] - train[t - 4]) ** 2;
    for (let t = 0; t < 300; t++) ss += (train[t] - mean) ** 2;
    expectClose(w.naive!, Array.from({ length: 9 }, (_, k) => Math.sqrt(d / 299) * Math.sqrt(k + 1)), { atol: 1e-12, rtol: 1e-12 }, "naive σ_h");
    expectClose(w.seasonal_naive!, [1, 1, 1, 1, 2, 2, 2, 2, 3].map((m) => Math.sqrt(ds / 296) * Math.sqrt(m)), { atol: 1e-12, rtol: 1e-12 }, "seasonal σ_h");
    expectClose(w.mean!, new Array(9).fill(Math.sqrt(ss / 299) * Math.sqrt(1 + 1 / 300)), { atol: 1e-12, rtol: 1e-12 }, "mean σ_h");
    assert.equal(w.tdnn, null, "the time-delay network has no closed-form interval");
  });
});

describe("baseline report", () => {
  const y = seasonal(240);

  test("with no validation span, its forecasts and per-step errors equal baselines.ts's backtest (checked against NumPy)", () => {
    const rep = baselineReport(y, { trainEnd: 180, valEnd: 180, horizon: 6, origins: 20, season: 12, arOrder: 3 });
    const set = fitBaselines(y.subarray(0, 180), { season: 12, arOrder: 3 });
    const ref = backtest(y, 180, set.forecasters, { horizon: 6, origins: 20 });
    assert.deepEqual(rep.origins, ref.origins);
    assert.equal(rep.scale, ref.scale);
    for (const m of rep.models) {
      const r = ref.models[m.name];
      expectClose(m.forecasts, r.forecasts.flatMap((f) => Array.from(f)), { atol: 1e-12, rtol: 0 }, `${m.name} forecasts`);
      for (const k of ["mae", "rmse", "mase", "smape"] as const) {
        expectClose(m.perStep.map((e) => e[k]), r.perStep.map((e) => e[k]), { atol: 1e-12, rtol: 1e-12 }, `${m.name} ${k} per step`);
        assert.ok(Math.abs(m.overall[k] - r.overall[k]) < 1e-9, `${m.name} overall ${k}`);
      }
    }
  });

  test("spans: fitted on training only, scored from the validation span's end; open loop, residuals, intervals and coverage as defined", () => {
    const rep = baselineReport(y, { trainEnd: 168, valEnd: 192, horizon: 12, origins: 500 });
    assert.equal(rep.season, 12);
    assert.ok(rep.seasonDetected);
    assert.equal(rep.origins[0], 192);
    assert.equal(rep.origins.at(-1), 240 - 12);
    assert.equal(rep.origins.length, 240 - 12 - 192 + 1, "never more origins than the test span holds");
    const train = y.subarray(0, 168);
    const mean = train.reduce((a, b) => a + b, 0) / 168;
    const naive = rep.models.find((m) => m.name === "naive")!, mean_ = rep.models.find((m) => m.name === "mean")!, sn = rep.models.find((m) => m.name === "seasonal_naive")!;
    rep.origins.forEach((o, i) => {
      for (let h = 0; h < 12; h++) {
        assert.equal(naive.forecasts[i * 12 + h], y[o - 1]);
        assert.equal(naive.openLoop!.forecasts[i * 12 + h], y[o + h - 1], "open loop: the actual value before each step");
        assert.equal(sn.forecasts[i * 12 + h], y[o + h - 12]);
        assert.ok(Math.abs(mean_.forecasts[i * 12 + h] - mean) < 1e-12);
      }
    });
    assert.equal(mean_.openLoop, null, "the mean reads no history: no open loop");
    expectClose(naive.residuals, Array.from({ length: 48 }, (_, k) => y[192 + k] - y[191 + k]), { atol: 1e-12, rtol: 0 }, "naive one-step residuals");
    // the naive interval at step h: ± z σ √h, σ from the training span's one-step differences
    let d = 0;
    for (let t = 1; t < 168; t++) d += (train[t] - train[t - 1]) ** 2;
    const sigma = Math.sqrt(d / 167);
    assert.ok(Math.abs(naive.upper![5] - naive.forecasts[5] - INTERVAL_Z * sigma * Math.sqrt(6)) < 1e-9);
    // coverage counted here from the arrays the report gives
    let inside = 0;
    rep.origins.forEach((o, i) => { for (let h = 0; h < 12; h++) if (y[o + h] >= naive.lower![i * 12 + h] && y[o + h] <= naive.upper![i * 12 + h]) inside++; });
    assert.equal(naive.overall.coverage, inside / (rep.origins.length * 12));
    // on a strongly seasonal series the seasonal naive forecast beats the naive one at every step beyond the first few
    assert.ok(sn.overall.mae < naive.overall.mae, `seasonal naive ${sn.overall.mae} vs naive ${naive.overall.mae}`);
  });

  test("the forecasts from one row: each baseline from the history up to it; those without enough history are left out", () => {
    const from = baselinesFrom(y, 168, 200, 3);
    assert.deepEqual(from.map((f) => f.name), ["naive", "seasonal_naive", "mean", "ar", "tdnn"]);
    assert.deepEqual(Array.from(from[0].forecast), [y[199], y[199], y[199]]);
    assert.deepEqual(Array.from(from[1].forecast), [y[188], y[189], y[190]]);
    assert.deepEqual(baselinesFrom(y, 168, 5, 3).map((f) => f.name).includes("seasonal_naive"), false);
  });
});

describe("forecast worker and protocol checks", () => {
  function session() {
    const worker = new Worker(join(projectRoot, "dist", "forecastWorker.js"));
    const waiting = new Map<number, (r: ForecastReply) => void>();
    worker.on("message", (m: unknown) => {
      assert.ok(isForecastReply(m), `a well-formed reply: ${JSON.stringify(m)?.slice(0, 300)}`);
      waiting.get(m.id)?.(m);
    });
    return {
      ask: (request: { id: number; [k: string]: unknown }) => new Promise<ForecastReply>((resolve) => { waiting.set(request.id, resolve); worker.postMessage(request); }),
      end: () => worker.terminate(),
    };
  }
  const y = seasonal(240);
  const dir = tempDir();
  const file = join(dir, "flow.csv");
  writeFileSync(file, csv(y));
  const series = { target: "flow", timeColumn: "month", fill: "none", valFraction: 0.1, testFraction: 0.2 };

  test("preview, report (typed arrays, suggested horizon), the forecast from a row, errors as one line", async (t) => {
    const s = session();
    t.after(() => s.end());
    const p = await s.ask({ type: "preview", id: 1, source: { file } });
    assert.ok(p.ok && p.result.type === "preview");
    assert.equal(p.result.preview.timeColumn, "month");
    assert.deepEqual(p.result.preview.columns.map((c) => c.kind), ["date", "number", "number"]);
    const r = await s.ask({ type: "report", id: 2, source: { file }, series, origins: 30 });
    assert.ok(r.ok && r.result.type === "report", JSON.stringify(r).slice(0, 300));
    const rep = r.result.report;
    assert.equal(rep.horizon, 12, "the horizon suggested from the season");
    assert.equal(r.result.series.values.length, 240);
    expectClose(r.result.series.values, Array.from(y, (v) => Number(v.toFixed(4))), { atol: 1e-12, rtol: 0 }, "the column as written");
    assert.equal(r.result.series.time![0], Date.UTC(2000, 0, 1));
    assert.deepEqual([rep.trainEnd, rep.valEnd], [168, 192]);
    assert.equal(rep.origins.length, 30);
    assert.deepEqual(rep.models.map((m) => m.name), ["naive", "seasonal_naive", "mean", "ar", "tdnn"]);
    assert.equal(r.result.model, null);
    // the forecast from file line 201 (data row 200): history up to and including it
    const f = await s.ask({ type: "forecastFrom", id: 3, source: { file }, series, line: 201, horizon: 4 });
    assert.ok(f.ok && f.result.type === "forecastFrom");
    assert.equal(f.result.origin, 200);
    const w = Number(y[199].toFixed(4));
    assert.deepEqual(Array.from(f.result.forecasts[0].forecast), [w, w, w, w]);
    assert.deepEqual(f.result.next, [200, 201, 202, 203].map((i) => Number(y[i].toFixed(4))));
    const last = await s.ask({ type: "forecastFrom", id: 4, source: { file }, series, line: 241, horizon: 2 });
    assert.ok(last.ok && last.result.type === "forecastFrom");
    assert.deepEqual(last.result.next, [null, null], "past the end: nothing to compare with");
    const header = await s.ask({ type: "forecastFrom", id: 5, source: { file }, series, line: 1 });
    assert.ok(!header.ok && /flow\.csv:1: not a row of values/.test(header.message));
    const tooLong = await s.ask({ type: "report", id: 6, source: { file }, series, horizon: 60, origins: 5 });
    assert.ok(!tooLong.ok && /test span has 48 rows, fewer than the horizon 60/.test(tooLong.message) && !tooLong.message.includes("\n"));
    const wrong = await s.ask({ type: "report", id: 7, source: { file }, series: { ...series, target: "nope" }, origins: 5 });
    assert.ok(!wrong.ok && /no column "nope"/.test(wrong.message));
  });

  test("an editor's unsaved text: sent once per version, then named by its version; a version it no longer keeps is asked for again", async (t) => {
    const s = session();
    t.after(() => s.end());
    const edited = csv(y.map((v) => v + 1000));
    const a = await s.ask({ type: "report", id: 1, source: { file, version: 3, text: edited }, series, horizon: 2, origins: 2 });
    assert.ok(a.ok && a.result.type === "report");
    assert.ok(a.result.series.values[0] > 1000, "the editor's text, not the file's");
    const b = await s.ask({ type: "forecastFrom", id: 2, source: { file, version: 3 }, series, line: 100, horizon: 1 });
    assert.ok(b.ok && b.result.type === "forecastFrom" && b.result.forecasts[0].forecast[0] > 1000);
    const stale = await s.ask({ type: "preview", id: 3, source: { file, version: 9 } });
    assert.ok(!stale.ok && (stale as { stale?: boolean }).stale === true);
  });

  test("requests out of range are refused before any work", async (t) => {
    const s = session();
    t.after(() => s.end());
    for (const bad of [
      { type: "report", id: 1, source: { file }, series, origins: 0 },
      { type: "report", id: 1, source: { file }, series: { ...series, fill: "zero" }, origins: 5 },
      { type: "report", id: 1, source: { file }, series: { ...series, testFraction: 1 }, origins: 5 },
      { type: "report", id: 1, source: { file }, series, origins: 5, horizon: 1.5 },
      { type: "forecastFrom", id: 1, source: { file }, series, line: 0 },
      { type: "preview", id: 1, source: { path: file } },
    ]) {
      assert.equal(isForecastRequest(bad), false, JSON.stringify(bad));
      const r = await s.ask(bad);
      assert.ok(!r.ok && /unknown request/.test(r.message), JSON.stringify(r));
    }
  });

  test("the panel's messages are checked: horizon and origins in range, a line number, nothing else", () => {
    assert.deepEqual(parseFromWebview("forecast", { type: "forecast.options", horizon: 12, origins: 50 }), { type: "forecast.options", horizon: 12, origins: 50 });
    for (const bad of [{ type: "forecast.options", horizon: 0, origins: 5 }, { type: "forecast.options", horizon: 5, origins: 2001 }, { type: "forecast.options", horizon: "5", origins: 5 },
      { type: "forecast.reveal", line: -1 }, { type: "forecast.reveal", line: 2.5 }, { type: "generate.start" }]) {
      assert.equal(parseFromWebview("forecast", bad), null, JSON.stringify(bad));
    }
    assert.deepEqual(parseFromWebview("forecast", { type: "forecast.train", extra: 1 }), { type: "forecast.train" });
    assert.equal(parseFromWebview("dashboard", { type: "forecast.train" }), null, "another panel's page cannot ask for it");
  });
});
