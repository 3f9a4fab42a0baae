// The one training loop (training/trainingSession.ts), driven as the CLI and the run folder drive
// it: the budget in steps, seconds and epochs counted from the session's start; validation, samples
// and checkpoints when they fall due; keep-best exactly when a validation beats every one before it
// (checked against the losses the output saw); the end of a run that spent its budget (one more
// validation, a last sample) and of one stopped early (the checkpoint at once, nothing else). And the
// CLI on top of it: the final validation's `eval` line, and --window as the same setting as --seq.

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { Model, decodeCheckpoint } from "../../src/engine/files/checkpoint";
import { ModelSpec } from "../../src/engine/model/modelSpec";
import { DEFAULT_TRAIN_OPTIONS, TrainOptions } from "../../src/engine/training/trainOptions";
import { Trainer, splitCorpus } from "../../src/engine/training/trainer";
import { SessionOutput, SessionPlan, TrainingSession } from "../../src/engine/training/trainingSession";
import { bundledCorpus, jsonLines, runCli, tempDir } from "../helpers";

const text = readFileSync(bundledCorpus, "utf8").slice(0, 12000);
const { vocab } = CharVocabulary.fromText(text);
const data = vocab.encode(text);
const spec: ModelSpec = { cell: "gru", nonlinearity: "tanh", layers: 1, hidden: 16, embed: 0, vocabSize: vocab.size, peephole: false, coupled: false, residual: false };
const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, batch: 8, seq: 16, valFraction: 0.1 };
const corpus = { files: ["mem"], sha256: "x", chars: data.length, trainChars: 0 };
const trainer = () => new Trainer(spec, vocab, splitCorpus(data, options.valFraction), options, corpus);
const plan = (extra: Partial<SessionPlan>): SessionPlan => ({ budget: {}, evalEvery: 0, sampleEvery: 0, sampleLength: 20, checkpointEvery: 0, tensorNorms: false, ...extra });

/** An output that remembers everything it was given. */
function spy() {
  const log = { checkpoints: [] as number[], best: [] as number[], validations: [] as { step: number; loss: number; improved: boolean }[], samples: [] as number[] };
  const output: SessionOutput = {
    saveCheckpoint: (model: Model, step: number) => { log.checkpoints.push(step); assert.equal(model.training!.step, step); return `step-${step}`; },
    saveBest: (model: Model) => { log.best.push(model.training!.step); },
    onValidation: (step, v) => { log.validations.push({ step, loss: v.loss, improved: v.improved }); assert.equal(v.metrics.val_loss, v.loss); },
    onSample: (step) => { log.samples.push(step); },
  };
  return { log, output };
}

describe("TrainingSession", () => {
  test("a steps budget counts from the session's start; validation, samples and checkpoints fall due on their steps", () => {
    const t = trainer();
    for (let k = 0; k < 3; k++) t.trainStep(); // a session that starts at step 3 (a resumed run)
    const { log, output } = spy();
    const s = new TrainingSession(t, plan({ budget: { steps: 12 }, evalEvery: 4, sampleEvery: 3, checkpointEvery: 6 }), output);
    let outcomes = 0;
    while (!s.budgetSpent) { s.step(); outcomes++; }
    assert.equal(outcomes, 12);
    assert.equal(t.step, 15);
    assert.deepEqual(log.validations.map((v) => v.step), [4, 8, 12]);
    assert.deepEqual(log.samples, [6, 9, 12, 15], "every 3 steps (4 samples in the budget: no milestones)");
    assert.deepEqual(log.checkpoints, [6, 12]);
    t.dispose();
  });

  test("keep-best keeps exactly the models whose validation beat every earlier one", () => {
    const t = trainer();
    const { log, output } = spy();
    const s = new TrainingSession(t, plan({ budget: { steps: 30 }, evalEvery: 3 }), output);
    while (!s.budgetSpent) s.step();
    let best = Infinity;
    const expected: number[] = [];
    for (const v of log.validations) if (v.loss < best) { best = v.loss; expected.push(v.step); }
    assert.ok(expected.length >= 2, "the loss falls at least once after the first validation");
    assert.deepEqual(log.best, expected);
    assert.deepEqual(log.validations.filter((v) => v.improved).map((v) => v.step), expected);
    assert.equal(t.bestValLoss, best);
    t.dispose();
  });

  test("an epochs budget ends at the epoch boundary, with the fraction at 1", () => {
    const t = trainer();
    const s = new TrainingSession(t, plan({ budget: { epochs: 1 } }), spy().output);
    const fractions: number[] = [];
    while (!s.budgetSpent) { s.step(); fractions.push(s.fraction); }
    assert.equal(t.step, t.batches.batchesPerEpoch);
    assert.equal(t.epoch, 1);
    assert.equal(fractions[fractions.length - 1], 1);
    assert.ok(fractions.every((f, i) => i === 0 || f > fractions[i - 1]), "the fraction grows every step");
    t.dispose();
  });

  test("a seconds budget counts the session's own time, from its start", () => {
    const t = trainer();
    t.elapsedSeconds = 1000; // resumed after 1000 s of earlier training: those do not count
    const s = new TrainingSession(t, plan({ budget: { seconds: 0.2 } }), spy().output);
    const started = performance.now();
    while (!s.budgetSpent) s.step();
    const wall = (performance.now() - started) / 1000;
    assert.ok(s.seconds >= 0.2 && s.seconds <= wall + 1e-6, `${s.seconds} s counted, ${wall} s passed`);
    t.dispose();
  });

  test("done: one more validation and a last sample, then the checkpoint; stopped: the checkpoint only", () => {
    for (const how of ["done", "stopped"] as const) {
      const t = trainer();
      const { log, output } = spy();
      const s = new TrainingSession(t, plan({ budget: { steps: 9 }, evalEvery: 5, sampleEvery: 2 }), output);
      while (!s.budgetSpent) s.step();
      const end = s.finish(how);
      assert.deepEqual(log.checkpoints, [9], how);
      assert.equal(end.checkpoint, "step-9");
      if (how === "done") {
        assert.deepEqual(log.validations.map((v) => v.step), [5, 9]);
        assert.deepEqual(log.samples, [2, 4, 6, 8, 9]);
        assert.equal(end.valLoss, log.validations[1].loss);
        assert.equal(typeof end.sample, "string");
      } else {
        assert.deepEqual(log.validations.map((v) => v.step), [5], "no validation after a stop");
        assert.deepEqual(log.samples, [2, 4, 6, 8], "no sample after a stop");
        assert.equal(end.valLoss, log.validations[0].loss, "the last validation stands");
        assert.equal(end.sample, null);
      }
      t.dispose();
    }
  });

  test("done on a step that has just validated: no second validation of the same model, and the end's loss is that validation's", () => {
    const t = trainer();
    const { log, output } = spy();
    const s = new TrainingSession(t, plan({ budget: { steps: 10 }, evalEvery: 5 }), output);
    while (!s.budgetSpent) s.step();
    const end = s.finish("done");
    assert.deepEqual(log.validations.map((v) => v.step), [5, 10], "step 10 validated once");
    assert.equal(end.valLoss, log.validations[1].loss);
    assert.deepEqual(log.checkpoints, [10]);
    t.dispose();
  });
});

describe("the CLI on the session", () => {
  const dir = tempDir("rnnlab-session-");
  const file = join(dir, "c.txt");
  writeFileSync(file, text);
  const SMALL = ["--layers", "1", "--hidden", "16", "--batch", "4", "--eval-every", "0", "--seed", "3"];

  test("--json: the end of a run that spent its budget has its final validation as an eval line", () => {
    const r = runCli(["train", file, ...SMALL, "--seq", "16", "--steps", "6", "--out", join(dir, "a.safetensors"), "--json"]);
    assert.equal(r.status, 0, r.stderr);
    const lines = jsonLines(r.stdout);
    const evals = lines.filter((l) => l.type === "eval");
    const summary = lines[lines.length - 1];
    assert.equal(evals.length, 1);
    assert.equal(evals[0].step, 6);
    assert.equal(evals[0].val_loss, summary.val_loss);
    assert.ok(Math.abs((evals[0].val_bits_per_char as number) - (summary.val_loss as number) / Math.LN2) < 1e-12);
    assert.equal(lines.filter((l) => l.type === "progress").at(-1)!.step, 6, "the last step has a progress line");
  });

  test("--json: a run whose last step falls on --eval-every has one eval line for it, not two", () => {
    const r = runCli(["train", file, ...SMALL.filter((a, i, all) => a !== "--eval-every" && all[i - 1] !== "--eval-every"), "--eval-every", "3", "--seq", "16", "--steps", "6", "--out", join(dir, "e.safetensors"), "--json"]);
    assert.equal(r.status, 0, r.stderr);
    const evals = jsonLines(r.stdout).filter((l) => l.type === "eval");
    assert.deepEqual(evals.map((l) => l.step), [3, 6]);
  });

  test("--window N is --seq N: the same run bit for bit; both at once, or --window on --resume, are refused", () => {
    const a = join(dir, "seq.safetensors"), b = join(dir, "window.safetensors");
    assert.equal(runCli(["train", file, ...SMALL, "--seq", "12", "--steps", "5", "--out", a]).status, 0);
    const r = runCli(["train", file, ...SMALL, "--window", "12", "--steps", "5", "--out", b]);
    assert.equal(r.status, 0, r.stderr);
    const ma = decodeCheckpoint(readFileSync(a)), mb = decodeCheckpoint(readFileSync(b));
    assert.equal(mb.training!.options.seq, 12);
    assert.deepEqual(mb.params, ma.params);
    const both = runCli(["train", file, ...SMALL, "--seq", "12", "--window", "12", "--steps", "5", "--out", join(dir, "c.safetensors")]);
    assert.equal(both.status, 2);
    assert.match(both.stderr, /^rnn-lab: error: give --window or --seq/m);
    const resumed = runCli(["train", file, "--resume", a, "--window", "8", "--steps", "2"]);
    assert.equal(resumed.status, 2);
    assert.match(resumed.stderr, /--window cannot change when resuming/);
  });
});
