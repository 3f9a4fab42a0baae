// Runs in the workspace's runs folder: checkpoints every N steps, keep-best, exact continuation
// after a crash, one writer per run folder, damaged and newer-format entries reported, not fatal.

import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { loadCheckpoint } from "../../src/engine/files/checkpointFile";
import { ModelSpec } from "../../src/engine/model/modelSpec";
import { RunDriver } from "../../src/engine/training/runDriver";
import {
  RunPlan, StoreError, acquireRunLock, bestCheckpointPath, createModel, createRun, latestCheckpoint, listModels, metricsPath,
  readRunManifest, releaseRunLock, runManifestPath, samplesPath, slug,
} from "../../src/engine/runs/runStore";
import { DEFAULT_TRAIN_OPTIONS, TrainOptions } from "../../src/engine/training/trainOptions";
import { bundledCorpus, tempDir } from "../helpers";

const text = readFileSync(bundledCorpus, "utf8").slice(0, 30000);
const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, batch: 6, seq: 16, dropout: 0.1 };
const plan = (steps: number, extra: Partial<RunPlan> = {}): RunPlan => ({
  budget: { steps }, threads: 1, checkpointEvery: 10, keepCheckpoints: 2, evalEvery: 5, sampleEvery: 0, sampleLength: 40, ...extra,
});

async function newModel(root: string, name = "corpus.txt-lstm"): Promise<string> {
  const { vocab } = CharVocabulary.fromText(text);
  const spec: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 2, hidden: 24, embed: 0, vocabSize: vocab.size, peephole: false, coupled: false, residual: false };
  return await createModel(root, { name, spec, vocab: vocab.toJSON(), corpus: { files: ["corpus.txt"], chars: text.length, sha256: "x" } }, text);
}

function trainToEnd(driver: RunDriver): void {
  for (;;) if (driver.step().finished) break;
  driver.finish("done");
}

test("a run checkpoints every N steps, keeps the newest K and the best, and records metrics and samples", async () => {
  const root = tempDir();
  const modelDir = await newModel(root);
  const dir = await createRun(modelDir, options, plan(35, { sampleEvery: 20 }), null);
  const driver = RunDriver.open(modelDir, dir);
  assert.equal(driver.start.how, "fresh");
  assert.equal(readRunManifest(dir).state, "training");
  let evals = 0, improvements = 0;
  for (;;) {
    const o = driver.step();
    if (o.valLoss !== null) { evals++; if (o.improved) improvements++; }
    if (o.checkpoint) assert.equal(o.report.step % 10, 0);
    if (o.finished) break;
  }
  const end = driver.finish("done");
  assert.equal(evals, 7);
  assert.ok(improvements >= 1);
  const m = readRunManifest(dir);
  assert.equal(m.state, "done");
  assert.equal(m.step, 35);
  const stored = listModels(root)[0];
  assert.deepEqual(stored.runs[0].checkpoints.map((c) => c.step), [30, 35], "the newest two periodic checkpoints");
  assert.equal(latestCheckpoint(stored)!.path, end.checkpoint);
  const best = loadCheckpoint(bestCheckpointPath(dir));
  assert.equal(best.training!.bestValLoss, m.bestValLoss, "best.safetensors holds the model with the best validation loss");
  assert.ok(m.bestValLoss! <= Math.min(...readFileSync(metricsPath(dir), "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((r) => r.type === "eval").map((r) => r.val_loss)));
  // sampleEvery 20 gives one sample in 35 steps: the run also samples at the first steps past 25, 50
  // and 75 % of its budget (⌈8.75⌉, ⌈17.5⌉, ⌈26.25⌉) and at its end
  const sampled = [...readFileSync(samplesPath(dir), "utf8").matchAll(/^--- step (\d+) ---$/gm)].map((x) => Number(x[1]));
  assert.deepEqual(sampled, [9, 18, 20, 27, 35]);
  assert.equal(end.sample !== null, true, "the last sample is returned for the host to show");
  assert.equal(stored.runs[0].interrupted, false);
  assert.equal(existsSync(join(dir, "run.lock")), false, "the lock is released at the end");
});

test("a run long enough for four samples at sampleEvery samples only there (no extra at the end's step), and sampleEvery 0 never", async () => {
  const root = tempDir();
  const modelDir = await newModel(root);
  for (const [sampleEvery, expected] of [[10, [10, 20, 30, 40]], [0, []]] as const) {
    const dir = await createRun(modelDir, options, plan(40, { sampleEvery, evalEvery: 0, checkpointEvery: 0 }), null);
    const driver = RunDriver.open(modelDir, dir);
    while (!driver.step().finished) { /* train to the budget */ }
    const end = driver.finish("done");
    const sampled = existsSync(samplesPath(dir)) ? [...readFileSync(samplesPath(dir), "utf8").matchAll(/^--- step (\d+) ---$/gm)].map((x) => Number(x[1])) : [];
    assert.deepEqual(sampled, expected, `sampleEvery ${sampleEvery}`);
    assert.equal(end.sample, null);
  }
});

test("a run interrupted by a crash continues from its last checkpoint exactly as if it never stopped", async () => {
  const root = tempDir();
  const steps = 37;
  const straight = await createRun(await newModel(root, "a"), options, plan(steps), null);
  const a = RunDriver.open(join(root, "a"), straight);
  trainToEnd(a);

  const crashed = await createRun(await newModel(root, "b"), options, plan(steps), null);
  const b = RunDriver.open(join(root, "b"), crashed);
  for (let k = 0; k < 24; k++) b.step(); // checkpoint at 20; steps 21–24 are lost
  b.trainer.dispose(); // the process dies: no finish, the lock and "training" state stay behind
  writeFileSync(join(crashed, "run.lock"), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), since: "then" })); // a pid that is gone
  const listed = listModels(root).find((m) => m.dir.endsWith("b"))!;
  assert.equal(listed.runs[0].interrupted, true, "the explorer sees an interrupted run");

  const resumed = RunDriver.open(join(root, "b"), crashed);
  assert.deepEqual(resumed.start, { how: "resumed", step: 20 });
  trainToEnd(resumed);
  const pa = loadCheckpoint(latestCheckpoint(listModels(root).find((m) => m.dir.endsWith("a"))!)!.path);
  const pb = loadCheckpoint(latestCheckpoint(listModels(root).find((m) => m.dir.endsWith("b"))!)!.path);
  assert.equal(pb.training!.step, steps);
  assert.deepEqual(pb.params, pa.params, "bit-identical parameters");
  assert.deepEqual(pb.training!.moment2, pa.training!.moment2);
  const stepsIn = (dir: string) => readFileSync(metricsPath(dir), "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((r) => r.type === "step");
  assert.deepEqual(stepsIn(crashed).map((r) => r.step), stepsIn(straight).map((r) => r.step), "metrics hold each step once");
  assert.deepEqual(stepsIn(crashed).map((r) => r.loss), stepsIn(straight).map((r) => r.loss));
});

test("Continue Training: a new run from another run's checkpoint continues its optimizer state", async () => {
  const root = tempDir();
  const modelDir = await newModel(root);
  const first = await createRun(modelDir, options, plan(20), null);
  trainToEnd(RunDriver.open(modelDir, first));
  const from = latestCheckpoint(listModels(root)[0])!;
  const second = await createRun(modelDir, { ...options, lr: 1 }, plan(5), { run: from.run.manifest!.id, checkpoint: from.path, step: from.step });
  const d = RunDriver.open(modelDir, second);
  assert.deepEqual(d.start, { how: "continued", step: 20 });
  assert.equal(d.trainer.options.lr, options.lr, "a continued run keeps the checkpoint's settings");
  trainToEnd(d);
  assert.equal(readRunManifest(second).step, 25, "the budget counts from where it started");
});

test("one writer per run folder: a live lock refuses a second trainer with a clear message", async () => {
  const root = tempDir();
  const modelDir = await newModel(root);
  const dir = await createRun(modelDir, options, plan(5), null);
  // another live process (here the test runner, standing in for a second VS Code window) holds it
  writeFileSync(join(dir, "run.lock"), JSON.stringify({ pid: process.ppid, host: hostname(), since: "now" }));
  assert.throws(() => RunDriver.open(modelDir, dir), (e: Error) => e instanceof StoreError && /another window or process \(pid \d+/.test(e.message));
  assert.equal(readRunManifest(dir).state, "queued", "the refused open changed nothing");
  rmSync(join(dir, "run.lock"));
  acquireRunLock(dir);
  acquireRunLock(dir); // the same process may take it again
  releaseRunLock(dir);
  assert.equal(existsSync(join(dir, "run.lock")), false);
});

test("damaged, newer-format and half-written entries are listed with their error, never thrown", async () => {
  const root = tempDir();
  const good = await newModel(root, "good");
  await createRun(good, options, plan(5), null);
  const broken = await newModel(root, "broken");
  writeFileSync(join(broken, "model.json"), "{ not json");
  const newer = await newModel(root, "newer");
  const run = await createRun(newer, options, plan(5), null);
  writeFileSync(runManifestPath(run), JSON.stringify({ ...readRunManifest(run), version: 99 }));
  const models = listModels(root);
  assert.deepEqual(models.map((m) => m.dir.split("/").pop()), ["broken", "good", "newer"]);
  assert.match(models[0].error!, /not valid JSON/);
  assert.equal(models[1].error, null);
  assert.match(models[2].runs[0].error!, /newer RNN Lab \(format 99/);
  assert.throws(() => RunDriver.open(newer, run), /newer RNN Lab/);
});

test("a runs folder that cannot be written is refused with a message that says so", async () => {
  // (chmod cannot stop root, who runs CI: a file where the folder should be fails the same way)
  const file = join(tempDir(), "not-a-folder");
  writeFileSync(file, "");
  assert.throws(() => acquireRunLock(file), (e: Error) => e instanceof StoreError && /cannot write in .*not-a-folder \(ENOTDIR\); is the workspace read-only\?/.test(e.message));
});

test("folder names keep letters of any script and drop the rest", async () => {
  assert.equal(slug("唐诗 三百首.txt / lstm"), "唐诗-三百首.txt-lstm");
  assert.equal(slug("../../etc"), "etc");
  assert.equal(slug("///"), "model");
});
