// The one training loop: a Trainer driven one step per call, with everything that falls due after
// a step — validation every evalEvery steps (and keep-best), samples every sampleEvery steps (and
// at milestones of a short run), checkpoints every checkpointEvery steps — and the budget in steps,
// seconds or epochs, counted from where this session began. Where things go is the host's
// (SessionOutput): the CLI writes its --out file and --json lines (src/cli/main.ts), a run folder
// writes checkpoints/, best.safetensors, metrics.jsonl and samples.txt (runDriver.ts, driven by the
// extension's training worker, tests and benchmarks). Host-agnostic and synchronous: the host
// decides when to yield (signals, pause and stop are the host's, seen between steps).
//
// Time: a session counts the seconds spent in its calls (steps and what falls due after them:
// validation, samples, checkpoints), not the time between calls (a paused run, the event loop), and
// adds them to the trainer's elapsedSeconds, which checkpoints keep.

import type { Model } from "../files/checkpoint";
import { Sampler } from "../insight/sampler";
import { StepReport, Trainer, ValidationResult } from "./trainer";

/** The budget of a session, counted from its start; at most one of each is usual, the first reached ends it. */
export interface SessionBudget {
  steps?: number; // optimizer steps (never a window length: that is the options' seq)
  seconds?: number; // seconds of training (see Time above)
  epochs?: number; // passes over the training data, counted at epoch boundaries
}

export interface SessionPlan {
  budget: SessionBudget;
  evalEvery: number; // steps between validations (0 = only at the end)
  sampleEvery: number; // steps between samples (0 = never)
  sampleLength: number; // characters per sample
  checkpointEvery: number; // steps between checkpoints (0 = only at the end)
  /** Per-tensor gradient norms in each StepOutcome (the dashboard draws them; the CLI does not need them). */
  tensorNorms: boolean;
}

/** Where this session began: the budget counts from here (a run folder keeps it across crashes). */
export interface SessionStart {
  step: number;
  elapsedSeconds: number;
  epoch: number;
}

/** Where a session's results go. Every method but saveCheckpoint may be absent. */
export interface SessionOutput {
  /** Writes the run as it is now (a periodic, pause or final checkpoint); returns where it went. */
  saveCheckpoint(model: Model, step: number): string;
  /** Keep-best: the model right after a validation that beat every one before; absent = not kept. */
  saveBest?(model: Model): void;
  onStep?(report: StepReport, tensorNorms: number[] | null, trainer: Trainer): void;
  onValidation?(step: number, result: ValidationResult, trainer: Trainer): void;
  onSample?(step: number, text: string): void;
}

export interface StepOutcome {
  report: StepReport;
  tensorNorms: number[]; // ‖∂L/∂θ‖ per tensor before clipping, in the core's tensor order (empty unless plan.tensorNorms)
  valLoss: number | null; // when this step validated
  improved: boolean; // … and beat the best so far (kept, where the output keeps the best)
  checkpoint: string | null; // when this step wrote a periodic checkpoint
  sample: string | null;
  finished: boolean; // the budget is spent
}

export interface SessionEnd {
  valLoss: number | null; // the final validation's loss, or (stopped early) the last one's
  checkpoint: string;
  sample: string | null;
}

/**
 * A short run still shows what it learned: when sampleEvery would give fewer than MIN_SAMPLES
 * samples over the budget, the run also samples as it passes these fractions of it (and every run
 * that samples also samples at its end).
 */
export const SAMPLE_MILESTONES = [0.25, 0.5, 0.75];
export const MIN_SAMPLES = 4;

/** What a host shows as progress (the CLI's lines every 500 ms, the dashboard's events every 250 ms): TrainingSession.progress. */
export interface ProgressReport {
  step: number;
  charsPerSecond: number; // since the last report, in the task's unit
  fraction: number; // of the budget
  etaSeconds: number | null;
}

export class TrainingSession {
  private nextMilestone = 0; // index into SAMPLE_MILESTONES of the next one to pass
  private lastSampleStep = -1;
  private lastValidationStep = -1; // the step of the last validation pass this session made
  private lastProgress: { time: number; step: number };

  constructor(readonly trainer: Trainer, readonly plan: SessionPlan, private readonly output: SessionOutput,
              readonly start: SessionStart = { step: trainer.step, elapsedSeconds: trainer.elapsedSeconds, epoch: trainer.epoch }) {
    while (this.nextMilestone < SAMPLE_MILESTONES.length && this.fraction >= SAMPLE_MILESTONES[this.nextMilestone]) this.nextMilestone++; // resumed: those are behind it
    this.lastProgress = { time: performance.now(), step: trainer.step };
  }

  /** Steps and seconds of this session so far. */
  get steps(): number { return this.trainer.step - this.start.step; }
  get seconds(): number { return this.trainer.elapsedSeconds - this.start.elapsedSeconds; }

  /** Fraction of the budget spent (whichever budget is nearest its end). */
  get fraction(): number {
    const { steps, seconds, epochs } = this.plan.budget;
    const t = this.trainer;
    const f = [
      steps ? this.steps / steps : 0,
      seconds ? this.seconds / seconds : 0,
      epochs ? (t.epoch - this.start.epoch + t.window / t.batches.batchesPerEpoch) / epochs : 0,
    ];
    return Math.min(1, Math.max(...f));
  }

  get budgetSpent(): boolean {
    const { steps, seconds, epochs } = this.plan.budget;
    return (steps !== undefined && this.steps >= steps)
      || (seconds !== undefined && this.seconds >= seconds)
      || (epochs !== undefined && this.trainer.epoch - this.start.epoch >= epochs);
  }

  /** One optimizer step and whatever falls due after it. Throws NonFiniteLossError (the trainer's state as before the step). */
  step(): StepOutcome {
    const t = this.trainer, plan = this.plan;
    let t0 = performance.now();
    const report = t.trainStep();
    t.elapsedSeconds += (performance.now() - t0) / 1000;
    t0 = performance.now();
    let tensorNorms: number[] = [];
    if (plan.tensorNorms) {
      // per-tensor norms before clipping (the core has already scaled them all by clip/‖g‖ if it clipped)
      const unclip = report.clipped ? report.gradNorm / t.options.clip : 1;
      tensorNorms = t.tensorGradNorms().map((x) => +(x.norm * unclip).toPrecision(4));
    }
    this.output.onStep?.(report, plan.tensorNorms ? tensorNorms : null, t);
    let valLoss: number | null = null, improved = false, checkpoint: string | null = null, sample: string | null = null;
    if (plan.evalEvery > 0 && report.step % plan.evalEvery === 0) ({ valLoss, improved } = this.validate());
    if (plan.sampleEvery > 0 && (report.step % plan.sampleEvery === 0 || this.milestonePassed())) sample = this.sample();
    if (plan.checkpointEvery > 0 && report.step % plan.checkpointEvery === 0) checkpoint = this.checkpoint();
    t.elapsedSeconds += (performance.now() - t0) / 1000;
    return { report, tensorNorms, valLoss, improved, checkpoint, sample, finished: this.budgetSpent };
  }

  /** A validation pass now; keeps the model when it beat the best so far. */
  validate(): { valLoss: number | null; improved: boolean } {
    this.lastValidationStep = this.trainer.step;
    const result = this.trainer.validate();
    if (result === null) return { valLoss: null, improved: false };
    if (result.improved) this.output.saveBest?.(this.trainer.snapshot());
    this.output.onValidation?.(this.trainer.step, result, this.trainer);
    return { valLoss: result.loss, improved: result.improved };
  }

  /** Whether this step passed one of SAMPLE_MILESTONES of a run too short for MIN_SAMPLES samples at sampleEvery. */
  private milestonePassed(): boolean {
    const f = this.fraction;
    if (this.nextMilestone >= SAMPLE_MILESTONES.length || f < SAMPLE_MILESTONES[this.nextMilestone]) return false;
    while (this.nextMilestone < SAMPLE_MILESTONES.length && f >= SAMPLE_MILESTONES[this.nextMilestone]) this.nextMilestone++;
    const budgetSteps = this.plan.budget.steps ?? (f > 0 ? this.steps / f : Infinity); // a time or epoch budget: steps it will take at this pace
    return budgetSteps / this.plan.sampleEvery < MIN_SAMPLES;
  }

  /** A sample of plan.sampleLength characters from the model as it is now (temperature 0.8, seeded by the step). */
  sample(): string {
    const step = this.trainer.step;
    this.lastSampleStep = step;
    const text = new Sampler(this.trainer.snapshot(), step).generate(this.plan.sampleLength, { temperature: 0.8, topK: 0, topP: 1 });
    this.output.onSample?.(step, text);
    return text;
  }

  /** Writes a checkpoint now (periodic, or what pausing and stopping do). */
  checkpoint(): string {
    return this.output.saveCheckpoint(this.trainer.snapshot(), this.trainer.step);
  }

  /**
   * The end of the session. "done" (the budget is spent): a last validation (unless this step has
   * just had one: the same model, so the same numbers), a last sample (when the session samples
   * and this step has none), then the checkpoint. "stopped" (asked to stop
   * early: Ctrl-C, SIGTERM, the Stop button): the checkpoint at once, the last validation standing.
   */
  finish(how: "done" | "stopped"): SessionEnd {
    const t0 = performance.now();
    let valLoss = this.trainer.lastValLoss, sample: string | null = null;
    if (how === "done") {
      if (this.lastValidationStep !== this.trainer.step) {
        const v = this.validate();
        if (v.valLoss !== null) valLoss = v.valLoss;
      }
      if (this.plan.sampleEvery > 0 && this.lastSampleStep !== this.trainer.step) sample = this.sample();
    }
    this.trainer.elapsedSeconds += (performance.now() - t0) / 1000;
    return { valLoss, checkpoint: this.checkpoint(), sample };
  }

  /**
   * Progress for a host's progress line or event: at most every `intervalMs` (null before), or now
   * when `force`. Speed is since the last report, in the task's unit per second.
   */
  progress(intervalMs: number, force = false): ProgressReport | null {
    const now = performance.now();
    if (!force && now - this.lastProgress.time <= intervalMs) return null;
    const step = this.trainer.step;
    const charsPerSecond = ((step - this.lastProgress.step) * this.trainer.charsPerStep) / Math.max((now - this.lastProgress.time) / 1000, 1e-9);
    this.lastProgress = { time: now, step };
    const f = this.fraction;
    return { step, charsPerSecond, fraction: f, etaSeconds: f > 0 ? (this.seconds * (1 - f)) / f : null };
  }
}
