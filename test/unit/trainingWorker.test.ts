// The worker behind "RNN Lab: Train Model on Current File", driven as the extension drives it.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import { decodeCheckpoint } from "../../src/engine/checkpoint";
import type { ToTrainingWorker, TrainRequest, TrainingEvent } from "../../src/protocol/trainingWorker";
import { bundledCorpus, projectRoot, tempDir } from "../helpers";

function run(request: TrainRequest, onEvent?: (e: TrainingEvent, send: (m: ToTrainingWorker) => void) => void): Promise<TrainingEvent[]> {
  const worker = new Worker(join(projectRoot, "dist", "trainingWorker.js"));
  const events: TrainingEvent[] = [];
  const send = (m: ToTrainingWorker) => worker.postMessage(m);
  return new Promise((resolve, reject) => {
    worker.on("error", reject);
    worker.on("message", (e: TrainingEvent) => {
      events.push(e);
      onEvent?.(e, send);
      if (e.type === "done" || e.type === "error") void worker.terminate().then(() => resolve(events));
    });
    send(request);
  });
}

const text = readFileSync(bundledCorpus, "utf8").slice(0, 40000);
const base = (outDir: string): TrainRequest => ({
  type: "train", name: "shakespeare.txt", text, outDir, model: { cell: "lstm", layers: 1, hidden: 32 },
  options: { batch: 8, seq: 16 }, seconds: 2, threads: 2, evalEvery: 20,
});

test("trains on two threads for its time budget, reports progress, writes checkpoint and metrics", async () => {
  const dir = join(tempDir(), "run");
  const events = await run(base(dir));
  assert.equal(events[0].type, "started");
  assert.equal((events[0] as { threads: number }).threads, 2);
  assert.ok(events.some((e) => e.type === "progress"));
  const done = events[events.length - 1];
  assert.equal(done.type, "done");
  if (done.type !== "done") return;
  assert.ok(done.step > 10 && done.seconds >= 2 && done.seconds < 10, JSON.stringify(done));
  assert.equal(done.stopped, false);
  const model = decodeCheckpoint(readFileSync(done.checkpoint));
  assert.equal(model.training!.step, done.step);
  const metrics = readFileSync(join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(metrics.filter((m) => m.type === "step").length, done.step);
});

test("a stop request ends the run after the current step, keeping the checkpoint", async () => {
  const dir = join(tempDir(), "run");
  const events = await run({ ...base(dir), seconds: 600 }, (e, send) => { if (e.type === "progress") send({ type: "stop" }); });
  const done = events[events.length - 1];
  assert.equal(done.type, "done");
  if (done.type === "done") {
    assert.equal(done.stopped, true);
    assert.ok(done.seconds < 30);
    assert.ok(existsSync(done.checkpoint));
  }
});

test("unusable text is reported as an error event, not a crash", async () => {
  const events = await run({ ...base(join(tempDir(), "run")), text: "zzzzzzzz" });
  assert.deepEqual(events.map((e) => e.type), ["error"]);
  assert.match((events[0] as { message: string }).message, /at least 2 distinct characters/);
});
