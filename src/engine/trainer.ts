// A training run: truncated BPTT over char-rnn stream batches, global-norm clipping, one optimizer
// step per window. Everything that decides the next step (parameters, moments, generator state,
// window position, carried hidden state) is in the snapshot, so a resumed run continues exactly.

import { InputError } from "./inputError";
import { Core, KernelVariant } from "./coreAbi";
import { CharVocabulary } from "./charVocabulary";
import { Model, TrainingState } from "./checkpoint";
import { meanLossOverStreams } from "./evaluate";
import { initialiseParameters } from "./initialise";
import { ModelSpec, coreShape, validateSpec } from "./modelSpec";
import { StreamBatches } from "./streamBatches";
import { TrainOptions, learningRateAt, optimizerCode, validateTrainOptions } from "./trainOptions";

export interface StepReport {
  step: number; // steps completed, including this one
  epoch: number;
  loss: number; // nats per character, this window
  gradNorm: number; // global norm before clipping
  clipped: boolean;
  lr: number;
}

export class NonFiniteLossError extends Error {
  constructor(readonly step: number, readonly loss: number, readonly gradNorm: number) {
    super(`the loss became ${Number.isFinite(loss) ? "finite but its gradient " + gradNorm : loss} at step ${step + 1}; training stopped (try a lower --lr or --clip)`);
  }
}

export interface CorpusSplit {
  train: Int32Array;
  val: Int32Array;
}

/** The last valFraction of the text is for validation (whole, never trained on). */
export function splitCorpus(data: Int32Array, valFraction: number): CorpusSplit {
  const nVal = Math.floor(data.length * valFraction);
  return { train: data.subarray(0, data.length - nVal), val: data.subarray(data.length - nVal) };
}

export class Trainer {
  readonly core: Core;
  readonly batches: StreamBatches;
  private evalCore: Core | null = null;
  step = 0;
  epoch = 0;
  window = 0;
  lastLoss = NaN;
  bestValLoss: number | null = null;
  lastValLoss: number | null = null;
  elapsedSeconds = 0;
  charsSeen = 0;

  constructor(
    readonly spec: ModelSpec,
    readonly vocab: CharVocabulary,
    readonly data: CorpusSplit,
    readonly options: TrainOptions,
    readonly corpus: TrainingState["corpus"],
    resumeFrom: Model | null = null,
    variant?: KernelVariant, // default: the fastest build this runtime runs
  ) {
    validateSpec(spec);
    validateTrainOptions(options);
    this.batches = new StreamBatches(data.train, options.batch, options.seq);
    this.core = new Core(coreShape(spec), "f32", variant);
    this.core.setShape(options.batch, options.seq);
    if (resumeFrom) this.restore(resumeFrom);
    else {
      initialiseParameters(this.core, spec, options.init, options.forgetBias, options.seed);
      this.core.seed(options.seed ^ 0x5eed5eed); // the dropout stream, apart from the init stream
    }
  }

  private restore(model: Model): void {
    const t = model.training;
    if (!t) throw new InputError("this checkpoint has no training state to continue from (it holds weights only)");
    this.core.params().set(model.params);
    this.core.moment1().set(t.moment1);
    this.core.moment2().set(t.moment2);
    this.core.setRngState(t.rng);
    const { layers, hidden } = this.spec;
    const B = this.options.batch;
    for (let l = 0; l < layers; l++) {
      this.core.hiddenStates(l, hidden).set(t.hidden.subarray(l * B * hidden, (l + 1) * B * hidden));
      if (t.cell) this.core.cellStates(l, hidden).set(t.cell.subarray(l * B * hidden, (l + 1) * B * hidden));
    }
    this.step = t.step;
    this.epoch = t.epoch;
    this.window = t.window;
    this.lastLoss = t.lastLoss;
    this.bestValLoss = t.bestValLoss;
    this.lastValLoss = t.lastValLoss;
    this.elapsedSeconds = t.elapsedSeconds;
    this.charsSeen = t.charsSeen;
  }

  get charsPerStep(): number { return this.options.batch * this.options.seq; }

  /** One window: forward, backward, clip, update, carry the state. Throws NonFiniteLossError and leaves the state as before the step. */
  trainStep(recordGradFlow = false): StepReport {
    const o = this.options;
    const core = this.core;
    const rngBefore = core.rngState();
    this.batches.fill(this.window, core.inputs(), core.targets());
    core.zeroGrads();
    const loss = core.forward(true, o.dropout, true);
    core.backward(recordGradFlow);
    const gradNorm = core.clipGradients(o.clip);
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
      core.setRngState(rngBefore);
      throw new NonFiniteLossError(this.step, loss, gradNorm);
    }
    const lr = learningRateAt(o, this.step);
    const [a, b] = o.optimizer === "sgd" ? [o.momentum, 0] : o.optimizer === "rmsprop" ? [o.alpha, 0] : [o.beta1, o.beta2];
    core.optimizerStep(optimizerCode(o.optimizer), lr, a, b, o.eps, o.weightDecay, this.step + 1);
    core.carryState();
    this.step++;
    this.charsSeen += this.charsPerStep;
    this.lastLoss = loss;
    this.window++;
    if (this.window >= this.batches.windowsPerEpoch) {
      this.window = 0;
      this.epoch++;
      core.resetState();
    }
    return { step: this.step, epoch: this.epoch, loss, gradNorm, clipped: o.clip > 0 && gradNorm > o.clip, lr };
  }

  /** Per-tensor gradient norms of the last backward pass (after clipping, if it clipped). */
  tensorGradNorms(): { index: number; norm: number }[] {
    const g = this.core.grads();
    return this.core.tensors.map((slot, index) => {
      let s = 0;
      for (let k = slot.offset; k < slot.offset + slot.rows * slot.cols; k++) s += g[k] * g[k];
      return { index, norm: Math.sqrt(s) };
    });
  }

  /** Mean validation loss (nats/char) over the whole validation text; null when there is none. */
  evaluate(): number | null {
    if (this.data.val.length < 2) return null;
    if (!this.evalCore) this.evalCore = new Core(coreShape(this.spec), "f32", this.core.variant as KernelVariant);
    this.evalCore.params().set(this.core.params());
    const loss = meanLossOverStreams(this.evalCore, this.data.val, this.options.batch, this.options.seq);
    this.lastValLoss = loss;
    if (this.bestValLoss === null || loss < this.bestValLoss) this.bestValLoss = loss;
    return loss;
  }

  /** The model and everything needed to continue, as copies. */
  snapshot(): Model {
    const { layers, hidden } = this.spec;
    const B = this.options.batch;
    const h = new Float32Array(layers * B * hidden);
    const c = this.spec.cell === "lstm" ? new Float32Array(layers * B * hidden) : null;
    for (let l = 0; l < layers; l++) {
      h.set(this.core.hiddenStates(l, hidden).subarray(0, B * hidden), l * B * hidden);
      if (c) c.set(this.core.cellStates(l, hidden).subarray(0, B * hidden), l * B * hidden);
    }
    return {
      spec: this.spec,
      vocab: this.vocab,
      params: Float32Array.from(this.core.params()),
      training: {
        options: this.options,
        step: this.step,
        epoch: this.epoch,
        window: this.window,
        rng: this.core.rngState(),
        corpus: this.corpus,
        lastLoss: this.lastLoss,
        bestValLoss: this.bestValLoss,
        lastValLoss: this.lastValLoss,
        elapsedSeconds: this.elapsedSeconds,
        charsSeen: this.charsSeen,
        moment1: Float32Array.from(this.core.moment1()),
        moment2: Float32Array.from(this.core.moment2()),
        hidden: h,
        cell: c,
      },
    };
  }
}
