// The forecast panel's page in headless Chromium, fed the payload the host makes from a real baseline
// report: what it draws (datasets per model, the shaded test span in canvas pixels, the winners it
// marks, computed here from the same numbers), its switches (models, one step ahead, open loop,
// intervals, zoom), and what it posts back (checked by the protocol's own parser). Screenshots go
// to .test-output/webview/forecast-*.png.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseFromWebview } from "../../src/protocol/webview";
import type { ForecastPanelData } from "../../src/protocol/webview";
import { FORECAST_STEPS, forecastData } from "./forecastData";
import { THEMES, ThemeName, canvasPixel, countColor, hex, openPanel, useHarness } from "./panelHarness";

useHarness();

/** The models with the lowest overall value of a metric, as the page should mark them. */
function lowest(d: ForecastPanelData, k: "mae" | "rmse" | "mase" | "smape"): string {
  const lo = Math.min(...d.models.map((m) => m.overall[k]));
  return d.models.filter((m) => m.overall[k] === lo).map((m) => m.name).join("+");
}

async function setDropdown(page: import("playwright-core").Page, id: string, value: string): Promise<void> {
  await page.evaluate(({ id, value }) => { const d = document.querySelector(id) as HTMLElement & { value: string }; d.value = value; d.dispatchEvent(new Event("change")); }, { id, value });
}

const themes: ThemeName[] = ["light", "dark"];

describe("forecast panel in Chromium", () => {
  for (const theme of themes) {
    test(`${theme}: baselines alone: series, forecasts with intervals per baseline, the test span shaded, the winners marked, AR(p) and the ACFs`, async () => {
      const p = await openPanel("forecast", theme);
      const d = forecastData();
      await p.send({ type: "forecast.data", data: d });
      const r = await p.rendered(0, (s) => s.values === FORECAST_STEPS);
      assert.equal(r.models, "naive,seasonal_naive,mean,ar,tdnn");
      assert.equal(r.shown, "naive,seasonal_naive,mean,ar,tdnn");
      assert.equal(r.datasets, 1 + 5 + 2, "the series, each baseline's forecasts, and the two edges of one interval band");
      assert.equal(r.intervalsOf, lowest(d, "mae"), "the band of the lowest MAE by default");
      assert.equal(r.origins, 30);
      assert.equal(r.horizon, 12);
      // paths drawn: the first origin, then each next one at least a horizon on (counted here from the origins)
      const drawn: number[] = [];
      for (const o of d.origins) if (!drawn.length || o >= drawn[drawn.length - 1] + 12) drawn.push(o);
      assert.equal(r.pathsDrawn, drawn.length);
      assert.equal(r.naivePoints, drawn.length * 12, "each drawn origin's path, 12 steps each");
      for (const k of ["mae", "rmse", "mase", "smape"] as const) assert.equal(r[`winner${k[0].toUpperCase()}${k.slice(1)}`], lowest(d, k), k);
      assert.equal(r.overallRows, 5);
      assert.equal(r.arTerms, d.ar.order + 1, "the intercept and one coefficient per lag");
      assert.equal(r.hasModel, false);
      assert.match(String(r.facts), /240 rows · 2000-01 to 2019-12 · test span: 48 rows, 30 forecast origins, 12 steps ahead each · season 12 \(from the autocorrelation\) · AR\(\d+\)/);
      // the winner is marked in the table, in the row of the model that has the lowest MAE
      const marked = await p.page.locator("#overall tr").evaluateAll((rows) => rows.map((row) => [(row as HTMLElement).dataset.model, row.querySelectorAll("td.best").length]));
      const maeWinner = lowest(d, "mae");
      assert.ok(marked.some(([m, n]) => m === maeWinner && (n as number) >= 1), JSON.stringify(marked));
      assert.match(await p.page.locator(`#overall tr[data-model="${maeWinner}"] td`).first().textContent() ?? "", /^★ /);
      assert.ok((r.perStepMarked as number) >= 12, "a winner in every step's column");
      // the test span is shaded: a pixel of the plot over the test span differs from one over the training span
      // (the band's pixels as the page placed it; near the plot's top nothing else is drawn)
      const [a, b, top, bottom] = String(r.shading).split(",").map(Number);
      assert.ok(b - a > 50 && bottom - top > 100, String(r.shading));
      const y = Math.round(top + 0.03 * (bottom - top));
      const bg = hex(THEMES[theme].vars["--vscode-editor-background"]);
      const left = await canvasPixel(p.page, "#series-chart", Math.round(a / 3), y);
      const right = await canvasPixel(p.page, "#series-chart", Math.round((a + b) / 2), y);
      assert.deepEqual(left.slice(0, 3), bg, "training span: the background");
      assert.notDeepEqual(right.slice(0, 3), bg, "test span: shaded");
      // the naive baseline's lines in its colour (orange), the seasonal naive's in green
      assert.ok((await countColor(p.page, "#series-chart", hex(THEMES[theme].vars["--vscode-charts-orange"]), 30)) > 100);
      assert.ok((await countColor(p.page, "#series-chart", hex(THEMES[theme].vars["--vscode-charts-green"]), 30)) > 100);
      assert.match(await p.page.locator("#acf-note").textContent() ?? "", /It peaks at lag 12: the season used by seasonal naive\..*Suggested lookback 24 and horizon 12\./);
      assert.match(await p.page.locator("#model-note").textContent() ?? "", /Baselines only/);
      assert.equal(await p.page.locator("#train").isVisible(), true);
      assert.deepEqual(p.problems, []);
      assert.deepEqual((await p.posted()).filter((m) => m.type === "__csp"), []);
      await p.screenshot(`forecast-baselines-${theme}`);
      await p.page.close();
    });
  }

  test("switches: a baseline off, one step ahead of each origin, open loop, intervals off, zoom with the keys", async () => {
    const p = await openPanel("forecast", "light");
    const d = forecastData();
    await p.send({ type: "forecast.data", data: d });
    await p.rendered(0, (s) => s.values === FORECAST_STEPS);
    let n = (await p.posted()).length;
    await p.page.locator("#show-naive").click();
    let r = await p.rendered(n, (s) => s.shown === "seasonal_naive,mean,ar,tdnn");
    assert.equal(r.datasets, 1 + 4 + (r.intervalsOf === "naive" ? 0 : 2));
    assert.equal(r.naivePoints, 0);
    n = (await p.posted()).length;
    await setDropdown(p.page, "#view", "step");
    r = await p.rendered(n, (s) => s.view === "step");
    assert.equal(r.arPoints, 30, "one point per origin");
    n = (await p.posted()).length;
    await setDropdown(p.page, "#loop", "open");
    r = await p.rendered(n, (s) => s.loop === "open");
    assert.equal(r.datasets, 1 + 3, "open loop: no intervals, and the mean (which reads no history) has none");
    n = (await p.posted()).length;
    await setDropdown(p.page, "#loop", "closed");
    await setDropdown(p.page, "#intervals", "none");
    r = await p.rendered(n, (s) => s.loop === "closed" && s.intervalsOf === "");
    assert.equal(r.datasets, 1 + 4);
    n = (await p.posted()).length;
    await setDropdown(p.page, "#intervals", "mean");
    r = await p.rendered(n, (s) => s.intervalsOf === "mean");
    assert.equal(r.datasets, 1 + 4 + 2);
    // zoom: + on the focused chart narrows the x range; 0 resets it
    n = (await p.posted()).length;
    await p.page.locator("#series-chart").focus();
    await p.page.keyboard.press("+");
    r = await p.rendered(n, (s) => s.zoom !== "");
    const [lo, hi] = String(r.zoom).split(",").map(Number);
    const full = d.time![FORECAST_STEPS - 1] - d.time![0];
    assert.ok(Math.abs((hi - lo) - 0.8 * full) < 0.01 * full, `zoomed to ${(hi - lo) / full} of the span`);
    n = (await p.posted()).length;
    await p.page.keyboard.press("ArrowLeft");
    r = await p.rendered(n, (s) => s.zoom !== "" && s.zoom !== `${lo},${hi}`);
    n = (await p.posted()).length;
    await p.page.keyboard.press("0");
    await p.rendered(n, (s) => s.zoom === "");
    // per-step table: another metric
    n = (await p.posted()).length;
    await setDropdown(p.page, "#per-step-metric", "rmse");
    r = await p.rendered(n, (s) => s.perStepMetric === "rmse");
    assert.ok((r.perStepMarked as number) >= 12);
    // the residuals of another model
    n = (await p.posted()).length;
    await setDropdown(p.page, "#residual-model", "naive");
    r = await p.rendered(n, (s) => s.residualModel === "naive");
    assert.equal(r.residualLags, d.models.find((m) => m.name === "naive")!.residualAcf.length - 1);
    assert.deepEqual(p.problems, []);
    await p.page.close();
  });

  test("Backtest Again posts the horizon and origins the host accepts; out of range it says so and posts nothing; Train posts forecast.train", async () => {
    const p = await openPanel("forecast", "light");
    await p.send({ type: "forecast.data", data: forecastData() });
    await p.rendered(0, (s) => s.values === FORECAST_STEPS);
    const fill = (id: string, v: string) => p.page.evaluate(({ id, v }) => { const f = document.querySelector(id) as HTMLElement & { value: string }; f.value = v; }, { id, v });
    await fill("#horizon", "6");
    await fill("#origins", "10");
    await p.page.locator("#apply").click();
    await p.page.waitForTimeout(100);
    const options = (await p.posted()).filter((m) => m.type === "forecast.options");
    assert.deepEqual(options, [{ type: "forecast.options", horizon: 6, origins: 10 }]);
    assert.deepEqual(parseFromWebview("forecast", options[0]), options[0], "the host's check accepts what the page posts");
    await fill("#horizon", "0");
    await p.page.locator("#apply").click();
    await p.page.waitForTimeout(100);
    assert.equal((await p.posted()).filter((m) => m.type === "forecast.options").length, 1);
    assert.match(await p.page.locator("#status").textContent() ?? "", /horizon is a whole number from 1 to 1,000/);
    await p.page.locator("#train").click();
    await p.page.waitForTimeout(100);
    const train = (await p.posted()).filter((m) => m.type === "forecast.train");
    assert.equal(train.length, 1);
    assert.ok(parseFromWebview("forecast", train[0]));
    await p.page.close();
  });

  test("with a trained model: its row first, its forecasts and intervals drawn, marked the winner where it is best, no Train button", async () => {
    const p = await openPanel("forecast", "dark");
    const d = forecastData({ model: true });
    await p.send({ type: "forecast.data", data: d });
    const r = await p.rendered(0, (s) => s.values === FORECAST_STEPS);
    assert.equal(r.models, "model,naive,seasonal_naive,mean,ar,tdnn");
    assert.equal(r.hasModel, true);
    assert.equal(r.modelPoints, (r.pathsDrawn as number) * 12);
    assert.equal(r.intervalsOf, "model", "the trained model's band by default");
    assert.equal(r.datasets, 1 + 6 + 2);
    assert.equal(r.winnerMae, lowest(d, "mae"));
    assert.equal(r.winnerMae, "model", "the nudged forecast beats every baseline");
    assert.equal(r.residualModel, "model");
    assert.equal(r.loopDatasets, 6 * 2 - 1, "open and closed loop per model; the mean has no open loop");
    assert.equal(await p.page.locator("#train").isVisible(), false);
    assert.match(await p.page.locator("#model-note").textContent() ?? "", /Trained forecaster: forecaster\.safetensors/);
    assert.ok((await countColor(p.page, "#series-chart", hex(THEMES.dark.vars["--vscode-charts-blue"]), 30)) > 100, "the model's forecasts in blue");
    await p.screenshot("forecast-model-dark");
    assert.deepEqual(p.problems, []);
    await p.page.close();
  });

  test("a forecaster training: its validation MAE and RMSE against the best baseline's line, whether it has beaten it, Stop while it trains", async () => {
    const p = await openPanel("forecast", "light");
    await p.send({ type: "forecast.data", data: forecastData() });
    await p.rendered(0, (s) => s.values === FORECAST_STEPS);
    assert.equal(await p.page.locator("#training-chart").isVisible(), false, "no training section before a run");
    let n = (await p.posted()).length;
    const validations = [{ step: 50, valMae: 4, valRmse: 5 }, { step: 100, valMae: 2.5, valRmse: 3.1 }];
    await p.send({ type: "forecast.training", training: { state: "training", steps: 300, validations, baselineValMae: 2 } });
    let r = await p.rendered(n, (s) => s.trainingPoints === 2);
    assert.equal(r.trainingState, "training");
    assert.equal(r.trainingBeaten, false, "2.5 is above the baseline's 2");
    assert.match(await p.page.locator("#training-note").textContent() ?? "", /training · step 100: validation MAE 2\.5 \(best so far 2\.5\); the best baseline's is 2: not beaten yet\./);
    assert.equal(await p.page.locator("#stop-training").isVisible(), true);
    await p.page.locator("#stop-training").click();
    await p.page.waitForTimeout(100);
    const stop = (await p.posted()).filter((m) => m.type === "forecast.stop");
    assert.equal(stop.length, 1);
    assert.ok(parseFromWebview("forecast", stop[0]));
    n = (await p.posted()).length;
    await p.send({ type: "forecast.training", training: { state: "done", steps: 300, validations: [...validations, { step: 150, valMae: 1.5, valRmse: 2 }], baselineValMae: 2 } });
    r = await p.rendered(n, (s) => s.trainingPoints === 3);
    assert.equal(r.trainingBeaten, true);
    assert.equal(await p.page.locator("#stop-training").isVisible(), false);
    // the baseline's line in its colour (orange), dashed across the chart
    assert.ok((await countColor(p.page, "#training-chart", hex(THEMES.light.vars["--vscode-charts-orange"]), 30)) > 50);
    await p.screenshot("forecast-training-light");
    assert.deepEqual(p.problems, []);
    await p.page.close();
  });

  test("zh-cn: the page's own words in Chinese", async () => {
    const p = await openPanel("forecast", "light", undefined, 1, "zh-cn");
    await p.send({ type: "forecast.data", data: forecastData() });
    await p.rendered(0, (s) => s.values === FORECAST_STEPS);
    const text = await p.page.evaluate(() => document.body.innerText);
    assert.match(text, /仅有基线/);
    assert.match(text, /测试段/);
    await p.screenshot("forecast-baselines-zh-cn");
    await p.page.close();
  });
});

describe("training dashboard of a forecaster in Chromium", () => {
  test("its validation MAE and RMSE, the best baseline's line, Stop while it trains and Resume once stopped", async () => {
    const p = await openPanel("dashboard", "light");
    const validations = [{ step: 100, valMae: 4, valRmse: 5 }, { step: 200, valMae: 1.5, valRmse: 2.2 }];
    await p.send({ type: "dashboard.forecast", label: "daily-load.csv · load · GRU", column: "load", training: { state: "training", steps: 600, validations, baselineValMae: 2 }, live: true, resumable: false });
    let r = await p.rendered(0, (s) => s.forecast === true && s.validations === 2);
    assert.equal(r.datasets, 3, "MAE, RMSE and the baseline's line");
    assert.equal(r.baselineLine, true);
    assert.equal(r.beaten, true, "1.5 is below the baseline's 2");
    assert.match(String(r.facts), /training · step 200 · validation MAE 1\.500 \(best 1\.500\) · best baseline 2\.000: the network has beaten it/);
    assert.equal(r.yTitle, "error (load)");
    assert.equal(await p.page.locator("#loss-chart").isVisible(), false, "the text run's charts are hidden");
    let n = (await p.posted()).length;
    await p.page.getByRole("button", { name: "Stop" }).click();
    await p.page.waitForTimeout(100);
    const stop = (await p.posted()).slice(n).filter((m) => m.type === "dashboard.control");
    assert.deepEqual(stop, [{ type: "dashboard.control", action: "stop" }]);
    assert.deepEqual(parseFromWebview("dashboard", stop[0]), stop[0], "the host's check accepts it");
    assert.equal(await p.page.getByRole("button", { name: "Resume" }).isDisabled(), true, "a training run has nothing to resume");
    await p.screenshot("forecast-dashboard-light");
    n = (await p.posted()).length;
    await p.send({ type: "dashboard.forecast", label: "daily-load.csv · load · GRU", column: "load", training: { state: "stopped", steps: 600, validations, baselineValMae: 2 }, live: false, resumable: true });
    r = await p.rendered(n, (s) => s.state === "stopped");
    assert.equal(r.resumable, true);
    assert.equal(await p.page.getByRole("button", { name: "Stop" }).isDisabled(), true);
    n = (await p.posted()).length;
    await p.page.getByRole("button", { name: "Resume" }).click();
    await p.page.waitForTimeout(100);
    assert.deepEqual((await p.posted()).slice(n).filter((m) => m.type === "dashboard.control"), [{ type: "dashboard.control", action: "resume" }]);
    assert.deepEqual(p.problems, []);
    await p.page.close();
  });
});
