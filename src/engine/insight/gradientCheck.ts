// Analytic gradients against central finite differences, in f64 (the f64 build of the core), on a
// small model with random weights and data. Dropout is checked too: the generator is rewound before
// every forward pass so all passes share one mask.

import { Core, RealArray } from "../core/core";
import { SequencePool } from "../core/coreAbi";
import { ModelSpec, coreShape, torchName } from "../model/modelSpec";
import { cellEntry, cellNorm, isNormGain } from "../model/cells";

export interface TensorCheck {
  name: string;
  size: number;
  maxRelError: number;
  meanRelError: number;
  maxAbsError: number;
}

export interface GradientCheckOptions {
  batch: number;
  steps: number;
  epsilon: number; // 0 = chosen for the cell (see stepFor)
  dropout: number;
  seed: number;
  weightScale: number; // std of the random weights: large enough to leave the linear regime
  // A bidirectional model's head (it has no language-model head): pooled per sequence, or one row per step
  // (a tagger's); the batch then has mixed lengths (see sequenceLengths). Ignored for one direction.
  pool: SequencePool;
}

/** A tensor passes when its worst relative error is below this (the CLI, the extension and its report use it). */
export const GRADIENT_CHECK_THRESHOLD = 1e-6;

export const DEFAULT_GRADCHECK_OPTIONS: GradientCheckOptions = { batch: 3, steps: 5, epsilon: 0, dropout: 0, seed: 7, weightScale: 0.5, pool: SequencePool.Steps };

/** |a − n| / max(|a|, |n|), with both below 1e-10 counted as agreeing. */
export function relativeError(analytic: number, numeric: number): number {
  const scale = Math.max(Math.abs(analytic), Math.abs(numeric));
  return scale < 1e-10 ? 0 : Math.abs(analytic - numeric) / scale;
}

/**
 * The stencil's step: 1e-2 keeps rounding small for smooth cells; ReLU is piecewise linear, so a
 * stencil spanning ±3ε must not straddle a kink: 1e-3 there (no truncation error to lose). The
 * additive recurrence sums its increments, so a weight moves every later state and the loss curves
 * more sharply: at 1e-2 the O(ε⁶) truncation error is ~1e-5 relative, at 3e-3 it is ~1e-9.
 * A normalised cell takes its steps from consistentStencil below.
 */
export function stepFor(spec: ModelSpec, pool: SequencePool = SequencePool.Steps): number {
  // a bidirectional ReLU model's pre-activations come within 3e-3 of the kink (both directions read
  // every step); max pooling's arg max must not switch inside the stencil, 2e-3 (test/unit/bidirectional)
  if (spec.bidirectional && spec.nonlinearity === "relu" && cellEntry(spec.cell).options.includes("nonlinearity")) return 1e-4;
  if (spec.bidirectional && pool === SequencePool.Max) return 2e-3;
  if (spec.nonlinearity === "relu" && cellEntry(spec.cell).options.includes("nonlinearity")) return 1e-3;
  return spec.cell === "additive" ? 3e-3 : 1e-2;
}

/** The step(s) of a spec's check, for a report: one ε, or consistentStencil's range. */
export function stepLabel(spec: ModelSpec): string {
  return cellNorm(spec) !== "none" ? `${NORM_STEPS[0]} … ${NORM_STEPS[NORM_STEPS.length - 1]} (per weight, layer norm)` : String(stepFor(spec));
}

/** The steps consistentStencil tries, largest first (each a third of the one before). */
const NORM_STEPS = [9e-3, 3e-3, 1e-3, 3e-4, 1e-4];

/**
 * A normalised cell divides by a standard deviation over a few values (LN of c over H units), and
 * where that deviation is small the loss is analytic only in a small radius around the weights: a
 * fixed step is then either past it (truncation: the seven-point stencil at 3e-3 was off by 3e-2
 * relative on one weight of a layer-normalised LSTM) or, for the many smooth weights, deep in the
 * loss's rounding (~1e-16·L/ε). So the stencil runs at each of NORM_STEPS, and the estimate kept is
 * the larger step of the adjacent pair that agree best (Ridders' idea without the extrapolation):
 * a third of the step cuts the O(ε⁶) truncation 729-fold, so the pair's difference is the larger
 * step's truncation error, and that step has the less rounding of the two. Only the finite
 * differences decide; the analytic gradient is not consulted.
 */
function consistentStencil(stencil: (h: number) => number): number {
  const estimates = NORM_STEPS.map(stencil);
  let best = 1;
  for (let k = 1; k < estimates.length; k++) {
    if (Math.abs(estimates[k] - estimates[k - 1]) < Math.abs(estimates[best] - estimates[best - 1])) best = k;
  }
  return estimates[best - 1];
}

/**
 * The random weights' std: 0.5, except the additive recurrence's 0.35 (its state is a sum of up to
 * |h₀| + t, so with 0.5 the state form's W_hh·h drives tanh so deep into saturation that some
 * gradients fall to the loss's rounding floor, ~1e-12, and their relative error means nothing).
 */
export function weightScaleFor(spec: ModelSpec): number {
  return spec.cell === "additive" ? 0.35 : DEFAULT_GRADCHECK_OPTIONS.weightScale;
}

/**
 * The check's batch: 3, except batch norm's 8. Batch statistics over 3 one-hot streams make x̂ a
 * ratio of differences of W_ih rows; where two rows nearly agree σ is tiny, the loss curves as 1/σ²
 * and no finite-difference step is both past rounding and inside the analytic radius (seen: 1e-5 …
 * 2e-3 relative on W_ih at batch 3, below 2e-7 at batch 8 over the same seeds).
 */
export function gradientCheckBatch(spec: ModelSpec): number {
  return cellNorm(spec) === "batch" ? 8 : DEFAULT_GRADCHECK_OPTIONS.batch;
}

export function gradientCheck(spec: ModelSpec, options: Partial<GradientCheckOptions> = {}): TensorCheck[] {
  const o = { ...DEFAULT_GRADCHECK_OPTIONS, weightScale: weightScaleFor(spec), batch: gradientCheckBatch(spec), ...options };
  const core = new Core(coreShape(spec), "f64");
  core.setShape(o.batch, o.steps);
  if (spec.bidirectional) core.setSequenceHead(o.pool);
  core.seed(o.seed);
  core.fillRandom(core.params(), o.weightScale);
  // A normalisation's gains start at 1 and stay near it: around 0 they would squash whole gate rows
  // and leave gradients at the loss's rounding floor, where a relative error means nothing.
  for (const slot of core.tensors) if (isNormGain(slot.kind)) core.tensor(slot, core.params()).forEach((v, k, t) => { t[k] = 1 + v; });
  const inputs = core.inputs(), targets = core.targets();
  const width = spec.outputs ?? spec.vocabSize;
  const draw = (n: number) => core.nextU32() % n;
  for (let k = 0; k < inputs.length; k++) inputs[k] = draw(spec.vocabSize);
  for (let k = 0; k < targets.length; k++) targets[k] = draw(width);
  if (spec.bidirectional) {
    // sequences, not a stream: each its own length (the reverse direction starts at its last step), a class each
    core.lengths().set(sequenceLengths(o.batch, o.steps));
    const classes = core.classTargets();
    for (let b = 0; b < classes.length; b++) classes[b] = draw(width);
  }
  // A non-zero carried state, as in the middle of a run (a bidirectional model reads whole sequences from zero).
  for (let l = 0; l < (spec.bidirectional ? 0 : spec.layers); l++) {
    core.fillRandom(core.hiddenStates(l).subarray(0, o.batch * spec.hidden), 0.5);
    if (cellEntry(spec.cell).cellState) core.fillRandom(core.cellStates(l).subarray(0, o.batch * spec.hidden), 0.5);
  }
  const rng = core.rngState();
  const loss = (): number => {
    core.setRngState(rng);
    return core.forward(true, o.dropout, true);
  };
  core.zeroGrads();
  loss();
  core.backward();
  return finiteDifferenceCheck(core, loss, o.epsilon > 0 ? o.epsilon : cellNorm(spec) !== "none" ? null : stepFor(spec, o.pool));
}

/** Mixed lengths for a batch of sequences: the first full, the others shorter (cycling down to 1), so padding is exercised. */
export function sequenceLengths(batch: number, steps: number): number[] {
  return Array.from({ length: batch }, (_, b) => steps - (b * 2) % steps);
}

/**
 * The core's gradient block (filled by the caller's backward for `loss`) against central finite
 * differences of `loss` (which runs a forward pass on the core's current parameters), tensor by
 * tensor. Seven-point central stencil, error O(ε⁶): a step large enough that rounding in the loss
 * (~1e-16·L/ε) stays near 1e-14, so gradients down to ~1e-7 are checked to 1e-6 relative.
 * h = null: consistentStencil's steps (the normalised cells).
 */
export function finiteDifferenceCheck(core: Core, loss: () => number, h: number | null): TensorCheck[] {
  const analytic = Float64Array.from(core.grads());
  const params: RealArray = core.params();
  return core.tensors.map((slot) => {
    let maxRel = 0, sumRel = 0, maxAbs = 0;
    const n = slot.rows * slot.cols;
    for (let k = slot.offset; k < slot.offset + n; k++) {
      const saved = params[k];
      const at = (d: number) => { params[k] = saved + d; return loss(); };
      const stencil = (d: number) => (45 * (at(d) - at(-d)) - 9 * (at(2 * d) - at(-2 * d)) + (at(3 * d) - at(-3 * d))) / (60 * d);
      const numeric = h === null ? consistentStencil(stencil) : stencil(h);
      params[k] = saved;
      const rel = relativeError(analytic[k], numeric);
      maxRel = Math.max(maxRel, rel);
      sumRel += rel;
      maxAbs = Math.max(maxAbs, Math.abs(analytic[k] - numeric));
    }
    return { name: torchName(slot), size: n, maxRelError: maxRel, meanRelError: sumRel / n, maxAbsError: maxAbs };
  });
}
