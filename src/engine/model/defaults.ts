// Defaults written once: the model a new run gets, the thread rule, and the defaults of the
// extension's rnnLab.* settings (package.json's schema must agree with SETTING_DEFAULTS, which
// test/unit/defaults.test.ts checks). The lists live with what they list: cells in cells.ts,
// optimizers and training options in trainOptions.ts, initialisations in initialise.ts.

import { availableParallelism } from "node:os";
import { CELLS, CTRNN_DEFAULTS } from "./cells";
import { DEFAULT_VOCAB_CAP } from "./charVocabulary";
import type { ModelSpec } from "./modelSpec";
import { DEFAULT_TRAIN_OPTIONS } from "../training/trainOptions";

/** A new model, before its vocabulary fixes vocabSize: the registry's first cell, 2 × 128, one-hot input. */
export const DEFAULT_MODEL: Readonly<Omit<ModelSpec, "vocabSize">> = {
  cell: CELLS[0].type, nonlinearity: "tanh", layers: 2, hidden: 128, embed: 0, peephole: false, coupled: false, residual: false,
};

/** A forecaster's training defaults: `rnn-lab train --task forecast` and the editor's Train Forecaster both read these (forecast/forecastTrainer.ts). */
export const FORECAST_TRAIN_DEFAULTS = {
  strategy: "direct", loss: "mse", valFraction: 0.15, testFraction: 0.15, backtest: 100, batch: 32, lr: 3e-3, steps: 1500, seed: 1, dropout: 0,
  cell: "lstm", layers: 1, hidden: 32, clip: 1, validations: 30,
  /** steps between the checkpoints written during a run (0: only at its end): a killed run loses at most these */
  checkpointEvery: 250,
} as const;

/** Training threads: at most this many. */
export const MAX_THREADS = 64;

/**
 * Training threads for a configured count: 0 (or none) means cores − 1, so that one core stays with
 * the editor or the rest of the machine; always 1 to MAX_THREADS.
 */
export function trainingThreads(configured = 0, cores = availableParallelism()): number {
  const n = configured > 0 ? Math.floor(configured) : cores - 1;
  return Math.max(1, Math.min(MAX_THREADS, n));
}

/** The extension's rnnLab.* settings that have engine defaults, by name without the "rnnLab." prefix. */
export const SETTING_DEFAULTS = {
  cell: DEFAULT_MODEL.cell,
  ctrnnTau: CTRNN_DEFAULTS.tau as number,
  ctrnnLearnTau: CTRNN_DEFAULTS.learnTau as boolean,
  ctrnnDt: CTRNN_DEFAULTS.dt as number,
  additiveForm: "input" as "input" | "state",
  gruReset: "after" as "after" | "before", // a GRU's reset gate: after the recurrent product (PyTorch) or before (TensorFlow)
  norm: "none" as "none" | "layer" | "batch", // an LSTM's or GRU's normalisation when the cell pick is skipped
  layers: DEFAULT_MODEL.layers,
  hiddenSize: DEFAULT_MODEL.hidden,
  trainingSeconds: 60,
  trainingSteps: 0, // 0: the seconds budget
  threads: 0, // 0: trainingThreads()'s rule
  batch: DEFAULT_TRAIN_OPTIONS.batch,
  seq: DEFAULT_TRAIN_OPTIONS.seq,
  learningRate: DEFAULT_TRAIN_OPTIONS.lr,
  dropout: DEFAULT_TRAIN_OPTIONS.dropout,
  clip: DEFAULT_TRAIN_OPTIONS.clip,
  weightDecay: DEFAULT_TRAIN_OPTIONS.weightDecay,
  init: DEFAULT_TRAIN_OPTIONS.init,
  seed: DEFAULT_TRAIN_OPTIONS.seed,
  vocabularyCap: DEFAULT_VOCAB_CAP,
  maxTrainingCharacters: 20_000_000,
  checkpointEvery: 200,
  keepCheckpoints: 3,
  evalEvery: 100,
  sampleEvery: 500,
  sampleLength: 200,
  sampleTemperature: 0.8,
};
