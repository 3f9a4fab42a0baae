// A training run off the extension host's thread, at lower CPU priority than the editor. One step
// per turn of the event loop, so pause and stop are seen within a step. The loop is the engine's
// TrainingSession (the one the CLI drives too), through the run driver, which writes the
// checkpoints, metrics and samples into the run's folder.

import { parentPort } from "node:worker_threads";
import { paramCount } from "../engine/files/checkpoint";
import { translatableOf } from "../engine/messages/inputError";
import { describeSpec } from "../engine/model/modelSpec";
import { RunDriver } from "../engine/training/runDriver";
import type { StepMetric } from "../engine/runs/runMetrics";
import { LOW_PRIORITY_ENV, lowerThisThreadPriority } from "../engine/training/threadPriority";
import { receiveMessages } from "../protocol/messageChannel";
import { ToTrainingWorker, TrainingEvent, isToTrainingWorker } from "../protocol/trainingWorker";
import { BASELINES } from "../engine/forecast/baselines";
import type { ForecastTrainRequest } from "../engine/forecast/forecastModel";
import { trainForecasterRun } from "../engine/forecast/forecastTrainer";
import type { TrainTextTask } from "../protocol/trainingWorker";
import { prepareTextTask } from "../engine/tasks/textTaskModel";
import type { SequenceBatches, SequenceData } from "../engine/tasks/sequenceBatches";
import { Trainer } from "../engine/training/trainer";
import { TrainingSession } from "../engine/training/trainingSession";
import { DEFAULT_TRAIN_OPTIONS } from "../engine/training/trainOptions";
import { DEFAULT_MODEL, trainingThreads } from "../engine/model/defaults";
import type { CellType } from "../engine/model/modelSpec";
import type { Model } from "../engine/files/checkpoint";
import { saveCheckpoint } from "../engine/files/checkpointFile";

const port = parentPort;
if (!port) throw new Error("trainingWorker runs only as a worker thread");
const send = (e: TrainingEvent) => port.postMessage(e);
process.env[LOW_PRIORITY_ENV] = "1"; // inherited by the shard threads this worker starts
lowerThisThreadPriority();

let driver: RunDriver | null = null;
/** The forecaster's run, while it trains: a stop aborts its loop, which then writes its best weights. */
let forecastStop: AbortController | null = null;
let paused = false, stopRequested = false, scheduled = false;

/** Milliseconds between progress events (the dashboard redraws on each). */
const PROGRESS_EVERY_MS = 250;

receiveMessages(port, isToTrainingWorker, (m: ToTrainingWorker) => {
  switch (m.type) {
    case "open": return open(m.modelDir, m.runDir);
    case "forecast": return void trainForecast(m.request);
    case "textTask": return void trainTextTask(m.request);
    case "pause":
      if (driver && !paused) {
        paused = true;
        const checkpoint = driver.checkpoint();
        driver.setState("paused");
        send({ type: "paused", step: driver.trainer.step, checkpoint });
      }
      return;
    case "resume":
      if (driver && paused) {
        paused = false;
        driver.setState("training");
        send({ type: "resumed", step: driver.trainer.step });
        schedule();
      }
      return;
    case "stop":
      forecastStop?.abort();
      stopRequested = true;
      if (paused) { paused = false; schedule(); }
      return;
  }
}, () => undefined); // not a command: the host sends only those, so there is nothing to answer

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function open(modelDir: string, runDir: string): void {
  try {
    driver = RunDriver.open(modelDir, runDir);
  } catch (e) {
    send({ type: "error", message: message(e), step: null, ...translatableOf(e) });
    return;
  }
  const t = driver.trainer;
  send({
    type: "started", how: driver.start.how, step: t.step, params: paramCount(t.spec), description: describeSpec(t.spec),
    trainChars: t.data.train.length, valChars: t.data.val.length, threads: t.threads, kernels: String(t.core.variant),
  });
  schedule();
}

/** Every step since the last progress event: the dashboard draws them all. */
let unsent: StepMetric[] = [];

function schedule(): void {
  if (!scheduled) {
    scheduled = true;
    setImmediate(step);
  }
}

function step(): void {
  scheduled = false;
  const d = driver;
  if (!d || paused) return;
  try {
    if (stopRequested || d.budgetSpent) return finish(d);
    const o = d.step();
    const r = o.report;
    unsent.push({ step: r.step, loss: r.loss, gradNorm: r.gradNorm, clipped: r.clipped, lr: r.lr, chars: d.trainer.charsSeen, seconds: d.trainer.elapsedSeconds, tensorNorms: o.tensorNorms });
    const p = d.session.progress(PROGRESS_EVERY_MS, o.finished);
    if (p) {
      send({
        type: "progress", step: o.report.step, epoch: o.report.epoch, loss: o.report.loss, gradNorm: o.report.gradNorm, clipped: o.report.clipped,
        lr: o.report.lr, charsPerSecond: p.charsPerSecond, fraction: p.fraction, etaSeconds: p.etaSeconds, steps: unsent,
      });
      unsent = [];
    }
    if (o.valLoss !== null) send({ type: "eval", step: o.report.step, valLoss: o.valLoss, improved: o.improved });
    if (o.checkpoint) send({ type: "checkpoint", step: o.report.step, path: o.checkpoint });
    if (o.sample !== null) send({ type: "sample", step: o.report.step, text: o.sample });
    schedule();
  } catch (e) {
    // a non-finite loss leaves the state as before the step; the last checkpoint stays the last good one
    const msg = message(e);
    try { d.fail(msg); } catch { /* the folder may be gone: the error below says what happened */ }
    driver = null;
    send({ type: "error", message: msg, step: d.trainer.step, ...translatableOf(e) });
  }
}

function finish(d: RunDriver): void {
  const stopped = stopRequested && !d.budgetSpent;
  const { valLoss, checkpoint, sample } = d.finish(stopped ? "stopped" : "done");
  const seconds = d.session.seconds, steps = d.session.steps;
  driver = null;
  if (sample !== null) send({ type: "sample", step: d.trainer.step, text: sample });
  send({ type: "done", step: d.trainer.step, valLoss, checkpoint, seconds, charsPerSecond: (steps * d.trainer.charsPerStep) / Math.max(seconds, 1e-9), stopped });
}

/**
 * A forecaster's run: the forecast engine trains it on the one training loop and writes the
 * checkpoint, reporting each validation. It yields every 20 ms, so a stop is seen within a step: it
 * ends the run, and the best weights so far are written with where training stands (a checkpoint a
 * later run resumes from exactly).
 */
async function trainForecast(request: ForecastTrainRequest): Promise<void> {
  forecastStop = new AbortController();
  try {
    // on the one training loop, with the threads every run of this worker gets (cores − 1)
    const r = await trainForecasterRun({ threads: trainingThreads(), ...request }, (progress) => send({ type: "forecastProgress", progress }), forecastStop.signal);
    const overall = (name: string) => r.evaluation.scores[name as keyof typeof r.evaluation.scores].overall[0].mae;
    const best = BASELINES.reduce((a, b) => (overall(b) < overall(a) ? b : a));
    send({ type: "forecastDone", checkpoint: r.checkpoint, seconds: r.seconds, modelMae: overall("model"), bestBaseline: best, bestBaselineMae: overall(best), steps: r.steps, stopped: r.stopped });
  } catch (e) {
    send({ type: "error", message: message(e), step: null, ...translatableOf(e) });
  } finally {
    forecastStop = null;
  }
}

/**
 * A classifier's, tagger's or segmenter's run: the engine prepares the task from the labelled file
 * (its one-line errors come back as they are), the one TrainingSession trains it for the budget in
 * seconds, validating once an epoch, and `out` gets the best validation model (the latest while
 * none has validated), written atomically. One step per turn of the event loop, so a stop is seen
 * within a step; a stopped run keeps its best model so far.
 */
async function trainTextTask(r: TrainTextTask["request"]): Promise<void> {
  let trainer: Trainer<SequenceData, SequenceBatches> | null = null;
  try {
    const prepared = prepareTextTask({
      kind: r.kind, data: r.data, read: { ...(r.textColumn ? { textColumn: r.textColumn } : {}), ...(r.labelColumn ? { labelColumn: r.labelColumn } : {}) }, bidirectional: r.bidirectional,
      network: { ...DEFAULT_MODEL, cell: r.cell as CellType, layers: r.layers, hidden: r.hidden, embed: 32, peephole: false, coupled: false, residual: false },
    });
    const { task, spec, window } = prepared;
    const options = { ...DEFAULT_TRAIN_OPTIONS, batch: Math.min(32, prepared.trainSequences), seq: window };
    trainer = new Trainer<SequenceData, SequenceBatches>(spec, prepared.vocab, { train: prepared.train, val: prepared.val }, options, prepared.corpus, null, undefined, trainingThreads(), task);
    const names = Object.keys(prepared.counts);
    send({ type: "textTaskStarted", description: describeSpec(spec), params: paramCount(spec), names, counts: names.map((n) => prepared.counts[n]), trainRecords: prepared.trainSequences, valRecords: prepared.valSequences, truncated: prepared.truncated.train + prepared.truncated.val });
    const best: { model: Model | null; step: number | null; metrics: Record<string, number> } = { model: null, step: null, metrics: {} };
    const session: TrainingSession = new TrainingSession(trainer as unknown as Trainer, {
      budget: { seconds: r.seconds }, evalEvery: trainer.batches.batchesPerEpoch, sampleEvery: 0, sampleLength: 0, checkpointEvery: 0, tensorNorms: false,
    }, {
      saveCheckpoint: (model) => { saveCheckpoint(r.out, best.model ?? model); return r.out; },
      saveBest: (model) => { best.model = model; best.step = model.training?.step ?? null; },
      onValidation: (step, v) => {
        if (v.improved) best.metrics = v.metrics;
        send({ type: "textTaskEval", step, valLoss: v.metrics.val_loss, valAccuracy: v.metrics.val_accuracy, valF1: v.metrics.val_f1, improved: v.improved, fraction: Math.min(1, session.seconds / r.seconds) });
      },
    });
    while (!session.budgetSpent && !stopRequested) {
      session.step();
      await new Promise<void>((resolve) => setImmediate(resolve)); // pause/stop messages are read between steps
    }
    const stopped = stopRequested && !session.budgetSpent;
    session.finish(stopped ? "stopped" : "done");
    send({
      type: "textTaskDone", checkpoint: r.out, seconds: session.seconds, steps: session.steps, bestStep: best.step,
      bestValAccuracy: best.metrics.val_accuracy ?? null, bestValF1: best.metrics.val_f1 ?? null, stopped,
    });
  } catch (e) {
    send({ type: "error", message: message(e), step: trainer?.step ?? null, ...translatableOf(e) });
  } finally {
    trainer?.dispose();
  }
}
