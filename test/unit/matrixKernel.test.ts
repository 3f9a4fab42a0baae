// The matrix kernel (src/wasm/gemm.ts) through every wasm build, on awkward shapes, against the
// product computed here in JavaScript in f64 from the same stored inputs. The builds take different
// paths through gemm.ts (relaxed FMA tiles, SIMD128 tiles, plain loops in f32 and f64), so each is
// checked on its own: tile heights 1–6 and every remainder, N not a multiple of the panel (edge
// tiles), P past KC (several slabs), accumulation, C rows wider than N, Aᵀ·B, A·Bᵀ and general strides.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type CoreBuild, KERNEL_VARIANTS, instantiateCore, variantAvailable } from "../../src/engine/core/coreLoader";
import { mulberry32 } from "../../src/engine/model/seededRandom";

const KC = 256; // gemm.ts: rows of B per slab; shapes below cross it

// A deterministic source of test values, uniform in (−1, 1).
function random(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() * 2 - 1;
}

/** How the product reads its operands: gemm (B row-major), gemmPacked (B packed first), gemmTransposedB (B given as S[N, P]). */
type Form = "gemm" | "packed" | "transposedB";
const FORM_CODE: Record<Form, number> = { gemm: 0, packed: 1, transposedB: 2 };

interface Case {
  M: number; P: number; N: number;
  form: Form;
  /** A[i, p] at i·rs + p·ps */
  rs: number; ps: number;
  ldb: number; ldc: number;
  accumulate: boolean;
}

function caseName(c: Case): string {
  return `${c.M}×${c.P}×${c.N} ${c.form} rs=${c.rs} ps=${c.ps} ldb=${c.ldb} ldc=${c.ldc}${c.accumulate ? " +=" : ""}`;
}

// Shapes: every tile height and remainder for M ≤ 14, the recurrent products' row counts (16, 25, 32),
// primes, N around the panel widths, P across one and two KC slabs; then A's layouts on each.
function cases(): Case[] {
  const shapes: [number, number, number][] = [];
  for (let M = 1; M <= 14; M++) shapes.push([M, 1 + (M * 7) % 23, [1, 7, 8, 9, 15, 16, 17, 24, 33][M % 9]]);
  shapes.push([16, 64, 64], [25, 32, 40], [32, 19, 48], [31, 37, 41], [67, 13, 70], [70, 70, 3], [1, 70, 67]);
  shapes.push([5, KC, 16], [7, KC + 1, 23], [13, 2 * KC + 3, 17], [2, 600, 9], [61, 300, 29]);
  const next = random(11);
  for (let k = 0; k < 24; k++) shapes.push([1 + Math.floor((next() + 1) * 35), 1 + Math.floor((next() + 1) * 35), 1 + Math.floor((next() + 1) * 35)]);
  const out: Case[] = [];
  shapes.forEach(([M, P, N], k) => {
    const accumulate = k % 2 === 1;
    const wide = N + 1 + (k % 5); // C (or B) rows wider than N: a column block of a wider matrix
    out.push({ M, P, N, form: "gemm", rs: P, ps: 1, ldb: N, ldc: N, accumulate });
    out.push({ M, P, N, form: "gemm", rs: 1, ps: M + (k % 3), ldb: wide, ldc: wide, accumulate: !accumulate }); // Aᵀ·B
    out.push({ M, P, N, form: "packed", rs: P, ps: 1, ldb: N, ldc: k % 3 === 0 ? wide : N, accumulate });
    out.push({ M, P, N, form: "packed", rs: 2 * P + 1, ps: 2, ldb: N, ldc: N, accumulate: !accumulate }); // neither stride 1
    out.push({ M, P, N, form: "transposedB", rs: P, ps: 1, ldb: P, ldc: N, accumulate });
  });
  return out;
}

/** One build: its exports and a buffer of `n` reals read and written through a fresh view each time. */
class Kernel {
  private readonly x: ReturnType<typeof instantiateCore>;
  private readonly realBytes: number;
  constructor(readonly build: CoreBuild) {
    if (build !== "f64") assert.ok(variantAvailable(build), `${build} build does not validate here`); // also enables relaxed SIMD
    this.x = instantiateCore(build);
    assert.ok(this.x.configure(2, 1, 2, 0, 1, 0) >= 0, "configure");
    this.realBytes = build === "f64" ? 8 : 4;
  }
  private view(ptr: number, n: number): Float32Array | Float64Array {
    return this.realBytes === 8 ? new Float64Array(this.x.memory.buffer, ptr, n) : new Float32Array(this.x.memory.buffer, ptr, n);
  }
  /** Copies values in; returns the pointer and the values as stored (rounded to the build's precision). */
  put(values: number[]): { ptr: number; stored: number[] } {
    const ptr = this.x.kernelAlloc(Math.max(1, values.length));
    const v = this.view(ptr, values.length);
    v.set(values);
    return { ptr, stored: Array.from(v) };
  }
  get(ptr: number, n: number): number[] { return Array.from(this.view(ptr, n)); }
  product(c: Case, A: number, B: number, C: number): void {
    this.x.kernelProduct(FORM_CODE[c.form], A, c.rs, c.ps, B, c.ldb, C, c.ldc, c.M, c.P, c.N, c.accumulate ? 1 : 0);
  }
}

function check(kernel: Kernel, c: Case, seed: number): void {
  const next = random(seed);
  const aLength = (c.M - 1) * c.rs + (c.P - 1) * c.ps + 1;
  // B[p, j] at p·ldb + j, or for transposedB S[j, p] at j·P + p
  const bLength = c.form === "transposedB" ? c.N * c.P : (c.P - 1) * c.ldb + c.N;
  const cLength = (c.M - 1) * c.ldc + c.N + (c.ldc - c.N); // the last row's padding too
  const A = kernel.put(Array.from({ length: aLength }, next));
  const B = kernel.put(Array.from({ length: bLength }, next));
  const C = kernel.put(Array.from({ length: cLength }, next));
  kernel.product(c, A.ptr, B.ptr, C.ptr);
  const got = kernel.get(C.ptr, cLength);
  const unit = kernel.build === "f64" ? 2 ** -53 : 2 ** -24; // unit roundoff
  for (let i = 0; i < c.M; i++) {
    for (let j = 0; j < c.ldc; j++) {
      const at = i * c.ldc + j;
      if (j >= c.N) { // columns past N belong to someone else: untouched
        assert.equal(got[at], C.stored[at], `${kernel.build} ${caseName(c)}: C[${i}, ${j}] past N changed`);
        continue;
      }
      let sum = c.accumulate ? C.stored[at] : 0, magnitude = Math.abs(sum);
      for (let p = 0; p < c.P; p++) {
        const a = A.stored[i * c.rs + p * c.ps];
        const b = c.form === "transposedB" ? B.stored[j * c.P + p] : B.stored[p * c.ldb + j];
        sum += a * b;
        magnitude += Math.abs(a * b);
      }
      // recursive summation's bound, γ_{P+1} ≈ (P + 1)·u of Σ|a·b|, doubled for the order the tiles add in
      const bound = 2 * (c.P + 1) * unit * magnitude + 1e-30;
      const err = Math.abs(got[at] - sum);
      assert.ok(err <= bound, `${kernel.build} ${caseName(c)}: C[${i}, ${j}] = ${got[at]}, expected ${sum} (error ${err.toExponential(2)} > ${bound.toExponential(2)})`);
    }
  }
}

describe("matrix kernel against the product in JavaScript", () => {
  const all = cases();
  for (const build of [...KERNEL_VARIANTS, "f64"] as CoreBuild[]) {
    test(`${build} build, ${all.length} products`, () => {
      const kernel = new Kernel(build);
      all.forEach((c, k) => check(kernel, c, 1000 + k));
    });
  }

});
