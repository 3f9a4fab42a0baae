// The forecasting baselines against independent references (test/fixtures/generateForecastFixtures.py):
// statsmodels' AutoReg, ar_select_order and acf; the naive, seasonal-naive and mean forecasts and every
// metric of a rolling-origin backtest computed with NumPy in that script.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fitAutoregression, forecastAutoregression, selectAutoregressiveOrder } from "../../src/engine/forecast/autoregression";
import { BASELINES, backtest, fitBaselines, seasonalNaiveForecast } from "../../src/engine/forecast/baselines";
import { forecastErrors, intervalCoverage, naiveScale } from "../../src/engine/forecast/forecastMetrics";
import { RankDeficientError, leastSquares } from "../../src/engine/forecast/leastSquares";
import { autocorrelation, bartlettBand, detectSeason, detrend } from "../../src/engine/forecast/seasonality";
import { mulberry32 } from "../../src/engine/model/seededRandom";
import { expectClose, projectRoot } from "../helpers";

interface Errors { mae: number; rmse: number; mase: number; smape: number }
interface Case {
  name: string; series: number[]; train_end: number; season: number; acf: number[]; acf_peak: number;
  ar_fits: { order: number; params: number[]; sigma2: number; llf: number; aic: number; nobs: number }[];
  ar_selection: { max_lag: number; order: number; aic: Record<string, number> };
  backtest: { origins_requested: number; horizon: number; ar_order: number; ar_params: number[]; origins: number[]; scale: number;
    models: Record<string, { forecasts: number[][]; overall: Errors; per_step: Errors[] }> };
}
interface SeasonCase { name: string; series: number[]; truth: number; acf_detrended: number[]; band: number[]; season: number }
const fixtures: { cases: Case[]; seasons: SeasonCase[] } = JSON.parse(readFileSync(join(projectRoot, "test", "fixtures", "forecastFixtures.json"), "utf8"));
const errorsArray = (e: Errors) => [e.mae, e.rmse, e.mase, e.smape];

describe("forecasting baselines against statsmodels and NumPy", () => {
  for (const c of fixtures.cases) {
    const train = c.series.slice(0, c.train_end);

    test(`${c.name}: AR(1..6) coefficients, σ², log-likelihood and AIC equal statsmodels' AutoReg`, () => {
      for (const ref of c.ar_fits) {
        const fit = fitAutoregression(train, ref.order);
        assert.equal(fit.observations, ref.nobs);
        expectClose(fit.coefficients, ref.params, { atol: 1e-6, rtol: 1e-6 }, `AR(${ref.order}) coefficients`);
        expectClose([fit.sigma2, fit.logLikelihood, fit.aic], [ref.sigma2, ref.llf, ref.aic], { atol: 1e-8, rtol: 1e-8 }, `AR(${ref.order}) σ², llf, aic`);
      }
    });

    test(`${c.name}: the order chosen by AIC and every candidate's AIC equal ar_select_order's`, () => {
      const sel = selectAutoregressiveOrder(train, c.ar_selection.max_lag);
      assert.equal(sel.order, c.ar_selection.order);
      // ar_select_order counts OLS's df_model, which leaves out the intercept: every candidate's AIC is
      // 2 below AutoReg's own (−2 log L + 2 (p + 2)), so the order chosen is the same.
      for (const [p, aic] of Object.entries(c.ar_selection.aic)) expectClose([sel.aic[Number(p)] - 2], [aic], { atol: 1e-8, rtol: 1e-8 }, `AIC of order ${p}`);
    });

    test(`${c.name}: autocorrelation equals statsmodels' acf; the season found is the script's`, () => {
      expectClose(autocorrelation(train, 36), c.acf, { atol: 1e-12, rtol: 1e-10 }, "acf");
      assert.equal(detectSeason(train, 36), c.acf_peak);
    });

    test(`${c.name}: a rolling-origin backtest gives NumPy's forecasts and metrics, overall and per step`, () => {
      const b = c.backtest;
      const set = fitBaselines(train, { season: c.season, arOrder: b.ar_order });
      expectClose(set.ar.coefficients, b.ar_params, { atol: 1e-6, rtol: 1e-6 }, "chosen AR coefficients");
      const r = backtest(c.series, c.train_end, set.forecasters, { horizon: b.horizon, origins: b.origins_requested });
      assert.deepEqual(r.origins, b.origins);
      expectClose([r.scale], [b.scale], { atol: 0, rtol: 1e-12 }, "MASE scale");
      // the time-delay network has no NumPy reference: test/unit/forecastTdnn.test.ts checks it
      for (const name of BASELINES.filter((n) => n !== "tdnn")) {
        const ours = r.models[name], ref = b.models[name];
        ref.forecasts.forEach((f, i) => expectClose(ours.forecasts[i], f, { atol: 1e-6, rtol: 1e-6 }, `${name} forecast at origin ${b.origins[i]}`));
        expectClose(errorsArray(ours.overall), errorsArray(ref.overall), { atol: 1e-6, rtol: 1e-6 }, `${name} overall metrics`);
        ref.per_step.forEach((e, h) => expectClose(errorsArray(ours.perStep[h]), errorsArray(e), { atol: 1e-6, rtol: 1e-6 }, `${name} metrics ${h + 1} steps ahead`));
      }
    });
  }

  test("the seasonal series' known 12-step season is found, and seasonal naive and AR beat the naive forecast on it", () => {
    const c = fixtures.cases.find((x) => x.name === "seasonal")!;
    assert.equal(detectSeason(c.series.slice(0, c.train_end)), 12);
    const m = c.backtest.models;
    assert.ok(m.seasonal_naive.overall.mase < m.naive.overall.mase && m.ar.overall.mase < m.naive.overall.mase);
  });
});

describe("the season from the autocorrelation (statsmodels' detrended acf and Bartlett band)", () => {
  for (const c of fixtures.seasons) {
    test(`${c.name}: ${c.truth === 1 ? "no season" : `season ${c.truth}`}; the detrended ACF and its band equal statsmodels'`, () => {
      const r = autocorrelation(detrend(c.series), 36);
      expectClose(r, c.acf_detrended, { atol: 1e-10, rtol: 1e-9 }, "detrended acf");
      expectClose(bartlettBand(r, c.series.length), c.band, { atol: 1e-10, rtol: 1e-9 }, "Bartlett band");
      assert.equal(detectSeason(c.series), c.truth, "the known season (1: an AR(1) has none)");
      assert.equal(detectSeason(c.series), c.season, "the rule on statsmodels' numbers");
    });
  }

  test("AR(1) series of 200 to 1,000 values, φ from 0.3 to 0.98: at most 2 of 36 get a season (the white-noise band alone gave about a third)", () => {
    let found = 0, foundByBandAlone = 0;
    for (const phi of [0.3, 0.6, 0.8, 0.9, 0.95, 0.98]) {
      for (const n of [200, 500, 1000]) {
        for (const seed of [1, 2]) {
          // a Gaussian AR(1) from the seeded uniform generator (Box–Muller)
          const u = mulberry32(seed * 1000 + n + Math.round(phi * 100)), y = new Float64Array(n);
          for (let t = 1; t < n; t++) y[t] = phi * y[t - 1] + Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
          if (detectSeason(y) !== 1) found++;
          const r = autocorrelation(y, 36), band = 1.96 / Math.sqrt(n);
          for (let k = 2; k < r.length - 1; k++) if (r[k] > r[k - 1] && r[k] >= r[k + 1] && r[k] > band) { foundByBandAlone++; break; }
        }
      }
    }
    assert.ok(found <= 2, `${found} of 36 AR(1) series got a season`);
    assert.ok(foundByBandAlone >= 6, `the old rule found ${foundByBandAlone}: the test series do show the wiggles it mistook for seasons`);
  });
});

describe("forecasting building blocks", () => {
  test("least squares recovers exact coefficients and refuses a repeated column", () => {
    const rows = 6, x = new Float64Array(rows * 3), y = new Float64Array(rows);
    for (let r = 0; r < rows; r++) { x[r * 3] = 1; x[r * 3 + 1] = r; x[r * 3 + 2] = r * r; y[r] = 2 - 3 * r + 0.5 * r * r; }
    expectClose(leastSquares(x, y, rows, 3), [2, -3, 0.5], { atol: 1e-12, rtol: 0 }, "polynomial fit");
    for (let r = 0; r < rows; r++) x[r * 3 + 2] = 2 * r;
    assert.throws(() => leastSquares(x, y, rows, 3), RankDeficientError);
  });

  test("seasonal naive repeats the last season for every step ahead, beyond one season too", () => {
    assert.deepEqual(Array.from(seasonalNaiveForecast([1, 2, 3, 4, 5, 6], 7, 3)), [4, 5, 6, 4, 5, 6, 4]);
  });

  test("an AR forecast feeds each prediction back (closed loop)", () => {
    const fit = { ...fitAutoregression([0, 1, 0, 1, 0, 1, 0, 1, 0.5, 0.7], 1), coefficients: Float64Array.from([1, 0.5]) };
    // y = 1 + 0.5 y_{t−1} from 2: 2, 2, 2 (its fixed point); from 0: 1, 1.5, 1.75
    assert.deepEqual(Array.from(forecastAutoregression(fit, [0], 3)), [1, 1.5, 1.75]);
  });

  test("metrics by hand: sMAPE counts 0/0 as 0, MASE divides by the one-step naive MAE, coverage counts the ends", () => {
    const e = forecastErrors([0, 2, 4], [0, 3, 2], naiveScale([1, 2, 4]));
    // errors 0, 1, −2: MAE 1, RMSE √(5/3), scale (1 + 2)/2 = 1.5, sMAPE 200/3 · (0 + 1/5 + 2/6)
    expectClose([e.mae, e.rmse, e.mase, e.smape], [1, Math.sqrt(5 / 3), 1 / 1.5, (200 / 3) * (1 / 5 + 2 / 6)], { atol: 1e-12, rtol: 0 }, "metrics");
    assert.equal(intervalCoverage([1, 2, 3, 4], [1, 0, 3.5, 0], [1, 1, 4, 4]), 0.5);
  });

  test("nothing after the training span reaches a baseline: a spike planted in the test span changes no forecast made before it", () => {
    const c = fixtures.cases[0];
    const spiked = c.series.slice();
    const spikeAt = c.series.length - 3;
    spiked[spikeAt] += 1000;
    const fitA = fitBaselines(c.series.slice(0, c.train_end), { season: 12 });
    const fitB = fitBaselines(spiked.slice(0, c.train_end), { season: 12 });
    const a = backtest(c.series, c.train_end, fitA.forecasters, { horizon: 3, origins: 10 });
    const b = backtest(spiked, c.train_end, fitB.forecasters, { horizon: 3, origins: 10 });
    for (const name of BASELINES) {
      a.origins.forEach((o, i) => { if (o <= spikeAt) assert.deepEqual(Array.from(b.models[name].forecasts[i]), Array.from(a.models[name].forecasts[i]), `${name} at origin ${o}`); });
    }
    assert.ok(b.models.naive.overall.mae > a.models.naive.overall.mae, "the spike does count against forecasts of it");
  });
});
