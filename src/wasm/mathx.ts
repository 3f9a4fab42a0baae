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
// exp: x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split in two for exactness), e^r by Cephes' expf
// polynomial, 2^n by writing n + 127 into the exponent bits. Inputs are clamped to [−87.3, 88.3],
// where both the result and 2^n stay normal floats. About 1 ulp, like Mathf.exp.

@inline export function expSimd(v: v128): v128 {
  const x = f32x4.min(f32x4.max(v, f32x4.splat(-87.3)), f32x4.splat(88.3));
  // n = round-to-nearest-even(x·log2 e) by adding 1.5·2²³: the sum's low mantissa bits are n itself
  // (cheaper on x64 than f32x4.nearest followed by trunc_sat, and the same n for |n| < 2²²)
  const magic = f32x4.splat(12582912.0);
  const shifted = f32x4.add(f32x4.mul(x, f32x4.splat(1.44269504088896341)), magic);
  const n = f32x4.sub(shifted, magic);
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.add(r, f32x4.mul(n, f32x4.splat(2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.sub(shifted, magic), i32x4.splat(127)), 23);
  return f32x4.mul(y, scale);
}

@inline export function sigmoidSimd(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, expSimd(f32x4.neg(x))));
}

@inline export function tanhSimd(x: v128): v128 {
  const one = f32x4.splat(1);
  const e = expSimd(f32x4.mul(f32x4.splat(-2), f32x4.abs(x)));
  const y = f32x4.div(f32x4.sub(one, e), f32x4.add(one, e));
  return v128.or(y, v128.and(x, i32x4.splat(0x80000000)));
}
