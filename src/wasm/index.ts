// The core's exports. Everything crosses the boundary as numbers and addresses of flat buffers in
// this module's memory; src/engine/core/coreAbi.ts mirrors this list and src/engine/core/core.ts is its only caller.

import { adamStep, axpbyBlock, globalNorm, rmspropStep, scaleBlock, sgdStep } from "./optim";
import { getParamCount, gradScratchPtr, gradsPtr, logitsPtr, moment1Ptr, moment2Ptr, outputSize, paramsPtr, sampleOrderPtr, sampleProbsPtr } from "./network";
import { at } from "./arena";
import { rngNormal, rngUniform } from "./rng";
import { sampleFromLogits } from "./sample";

export {
  configure, setShape, setSteps, forward, backward, carryState, resetState, freezeWeights, setDropoutKey, finalHiddenPtr, finalCellPtr,
  getParamCount, paramsPtr, gradsPtr, gradScratchPtr, moment1Ptr, moment2Ptr, getTensorCount, tensorField,
  inputsPtr, targetsPtr, logitsPtr, gradFlowPtr, getBatch, getSteps, getMaxSteps,
  hiddenPtr, cellPtr, stateGradPtr, cellGradPtr, gatesPtr, sampleProbsPtr, vocabSize, hiddenSize, gateRows, layerCount, cellKind,
  // the task seam and the cell seam (mirrored at the end of coreAbi.ts's CoreExports)
  configureModel, lossWeightsPtr, lengthsPtr, lossWeightTotal, outputSize, stateCount,
  // linear-recurrence cells (minGRU, minLSTM): which solver runs their window
  setLinearSolver,
} from "./network";
// the numeric task (forecasting): dense inputs and a regression loss (mirrored in coreAbi.ts)
export { setRegression, denseInputsPtr, realTargetsPtr, targetWidth } from "./network";
// bidirectional layers, the pooled (sequence) head, backward from the engine's ∂L/∂logits, input gradients (mirrored in coreAbi.ts)
export {
  setSequenceHead, dLogitsPtr, classTargetsPtr, streamWeightsPtr, pooledPtr, dEmbeddedPtr, inputGradPtr, setInputScale,
  layerOutputPtr, directionHiddenPtr, directionCellPtr, directionGatesPtr, directionCount, sequenceHead,
} from "./network";
export { LOSS_CROSS_ENTROPY, LOSS_MSE, LOSS_MAE, LOSS_GAUSSIAN, LOSS_QUANTILE, setQuantileLevel } from "./regression";
export { rngSeed, rngGetState, rngSetState, rngNextU32 } from "./rng";
// real-valued cell constants (CTRNN Δt, fixed τ): after configure(), which resets them
export { setCellConstant } from "./cells";
// batch norm's running statistics (batchNorm.ts): setNormSteps before configure()
export { setNormSteps, normStatsPtr, normStatsLength, normStatSteps } from "./batchNorm";

/** Bytes per element of this build: 4 (training core) or 8 (gradient-check core). */
export function realBytes(): i32 { return <i32>sizeof<real>(); }

export function zeroGrads(): void {
  memory.fill(gradsPtr(), 0, <usize>getParamCount() << alignof<real>());
}

/** g ← selfScale·g + scratchScale·(the gradient block copied into gradScratchPtr()). */
export function accumulateScratchGrads(selfScale: f64, scratchScale: f64): void {
  axpbyBlock(gradsPtr(), gradScratchPtr(), getParamCount(), <real>selfScale, <real>scratchScale);
}

/** Global-norm clipping: if ‖g‖ > maxNorm, g ← g·maxNorm/‖g‖ (maxNorm ≤ 0: never). Returns ‖g‖ before. */
export function clipGradients(maxNorm: f64): f64 {
  const n = getParamCount();
  const norm = globalNorm(gradsPtr(), n);
  if (maxNorm > 0 && norm > maxNorm) scaleBlock(gradsPtr(), n, <real>(maxNorm / norm));
  return norm;
}

export const OPT_SGD = 0;
export const OPT_RMSPROP = 1;
export const OPT_ADAM = 2;
export const OPT_ADAMW = 3;

/**
 * One update of the whole block. a, b: momentum (SGD), alpha (RMSprop), beta1 and beta2 (Adam/AdamW).
 * step counts from 1 (Adam's bias correction).
 */
export function optimizerStep(kind: i32, lr: f64, a: f64, b: f64, eps: f64, weightDecay: f64, step: i32): void {
  const n = getParamCount();
  const p = paramsPtr(), g = gradsPtr(), m = moment1Ptr(), v = moment2Ptr();
  if (kind == OPT_SGD) sgdStep(p, g, m, n, <real>lr, <real>a, <real>weightDecay);
  else if (kind == OPT_RMSPROP) rmspropStep(p, g, v, n, <real>lr, <real>a, <real>eps, <real>weightDecay);
  else adamStep(p, g, m, v, n, <real>lr, <real>a, <real>b, <real>eps, <real>weightDecay, kind == OPT_ADAMW, step);
}

/** Fills n reals at ptr with N(0,1)·std (std > 0) or U(−bound, bound) (std ≤ 0, bound = −std). */
export function fillRandom(ptr: usize, n: i32, std: f64): void {
  for (let k = 0; k < n; k++) {
    const x = std > 0 ? rngNormal() * std : (rngUniform() * 2.0 - 1.0) * -std;
    store<real>(at(ptr, k), <real>x);
  }
}

/** Samples from row `row` of the logits (O = the head's outputs); the distribution used is left at sampleProbsPtr(). */
export function sampleRow(row: i32, temperature: f64, topK: i32, topP: f64): i32 {
  const O = outputSize();
  return sampleFromLogits(at(logitsPtr(), row * O), sampleProbsPtr(), sampleOrderPtr(), O, temperature, topK, topP);
}

// ---- kernel benchmark (npm run bench): the product alone, on buffers of its own ----
import { KC, gemm, gemmPacked, gemmTransposedB, packPanels, packedSize, paddedWidth } from "./gemm";
import { allocReal, arenaMark, arenaReset } from "./arena";

let benchA: usize = 0, benchB: usize = 0, benchC: usize = 0, benchRaw: usize = 0, benchScratch: usize = 0;

/** Allocates A[M, P], B[P, N] (random) and its packed copy, and C[M, N]; call after configure(). */
export function benchGemmSetup(M: i32, P: i32, N: i32): void {
  benchA = allocReal(M * P);
  benchRaw = allocReal(P * N);
  benchB = allocReal(packedSize(P, N));
  benchC = allocReal(M * N);
  benchScratch = allocReal(KC * paddedWidth(N));
  fillRandom(benchA, M * P, 1);
  fillRandom(benchRaw, P * N, 1);
  packPanels(benchRaw, N, P, N, benchB);
}

/** reps × C ← A·B with B packed beforehand (the recurrent products' form). */
export function benchGemmRun(M: i32, P: i32, N: i32, reps: i32): void {
  for (let r = 0; r < reps; r++) gemmPacked(benchA, P, 1, benchB, benchC, M, P, N, false);
}

// ---- nonlinearity check (test/unit/nonlinearities.test.ts): the cells' e^x, σ, tanh on a buffer of its own ----
import { expSimd, expr, sigmoid, sigmoidSimd, tanhSimd, tanhr } from "./mathx";

export const NONLINEARITY_EXP = 0;
export const NONLINEARITY_SIGMOID = 1;
export const NONLINEARITY_TANH = 2;

/** n reals, zeroed; the caller writes inputs there and nonlinearityInPlace overwrites them. */
export function nonlinearityBuffer(n: i32): usize { return allocReal(n); }

/** Applies one function in place as the cells do: f32x4 on groups of 4 where the build has SIMD, the scalar form on the rest. */
export function nonlinearityInPlace(kind: i32, p: usize, n: i32): void {
  let k = 0;
  if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
    for (; k + 4 <= n; k += 4) {
      const x = v128.load(at(p, k));
      v128.store(at(p, k), kind == NONLINEARITY_EXP ? expSimd(x) : kind == NONLINEARITY_SIGMOID ? sigmoidSimd(x) : tanhSimd(x));
    }
  }
  for (; k < n; k++) {
    const x = load<real>(at(p, k));
    store<real>(at(p, k), kind == NONLINEARITY_EXP ? expr(x) : kind == NONLINEARITY_SIGMOID ? sigmoid(x) : tanhr(x));
  }
}

/** reps × C += Aᵀ·B, A read as [P, M] (rs = 1, ps = M), B row-major packed KC rows per slab (the weight gradients' form). */
export function benchGemmTransposedARun(M: i32, P: i32, N: i32, reps: i32): void {
  for (let r = 0; r < reps; r++) gemm(benchA, 1, M, benchRaw, benchC, M, P, N, true, benchScratch);
}

// ---- matrix kernel test (test/unit/matrixKernel.test.ts): every gemm.ts entry point on any shape ----

/** n reals, zeroed, in the arena (gone at the next configure()). */
export function kernelAlloc(n: i32): usize { return allocReal(n); }

/**
 * C (+)= A·B, C[i, j] at C + (i·ldc + j) reals, A[i, p] at A + i·rs + p·ps. form 0: gemm (B[P, N] rows ldb
 * apart); 1: packPanels then gemmPacked (B likewise); 2: gemmTransposedB (B given as S[N, P], rows P apart).
 * Its scratch is taken above the arena's top and given back.
 */
export function kernelProduct(form: i32, A: usize, rs: i32, ps: i32, B: usize, ldb: i32, C: usize, ldc: i32,
                              M: i32, P: i32, N: i32, accumulate: bool): void {
  const mark = arenaMark();
  if (form == 0) gemm(A, rs, ps, B, C, M, P, N, accumulate, allocReal(KC * paddedWidth(N)), ldb, ldc);
  else if (form == 1) {
    const packed = allocReal(packedSize(P, N));
    packPanels(B, ldb, P, N, packed);
    gemmPacked(A, rs, ps, packed, C, M, P, N, accumulate, ldc);
  } else if (ldc == N) gemmTransposedB(A, rs, ps, B, C, M, P, N, accumulate, allocReal(packedSize(P, N)));
  else unreachable(); // gemmTransposedB writes C rows N apart
  arenaReset(mark);
}
