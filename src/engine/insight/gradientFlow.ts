// How far back a loss reaches: ‖∂L_T/∂h_t‖ for the loss of the last character of a window alone,
// at every earlier step t, per layer (the vanishing or exploding gradient made visible); and what
// global-norm clipping does to one real gradient of the model and to the optimizer's step, tensor by tensor.

import { Core } from "../core/core";
import type { Model } from "../files/checkpoint";
import { coreShape, torchName } from "../model/modelSpec";
import { OptimizerName, learningRateAt, optimizerCode, optimizerCoefficients } from "../training/trainOptions";
import { restoreNormStats } from "../model/batchNormStats";

export interface GradientFlow {
  window: number; // T: steps per window
  windows: number; // windows averaged
  /** Per layer, index d = T − 1 − t (distance back from the predicted character): the geometric mean over windows of ‖∂L_T/∂h_t‖. */
  norms: Float32Array[];
}

/**
 * Windows of `window` characters spread evenly over `text`, each read from a zero state; the loss
 * is the cross-entropy of the character after the window (all other targets ignored). The mean is
 * geometric because the norms span orders of magnitude.
 */
export function gradientFlow(model: Model, text: string, window: number, maxWindows = 16): GradientFlow {
  const { spec } = model;
  const ids = model.vocab.encode(text);
  if (!Number.isInteger(window) || window < 2) throw new RangeError(`the window must be at least 2 characters, not ${window}`);
  if (ids.length < window + 1) throw new RangeError(`the text has ${ids.length} characters; the window needs ${window + 1}`);
  const starts: number[] = [];
  const count = Math.min(maxWindows, ids.length - window);
  for (let k = 0; k < count; k++) starts.push(Math.floor((k * (ids.length - window - 1)) / Math.max(1, count - 1)));
  const core = new Core(coreShape(spec));
  core.params().set(model.params);
  restoreNormStats(core, model.normStats); // batch norm's running averages (model/batchNormStats.ts)
  core.freezeWeights();
  core.setShape(1, window);
  const logSums = Array.from({ length: spec.layers }, () => new Float64Array(window));
  const targets = core.targets();
  for (const s of starts) {
    core.resetState();
    core.inputs().set(ids.subarray(s, s + window));
    targets.fill(-1);
    targets[window - 1] = ids[s + window];
    core.forward(false, 0, true);
    core.zeroGrads();
    core.backward(true);
    const flow = core.gradFlow();
    for (let l = 0; l < spec.layers; l++) {
      for (let t = 0; t < window; t++) logSums[l][window - 1 - t] += Math.log(Math.max(flow[l * window + t], 1e-38));
    }
  }
  const norms = logSums.map((sums) => Float32Array.from(sums, (v) => Math.exp(v / starts.length)));
  return { window, windows: starts.length, norms };
}

export interface ClippingEffect {
  threshold: number; // 0: no clipping
  globalNorm: number; // before clipping
  scale: number; // what clipping multiplied every gradient by
  tensors: { name: string; before: number; after: number }[];
  /** The optimizer's next step from the checkpoint's state, without and with clipping; null for a weights-only checkpoint. */
  update: UpdateEffect | null;
}

export interface UpdateEffect {
  optimizer: OptimizerName;
  step: number; // the optimizer step this would be (1 = the first)
  lr: number;
  /** ‖Δθ‖ over the whole model. */
  unclipped: number;
  clipped: number;
  tensors: { name: string; unclipped: number; clipped: number }[];
}

/** One gradient of the mean loss over `batch` windows of `steps` characters, before and after the core
 *  clips it, and what that does to the optimizer's next step. */
export function clippingEffect(model: Model, text: string, threshold: number, steps = 50, batch = 16): ClippingEffect {
  const core = coreFor(model);
  const gradient = lossGradient(core, model, text, steps, batch);
  const norms = () => core.tensors.map((slot) => l2(core.tensor(slot, core.grads())));
  const before = norms();
  const globalNorm = core.clipGradients(threshold); // threshold 0 measures without clipping
  const after = norms();
  return {
    threshold, globalNorm, scale: threshold > 0 && globalNorm > threshold ? threshold / globalNorm : 1,
    tensors: core.tensors.map((slot, k) => ({ name: torchName(slot), before: before[k], after: after[k] })),
    update: updateEffect(model, gradient, threshold, core),
  };
}

/** The gradient (core layout) of the mean loss over `batch` windows of `steps` characters spread over `text`, each from a zero state. */
export function lossGradient(core: Core, model: Model, text: string, steps = 50, batch = 16): Float32Array {
  const ids = model.vocab.encode(text);
  if (ids.length < 2) throw new RangeError("the text needs at least 2 characters");
  const T = Math.max(1, Math.min(steps, ids.length - 1));
  const B = Math.max(1, Math.min(batch, ids.length - T));
  core.params().set(model.params);
  restoreNormStats(core, model.normStats); // batch norm's running averages (model/batchNormStats.ts)
  core.setShape(B, T);
  core.resetState();
  const inputs = core.inputs(), targets = core.targets();
  for (let b = 0; b < B; b++) {
    const s = Math.floor((b * (ids.length - T - 1)) / Math.max(1, B - 1));
    for (let t = 0; t < T; t++) {
      inputs[t * B + b] = ids[s + t]; // time-major rows
      targets[t * B + b] = ids[s + t + 1];
    }
  }
  core.forward(false, 0, true);
  core.zeroGrads();
  core.backward();
  return Float32Array.from(core.grads());
}

/**
 * The step the checkpoint's own optimizer (its moments, step count, learning rate schedule and
 * weight decay) would take with `gradient`, unclipped and clipped at `threshold`: ‖Δθ‖ per tensor.
 * Plain SGD's step shrinks with the gradient; Adam's divides by √v, so it does not shrink in proportion.
 */
export function updateEffect(model: Model, gradient: Float32Array, threshold: number, core: Core = coreFor(model)): UpdateEffect | null {
  const state = model.training;
  if (!state) return null;
  const o = state.options;
  const lr = learningRateAt(o, state.step);
  const [a, b] = optimizerCoefficients(o);
  const step = (clip: boolean): Float64Array => {
    core.params().set(model.params);
    restoreNormStats(core, model.normStats); // batch norm's running averages (model/batchNormStats.ts)
    core.moment1().set(state.moment1);
    core.moment2().set(state.moment2);
    core.grads().set(gradient);
    if (clip) core.clipGradients(threshold);
    core.optimizerStep(optimizerCode(o.optimizer), lr, a, b, o.eps, o.weightDecay, state.step + 1);
    const p = core.params();
    return Float64Array.from(core.tensors, (slot) => {
      let sum = 0;
      for (let k = slot.offset; k < slot.offset + slot.rows * slot.cols; k++) sum += (p[k] - model.params[k]) ** 2;
      return sum;
    });
  };
  const plain = step(false), clipped = step(threshold > 0);
  const total = (v: Float64Array) => Math.sqrt(v.reduce((x, y) => x + y, 0));
  return {
    optimizer: o.optimizer, step: state.step + 1, lr, unclipped: total(plain), clipped: total(clipped),
    tensors: core.tensors.map((slot, k) => ({ name: torchName(slot), unclipped: Math.sqrt(plain[k]), clipped: Math.sqrt(clipped[k]) })),
  };
}

function coreFor(model: Model): Core {
  const core = new Core(coreShape(model.spec));
  core.params().set(model.params);
  restoreNormStats(core, model.normStats); // batch norm's running averages (model/batchNormStats.ts)
  return core;
}

function l2(v: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < v.length; k++) s += v[k] * v[k];
  return Math.sqrt(s);
}
