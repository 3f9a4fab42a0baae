// Dense products. Every product the forward and backward passes need is one kernel:
//
//   C[i, j] (+)= Σ_p A[i·rs + p·ps] · B[p·N + j]      i < M, p < P, j < N
//
// with B and C row-major of width N. A·B is (rs = P, ps = 1); Aᵀ·B is (rs = 1, ps = width of A);
// A·Bᵀ is A·(transpose of B), with the transpose made once per window by `transpose`.
// The f32 core runs a 4×16 register-blocked f32x4 micro-kernel (16 accumulators); the f64 core
// (gradient checks) runs the plain loop.

import { at } from "./arena";

export function gemm(A: usize, rs: i32, ps: i32, B: usize, C: usize, M: i32, P: i32, N: i32, accumulate: bool): void {
  if (!accumulate) memory.fill(C, 0, <usize>(M * N) << alignof<real>());
  if (M == 0 || N == 0 || P == 0) return;
  if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) gemmSimd(A, rs, ps, B, C, M, P, N);
  else gemmScalar(A, rs, ps, B, C, M, P, N);
}

function gemmScalar(A: usize, rs: i32, ps: i32, B: usize, C: usize, M: i32, P: i32, N: i32): void {
  for (let i = 0; i < M; i++) {
    const c = at(C, i * N);
    for (let p = 0; p < P; p++) {
      const a = load<real>(at(A, i * rs + p * ps));
      if (a == 0) continue;
      const b = at(B, p * N);
      for (let j = 0; j < N; j++) {
        const cj = c + (<usize>j << alignof<real>());
        store<real>(cj, load<real>(cj) + a * load<real>(b + (<usize>j << alignof<real>())));
      }
    }
  }
}

// f32 only: byte offsets below assume 4-byte elements.
function gemmSimd(A: usize, rs: i32, ps: i32, B: usize, C: usize, M: i32, P: i32, N: i32): void {
  const rsB = <usize>rs << 2, psB = <usize>ps << 2, rowB = <usize>N << 2;
  const n16 = N & ~15, n4 = N & ~3;
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const a0 = A + <usize>i * rsB;
    const c0 = C + <usize>i * rowB;
    let j = 0;
    for (; j < n16; j += 16) microKernel4x16(a0, rsB, psB, B + (<usize>j << 2), rowB, c0 + (<usize>j << 2), P);
    for (; j < n4; j += 4) microKernel4x4(a0, rsB, psB, B + (<usize>j << 2), rowB, c0 + (<usize>j << 2), P);
    for (; j < N; j++) {
      for (let r = 0; r < 4; r++) {
        let s: f32 = 0;
        const ar = a0 + <usize>r * rsB;
        for (let p = 0; p < P; p++) s += load<f32>(ar + <usize>p * psB) * load<f32>(B + <usize>p * rowB + (<usize>j << 2));
        const cp = c0 + <usize>r * rowB + (<usize>j << 2);
        store<f32>(cp, load<f32>(cp) + s);
      }
    }
  }
  for (; i < M; i++) {
    const a0 = A + <usize>i * rsB;
    const c0 = C + <usize>i * rowB;
    let j = 0;
    for (; j < n16; j += 16) microKernel1x16(a0, psB, B + (<usize>j << 2), rowB, c0 + (<usize>j << 2), P);
    for (; j < N; j++) {
      let s: f32 = 0;
      for (let p = 0; p < P; p++) s += load<f32>(a0 + <usize>p * psB) * load<f32>(B + <usize>p * rowB + (<usize>j << 2));
      const cp = c0 + (<usize>j << 2);
      store<f32>(cp, load<f32>(cp) + s);
    }
  }
}

// C[0..4, 0..16] += A[0..4, :] · B[:, 0..16]; strides in bytes.
@inline function microKernel4x16(a: usize, rsB: usize, psB: usize, b: usize, rowB: usize, c: usize, P: i32): void {
  let c00 = v128.load(c), c01 = v128.load(c, 16), c02 = v128.load(c, 32), c03 = v128.load(c, 48);
  const c1 = c + rowB, c2 = c1 + rowB, c3 = c2 + rowB;
  let c10 = v128.load(c1), c11 = v128.load(c1, 16), c12 = v128.load(c1, 32), c13 = v128.load(c1, 48);
  let c20 = v128.load(c2), c21 = v128.load(c2, 16), c22 = v128.load(c2, 32), c23 = v128.load(c2, 48);
  let c30 = v128.load(c3), c31 = v128.load(c3, 16), c32 = v128.load(c3, 32), c33 = v128.load(c3, 48);
  let ap = a, bp = b;
  for (let p = 0; p < P; p++) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16), b2 = v128.load(bp, 32), b3 = v128.load(bp, 48);
    let x = f32x4.splat(load<f32>(ap));
    c00 = f32x4.add(c00, f32x4.mul(x, b0)); c01 = f32x4.add(c01, f32x4.mul(x, b1));
    c02 = f32x4.add(c02, f32x4.mul(x, b2)); c03 = f32x4.add(c03, f32x4.mul(x, b3));
    x = f32x4.splat(load<f32>(ap + rsB));
    c10 = f32x4.add(c10, f32x4.mul(x, b0)); c11 = f32x4.add(c11, f32x4.mul(x, b1));
    c12 = f32x4.add(c12, f32x4.mul(x, b2)); c13 = f32x4.add(c13, f32x4.mul(x, b3));
    x = f32x4.splat(load<f32>(ap + 2 * rsB));
    c20 = f32x4.add(c20, f32x4.mul(x, b0)); c21 = f32x4.add(c21, f32x4.mul(x, b1));
    c22 = f32x4.add(c22, f32x4.mul(x, b2)); c23 = f32x4.add(c23, f32x4.mul(x, b3));
    x = f32x4.splat(load<f32>(ap + 3 * rsB));
    c30 = f32x4.add(c30, f32x4.mul(x, b0)); c31 = f32x4.add(c31, f32x4.mul(x, b1));
    c32 = f32x4.add(c32, f32x4.mul(x, b2)); c33 = f32x4.add(c33, f32x4.mul(x, b3));
    ap += psB;
    bp += rowB;
  }
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32); v128.store(c, c03, 48);
  v128.store(c1, c10); v128.store(c1, c11, 16); v128.store(c1, c12, 32); v128.store(c1, c13, 48);
  v128.store(c2, c20); v128.store(c2, c21, 16); v128.store(c2, c22, 32); v128.store(c2, c23, 48);
  v128.store(c3, c30); v128.store(c3, c31, 16); v128.store(c3, c32, 32); v128.store(c3, c33, 48);
}

@inline function microKernel4x4(a: usize, rsB: usize, psB: usize, b: usize, rowB: usize, c: usize, P: i32): void {
  const c1 = c + rowB, c2 = c1 + rowB, c3 = c2 + rowB;
  let x0 = v128.load(c), x1 = v128.load(c1), x2 = v128.load(c2), x3 = v128.load(c3);
  let ap = a, bp = b;
  for (let p = 0; p < P; p++) {
    const bv = v128.load(bp);
    x0 = f32x4.add(x0, f32x4.mul(f32x4.splat(load<f32>(ap)), bv));
    x1 = f32x4.add(x1, f32x4.mul(f32x4.splat(load<f32>(ap + rsB)), bv));
    x2 = f32x4.add(x2, f32x4.mul(f32x4.splat(load<f32>(ap + 2 * rsB)), bv));
    x3 = f32x4.add(x3, f32x4.mul(f32x4.splat(load<f32>(ap + 3 * rsB)), bv));
    ap += psB;
    bp += rowB;
  }
  v128.store(c, x0); v128.store(c1, x1); v128.store(c2, x2); v128.store(c3, x3);
}

// One row: the batch-1 matrix–vector product of sampling and hovers lands here.
@inline function microKernel1x16(a: usize, psB: usize, b: usize, rowB: usize, c: usize, P: i32): void {
  let c0 = v128.load(c), c1 = v128.load(c, 16), c2 = v128.load(c, 32), c3 = v128.load(c, 48);
  let ap = a, bp = b;
  for (let p = 0; p < P; p++) {
    const x = f32x4.splat(load<f32>(ap));
    c0 = f32x4.add(c0, f32x4.mul(x, v128.load(bp)));
    c1 = f32x4.add(c1, f32x4.mul(x, v128.load(bp, 16)));
    c2 = f32x4.add(c2, f32x4.mul(x, v128.load(bp, 32)));
    c3 = f32x4.add(c3, f32x4.mul(x, v128.load(bp, 48)));
    ap += psB;
    bp += rowB;
  }
  v128.store(c, c0); v128.store(c, c1, 16); v128.store(c, c2, 32); v128.store(c, c3, 48);
}

/** dst[N, M] = src[M, N]ᵀ */
export function transpose(src: usize, dst: usize, M: i32, N: i32): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) store<real>(at(dst, j * M + i), load<real>(at(src, i * N + j)));
  }
}

/** out[j] += Σ_i X[i, j] over M rows of width N (bias gradients). */
export function addColumnSums(X: usize, out: usize, M: i32, N: i32): void {
  for (let i = 0; i < M; i++) {
    const row = at(X, i * N);
    for (let j = 0; j < N; j++) {
      const o = at(out, j);
      store<real>(o, load<real>(o) + load<real>(row + (<usize>j << alignof<real>())));
    }
  }
}

/** Every row of X[M, N] set to b1 (+ b2 when b2 != 0). */
export function fillRows(X: usize, M: i32, N: i32, b1: usize, b2: usize): void {
  for (let i = 0; i < M; i++) {
    const row = at(X, i * N);
    for (let j = 0; j < N; j++) {
      let v = load<real>(at(b1, j));
      if (b2 != 0) v += load<real>(at(b2, j));
      store<real>(row + (<usize>j << alignof<real>()), v);
    }
  }
}
