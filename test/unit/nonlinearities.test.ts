// The cells' e^x, σ and tanh in every build (src/wasm/mathx.ts: the SIMD builds use their own f32x4
// approximation, the others musl's expf / Math.exp) against JavaScript's f64 Math on the same inputs:
// 10⁶ evenly spaced points of [−90, 90], magnitudes down to 1e-38, and special values. The bounds are
// those mathx.ts documents; the f64 build must agree to a few f64 ulps.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CoreBuild, instantiateCore, variantAvailable } from "../../src/engine/core/coreLoader";

const EXP = 0, SIGMOID = 1, TANH = 2;

function inputs(): number[] {
  const xs: number[] = [];
  const N = 1_000_000;
  for (let k = 0; k <= N; k++) xs.push(-90 + (180 * k) / N);
  for (let k = 0; k <= 20_000; k++) { const m = 10 ** (-38 + (38 * k) / 20_000); xs.push(m, -m); }
  // 0, the reduction's boundaries (|t| = ln2/2 for e^t; tanh reduces t = −2|x|), the clamps, overflow, ±∞
  const ln2 = Math.LN2;
  xs.push(0, -0, ln2 / 2, -ln2 / 2, ln2 / 4, -ln2 / 4, 87, -87, 87.3, -87.3, 88.3, -88.3, 88.72, -88.72, 89, -89, 1e4, -1e4, 3e38, -3e38, Infinity, -Infinity);
  while (xs.length % 4 !== 0) xs.push(0.5); // every point goes through the SIMD lanes where there are any
  return xs;
}

interface Errors { abs: number; rel: number; absAt: number; relAt: number }

/** Worst |y − f(x)| and |y − f(x)| / |f(x)| over the points that `where` accepts (f in f64, on x as stored). */
function errors(x: ArrayLike<number>, y: ArrayLike<number>, f: (v: number) => number, where: (v: number) => boolean): Errors {
  const e: Errors = { abs: 0, rel: 0, absAt: NaN, relAt: NaN };
  for (let k = 0; k < x.length; k++) {
    if (!where(x[k])) continue;
    const want = f(x[k]);
    const d = Math.abs(y[k] - want);
    assert.ok(!Number.isNaN(d), `f(${x[k]}) gave ${y[k]}, expected ${want}`);
    if (d > e.abs) { e.abs = d; e.absAt = x[k]; }
    if (want !== 0 && d / Math.abs(want) > e.rel) { e.rel = d / Math.abs(want); e.relAt = x[k]; }
  }
  return e;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

// [exp relative on [−87.3, 88.3], σ absolute, σ relative for x ≥ −87, tanh absolute, tanh relative (|x| ≥ floor)]
interface Bounds { expRel: number; sigAbs: number; sigRel: number; tanhAbs: number; tanhRel: number; tanhRelFrom: number }
const F32_SIMD: Bounds = { expRel: 1.5e-7, sigAbs: 1.2e-7, sigRel: 2.5e-7, tanhAbs: 1.5e-7, tanhRel: 2.5e-7, tanhRelFrom: 0 };
// musl's expf is within an ulp; the scalar tanh's (1 − e^(−2|x|)) / (1 + e^(−2|x|)) loses relative accuracy near 0
const F32_SCALAR: Bounds = { expRel: 1.2e-7, sigAbs: 1.2e-7, sigRel: 2.5e-7, tanhAbs: 1.2e-7, tanhRel: 2.5e-7, tanhRelFrom: 0.5 };
const F64: Bounds = { expRel: 1e-15, sigAbs: 1e-15, sigRel: 1e-15, tanhAbs: 1e-15, tanhRel: 1e-15, tanhRelFrom: 0.5 };

const builds: [CoreBuild, Bounds][] = [["relaxed", F32_SIMD], ["simd", F32_SIMD], ["scalar", F32_SCALAR], ["f64", F64]];

describe("the cells' nonlinearities against f64 Math", () => {
  const xs = inputs();
  for (const [build, bound] of builds) {
    test(`${build} build`, () => {
      if (build !== "f64") assert.ok(variantAvailable(build), `${build} build does not validate here`);
      const core = instantiateCore(build);
      const n = xs.length;
      const p = core.nonlinearityBuffer(n) >>> 0;
      const view = () => build === "f64" ? new Float64Array(core.memory.buffer, p, n) : new Float32Array(core.memory.buffer, p, n);
      const run = (kind: number) => {
        view().set(xs);
        const x = Array.from(view()); // the inputs as the build holds them (f32-rounded)
        core.nonlinearityInPlace(kind, p, n);
        return { x, y: Array.from(view()) };
      };

      const ex = run(EXP);
      const expErr = errors(ex.x, ex.y, Math.exp, (v) => v >= -87.3 && v <= 88.3);
      console.log(`${build} e^x: relative ${expErr.rel.toExponential(2)} at ${expErr.relAt}`);
      assert.ok(expErr.rel <= bound.expRel, `${build} e^x: relative error ${expErr.rel} at x = ${expErr.relAt} > ${bound.expRel}`);

      const sg = run(SIGMOID);
      const sigErr = errors(sg.x, sg.y, sigmoid, (v) => !Number.isNaN(v));
      const sigRel = errors(sg.x, sg.y, sigmoid, (v) => v >= -87);
      console.log(`${build} σ: absolute ${sigErr.abs.toExponential(2)} at ${sigErr.absAt}, relative (x ≥ −87) ${sigRel.rel.toExponential(2)} at ${sigRel.relAt}`);
      assert.ok(sigErr.abs <= bound.sigAbs, `${build} σ: absolute error ${sigErr.abs} at x = ${sigErr.absAt} > ${bound.sigAbs}`);
      assert.ok(sigRel.rel <= bound.sigRel, `${build} σ: relative error ${sigRel.rel} at x = ${sigRel.relAt} > ${bound.sigRel}`);

      const th = run(TANH);
      const tanhErr = errors(th.x, th.y, Math.tanh, (v) => !Number.isNaN(v));
      const tanhRel = errors(th.x, th.y, Math.tanh, (v) => Math.abs(v) >= bound.tanhRelFrom);
      console.log(`${build} tanh: absolute ${tanhErr.abs.toExponential(2)} at ${tanhErr.absAt}, relative (|x| ≥ ${bound.tanhRelFrom}) ${tanhRel.rel.toExponential(2)} at ${tanhRel.relAt}`);
      assert.ok(tanhErr.abs <= bound.tanhAbs, `${build} tanh: absolute error ${tanhErr.abs} at x = ${tanhErr.absAt} > ${bound.tanhAbs}`);
      assert.ok(tanhRel.rel <= bound.tanhRel, `${build} tanh: relative error ${tanhRel.rel} at x = ${tanhRel.relAt} > ${bound.tanhRel}`);
      // odd, and exactly ±1 far out
      for (let k = 0; k < n; k++) if (th.x[k] !== 0 && th.x[k] === -th.x[k + 1]) assert.equal(th.y[k], -th.y[k + 1], `tanh(${th.x[k]}) and tanh(${th.x[k + 1]})`);
      assert.equal(th.y[xs.indexOf(Infinity)], 1);
      assert.equal(th.y[xs.indexOf(-Infinity)], -1);
      assert.equal(sg.y[xs.indexOf(Infinity)], 1);
      assert.ok(sg.y[xs.indexOf(-Infinity)] >= 0 && sg.y[xs.indexOf(-Infinity)] < 1e-38, "σ(−∞) is 0 or a subnormal");

      // NaN in, NaN out (lanes do not mix: the neighbours stay exact)
      for (const kind of [EXP, SIGMOID, TANH]) {
        view().set([NaN, 0, 0, 0]);
        core.nonlinearityInPlace(kind, p, 4);
        const y = view();
        assert.ok(Number.isNaN(y[0]), `kind ${kind}: f(NaN) = ${y[0]}`);
        assert.equal(y[1], kind === EXP ? 1 : kind === SIGMOID ? 0.5 : 0);
      }
    });
  }
});
