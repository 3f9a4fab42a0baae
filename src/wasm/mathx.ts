// Nonlinearities in the core's precision. f32 uses Mathf (musl's expf), f64 uses Math.

@inline export function expr(x: real): real {
  if (sizeof<real>() == 4) return <real>Mathf.exp(<f32>x);
  return <real>Math.exp(<f64>x);
}

@inline export function logr(x: real): real {
  if (sizeof<real>() == 4) return <real>Mathf.log(<f32>x);
  return <real>Math.log(<f64>x);
}

@inline export function sqrtr(x: real): real {
  return <real>sqrt<real>(x);
}

@inline export function sigmoid(x: real): real {
  // Both branches keep exp's argument non-positive, so nothing overflows.
  if (x >= 0) return <real>1 / (<real>1 + expr(-x));
  const e = expr(x);
  return e / (<real>1 + e);
}

@inline export function tanhr(x: real): real {
  const t = expr(<real>-2 * abs<real>(x));
  const y = (<real>1 - t) / (<real>1 + t);
  return x < 0 ? -y : y;
}

// ---- f32x4 versions (f32 core with SIMD only) ----
// One range reduction serves e^t (σ) and e^t − 1 (tanh): t = n·ln2 + r with |r| ≤ ln2/2 (ln2 split in
// two, Cody and Waite, so n·ln2_hi is exact), e^r − 1 ≈ r + r²·q(r) with q of degree 4 (coefficients
// the minimax of the relative error of e^r − 1 on [−ln2/2, ln2/2], rounded to f32, scripts/fitExpm1Polynomial.py:
// 2.3e-8, a fifth of an f32 ulp), and 2^n written into the exponent bits. Multiply-adds are fused in
// the core-relaxed build. Bounds checked over 10⁶ points of [−90, 90], magnitudes down to 1e-38 and
// special values against f64 Math (test/unit/nonlinearities.test.ts; measured maxima in brackets, both
// SIMD builds):
//   e^x, x in [−87.3, 88.3] (clamped there)   relative ≤ 1.5e-7 (9.3e-8)
//   σ(x)                                      absolute ≤ 1.2e-7 (8.9e-8); relative ≤ 2.5e-7 (1.7e-7) for x ≥ −87
//   tanh(x)                                   absolute ≤ 1.5e-7 (1.1e-7); relative ≤ 2.5e-7 (1.6e-7) everywhere,
//                                             0 included (tanh from e^(−2|x|) − 1: no cancellation near 0)
// (musl's expf route, kept by the scalar builds and the SIMD builds' tails: 6e-8, 8.9e-8, and tanh
// 8.9e-8 absolute but no relative bound near 0.)
// Clamping keeps 2^n a normal float: σ(x) for x < −88.3 returns σ(−88.3) ≈ 4.6e-39 rather than less.

const SIGN_BIT = 0x80000000;

// a·b + c: one fused instruction where the runtime has relaxed SIMD (the core-relaxed build).
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

// The reduction in three steps, so that tanh can use e^r − 1 and 2^n apart (σ needs only e^t).
/** t·log2 e + 1.5·2²³: n = round-to-nearest-even(t·log2 e) sits in the low mantissa bits (cheaper on x64 than f32x4.nearest and trunc_sat, and exact for |n| < 2²²). */
@inline function shiftedN(t: v128): v128 {
  return madd(t, f32x4.splat(1.44269504088896341), f32x4.splat(12582912.0));
}

/** e^r − 1 for r = t − n·ln2, |r| ≤ ln2/2, with ln2 = 0.693359375 (9 significant bits, so n·it is exact) − 2.12194440e-4. */
@inline function expm1Reduced(t: v128, shifted: v128): v128 {
  const n = f32x4.sub(shifted, f32x4.splat(12582912.0));
  let r = madd(n, f32x4.splat(-0.693359375), t);
  r = madd(n, f32x4.splat(2.12194440e-4), r);
  let q = f32x4.splat(1.3916481e-3);
  q = madd(q, r, f32x4.splat(8.370875e-3));
  q = madd(q, r, f32x4.splat(4.1666783e-2));
  q = madd(q, r, f32x4.splat(1.6666503e-1));
  q = madd(q, r, f32x4.splat(0.5));
  q = madd(q, r, f32x4.splat(1));
  return f32x4.mul(q, r);
}

/** 2^n as a float: n + 127 in the exponent bits (the shifted sum's bits minus the constant's are n). */
@inline function twoToN(shifted: v128): v128 {
  return i32x4.shl(i32x4.add(i32x4.sub(shifted, f32x4.splat(12582912.0)), i32x4.splat(127)), 23);
}

/** e^x, x clamped to [−87.3, 88.3]. pmin/pmax are single instructions on x64 (min/max are not). */
@inline export function expSimd(v: v128): v128 {
  const t = f32x4.pmin(f32x4.pmax(v, f32x4.splat(-87.3)), f32x4.splat(88.3));
  const shifted = shiftedN(t);
  const s = twoToN(shifted);
  return madd(expm1Reduced(t, shifted), s, s); // e^t = 2^n·(e^r − 1) + 2^n; 2^n·x is exact, so one rounding
}

@inline export function sigmoidSimd(x: v128): v128 {
  // 1/(1 + e^t), t = −x clamped, with 1 + e^t = 2^n·(e^r − 1) + (2^n + 1) rounded once
  const t = f32x4.pmin(f32x4.pmax(f32x4.neg(x), f32x4.splat(-87.3)), f32x4.splat(88.3));
  const shifted = shiftedN(t);
  const s = twoToN(shifted);
  const one = f32x4.splat(1);
  return f32x4.div(one, madd(expm1Reduced(t, shifted), s, f32x4.add(s, one)));
}

@inline export function tanhSimd(x: v128): v128 {
  // tanh|x| = (1 − e)/(1 + e) with e = e^t, t = −2|x|: the numerator is −(e^t − 1), with no cancellation
  // near 0, and both are 2^n·(e^r − 1) + a constant (2^n ∓ 1, exact for n ≥ −23), each rounded once
  const negAbs = v128.or(x, i32x4.splat(SIGN_BIT));
  const t = f32x4.pmax(f32x4.add(negAbs, negAbs), f32x4.splat(-87.3));
  const shifted = shiftedN(t);
  const s = twoToN(shifted);
  const p = expm1Reduced(t, shifted);
  const one = f32x4.splat(1);
  const y = f32x4.div(madd(p, s, f32x4.sub(s, one)), madd(p, s, f32x4.add(s, one))); // −tanh|x| ≤ 0
  return v128.bitselect(x, y, i32x4.splat(SIGN_BIT)); // the sign from x, the rest from y
}
