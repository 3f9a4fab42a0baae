// Dense products. Every product of the forward and backward passes is
//
//   C[i, j] (+)= Σ_p A[i·rs + p·ps] · B[p, j]      i < M, p < P, j < N, C row-major of width N
//
// A·B is (rs = P, ps = 1); Aᵀ·B is (rs = 1, ps = width of A). C's rows may be wider than N (ldc,
// a column block of a wider matrix: the reset-before GRU's products write gate blocks of [B, 3H]). B is first packed into panels of 16
// columns, each panel P rows × 16 contiguous values (zero-padded past N), so the micro-kernel reads
// B sequentially with no cache-set aliasing from power-of-two row strides. A·Bᵀ packs from the
// transposed source directly. A weight used at every timestep is packed once per window
// (packPanels* + gemmPacked); other products pack KC rows of B at a time into a scratch buffer.
//
// Blocking: for each KC-row slab of B, for each MC-row block of A, for each panel, for each 4 rows:
// the 4×16 micro-kernel keeps 16 f32x4 accumulators in registers; a panel slab (KC·64 B) stays in
// L1 across the MC rows, the A block (MC·KC·4 B) in L2 across panels.
// The f64 core (gradient checks) takes the plain loops: same maths, no SIMD.

import { at } from "./arena";
import { addInto, addTo } from "./vec";

export const PANEL = 16;
export const KC = 256;
const MC = 64;

@inline export function paddedWidth(N: i32): i32 { return (N + PANEL - 1) & ~(PANEL - 1); }

/** Elements a packed copy of a [P, N] matrix needs. */
export function packedSize(P: i32, N: i32): i32 { return P * paddedWidth(N); }

/** dst ← panels of B[P, N] (row-major, row stride ldb). */
export function packPanels(B: usize, ldb: i32, P: i32, N: i32, dst: usize): void {
  const panels = paddedWidth(N) / PANEL;
  for (let jp = 0; jp < panels; jp++) {
    const j0 = jp * PANEL;
    const width = min(PANEL, N - j0);
    const panel = at(dst, jp * P * PANEL);
    for (let p = 0; p < P; p++) {
      const src = at(B, p * ldb + j0), out = at(panel, p * PANEL);
      if (width == PANEL) {
        if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
          // four vector moves: V8 turns a 64-byte memory.copy into a runtime call, several times slower
          v128.store(out, v128.load(src));
          v128.store(out, v128.load(src, 16), 16);
          v128.store(out, v128.load(src, 32), 32);
          v128.store(out, v128.load(src, 48), 48);
        } else {
          memory.copy(out, src, <usize>PANEL << alignof<real>());
        }
      } else {
        for (let c = 0; c < PANEL; c++) store<real>(at(out, c), c < width ? load<real>(at(src, c)) : <real>0);
      }
    }
  }
}

/** dst ← panels of Sᵀ, for S[N, P] row-major (row stride lds, P when 0): the B of A·Sᵀ. */
export function packPanelsTransposed(S: usize, P: i32, N: i32, dst: usize, lds: i32 = 0): void {
  if (lds == 0) lds = P;
  const panels = paddedWidth(N) / PANEL;
  for (let jp = 0; jp < panels; jp++) {
    const j0 = jp * PANEL;
    const width = min(PANEL, N - j0);
    const panel = at(dst, jp * P * PANEL);
    for (let c = 0; c < PANEL; c++) {
      if (c < width) {
        const row = at(S, (j0 + c) * lds);
        for (let p = 0; p < P; p++) store<real>(at(panel, p * PANEL + c), load<real>(at(row, p)));
      } else {
        for (let p = 0; p < P; p++) store<real>(at(panel, p * PANEL + c), 0);
      }
    }
  }
}

/** C[M, N] ← 0, rows ldc apart. */
function clearRows(C: usize, M: i32, N: i32, ldc: i32): void {
  if (ldc == N) memory.fill(C, 0, <usize>(M * N) << alignof<real>());
  else for (let i = 0; i < M; i++) memory.fill(at(C, i * ldc), 0, <usize>N << alignof<real>());
}

/** C (+)= A·B with B already packed (packPanels / packPanelsTransposed, all P rows); C's rows ldc apart (N when 0). */
export function gemmPacked(A: usize, rs: i32, ps: i32, Bp: usize, C: usize, M: i32, P: i32, N: i32, accumulate: bool, ldc: i32 = 0): void {
  if (ldc == 0) ldc = N;
  if (!accumulate) clearRows(C, M, N, ldc);
  if (M == 0 || N == 0 || P == 0) return;
  for (let p0 = 0; p0 < P; p0 += KC) {
    const kc = min(KC, P - p0);
    blockProduct(A + (<usize>(p0 * ps) << alignof<real>()), rs, ps, Bp + (<usize>(p0 * PANEL) << alignof<real>()), P, C, M, kc, N, ldc);
  }
}

/**
 * C (+)= A·B for B[P, N] row-major, packing KC rows of B at a time into `scratch` (≥ KC·paddedWidth(N));
 * B's rows ldb apart and C's ldc apart (N when 0).
 */
export function gemm(A: usize, rs: i32, ps: i32, B: usize, C: usize, M: i32, P: i32, N: i32, accumulate: bool, scratch: usize,
                     ldb: i32 = 0, ldc: i32 = 0): void {
  if (ldb == 0) ldb = N;
  if (ldc == 0) ldc = N;
  if (!accumulate) clearRows(C, M, N, ldc);
  if (M == 0 || N == 0 || P == 0) return;
  for (let p0 = 0; p0 < P; p0 += KC) {
    const kc = min(KC, P - p0);
    packPanels(at(B, p0 * ldb), ldb, kc, N, scratch);
    blockProduct(A + (<usize>(p0 * ps) << alignof<real>()), rs, ps, scratch, kc, C, M, kc, N, ldc);
  }
}

/** C (+)= A·Sᵀ for S[N, P] row-major; `scratch` ≥ packedSize(P, N). */
export function gemmTransposedB(A: usize, rs: i32, ps: i32, S: usize, C: usize, M: i32, P: i32, N: i32, accumulate: bool, scratch: usize): void {
  packPanelsTransposed(S, P, N, scratch);
  gemmPacked(A, rs, ps, scratch, C, M, P, N, accumulate);
}

// kc rows of every panel starting at Bp; panels are panelRows rows long.
function blockProduct(A: usize, rs: i32, ps: i32, Bp: usize, panelRows: i32, C: usize, M: i32, kc: i32, N: i32, ldc: i32): void {
  const panels = paddedWidth(N) / PANEL;
  const panelStride = <usize>(panelRows * PANEL) << alignof<real>();
  const rsB = <usize>rs << alignof<real>(), psB = <usize>ps << alignof<real>(), rowB = <usize>ldc << alignof<real>();
  for (let i0 = 0; i0 < M; i0 += MC) {
    const i1 = min(M, i0 + MC);
    for (let jp = 0; jp < panels; jp++) {
      const j0 = jp * PANEL;
      const b = Bp + <usize>jp * panelStride;
      const full = j0 + PANEL <= N;
      let i = i0;
      for (; i + 4 <= i1; i += 4) {
        const a = A + <usize>i * rsB, c = C + <usize>i * rowB + (<usize>j0 << alignof<real>());
        if (full) micro4x16(a, rsB, psB, b, c, rowB, kc);
        else edgeTile(a, rsB, psB, b, c, rowB, kc, 4, N - j0);
      }
      // 1–3 rows left: one tile of that height (a row at a time would reread the panel per row)
      const left = i1 - i;
      if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) { // a compile-time test: the other builds lack these tiles
        if (left > 1 && full) {
          const a = A + <usize>i * rsB, c = C + <usize>i * rowB + (<usize>j0 << alignof<real>());
          if (left == 3) { micro3x8(a, rsB, psB, b, c, rowB, kc); micro3x8(a, rsB, psB, b + 32, c + 32, rowB, kc); }
          else { micro2x8(a, rsB, psB, b, c, rowB, kc); micro2x8(a, rsB, psB, b + 32, c + 32, rowB, kc); }
          i = i1;
        }
      }
      for (; i < i1; i++) {
        const a = A + <usize>i * rsB, c = C + <usize>i * rowB + (<usize>j0 << alignof<real>());
        if (full) micro1x16(a, psB, b, c, kc);
        else edgeTile(a, rsB, psB, b, c, rowB, kc, 1, N - j0);
      }
    }
  }
}

const edgeBuffer = memory.data(4 * PANEL * 8, 16);

// The last, partial panel: compute a full tile into a side buffer, copy back the valid columns.
function edgeTile(a: usize, rsB: usize, psB: usize, b: usize, c: usize, rowB: usize, kc: i32, rows: i32, width: i32): void {
  const tileRowB = <usize>PANEL << alignof<real>();
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < PANEL; k++) {
      store<real>(edgeBuffer + <usize>r * tileRowB + (<usize>k << alignof<real>()), k < width ? load<real>(c + <usize>r * rowB + (<usize>k << alignof<real>())) : <real>0);
    }
  }
  if (rows == 4) micro4x16(a, rsB, psB, b, edgeBuffer, tileRowB, kc);
  else micro1x16(a, psB, b, edgeBuffer, kc);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < width; k++) {
      store<real>(c + <usize>r * rowB + (<usize>k << alignof<real>()), load<real>(edgeBuffer + <usize>r * tileRowB + (<usize>k << alignof<real>())));
    }
  }
}

// a·b + c: one fused instruction where the runtime has relaxed SIMD (the core-relaxed build).
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

// C[0..4, 0..16] += A[0..4, 0..kc] · panel[0..kc, 0..16]; byte strides. Two passes of 4×8 keep
// 8 accumulators + 2 B vectors + 1 broadcast within x64's 16 vector registers (a single 4×16 pass
// needs 21 and spills).
@inline function micro4x16(a: usize, rsB: usize, psB: usize, b: usize, c: usize, rowB: usize, kc: i32): void {
  if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
    micro4x8(a, rsB, psB, b, c, rowB, kc);
    micro4x8(a, rsB, psB, b + 32, c + 32, rowB, kc);
  } else {
    for (let r = 0; r < 4; r++) microScalar(a + <usize>r * rsB, psB, b, c + <usize>r * rowB, kc);
  }
}

// f32 only: 8 columns (two f32x4) of 4 rows; the panel's rows are 64 bytes apart.
@inline function micro4x8(a: usize, rsB: usize, psB: usize, b: usize, c: usize, rowB: usize, kc: i32): void {
  const c1 = c + rowB, c2 = c1 + rowB, c3 = c2 + rowB;
  let c00 = v128.load(c), c01 = v128.load(c, 16);
  let c10 = v128.load(c1), c11 = v128.load(c1, 16);
  let c20 = v128.load(c2), c21 = v128.load(c2, 16);
  let c30 = v128.load(c3), c31 = v128.load(c3, 16);
  let ap = a, bp = b;
  const a1 = rsB, a2 = 2 * rsB, a3 = 3 * rsB;
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    let x = v128.load32_splat(ap);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    x = v128.load32_splat(ap + a1);
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
    x = v128.load32_splat(ap + a2);
    c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
    x = v128.load32_splat(ap + a3);
    c30 = madd(x, b0, c30); c31 = madd(x, b1, c31);
    ap += psB;
    bp += 64;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c1, c10); v128.store(c1, c11, 16);
  v128.store(c2, c20); v128.store(c2, c21, 16);
  v128.store(c3, c30); v128.store(c3, c31, 16);
}

// f32 only: the 3- and 2-row tiles for what the 4-row blocks leave.
@inline function micro3x8(a: usize, rsB: usize, psB: usize, b: usize, c: usize, rowB: usize, kc: i32): void {
  const c1 = c + rowB, c2 = c1 + rowB;
  let c00 = v128.load(c), c01 = v128.load(c, 16);
  let c10 = v128.load(c1), c11 = v128.load(c1, 16);
  let c20 = v128.load(c2), c21 = v128.load(c2, 16);
  let ap = a, bp = b;
  const a1 = rsB, a2 = 2 * rsB;
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    let x = v128.load32_splat(ap);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    x = v128.load32_splat(ap + a1);
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
    x = v128.load32_splat(ap + a2);
    c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
    ap += psB;
    bp += 64;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c1, c10); v128.store(c1, c11, 16);
  v128.store(c2, c20); v128.store(c2, c21, 16);
}

@inline function micro2x8(a: usize, rsB: usize, psB: usize, b: usize, c: usize, rowB: usize, kc: i32): void {
  const c1 = c + rowB;
  let c00 = v128.load(c), c01 = v128.load(c, 16);
  let c10 = v128.load(c1), c11 = v128.load(c1, 16);
  let ap = a, bp = b;
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    let x = v128.load32_splat(ap);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    x = v128.load32_splat(ap + rsB);
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
    ap += psB;
    bp += 64;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c1, c10); v128.store(c1, c11, 16);
}

@inline function micro1x16(a: usize, psB: usize, b: usize, c: usize, kc: i32): void {
  if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
    let c0 = v128.load(c), c1 = v128.load(c, 16), c2 = v128.load(c, 32), c3 = v128.load(c, 48);
    let ap = a, bp = b;
    for (let p = 0; p < kc; p++) {
      const x = v128.load32_splat(ap);
      c0 = madd(x, v128.load(bp), c0);
      c1 = madd(x, v128.load(bp, 16), c1);
      c2 = madd(x, v128.load(bp, 32), c2);
      c3 = madd(x, v128.load(bp, 48), c3);
      ap += psB;
      bp += 64;
    }
    v128.store(c, c0); v128.store(c, c1, 16); v128.store(c, c2, 32); v128.store(c, c3, 48);
  } else {
    microScalar(a, psB, b, c, kc);
  }
}

function microScalar(a: usize, psB: usize, b: usize, c: usize, kc: i32): void {
  for (let k = 0; k < PANEL; k++) {
    let s = load<real>(at(c, k));
    for (let p = 0; p < kc; p++) s += load<real>(a + <usize>p * psB) * load<real>(at(b, p * PANEL + k));
    store<real>(at(c, k), s);
  }
}

/** out[j] += Σ_i X[i, j] over M rows of width N (bias gradients). */
export function addColumnSums(X: usize, out: usize, M: i32, N: i32): void {
  for (let i = 0; i < M; i++) addInto(out, at(X, i * N), N);
}

/** Every row of X[M, N] set to b1 (+ b2 when b2 != 0). */
export function fillRows(X: usize, M: i32, N: i32, b1: usize, b2: usize): void {
  for (let i = 0; i < M; i++) {
    const row = at(X, i * N);
    if (b2 != 0) addTo(row, b1, b2, N);
    else memory.copy(row, b1, <usize>N << alignof<real>());
  }
}
