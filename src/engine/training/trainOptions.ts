// Hyperparameters of a training run, their defaults and their checks.

import { InputError, found } from "../messages/inputError";
import { OptimizerCode } from "../core/coreAbi";
import { INIT_SCHEMES, InitScheme } from "../model/initialise";
import { LIMITS } from "../core/limits";

export type OptimizerName = "sgd" | "rmsprop" | "adam" | "adamw";
/** Every optimizer, in the order lists show them (the default first). */
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ["adam", "adamw", "rmsprop", "sgd"];

export interface TrainOptions {
  batch: number;
  seq: number;
  lr: number;
  optimizer: OptimizerName;
  momentum: number; // SGD
  alpha: number; // RMSprop's smoothing constant
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number; // L2 for SGD/RMSprop/Adam, decoupled for AdamW
  clip: number; // global-norm threshold; 0 = no clipping
  dropout: number; // between layers
  lrDecay: number; // multiply the rate by this …
  lrDecayEvery: number; // … every this many steps (0 = constant)
  seed: number;
  init: InitScheme;
  forgetBias: number;
  valFraction: number;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  batch: 50, seq: 50, lr: 2e-3, optimizer: "adam", momentum: 0.9, alpha: 0.99, beta1: 0.9, beta2: 0.999, eps: 1e-8,
  weightDecay: 0, clip: 5, dropout: 0, lrDecay: 1, lrDecayEvery: 0, seed: 1, init: "scaled", forgetBias: 1, valFraction: 0.05,
};

export function optimizerCode(name: OptimizerName): OptimizerCode {
  return { sgd: OptimizerCode.Sgd, rmsprop: OptimizerCode.Rmsprop, adam: OptimizerCode.Adam, adamw: OptimizerCode.AdamW }[name];
}

/** The two coefficients the core's optimizer step takes: momentum for SGD, α for RMSprop, β₁ and β₂ for Adam(W). */
export function optimizerCoefficients(o: TrainOptions): [number, number] {
  return o.optimizer === "sgd" ? [o.momentum, 0] : o.optimizer === "rmsprop" ? [o.alpha, 0] : [o.beta1, o.beta2];
}

export function validateTrainOptions(o: TrainOptions): void {
  const bad = (why: string): never => { throw new InputError(`invalid training option: ${why}`); };
  const int = (v: number, lo: number, hi: number, name: string) => { if (!Number.isInteger(v) || v < lo || v > hi) bad(`${name} must be an integer from ${lo} to ${hi}, ${found(v)}`); };
  const num = (v: number, lo: number, hi: number, name: string) => { if (typeof v !== "number" || !Number.isFinite(v) || v < lo || v > hi) bad(`${name} must be from ${lo} to ${hi}, ${found(v)}`); };
  if (typeof o !== "object" || o === null || Array.isArray(o)) bad("the training options are not an object");
  int(o.batch, LIMITS.batch.min, LIMITS.batch.max, "batch");
  int(o.seq, LIMITS.seq.min, LIMITS.seq.max, "seq");
  num(o.lr, 0, Number.MAX_VALUE, "lr");
  if (!OPTIMIZER_NAMES.includes(o.optimizer)) bad(`optimizer must be one of ${OPTIMIZER_NAMES.join(", ")}, ${found(o.optimizer)}`);
  num(o.momentum, 0, 0.9999, "momentum");
  num(o.alpha, 0, 0.9999, "alpha");
  num(o.beta1, 0, 0.9999, "beta1");
  num(o.beta2, 0, 0.999999, "beta2");
  num(o.eps, 0, 1, "eps");
  num(o.weightDecay, 0, 10, "weight decay");
  num(o.clip, 0, 1e9, "clip");
  num(o.dropout, 0, 0.95, "dropout");
  num(o.lrDecay, 0, 1, "lr decay");
  int(o.lrDecayEvery, 0, 1e12, "lr decay interval");
  int(o.seed, 0, 2 ** 32 - 1, "seed");
  if (!INIT_SCHEMES.includes(o.init)) bad(`init must be one of ${INIT_SCHEMES.join(", ")}, ${found(o.init)}`);
  num(o.forgetBias, -100, 100, "forget bias");
  num(o.valFraction, 0, 0.5, "validation fraction");
}

/** Step decay: lr·decay^⌊step/every⌋. */
export function learningRateAt(o: TrainOptions, step: number): number {
  if (o.lrDecayEvery <= 0 || o.lrDecay === 1) return o.lr;
  return o.lr * Math.pow(o.lrDecay, Math.floor(step / o.lrDecayEvery));
}
