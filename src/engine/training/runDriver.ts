// One training run in its run folder (see runStore.ts), one step per call: checkpoints every N
// steps, validation every M, keep-best, samples, the budget, and continuing after a crash from the
// last checkpoint exactly as if it had never stopped. Host-agnostic: the VS Code worker, tests and
// benchmarks drive it the same way.

import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { CharVocabulary } from "../model/charVocabulary";
import { Model } from "../files/checkpoint";
import { loadCheckpoint, removeStaleTempFiles, saveCheckpoint } from "../files/checkpointFile";
import type { KernelVariant } from "../core/coreLoader";
import { InputError, userError } from "../messages/inputError";
import { Sampler } from "../insight/sampler";
import {
  ModelManifest, RunManifest, RunState, acquireRunLock, bestCheckpointPath, corpusPath, listStepCheckpoints, metricsPath,
  pruneStepCheckpoints, readModelManifest, readRunManifest, releaseRunLock, samplesPath, stepCheckpointPath, truncateMetrics,
  updateRunManifest,
} from "../runs/runStore";
import { StepReport, Trainer, splitCorpus } from "./trainer";

export interface StepOutcome {
  report: StepReport;
  tensorNorms: number[]; // ‖∂L/∂θ‖ per tensor before clipping, in the core's tensor order
  valLoss: number | null; // when this step evaluated
  improved: boolean; // … and beat the best so far (best.safetensors rewritten)
  checkpoint: string | null; // when this step wrote a periodic checkpoint
  sample: string | null;
  finished: boolean; // the budget is spent
}

/**
 * A short run still shows what it learned: when sampleEvery would give fewer than MIN_SAMPLES
 * samples over the budget, the run also samples as it passes these fractions of it (and every run
 * samples at its end).
 */
export const SAMPLE_MILESTONES = [0.25, 0.5, 0.75];
export const MIN_SAMPLES = 4;

export interface RunStart {
  /** "fresh": initialised; "resumed": from this run's own last checkpoint (after a crash or a pause in another session); "continued": from the parent's checkpoint. */
  how: "fresh" | "resumed" | "continued" | "from-weights";
  step: number;
}

export class RunDriver {
  readonly trainer: Trainer;
  readonly model: ModelManifest;
  manifest: RunManifest;
  readonly start: RunStart;
  private readonly startStep: number;
  private readonly startElapsed: number;
  private closed = false;
  private nextMilestone = 0; // index into SAMPLE_MILESTONES of the next one to pass
  private lastSampleStep = -1;

  private constructor(readonly modelDir: string, readonly dir: string, trainer: Trainer, model: ModelManifest, manifest: RunManifest, start: RunStart) {
    this.trainer = trainer;
    this.model = model;
    this.manifest = manifest;
    this.start = start;
    this.startStep = manifest.startStep ?? start.step;
    this.startElapsed = manifest.startElapsed ?? trainer.elapsedSeconds;
    this.manifest = updateRunManifest(dir, { state: "training", message: null, startStep: this.startStep, startElapsed: this.startElapsed, step: trainer.step });
    while (this.nextMilestone < SAMPLE_MILESTONES.length && this.fraction >= SAMPLE_MILESTONES[this.nextMilestone]) this.nextMilestone++; // resumed: those are behind it
  }

  /**
   * Opens a run folder for training: takes its lock (a StoreError if another process trains it),
   * then starts fresh, continues from its parent's checkpoint, or resumes from its own last one.
   */
  static open(modelDir: string, dir: string, variant?: KernelVariant): RunDriver {
    const model = readModelManifest(modelDir);
    let manifest = readRunManifest(dir);
    acquireRunLock(dir); // also removes the temporary files killed writers left in the run folder
    removeStaleTempFiles(modelDir);
    try {
      if (!existsSync(corpusPath(modelDir))) throw userError(InputError, "corpusMissing", corpusPath(modelDir));
      const text = readFileSync(corpusPath(modelDir), "utf8");
      const vocab = new CharVocabulary(model.vocab);
      const own = listStepCheckpoints(dir);
      let from: Model | null = null;
      let start: RunStart = { how: "fresh", step: 0 };
      if (own.length) {
        const last = own[own.length - 1];
        from = loadCheckpoint(last.path);
        start = { how: "resumed", step: last.step };
        truncateMetrics(dir, last.step);
      } else if (manifest.parent) {
        from = loadCheckpoint(manifest.parent.checkpoint);
        start = from.training ? { how: "continued", step: from.training.step } : { how: "from-weights", step: 0 };
        truncateMetrics(dir, -1);
      } else {
        truncateMetrics(dir, -1);
      }
      if (from && JSON.stringify(from.vocab.toJSON()) !== JSON.stringify(vocab.toJSON())) {
        throw userError(InputError, "vocabularyDiffers");
      }
      const options = from?.training && start.how !== "from-weights" ? from.training.options : manifest.options;
      if (options !== manifest.options) manifest = updateRunManifest(dir, { options });
      const data = vocab.encode(text);
      const split = splitCorpus(data, options.valFraction);
      const trainer = new Trainer(model.spec, vocab, split, options, { files: model.corpus.files, sha256: model.corpus.sha256, chars: data.length, trainChars: split.train.length },
        from, variant, manifest.plan.threads);
      return new RunDriver(modelDir, dir, trainer, model, manifest, start);
    } catch (e) {
      // the run cannot start (its text or checkpoint is gone or damaged): say so in run.json, so the explorer shows it failed, not stopped
      try { updateRunManifest(dir, { state: "failed", message: (e as Error).message }); } catch { /* the folder itself is unreadable */ }
      releaseRunLock(dir);
      throw e;
    }
  }

  /** Fraction of the budget spent (steps or seconds, whichever is nearer its end). */
  get fraction(): number {
    const { steps, seconds } = this.manifest.plan.budget;
    const f1 = steps ? (this.trainer.step - this.startStep) / steps : 0;
    const f2 = seconds ? (this.trainer.elapsedSeconds - this.startElapsed) / seconds : 0;
    return Math.min(1, Math.max(f1, f2));
  }

  get budgetSpent(): boolean {
    const { steps, seconds } = this.manifest.plan.budget;
    return (steps !== undefined && this.trainer.step - this.startStep >= steps)
      || (seconds !== undefined && this.trainer.elapsedSeconds - this.startElapsed >= seconds);
  }

  /** One optimizer step and whatever falls due after it. Throws NonFiniteLossError (state as before the step). */
  step(): StepOutcome {
    const t = this.trainer;
    const plan = this.manifest.plan;
    const t0 = performance.now();
    const report = t.trainStep();
    t.elapsedSeconds += (performance.now() - t0) / 1000;
    // per-tensor norms before clipping (the core has already scaled them all by clip/‖g‖ if it clipped)
    const unclip = report.clipped ? report.gradNorm / t.options.clip : 1;
    const tensorNorms = t.tensorGradNorms().map((x) => +(x.norm * unclip).toPrecision(4));
    this.record({ type: "step", step: report.step, loss: report.loss, grad_norm: report.gradNorm, clipped: report.clipped, lr: report.lr, chars: t.charsSeen, seconds: +t.elapsedSeconds.toFixed(3), tensor_norms: tensorNorms });
    let valLoss: number | null = null, improved = false, checkpoint: string | null = null, sample: string | null = null;
    if (plan.evalEvery > 0 && report.step % plan.evalEvery === 0) ({ valLoss, improved } = this.evaluate());
    if (plan.sampleEvery > 0 && (report.step % plan.sampleEvery === 0 || this.milestonePassed())) sample = this.sample();
    if (plan.checkpointEvery > 0 && report.step % plan.checkpointEvery === 0) checkpoint = this.checkpoint();
    return { report, tensorNorms, valLoss, improved, checkpoint, sample, finished: this.budgetSpent };
  }

  private evaluate(): { valLoss: number | null; improved: boolean } {
    const before = this.trainer.bestValLoss;
    const valLoss = this.trainer.evaluate();
    if (valLoss === null) return { valLoss, improved: false };
    const improved = before === null || valLoss < before;
    this.record({ type: "eval", step: this.trainer.step, val_loss: valLoss, chars: this.trainer.charsSeen, seconds: +this.trainer.elapsedSeconds.toFixed(3) });
    if (improved) saveCheckpoint(bestCheckpointPath(this.dir), this.trainer.snapshot());
    this.manifest = updateRunManifest(this.dir, { step: this.trainer.step, lastValLoss: valLoss, bestValLoss: this.trainer.bestValLoss });
    return { valLoss, improved };
  }

  /** Whether this step passed one of SAMPLE_MILESTONES of a run too short for MIN_SAMPLES samples at sampleEvery. */
  private milestonePassed(): boolean {
    const f = this.fraction;
    if (this.nextMilestone >= SAMPLE_MILESTONES.length || f < SAMPLE_MILESTONES[this.nextMilestone]) return false;
    while (this.nextMilestone < SAMPLE_MILESTONES.length && f >= SAMPLE_MILESTONES[this.nextMilestone]) this.nextMilestone++;
    const stepsSoFar = this.trainer.step - this.startStep;
    const budgetSteps = this.manifest.plan.budget.steps ?? (f > 0 ? stepsSoFar / f : Infinity); // a time budget: steps it will take at this pace
    return budgetSteps / this.manifest.plan.sampleEvery < MIN_SAMPLES;
  }

  private sample(): string {
    const step = this.trainer.step;
    this.lastSampleStep = step;
    const text = new Sampler(this.trainer.snapshot(), step).generate(this.manifest.plan.sampleLength, { temperature: 0.8, topK: 0, topP: 1 });
    appendFileSync(samplesPath(this.dir), `--- step ${step} ---\n${text}\n`);
    this.record({ type: "sample", step, text });
    return text;
  }

  /** Writes a periodic checkpoint now (also what pausing and stopping do) and keeps the newest few. */
  checkpoint(): string {
    const path = stepCheckpointPath(this.dir, this.trainer.step);
    saveCheckpoint(path, this.trainer.snapshot());
    pruneStepCheckpoints(this.dir, this.manifest.plan.keepCheckpoints);
    this.manifest = updateRunManifest(this.dir, { step: this.trainer.step });
    return path;
  }

  setState(state: RunState): void {
    this.manifest = updateRunManifest(this.dir, { state, step: this.trainer.step });
  }

  /** The end of the run: a last validation, sample (unless samples are off or this step has one) and checkpoint, the final state, the lock released. */
  finish(state: "done" | "stopped"): { valLoss: number | null; checkpoint: string; sample: string | null } {
    const { valLoss } = this.evaluate();
    const sample = this.manifest.plan.sampleEvery > 0 && this.lastSampleStep !== this.trainer.step ? this.sample() : null;
    const checkpoint = this.checkpoint();
    this.manifest = updateRunManifest(this.dir, { state, step: this.trainer.step });
    this.close();
    return { valLoss, checkpoint, sample };
  }

  /** A failure: the last checkpoint stays as it is (a NaN step never reaches one); the reason goes in run.json. */
  fail(message: string): void {
    try {
      this.manifest = updateRunManifest(this.dir, { state: "failed", message });
    } finally {
      this.close();
    }
  }

  /** Stops the threads and gives the lock back; the run folder stays as it is (a later open resumes it). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.trainer.dispose();
    releaseRunLock(this.dir);
  }

  private record(o: object): void {
    appendFileSync(metricsPath(this.dir), JSON.stringify(o) + "\n");
  }
}
