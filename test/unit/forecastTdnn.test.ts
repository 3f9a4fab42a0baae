// The time-delay network baseline (src/engine/forecast/timeDelayNetwork.ts): its gradient against a
// central difference in f64, the same weights from the same span (seeded), a nonlinear series it
// forecasts one step ahead far better than AR(p) does, and that nothing after the training span is
// read when it is fitted (a series that throws on any later index).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fitBaselines } from "../../src/engine/forecast/baselines";
import { fitAutoregression, forecastAutoregression } from "../../src/engine/forecast/autoregression";
import { fitTimeDelayNetwork, forecastTimeDelayNetwork, tdnnLoss } from "../../src/engine/forecast/timeDelayNetwork";
import { relativeError } from "../../src/engine/insight/gradientCheck";
import { mulberry32 } from "../../src/engine/model/seededRandom";

/** The logistic map x ← 3.8 x (1 − x) with a little noise: deterministic chaos that no linear AR follows. */
function logistic(n: number, seed = 5): Float64Array {
  const r = mulberry32(seed), x = new Float64Array(n);
  x[0] = 0.3;
  for (let t = 1; t < n; t++) x[t] = Math.min(0.999, Math.max(0.001, 3.8 * x[t - 1] * (1 - x[t - 1]) + 0.002 * (r() - 0.5)));
  return x;
}

describe("time-delay network baseline", () => {
  test("the loss's gradient equals a central difference (f64, relative error < 1e-6 for every weight)", () => {
    const P = 3, M = 4, r = mulberry32(2);
    const z = Float64Array.from({ length: 40 }, () => 2 * r() - 1);
    const packed = Float64Array.from({ length: M * P + 2 * M + 1 }, () => r() - 0.5);
    const targets = [3, 7, 11, 20, 39];
    const grad = new Float64Array(packed.length);
    tdnnLoss(packed, P, M, z, targets, grad);
    let worst = 0;
    for (let j = 0; j < packed.length; j++) {
      const saved = packed[j], h = 1e-5;
      packed[j] = saved + h; const up = tdnnLoss(packed, P, M, z, targets);
      packed[j] = saved - h; const down = tdnnLoss(packed, P, M, z, targets);
      packed[j] = saved;
      worst = Math.max(worst, relativeError(grad[j], (up - down) / (2 * h)));
    }
    assert.ok(worst < 1e-6, `worst relative error ${worst}`);
  });

  test("the same training span gives the same weights, bit for bit; another seed gives others", () => {
    const x = logistic(300);
    const a = fitTimeDelayNetwork(x, { lags: 2, steps: 300 }), b = fitTimeDelayNetwork(x, { lags: 2, steps: 300 });
    assert.deepEqual(b.packed, a.packed);
    assert.notDeepEqual(fitTimeDelayNetwork(x, { lags: 2, steps: 300, seed: 2 }).packed, a.packed);
  });

  test("on the logistic map it forecasts one step ahead with under a third of AR(2)'s error on later data", () => {
    const x = logistic(800), trainEnd = 600;
    const net = fitTimeDelayNetwork(x.subarray(0, trainEnd), { lags: 2 });
    const ar = fitAutoregression(x.subarray(0, trainEnd), 2);
    let netError = 0, arError = 0;
    for (let t = trainEnd; t < x.length; t++) {
      netError += Math.abs(forecastTimeDelayNetwork(net, x.subarray(0, t), 1)[0] - x[t]);
      arError += Math.abs(forecastAutoregression(ar, x.subarray(0, t), 1)[0] - x[t]);
    }
    assert.ok(netError < arError / 3, `time-delay network MAE ${netError / 200}, AR(2) ${arError / 200}`);
  });

  test("fitting reads no value at or after the training span's end (any later index throws)", () => {
    const x = logistic(400), trainEnd = 300;
    const guarded = new Proxy(x, {
      get(target, key) {
        if (key === "length") return trainEnd;
        if (typeof key === "string" && /^\d+$/.test(key) && Number(key) >= trainEnd) throw new Error(`read index ${key}, past the training span`);
        const v = Reflect.get(target, key);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    const set = fitBaselines(guarded, { season: 1, arOrder: 2 });
    const fit = set.tdnn();
    assert.equal(fit.lags, 2);
    assert.deepEqual(fit.packed, fitTimeDelayNetwork(x.subarray(0, trainEnd), { lags: 2 }).packed, "the same fit as on the span alone");
    // and the guard does catch a read past the span
    assert.throws(() => guarded[trainEnd], /past the training span/);
  });
});
