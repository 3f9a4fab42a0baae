// One training run in its run folder (see runStore.ts): opening it (its lock, its text, fresh,
// continued from a parent or resumed after a crash from its last checkpoint exactly as if it had
// never stopped) and the folder as a TrainingSession's output — periodic checkpoints pruned to the
// newest few, best.safetensors, metrics.jsonl, samples.txt, run.json. The loop itself (validation,
// samples, checkpoint timing, keep-best, the budget) is the session's (trainingSession.ts), the
// same one the CLI drives. Host-agnostic: the VS Code worker, tests and benchmarks drive it alike.

import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { CharVocabulary } from "../model/charVocabulary";
import { Model } from "../files/checkpoint";
import { loadCheckpoint, removeStaleTempFiles, saveCheckpoint } from "../files/checkpointFile";
import type { KernelVariant } from "../core/coreLoader";
import { InputError, userError } from "../messages/inputError";
import {
  ModelManifest, RunManifest, RunState, acquireRunLock, bestCheckpointPath, corpusPath, listStepCheckpoints, metricsPath,
  pruneStepCheckpoints, readModelManifest, readRunManifest, releaseRunLock, samplesPath, stepCheckpointPath, truncateMetrics,
  updateRunManifest,
} from "../runs/runStore";
import { Trainer, splitCorpus } from "./trainer";
import { SessionEnd, SessionOutput, StepOutcome, TrainingSession } from "./trainingSession";

export { MIN_SAMPLES, SAMPLE_MILESTONES } from "./trainingSession";
export type { StepOutcome } from "./trainingSession";

export interface RunStart {
  /** "fresh": initialised; "resumed": from this run's own last checkpoint (after a crash or a pause in another session); "continued": from the parent's checkpoint. */
  how: "fresh" | "resumed" | "continued" | "from-weights";
  step: number;
}

export class RunDriver {
  readonly trainer: Trainer;
  readonly session: TrainingSession;
  readonly model: ModelManifest;
  manifest: RunManifest;
  readonly start: RunStart;
  private closed = false;

  private constructor(readonly modelDir: string, readonly dir: string, trainer: Trainer, model: ModelManifest, manifest: RunManifest, start: RunStart) {
    this.trainer = trainer;
    this.model = model;
    this.start = start;
    // the budget counts from where the run first trained (kept in run.json across crashes and pauses)
    const from = { step: manifest.startStep ?? start.step, elapsedSeconds: manifest.startElapsed ?? trainer.elapsedSeconds, epoch: manifest.startEpoch ?? trainer.epoch };
    this.manifest = updateRunManifest(dir, { state: "training", message: null, startStep: from.step, startElapsed: from.elapsedSeconds, startEpoch: from.epoch, step: trainer.step });
    const plan = this.manifest.plan;
    this.session = new TrainingSession(trainer, { ...plan, tensorNorms: true }, this.folderOutput(), from);
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

  /** Fraction of the budget spent (steps, seconds or epochs, whichever is nearest its end). */
  get fraction(): number { return this.session.fraction; }

  get budgetSpent(): boolean { return this.session.budgetSpent; }

  /** One optimizer step and whatever falls due after it. Throws NonFiniteLossError (state as before the step). */
  step(): StepOutcome { return this.session.step(); }

  /** Writes a periodic checkpoint now (also what pausing does) and keeps the newest few. */
  checkpoint(): string { return this.session.checkpoint(); }

  /** The run folder as the session's output. */
  private folderOutput(): SessionOutput {
    return {
      saveCheckpoint: (model, step) => {
        const path = stepCheckpointPath(this.dir, step);
        saveCheckpoint(path, model);
        pruneStepCheckpoints(this.dir, this.manifest.plan.keepCheckpoints);
        this.manifest = updateRunManifest(this.dir, { step });
        return path;
      },
      saveBest: (model) => saveCheckpoint(bestCheckpointPath(this.dir), model),
      onStep: (r, tensorNorms, t) => {
        this.record({ type: "step", step: r.step, loss: r.loss, grad_norm: r.gradNorm, clipped: r.clipped, lr: r.lr, chars: t.charsSeen, seconds: +t.elapsedSeconds.toFixed(3), tensor_norms: tensorNorms });
      },
      onValidation: (step, v, t) => {
        this.record({ type: "eval", step, val_loss: v.loss, ...v.metrics, chars: t.charsSeen, seconds: +t.elapsedSeconds.toFixed(3) });
        this.manifest = updateRunManifest(this.dir, { step, lastValLoss: v.loss, bestValLoss: t.bestValLoss });
      },
      onSample: (step, text) => {
        appendFileSync(samplesPath(this.dir), `--- step ${step} ---\n${text}\n`);
        this.record({ type: "sample", step, text });
      },
    };
  }

  setState(state: RunState): void {
    this.manifest = updateRunManifest(this.dir, { state, step: this.trainer.step });
  }

  /** The end of the run (see TrainingSession.finish: "stopped" saves at once), the final state, the lock released. */
  finish(state: "done" | "stopped"): SessionEnd {
    const end = this.session.finish(state);
    this.manifest = updateRunManifest(this.dir, { state, step: this.trainer.step });
    this.close();
    return end;
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
