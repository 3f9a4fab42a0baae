// A training run off the extension host's thread. Steps run one per turn of the event loop, so a
// stop request is seen within one step; the checkpoint and metrics go to the run's folder.

import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { parentPort } from "node:worker_threads";
import { CharVocabulary } from "../engine/charVocabulary";
import { paramCount } from "../engine/checkpoint";
import { saveCheckpoint } from "../engine/checkpointFile";
import { ModelSpec, describeSpec, validateSpec } from "../engine/modelSpec";
import { DEFAULT_TRAIN_OPTIONS, TrainOptions } from "../engine/trainOptions";
import { NonFiniteLossError, Trainer, splitCorpus } from "../engine/trainer";
import type { ToTrainingWorker, TrainRequest, TrainingEvent } from "../protocol/trainingWorker";

const port = parentPort;
if (!port) throw new Error("trainingWorker runs only as a worker thread");
const send = (e: TrainingEvent) => port.postMessage(e);
let stopRequested = false;

port.on("message", (m: ToTrainingWorker) => {
  if (m?.type === "stop") stopRequested = true;
  else if (m?.type === "train") {
    try {
      start(m);
    } catch (e) {
      send({ type: "error", message: e instanceof Error ? e.message : String(e) });
    }
  }
});

function start(r: TrainRequest): void {
  const { vocab } = CharVocabulary.fromText(r.text);
  const spec: ModelSpec = { cell: r.model.cell, nonlinearity: "tanh", layers: r.model.layers, hidden: r.model.hidden, embed: 0, vocabSize: vocab.size, peephole: false, coupled: false, residual: false };
  validateSpec(spec);
  const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...r.options };
  const data = vocab.encode(r.text);
  const split = splitCorpus(data, options.valFraction);
  const trainer = new Trainer(spec, vocab, split, options, { files: [r.name], sha256: "", chars: data.length, trainChars: split.train.length }, null, undefined, r.threads);
  mkdirSync(r.outDir, { recursive: true });
  const checkpoint = join(r.outDir, "model.safetensors");
  const metrics = join(r.outDir, "metrics.jsonl");
  const record = (o: object) => appendFileSync(metrics, JSON.stringify(o) + "\n");
  send({ type: "started", params: paramCount(spec), description: describeSpec(spec), trainChars: split.train.length, valChars: split.val.length, threads: trainer.threads, kernels: String(trainer.core.variant) });
  const t0 = performance.now();
  let lastReport = 0;
  const elapsed = () => (performance.now() - t0) / 1000;
  const finish = () => {
    const valLoss = trainer.evaluate();
    saveCheckpoint(checkpoint, trainer.snapshot());
    trainer.dispose();
    const seconds = elapsed();
    record({ type: "done", step: trainer.step, val_loss: valLoss });
    send({ type: "done", step: trainer.step, valLoss, checkpoint, seconds, charsPerSecond: (trainer.step * trainer.charsPerStep) / seconds, stopped: stopRequested });
  };
  const step = () => {
    try {
      if (stopRequested || elapsed() >= r.seconds) return finish();
      const s = trainer.trainStep();
      const now = performance.now();
      record({ type: "step", step: s.step, loss: s.loss, grad_norm: s.gradNorm, lr: s.lr });
      if (now - lastReport > 250) {
        lastReport = now;
        send({ type: "progress", step: s.step, epoch: s.epoch, loss: s.loss, gradNorm: s.gradNorm, charsPerSecond: (s.step * trainer.charsPerStep) / elapsed(), fraction: Math.min(1, elapsed() / r.seconds) });
      }
      if (r.evalEvery > 0 && s.step % r.evalEvery === 0) {
        const valLoss = trainer.evaluate();
        if (valLoss !== null) {
          record({ type: "eval", step: s.step, val_loss: valLoss });
          send({ type: "eval", step: s.step, valLoss });
        }
      }
      setImmediate(step);
    } catch (e) {
      trainer.dispose();
      send({ type: "error", message: e instanceof NonFiniteLossError || e instanceof Error ? e.message : String(e) });
    }
  };
  setImmediate(step);
}
