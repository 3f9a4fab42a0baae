// Dense products. Every product of the forward and backward passes is
//
//   C[i, j] (+)= Σ_p A[i·rs + p·ps] · B[p, j]      i < M, p < P, j < N, C row-major of width N
//
// A·B is (rs = P, ps = 1); Aᵀ·B is (rs = 1, ps = width of A). C's rows may be wider than N (ldc,
// a column block of a wider matrix: the reset-before GRU's products write gate blocks of [B, 3H]).
// B is first packed into panels of 16 columns, each panel P rows × 16 contiguous values (zero-padded
// past N), so the micro-kernel reads B sequentially with no cache-set aliasing from power-of-two row
// strides. A·Bᵀ packs from the transposed source directly. A weight used at every timestep is packed
// once per window (packPanels* + gemmPacked); other products pack KC rows of B at a time into a
// scratch buffer.
//
// Blocking, relaxed-SIMD build (the one V8 runs where it has relaxed SIMD: VS Code, Node ≥ 22, and
// Node 20 with the flag coreLoader sets): for each KC-row slab of B, for each block of up to 66 rows
// of A (11 tiles of 6 rows, copied k-major unless A is already so, as Aᵀ·B's is), for each 6-row
// tile, for each panel: two 6×8 passes, each keeping 12 f32x4 accumulators in registers; the tile's
// A (6 KiB) stays in L1 while the panel slabs (KC·64 B each) stream past.
// Other builds: for each KC-row slab, for each MC-row block of A, for each panel, for each 4 rows:
// the 4×16 micro-kernel (two 4×8 passes) with 3/2/1-row remainder tiles; a panel slab stays in L1
// across the MC rows, the A block (MC·KC·4 B) in L2 across panels. The f64 core (gradient checks)
// and the scalar core take the plain loops: same maths, no SIMD.

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
          // four vector moves: V8 turns a small memory.copy into a runtime call, several times slower
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

// kc rows of every panel starting at Bp; panels are panelRows rows long. The relaxed-SIMD build takes
// blockProductRelaxed below; this is the SIMD128 build's 4×16 path and the plain loops of the others.
function blockProduct(A: usize, rs: i32, ps: i32, Bp: usize, panelRows: i32, C: usize, M: i32, kc: i32, N: i32, ldc: i32): void {
  if (sizeof<real>() == 4 && ASC_FEATURE_RELAXED_SIMD) { blockProductRelaxed(A, rs, ps, Bp, panelRows, C, M, kc, N, ldc); return; }
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

// ---- the relaxed-SIMD build's path: 6-row tiles over A copied k-major ----

// Row tiles of TILE_ROWS rows, the last one shorter (M mod 6): on this project's Zen 5 machine a
// 6-row tile (12 independent FMA chains) measured 53–55 GFLOP/s and 5- or 4-row tiles (10 or 8
// chains, too few to hide the FMA latency fully) 44–50, so splitting M evenly (25 → 5×5) loses to
// 6+6+6+6+1. Without relaxed SIMD each multiply–add needs a register for the product, and 6 rows
// (12 + 2 + 1 + 1 = 16) spill; that build keeps the 4-row path above, which measured faster there
// than this one with 4-row tiles.
const TILE_ROWS = 6;
const RELAXED_F32 = sizeof<real>() == 4 && ASC_FEATURE_RELAXED_SIMD; // a compile-time test
// Tiles per block of A: the block's packed copy (≤ 66 × KC × 4 B = 66 KiB) stays in L2; each tile's
// part (≤ 6 KiB) stays in L1 while every panel slab streams past it.
const TILES_PER_BLOCK = 11;

@inline function tileCount(M: i32): i32 { return (M + TILE_ROWS - 1) / TILE_ROWS; }
// first row of tile t (t ≤ T; tile T starts at M)
@inline function tileStart(t: i32, M: i32, T: i32): i32 { return min(M, t * TILE_ROWS); }

// One block of A (kc columns) copied tile by tile, each tile k-major (element (r, k) at k·rows + r),
// so the micro-kernel finds a k's `rows` values side by side at immediate offsets (V8 does not fold
// an added constant into an address: a row stride costs an add per row and k). Aᵀ·B's A is already
// so (rs = 1) and is read in place. The same size in every build, so the static data below the heap
// is too (limits.ts counts it once).
const packedA = memory.data(TILES_PER_BLOCK * TILE_ROWS * KC * 4, 64);

// blockProduct for the relaxed-SIMD build: for each block of A, each 6-row tile, each panel.
function blockProductRelaxed(A: usize, rs: i32, ps: i32, Bp: usize, panelRows: i32, C: usize, M: i32, kc: i32, N: i32, ldc: i32): void {
  const panels = paddedWidth(N) / PANEL;
  const panelStride = <usize>(panelRows * PANEL) << alignof<real>();
  const rsB = <usize>rs << alignof<real>(), psB = <usize>ps << alignof<real>(), rowB = <usize>ldc << alignof<real>();
  const T = tileCount(M);
  const packA = rs != 1;
  for (let t0 = 0; t0 < T; t0 += TILES_PER_BLOCK) {
    const t1 = min(T, t0 + TILES_PER_BLOCK);
    const i0 = tileStart(t0, M, T);
    if (packA) {
      for (let t = t0; t < t1; t++) {
        const i = tileStart(t, M, T), rows = tileStart(t + 1, M, T) - i;
        packTile(A + <usize>i * rsB, rsB, psB, rows, kc, packedA + (<usize>((i - i0) * kc) << 2));
      }
    }
    for (let t = t0; t < t1; t++) {
      const i = tileStart(t, M, T), rows = tileStart(t + 1, M, T) - i;
      for (let jp = 0; jp < panels; jp++) {
        const j0 = jp * PANEL;
        const b = Bp + <usize>jp * panelStride;
        const width = min(PANEL, N - j0);
        const c = C + <usize>i * rowB + (<usize>j0 << alignof<real>());
        // the tile reads rows 4 bytes apart: the packed copy (k stride rows·4 B) or Aᵀ·B's A itself
        let a = A + <usize>i * rsB, tileRs = rsB, tilePs = psB;
        if (packA) { a = packedA + (<usize>((i - i0) * kc) << 2); tileRs = 4; tilePs = <usize>rows << 2; }
        if (width == PANEL) tileRelaxed(rows, a, tileRs, tilePs, b, c, rowB, kc);
        else edgeTileRelaxed(rows, a, tileRs, tilePs, b, c, rowB, kc, width);
      }
    }
  }
}

// dst[k·rows + r] ← A[r, k] for r < rows, k < kc (f32; byte strides rsB, psB).
function packTile(a: usize, rsB: usize, psB: usize, rows: i32, kc: i32, dst: usize): void {
  for (let r = 0; r < rows; r++) {
    let src = a + <usize>r * rsB, out = dst + (<usize>r << 2);
    const step = <usize>rows << 2;
    for (let k = 0; k < kc; k++) { store<f32>(out, load<f32>(src)); src += psB; out += step; }
  }
}

const edgeBufferRelaxed = memory.data(TILE_ROWS * PANEL * 8, 16);

// The last, partial panel: a full tile computed into a side buffer, the valid columns copied back.
function edgeTileRelaxed(rows: i32, a: usize, rsB: usize, psB: usize, b: usize, c: usize, rowB: usize, kc: i32, width: i32): void {
  const tileRowB = <usize>PANEL << alignof<real>();
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < PANEL; k++) {
      store<real>(edgeBufferRelaxed + <usize>r * tileRowB + (<usize>k << alignof<real>()), k < width ? load<real>(c + <usize>r * rowB + (<usize>k << alignof<real>())) : <real>0);
    }
  }
  tileRelaxed(rows, a, rsB, psB, b, edgeBufferRelaxed, tileRowB, kc);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < width; k++) {
      store<real>(c + <usize>r * rowB + (<usize>k << alignof<real>()), load<real>(edgeBufferRelaxed + <usize>r * tileRowB + (<usize>k << alignof<real>())));
    }
  }
}

// C[0..rows, 0..PANEL] += A[0..rows, 0..kc] · panel[0..kc, 0..PANEL] (rows ≤ TILE_ROWS); byte strides,
// rsB = 4. Two 8-column halves: the 16-wide panel of the other paths, half a tile's registers each.
function tileRelaxed(rows: i32, a: usize, rsB: usize, psB: usize, b: usize, c: usize, rowB: usize, kc: i32): void {
  if (RELAXED_F32) {
    switch (rows) {
      case 6: { tile8(6, a, psB, b, c, rowB, kc); tile8(6, a, psB, b + 32, c + 32, rowB, kc); break; }
      case 5: { tile8(5, a, psB, b, c, rowB, kc); tile8(5, a, psB, b + 32, c + 32, rowB, kc); break; }
      case 4: { tile8(4, a, psB, b, c, rowB, kc); tile8(4, a, psB, b + 32, c + 32, rowB, kc); break; }
      case 3: { tile8(3, a, psB, b, c, rowB, kc); tile8(3, a, psB, b + 32, c + 32, rowB, kc); break; }
      case 2: { tile8(2, a, psB, b, c, rowB, kc); tile8(2, a, psB, b + 32, c + 32, rowB, kc); break; }
      default: micro1x16(a, psB, b, c, kc); // one row (M = 1: sampling): four chains over the 16 columns
    }
  } else {
    for (let r = 0; r < rows; r++) microScalar(a + <usize>r * rsB, psB, b, c + <usize>r * rowB, kc);
  }
}

// Relaxed f32 only: `rows` (a constant once inlined: the unused rows' code folds away) × 8 columns, two
// f32x4 accumulators a row; A's rows 4 bytes apart (immediate offsets, no address arithmetic), k
// steps psB apart. 6 rows: 12 accumulators + 2 B vectors + 1 broadcast = 15 of the 16 xmm registers
// V8 allocates on x64; per k, 12 FMAs against 8 loads, and 12 independent sums cover the FMA latency
// (4 cycles × 2 a cycle needs 8). Unrolling k does not pay: V8 then hoists the next k's loads and
// spills an accumulator.
@inline function tile8(rows: i32, a: usize, psB: usize, b: usize, c: usize, rowB: usize, kc: i32): void {
  const c1 = c + rowB, c2 = c1 + rowB, c3 = c2 + rowB, c4 = c3 + rowB, c5 = c4 + rowB;
  const z = f32x4.splat(0);
  let c00 = v128.load(c), c01 = v128.load(c, 16);
  let c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
  if (rows > 1) { c10 = v128.load(c1); c11 = v128.load(c1, 16); }
  if (rows > 2) { c20 = v128.load(c2); c21 = v128.load(c2, 16); }
  if (rows > 3) { c30 = v128.load(c3); c31 = v128.load(c3, 16); }
  if (rows > 4) { c40 = v128.load(c4); c41 = v128.load(c4, 16); }
  if (rows > 5) { c50 = v128.load(c5); c51 = v128.load(c5, 16); }
  let ap = a, bp = b;
  const bEnd = b + (<usize>(kc * PANEL) << 2);
  while (bp < bEnd) { // the B pointer is the loop counter: one add fewer a k
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    let x = v128.load32_splat(ap);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    if (rows > 1) { x = v128.load32_splat(ap, 4); c10 = madd(x, b0, c10); c11 = madd(x, b1, c11); }
    if (rows > 2) { x = v128.load32_splat(ap, 8); c20 = madd(x, b0, c20); c21 = madd(x, b1, c21); }
    if (rows > 3) { x = v128.load32_splat(ap, 12); c30 = madd(x, b0, c30); c31 = madd(x, b1, c31); }
    if (rows > 4) { x = v128.load32_splat(ap, 16); c40 = madd(x, b0, c40); c41 = madd(x, b1, c41); }
    if (rows > 5) { x = v128.load32_splat(ap, 20); c50 = madd(x, b0, c50); c51 = madd(x, b1, c51); }
    ap += psB;
    bp += PANEL << 2;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  if (rows > 1) { v128.store(c1, c10); v128.store(c1, c11, 16); }
  if (rows > 2) { v128.store(c2, c20); v128.store(c2, c21, 16); }
  if (rows > 3) { v128.store(c3, c30); v128.store(c3, c31, 16); }
  if (rows > 4) { v128.store(c4, c40); v128.store(c4, c41, 16); }
  if (rows > 5) { v128.store(c5, c50); v128.store(c5, c51, 16); }
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
