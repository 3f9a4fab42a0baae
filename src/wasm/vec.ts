// Small vector loops over `real` arrays, SIMD in the f32 core, plain loops in the f64 core.

import { at } from "./arena";

/** dst[k] += src[k] */
export function addInto(dst: usize, src: usize, n: i32): void {
  let k = 0;
  if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
    for (; k + 4 <= n; k += 4) v128.store(at(dst, k), f32x4.add(v128.load(at(dst, k)), v128.load(at(src, k))));
  }
  for (; k < n; k++) store<real>(at(dst, k), load<real>(at(dst, k)) + load<real>(at(src, k)));
}

/** dst[k] = a[k] + b[k] */
export function addTo(dst: usize, a: usize, b: usize, n: i32): void {
  let k = 0;
  if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
    for (; k + 4 <= n; k += 4) v128.store(at(dst, k), f32x4.add(v128.load(at(a, k)), v128.load(at(b, k))));
  }
  for (; k < n; k++) store<real>(at(dst, k), load<real>(at(a, k)) + load<real>(at(b, k)));
}

/** dst[k] *= src[k] */
export function mulInto(dst: usize, src: usize, n: i32): void {
  let k = 0;
  if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
    for (; k + 4 <= n; k += 4) v128.store(at(dst, k), f32x4.mul(v128.load(at(dst, k)), v128.load(at(src, k))));
  }
  for (; k < n; k++) store<real>(at(dst, k), load<real>(at(dst, k)) * load<real>(at(src, k)));
}

/** Σ x[k]², accumulated in f64 (with SIMD: two f64x2 accumulators, so a different summation order). */
export function sumSquares(x: usize, n: i32): f64 {
  let s: f64 = 0;
  let k = 0;
  if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
    let lo = f64x2.splat(0), hi = f64x2.splat(0);
    for (; k + 4 <= n; k += 4) {
      const v = v128.load(at(x, k));
      const a = f64x2.promote_low_f32x4(v), b = f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
      lo = f64x2.add(lo, f64x2.mul(a, a));
      hi = f64x2.add(hi, f64x2.mul(b, b));
    }
    const t = f64x2.add(lo, hi);
    s = f64x2.extract_lane(t, 0) + f64x2.extract_lane(t, 1);
  }
  for (; k < n; k++) {
    const v = <f64>load<real>(at(x, k));
    s += v * v;
  }
  return s;
}

/** Σ a[k]·b[k] (with SIMD: four lane sums, added at the end, so a different summation order). */
export function dot(a: usize, b: usize, n: i32): real {
  let s: real = 0;
  let k = 0;
  if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
    let acc = f32x4.splat(0);
    for (; k + 4 <= n; k += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(at(a, k)), v128.load(at(b, k))));
    s = <real>((f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3)));
  }
  for (; k < n; k++) s += load<real>(at(a, k)) * load<real>(at(b, k));
  return s;
}

/** dst[k] += c·src[k] */
export function addScaled(dst: usize, src: usize, c: real, n: i32): void {
  let k = 0;
  if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
    const v = f32x4.splat(<f32>c);
    for (; k + 4 <= n; k += 4) v128.store(at(dst, k), f32x4.add(v128.load(at(dst, k)), f32x4.mul(v, v128.load(at(src, k)))));
  }
  for (; k < n; k++) store<real>(at(dst, k), load<real>(at(dst, k)) + c * load<real>(at(src, k)));
}
