// The matrix product alone, on buffers the core's bench exports allocate for it: GFLOP/s of
// [M, P]·[P, N] on one thread, for `npm run bench` (a kernel build's speed apart from the network).

import { type CoreBuild, instantiateCore, kernelVariant } from "../../src/engine/core/coreLoader";

/** A product the network runs: C[M, N] (+)= A·B or Aᵀ·B with P the summed dimension. */
export interface KernelShape {
  M: number; P: number; N: number;
  /** A read transposed (rs = 1, ps = M) and B packed per call: the weight gradients' form. */
  transposedA?: boolean;
  /** what the network uses it for */
  role: string;
}

// The recurrent products per thread at the bench's batch shares (see docs/speed.md).
export const KERNEL_SHAPES: KernelShape[] = [
  { M: 32, P: 1024, N: 320, role: "large reference" },
  { M: 25, P: 128, N: 512, role: "LSTM 2×128, h·W_hh per step (batch 25)" },
  { M: 16, P: 256, N: 1024, role: "LSTM 1×256, h·W_hh per step (batch 16)" },
  { M: 25, P: 512, N: 128, role: "LSTM 2×128 backward, dGates·W_hhᵀ" },
  { M: 16, P: 1024, N: 256, role: "LSTM 1×256 backward, dGates·W_hhᵀ" },
  { M: 128, P: 1250, N: 512, transposedA: true, role: "LSTM 2×128 weight gradient, Hᵀ·dGates" },
];

/**
 * GFLOP/s of one product on one thread: the best of five trials, each timed by this process's CPU
 * time (the bench is single-threaded here), so time spent descheduled on a shared machine does not count.
 */
export function kernelGflops(M: number, P: number, N: number, seconds: number, build: CoreBuild = kernelVariant(), transposedA = false): number {
  const x = instantiateCore(build);
  if (x.configure(2, 1, 2, 0, 1, 0) < 0) throw new Error("the core refused the bench's minimal shape");
  x.benchGemmSetup(M, P, N);
  const run = (reps: number) => transposedA ? x.benchGemmTransposedARun(M, P, N, reps) : x.benchGemmRun(M, P, N, reps);
  run(3);
  // batches of about 1 ms so the clock is read rarely even for the small shapes
  const reps = Math.max(1, Math.round(1e-3 * 3e10 / (2 * M * P * N)));
  let best = 0;
  for (let trial = 0; trial < 5; trial++) {
    let done = 0;
    const t0 = performance.now(), cpu0 = process.cpuUsage();
    while (performance.now() - t0 < seconds * 200) { run(reps); done += reps; }
    const cpu = process.cpuUsage(cpu0);
    best = Math.max(best, (2 * M * P * N * done) / ((cpu.user + cpu.system) / 1e6) / 1e9);
  }
  return best;
}

/** The table `npm run bench` prints: GFLOP/s per shape on the relaxed and SIMD128 builds (those this runtime validates). */
export function kernelTable(seconds: number, builds: CoreBuild[]): string {
  const lines = [`  matrix kernel, one thread, GFLOP/s (best of 5, CPU time):`, `    ${"shape".padEnd(18)}${builds.map((b) => b.padStart(8)).join("")}`];
  for (const s of KERNEL_SHAPES) {
    const name = `${s.transposedA ? "Aᵀ·B " : ""}${s.M}×${s.P}×${s.N}`;
    const cells = builds.map((b) => kernelGflops(s.M, s.P, s.N, seconds, b, s.transposedA).toFixed(1).padStart(8));
    lines.push(`    ${name.padEnd(18)}${cells.join("")}   ${s.role}`);
  }
  return lines.join("\n") + "\n";
}
