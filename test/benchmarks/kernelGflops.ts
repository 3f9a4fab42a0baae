// The packed matrix product alone, on buffers the core's bench exports allocate for it: GFLOP/s of
// [M, P]·[P, N] on one thread, for `npm run bench` (a kernel build's speed apart from the network).

import { instantiateCore, kernelVariant } from "../../src/engine/core/coreLoader";

export function kernelGflops(M: number, P: number, N: number, seconds: number): number {
  const x = instantiateCore(kernelVariant());
  if (x.configure(2, 1, 2, 0, 1, 0) < 0) throw new Error("the core refused the bench's minimal shape");
  x.benchGemmSetup(M, P, N);
  x.benchGemmRun(M, P, N, 3);
  let reps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) { x.benchGemmRun(M, P, N, 10); reps += 10; }
  return (2 * M * P * N * reps) / ((performance.now() - t0) / 1000) / 1e9;
}
