// The classification task end to end against scikit-learn (test/fixtures/generateTaskEvalFixtures.py):
// --class-weights balanced equals compute_class_weight("balanced"), and `rnn-lab eval --json` of a
// committed classifier on the example test file reports, for its own predictions, the accuracy, F1s,
// per-class scores and confusion matrix that classification_report and confusion_matrix give, and
// the loss and confidences PyTorch computes from the checkpoint's weights.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { balancedClassWeights } from "../../src/engine/tasks/classifyTask";
import { loadTextTaskModel } from "../../src/engine/tasks/textTaskModel";
import { expectClose, projectRoot, runCli } from "../helpers";

const fx = JSON.parse(readFileSync(join(projectRoot, "test", "fixtures", "taskEvalFixtures.json"), "utf8"));
const EXACT = { atol: 1e-12, rtol: 1e-12 };

describe("classification against scikit-learn, end to end", () => {
  test("balanced class weights equal compute_class_weight('balanced')", () => {
    for (const c of fx.class_weights.cases as { labels: number[]; classes: number; weights: number[] }[]) {
      expectClose(balancedClassWeights(c.labels, c.classes), c.weights, EXACT, `${c.labels.length} labels, ${c.classes} classes`);
    }
  });

  test("a classifier trained with --class-weights balanced keeps scikit-learn's weights of its training labels", () => {
    const m = loadTextTaskModel(join(projectRoot, fx.eval.checkpoint));
    assert.equal(m.kind, "classify");
    assert.deepEqual(m.names, fx.class_weights.file_classes);
    const meta = (m.task as { meta: { classWeights: number[] | null } }).meta;
    expectClose(meta.classWeights!, fx.class_weights.file_weights, EXACT, "class weights of sentence-mood.csv");
  });

  test("eval --json: its predictions are the committed ones, and every number is classification_report's and confusion_matrix's", () => {
    const r = runCli(["eval", join(projectRoot, fx.eval.checkpoint), join(projectRoot, fx.eval.file), "--json"]);
    assert.equal(r.status, 0, r.stderr);
    const e = JSON.parse(r.stdout);
    assert.deepEqual(e.labels, fx.eval.labels);
    assert.deepEqual(e.predictions.map((p: { truth: string }) => p.truth), fx.eval.truth);
    assert.deepEqual(e.predictions.map((p: { predicted: string }) => p.predicted), fx.eval.predicted, "the committed checkpoint predicts what it did when the fixture was made");
    assert.equal(e.records, fx.eval.truth.length);
    assert.deepEqual(e.confusion, fx.eval.confusion);
    expectClose([e.accuracy, e.macro_f1, e.weighted_f1], [fx.eval.accuracy, fx.eval.macro_f1, fx.eval.weighted_f1], EXACT, "accuracy, macro and weighted F1");
    assert.deepEqual(e.per_class.map((c: { label: string }) => c.label), fx.eval.per_class.map((c: { label: string }) => c.label));
    e.per_class.forEach((c: { label: string; precision: number; recall: number; f1: number; support: number }, k: number) => {
      const s = fx.eval.per_class[k];
      expectClose([c.precision, c.recall, c.f1, c.support], [s.precision, s.recall, s.f1, s.support], EXACT, `class ${c.label}`);
    });
  });

  test("eval --json: the loss (mean nats per record) and each record's confidence are PyTorch's for the checkpoint's weights", () => {
    const r = runCli(["eval", join(projectRoot, fx.eval.checkpoint), join(projectRoot, fx.eval.file), "--json"]);
    assert.equal(r.status, 0, r.stderr);
    const e = JSON.parse(r.stdout);
    const probs = fx.eval.torch_probabilities as number[][];
    // the core runs in float32; PyTorch here in float64 on the same float32 weights
    expectClose([e.loss], [fx.eval.torch_loss], { atol: 1e-6, rtol: 1e-5 }, "loss");
    expectClose(e.predictions.map((p: { confidence: number }) => p.confidence), probs.map((p) => Math.max(...p)), { atol: 1e-6, rtol: 1e-5 }, "confidence");
  });
});
