// The linear recurrence out_τ = A_τ ∘ out_{τ−1} + B_τ over τ = 1 … T−1 (out_0 given), elementwise
// over n lanes, solved either sequentially or by a chunked associative scan. minGRU and minLSTM
// (cells.ts, CD_LINEAR_RECURRENCE) run their whole window through it: forward h_t = a_t∘h_{t−1} + b_t,
// and backward the reverse recurrence ∂L/∂h_t = ∂L/∂y_t + a_{t+1}∘∂L/∂h_{t+1}.
//
// Rows: A_τ at a + τ·aStep, B_τ at b + τ·bStep, out_τ at out + τ·outStep (element offsets; a negative
// step walks time backwards, the backward pass's reverse recurrence). Every row is n contiguous reals.
//
// The scan uses that composing two affine maps x ↦ A x + B is again one (A₂A₁, A₂B₁ + B₂): it is the
// reduce-then-scan form of a parallel prefix scan. The window is cut into C chunks of K steps; pass 1
// solves each chunk from a zero start and keeps the chunk's product ∏A (independent across chunks),
// pass 2 carries the true state across chunk ends (C steps, sequential), pass 3 adds ∏_{s ≤ τ} A_s ∘
// carry to every row inside each chunk (independent across chunks). About twice the arithmetic of the
// sequential loop; passes 1 and 3 are what several threads would share. No division and no logarithm:
// the log-space form of Feng et al. (2024) exists for a scan that divides by cumulative products
// (Heinsen's), which this one never forms, so the plain gates need no positivity trick.

import { at } from "./arena";

export const SOLVE_SEQUENTIAL = 1;
export const SOLVE_SCAN = 2;

// a·b + c: one fused instruction where the runtime has relaxed SIMD (the core-relaxed build).
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

@inline function rowAt(base: usize, step: i32, tau: i32): usize { return at(base, tau * step); }

/** out = A ∘ prev + B over n lanes (out may alias B or prev). */
export function affineRow(out: usize, A: usize, prev: usize, B: usize, n: i32): void {
  let k = 0;
  if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
    for (; k + 4 <= n; k += 4) v128.store(at(out, k), madd(v128.load(at(A, k)), v128.load(at(prev, k)), v128.load(at(B, k))));
  }
  for (; k < n; k++) store<real>(at(out, k), load<real>(at(A, k)) * load<real>(at(prev, k)) + load<real>(at(B, k)));
}

/** dst = A ∘ dst (scale = false: dst = A) — the running product of a chunk. */
function productRow(dst: usize, A: usize, n: i32, first: bool): void {
  if (first) { memory.copy(dst, A, <usize>n << alignof<real>()); return; }
  let k = 0;
  if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
    for (; k + 4 <= n; k += 4) v128.store(at(dst, k), f32x4.mul(v128.load(at(dst, k)), v128.load(at(A, k))));
  }
  for (; k < n; k++) store<real>(at(dst, k), load<real>(at(dst, k)) * load<real>(at(A, k)));
}

/** Steps per chunk for a window of T: about √T, so pass 2 (C steps) and a chunk (K steps) are alike. */
export function scanChunk(T: i32): i32 {
  let K = <i32>Math.ceil(Math.sqrt(<f64>T));
  return K < 2 ? 2 : K;
}

/**
 * Solves the recurrence for τ = 1 … T−1; out_0 must already hold its value. scratch: 2·n reals
 * (the scan's running products); unused by the sequential solver.
 */
export function solveLinear(a: usize, aStep: i32, b: usize, bStep: i32, out: usize, outStep: i32, T: i32, n: i32,
                            solver: i32, scratch: usize): void {
  if (solver != SOLVE_SCAN || T < 4) {
    for (let tau = 1; tau < T; tau++) {
      affineRow(rowAt(out, outStep, tau), rowAt(a, aStep, tau), rowAt(out, outStep, tau - 1), rowAt(b, bStep, tau), n);
    }
    return;
  }
  const K = scanChunk(T);
  const prod = scratch, carryProd = at(scratch, n);
  // Pass 1 (chunks independent): chunk 0 is solved from out_0 exactly; chunk c ≥ 1 from zero.
  // Its product ∏A is kept only as long as pass 2 needs it, so pass 2 runs inside this loop:
  // chunk c's end becomes exact as soon as chunk c − 1's end is (the carry is out at τ = c·K − 1).
  for (let start = 0; start < T; start += K) {
    const end = min(start + K, T); // rows [start, end)
    if (start == 0) {
      for (let tau = 1; tau < end; tau++) {
        affineRow(rowAt(out, outStep, tau), rowAt(a, aStep, tau), rowAt(out, outStep, tau - 1), rowAt(b, bStep, tau), n);
      }
      continue;
    }
    memory.copy(rowAt(out, outStep, start), rowAt(b, bStep, start), <usize>n << alignof<real>());
    productRow(prod, rowAt(a, aStep, start), n, true);
    for (let tau = start + 1; tau < end; tau++) {
      affineRow(rowAt(out, outStep, tau), rowAt(a, aStep, tau), rowAt(out, outStep, tau - 1), rowAt(b, bStep, tau), n);
      productRow(prod, rowAt(a, aStep, tau), n, false);
    }
    // Pass 2 for this chunk: end row = ∏A ∘ (previous chunk's exact end) + local end.
    affineRow(rowAt(out, outStep, end - 1), prod, rowAt(out, outStep, start - 1), rowAt(out, outStep, end - 1), n);
  }
  // Pass 3 (chunks independent): the rows inside chunk c ≥ 1 get ∏_{s=start..τ} A_s ∘ carry.
  for (let start = K; start < T; start += K) {
    const end = min(start + K, T);
    const carry = rowAt(out, outStep, start - 1);
    for (let tau = start; tau < end - 1; tau++) {
      productRow(carryProd, rowAt(a, aStep, tau), n, tau == start);
      affineRow(rowAt(out, outStep, tau), carryProd, carry, rowAt(out, outStep, tau), n);
    }
  }
}
