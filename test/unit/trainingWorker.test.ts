// The worker behind the training commands, driven as the extension drives it: open a run folder,
// pause, resume, stop; every event it sends passes the host's check.

import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { decodeCheckpoint } from "../../src/engine/files/checkpoint";
import { RunPlan, createModel, createRun, metricsPath, readRunManifest } from "../../src/engine/runs/runStore";
import { DEFAULT_TRAIN_OPTIONS } from "../../src/engine/training/trainOptions";
import { ToTrainingWorker, TrainingEvent, isTrainingEvent } from "../../src/protocol/trainingWorker";
import { bundledCorpus, projectRoot, tempDir } from "../helpers";

const text = readFileSync(bundledCorpus, "utf8").slice(0, 40000);

async function newRun(budget: RunPlan["budget"]): Promise<{ modelDir: string; runDir: string }> {
  const { vocab } = CharVocabulary.fromText(text);
  const modelDir = await createModel(tempDir(), {
    name: "shakespeare", vocab: vocab.toJSON(), corpus: { files: ["s.txt"], chars: text.length, sha256: "" },
    spec: { cell: "lstm", nonlinearity: "tanh", layers: 1, hidden: 32, embed: 0, vocabSize: vocab.size, peephole: false, coupled: false, residual: false },
  }, text);
  const runDir = await createRun(modelDir, { ...DEFAULT_TRAIN_OPTIONS, batch: 8, seq: 16 }, { budget, threads: 2, checkpointEvery: 25, keepCheckpoints: 2, evalEvery: 20, sampleEvery: 30, sampleLength: 50 }, null);
  return { modelDir, runDir };
}

function run(open: { modelDir: string; runDir: string }, onEvent?: (e: TrainingEvent, send: (m: ToTrainingWorker) => void) => void): Promise<TrainingEvent[]> {
  const worker = new Worker(join(projectRoot, "dist", "trainingWorker.js"));
  const events: TrainingEvent[] = [];
  const send = (m: ToTrainingWorker) => worker.postMessage(m);
  return new Promise((resolve, reject) => {
    worker.on("error", reject);
    worker.on("message", (e: unknown) => {
      assert.ok(isTrainingEvent(e), `the host accepts ${JSON.stringify(e)}`);
      events.push(e);
      onEvent?.(e, send);
      if (e.type === "done" || e.type === "error") void worker.terminate().then(() => resolve(events));
    });
    send({ type: "open", ...open });
  });
}

test("trains on two threads for its time budget with progress, evaluations, checkpoints and samples", async () => {
  const r = await newRun({ seconds: 2 });
  const events = await run(r);
  const started = events[0];
  assert.equal(started.type, "started");
  assert.equal(started.type === "started" && started.threads, 2);
  assert.equal(started.type === "started" && started.how, "fresh");
  for (const kind of ["progress", "eval", "checkpoint", "sample"]) assert.ok(events.some((e) => e.type === kind), kind);
  const done = events[events.length - 1];
  assert.equal(done.type, "done");
  if (done.type !== "done") return;
  assert.ok(done.step > 10 && done.seconds >= 2 && done.seconds < 10, JSON.stringify(done));
  assert.equal(done.stopped, false);
  assert.equal(decodeCheckpoint(readFileSync(done.checkpoint)).training!.step, done.step);
  const steps = readFileSync(metricsPath(r.runDir), "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((m) => m.type === "step");
  assert.equal(steps.length, done.step);
  assert.equal(readRunManifest(r.runDir).state, "done");
});

test("pause writes a checkpoint and holds; resume goes on; stop ends after the current step", async () => {
  const r = await newRun({ steps: 100000 });
  let pausedAt = -1;
  const events = await run(r, (e, send) => {
    if (e.type === "progress" && pausedAt < 0) { pausedAt = 0; send({ type: "pause" }); }
    if (e.type === "paused") {
      pausedAt = e.step;
      assert.ok(existsSync(e.checkpoint));
      assert.equal(readRunManifest(r.runDir).state, "paused");
      setTimeout(() => send({ type: "resume" }), 300);
    }
    if (e.type === "resumed") setTimeout(() => send({ type: "stop" }), 300);
  });
  const paused = events.findIndex((e) => e.type === "paused"), resumed = events.findIndex((e) => e.type === "resumed");
  assert.ok(paused > 0 && resumed > paused);
  assert.ok(!events.slice(paused + 1, resumed).some((e) => e.type === "progress"), "no steps while paused");
  const done = events[events.length - 1];
  assert.equal(done.type, "done");
  if (done.type === "done") {
    assert.equal(done.stopped, true);
    assert.ok(done.step > pausedAt);
  }
  assert.equal(readRunManifest(r.runDir).state, "stopped");
});

test("a run another process is training is refused with a message, and left as it was", async () => {
  const r = await newRun({ steps: 5 });
  writeFileSync(join(r.runDir, "run.lock"), JSON.stringify({ pid: process.ppid, host: hostname(), since: "now" }));
  const events = await run(r);
  assert.equal(events.length, 1);
  const e = events[0];
  assert.equal(e.type, "error");
  assert.match(e.type === "error" ? e.message : "", /another window or process/);
  assert.equal(readRunManifest(r.runDir).state, "queued");
});
