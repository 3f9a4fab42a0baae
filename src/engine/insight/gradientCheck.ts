// Analytic gradients against central finite differences, in f64 (the f64 build of the core), on a
// small model with random weights and data. Dropout is checked too: the generator is rewound before
// every forward pass so all passes share one mask.

import { Core, RealArray } from "../core/core";
import { SequencePool } from "../core/coreAbi";
import { ModelSpec, coreShape, torchName } from "../model/modelSpec";
import { cellEntry } from "../model/cells";

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
 */
export function stepFor(spec: ModelSpec, pool: SequencePool = SequencePool.Steps): number {
  // a bidirectional ReLU model's pre-activations come within 3e-3 of the kink (both directions read
  // every step); max pooling's arg max must not switch inside the stencil, 2e-3 (test/unit/bidirectional)
  if (spec.bidirectional && spec.nonlinearity === "relu" && cellEntry(spec.cell).options.includes("nonlinearity")) return 1e-4;
  if (spec.bidirectional && pool === SequencePool.Max) return 2e-3;
  if (spec.nonlinearity === "relu" && cellEntry(spec.cell).options.includes("nonlinearity")) return 1e-3;
  return spec.cell === "additive" ? 3e-3 : 1e-2;
}

/**
 * The random weights' std: 0.5, except the additive recurrence's 0.35 (its state is a sum of up to
 * |h₀| + t, so with 0.5 the state form's W_hh·h drives tanh so deep into saturation that some
 * gradients fall to the loss's rounding floor, ~1e-12, and their relative error means nothing).
 */
export function weightScaleFor(spec: ModelSpec): number {
  return spec.cell === "additive" ? 0.35 : DEFAULT_GRADCHECK_OPTIONS.weightScale;
}

export function gradientCheck(spec: ModelSpec, options: Partial<GradientCheckOptions> = {}): TensorCheck[] {
  const o = { ...DEFAULT_GRADCHECK_OPTIONS, weightScale: weightScaleFor(spec), ...options };
  const core = new Core(coreShape(spec), "f64");
  core.setShape(o.batch, o.steps);
  if (spec.bidirectional) core.setSequenceHead(o.pool);
  core.seed(o.seed);
  core.fillRandom(core.params(), o.weightScale);
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
  return finiteDifferenceCheck(core, loss, o.epsilon > 0 ? o.epsilon : stepFor(spec, o.pool));
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
 */
export function finiteDifferenceCheck(core: Core, loss: () => number, h: number): TensorCheck[] {
  const analytic = Float64Array.from(core.grads());
  const params: RealArray = core.params();
  return core.tensors.map((slot) => {
    let maxRel = 0, sumRel = 0, maxAbs = 0;
    const n = slot.rows * slot.cols;
    for (let k = slot.offset; k < slot.offset + n; k++) {
      const saved = params[k];
      const at = (d: number) => { params[k] = saved + d; return loss(); };
      const numeric = (45 * (at(h) - at(-h)) - 9 * (at(2 * h) - at(-2 * h)) + (at(3 * h) - at(-3 * h))) / (60 * h);
      params[k] = saved;
      const rel = relativeError(analytic[k], numeric);
      maxRel = Math.max(maxRel, rel);
      sumRel += rel;
      maxAbs = Math.max(maxAbs, Math.abs(analytic[k] - numeric));
    }
    return { name: torchName(slot), size: n, maxRelError: maxRel, meanRelError: sumRel / n, maxAbsError: maxAbs };
  });
}
