// What the editor side of classification, tagging and segmentation computes before it draws: the
// preview of a labelled file (columns, classes and tags with their counts, counted here by plain
// loops), the classification report's records per confusion-matrix cell, a record's mark, tag spans
// in UTF-16 columns (astral characters are two), attribution colours and completeness, and the
// checks the host runs on a worker's predictions.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { InputError } from "../../src/engine/messages/inputError";
import { cellRecords, classificationReportData } from "../../src/engine/insight/classificationReportData";
import { codePointOffsets, rankedClasses, recordMark, tagScheme, tagSpans } from "../../src/engine/insight/textTaskMarks";
import { previewLabelledText } from "../../src/engine/tasks/labelledPreview";
import { attributionColour, completeness, isAttributionResult, isClassPredictions, isTagPredictions } from "../../src/protocol/textPredictions";
import { isTextTaskReply, isTextTaskRequest } from "../../src/protocol/textTaskWorker";
import { isToTrainingWorker, isTrainingEvent } from "../../src/protocol/trainingWorker";

const oneLine = (pattern: RegExp) => (e: unknown) => e instanceof InputError && pattern.test(e.message) && !e.message.includes("\n");

describe("labelled file preview", () => {
  test("classification CSV: default columns, classes sorted with their counts, lengths in code points", () => {
    const csv = 'text,label\n"good, very",pos\n今天是个好日子,pos\nbad,neg\n"so ""so""",neu\n';
    const p = previewLabelledText(csv, "r.csv", "classify");
    assert.deepEqual(p.columns, ["text", "label"]);
    assert.deepEqual([p.textColumn, p.labelColumn, p.records], ["text", "label", 4]);
    assert.deepEqual(p.labels, [{ name: "neg", count: 1 }, { name: "neu", count: 1 }, { name: "pos", count: 2 }]);
    assert.deepEqual(p.length, { min: 3, max: 10, mean: (10 + 7 + 3 + 7) / 4 });
  });

  test("classification: columns left to choose when a default is missing, then read with the chosen ones", () => {
    const csv = "review,stars,id\nfine,5,1\nbad,1,2\nok,5,3\n";
    const ask = previewLabelledText(csv, "r.csv", "classify");
    assert.deepEqual([ask.columns, ask.textColumn, ask.labelColumn, ask.labels], [["review", "stars", "id"], null, null, []]);
    const p = previewLabelledText(csv, "r.csv", "classify", { textColumn: "review", labelColumn: "stars" });
    assert.deepEqual(p.labels, [{ name: "1", count: 1 }, { name: "5", count: 2 }]);
    const jsonl = '{"sentence": "a", "label": "x"}\n{"sentence": "b", "label": "y"}\n';
    assert.deepEqual(previewLabelledText(jsonl, "r.jsonl", "classify").columns, ["sentence", "label"]);
    assert.equal(previewLabelledText(jsonl, "r.jsonl", "classify").textColumn, null);
  });

  test("tagging and segmentation: the tag set with characters per tag", () => {
    const conll = "北\tB-LOC\n京\tI-LOC\n好\tO\n\n上\tB-LOC\n";
    const p = previewLabelledText(conll, "t.conll", "tag");
    assert.deepEqual([p.format, p.records, p.labels], ["conll", 2, [{ name: "B-LOC", count: 2 }, { name: "I-LOC", count: 1 }, { name: "O", count: 1 }]]);
    const seg = previewLabelledText("今天 是 个 好日子\n我 爱 北京\n", "s.txt", "segment");
    // B/M/E/S counted by hand: 今天 B E, 是 S, 个 S, 好日子 B M E; 我 S, 爱 S, 北京 B E
    assert.deepEqual(seg.labels, [{ name: "B", count: 3 }, { name: "E", count: 3 }, { name: "M", count: 1 }, { name: "S", count: 4 }]);
    assert.deepEqual(seg.length, { min: 4, max: 7, mean: 5.5 });
  });

  test("bad data: the reader's one-line error", () => {
    assert.throws(() => previewLabelledText("text,label\nx,a\ny,a\n", "r.csv", "classify"), oneLine(/^r\.csv: every record has the label "a"/));
    assert.throws(() => previewLabelledText("北\n", "t.conll", "tag"), oneLine(/^t\.conll:1: one column/));
    assert.throws(() => previewLabelledText("x", "r.txt", "classify"), oneLine(/^r\.txt: cannot tell its format/));
    assert.throws(() => previewLabelledText('{"text": 1\n', "r.jsonl", "classify"), oneLine(/^r\.jsonl:1: not a JSON object/));
  });
});

describe("classification report data", () => {
  test("records per cell partition the records and match the confusion counts", () => {
    const classes = ["a", "b", "c"];
    const truth = [0, 0, 1, 2, 2, 1, 0, 2], pred = [0, 1, 1, 2, 0, 1, 2, 2];
    const records = truth.map((t, i) => ({ text: `r${i}${"x".repeat(200)}`, label: classes[t], line: 10 + i }));
    const probs = pred.map((p) => classes.map((_, c) => (c === p ? 0.7 : 0.15)));
    const d = classificationReportData("t", "f.csv", classes, records, probs);
    assert.equal(d.accuracy, 5 / 8); // right at 0, 2, 3, 5 and 7
    let total = 0;
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      const expected = truth.map((t, r) => (t === i && pred[r] === j ? 10 + r : -1)).filter((l) => l > 0);
      assert.deepEqual(cellRecords(d, i, j).map((r) => r.line), expected);
      assert.equal(d.confusion[i][j], expected.length);
      total += expected.length;
    }
    assert.equal(total, 8);
    assert.equal(d.records[0].confidence, 0.7);
    assert.equal(Array.from(d.records[0].text).length, 160, "long texts are cut for the list");
    assert.throws(() => classificationReportData("t", "f.csv", classes, [{ text: "x", label: "z", line: 4 }], [[1, 0, 0]]), oneLine(/^f\.csv:4: the label "z" is not one of the model's classes \(a, b, c\)$/));
  });
});

describe("editor marks", () => {
  test("a record's label, confidence and verdict; the hover's ranking", () => {
    assert.deepEqual(recordMark(["neg", "pos"], [0.2, 0.8], "neg"), { label: "pos", confidence: 0.8, wrong: true, truth: "neg" });
    assert.equal(recordMark(["neg", "pos"], [0.2, 0.8], null).wrong, false, "an unlabelled record is never wrong");
    assert.deepEqual(rankedClasses(["a", "b", "c"], [0.25, 0.5, 0.25]).map((r) => r.label), ["b", "a", "c"]);
  });

  test("tag spans in UTF-16 columns: words, BIO chunks, runs; astral characters count two", () => {
    assert.deepEqual(codePointOffsets("a😀b"), [0, 1, 3, 4]);
    assert.equal(tagScheme(["B", "E", "S"]), "words");
    assert.equal(tagScheme(["B-PER", "I-PER", "O"]), "chunks");
    assert.equal(tagScheme(["NOUN", "VERB"]), "plain");
    assert.deepEqual(tagSpans("今天😀好", ["B", "E", "S", "S"], 5), [{ start: 5, end: 7, type: "" }, { start: 7, end: 9, type: "" }, { start: 9, end: 10, type: "" }]);
    assert.deepEqual(tagSpans("Ann 😀 Lee", ["B-PER", "I-PER", "I-PER", "O", "O", "O", "B-LOC", "I-LOC", "I-LOC"]), [{ start: 0, end: 3, type: "PER" }, { start: 7, end: 10, type: "LOC" }]);
    assert.deepEqual(tagSpans("abcd", ["N", "N", "O", "V"]), [{ start: 0, end: 2, type: "N" }, { start: 3, end: 4, type: "V" }]);
    assert.throws(() => tagSpans("ab", ["S"]), /1 tags for 2 characters/);
  });

  test("attribution colours and completeness", () => {
    assert.equal(attributionColour(2, 2), "rgba(230, 40, 40, 0.600)");
    assert.equal(attributionColour(-1, 2), "rgba(40, 90, 230, 0.300)");
    assert.equal(attributionColour(0, 0), "rgba(230, 40, 40, 0.000)");
    const c = completeness([0.5, -0.25, 1], 2.3, 1.05);
    assert.equal(c.sum, 1.25);
    assert.ok(Math.abs(c.difference - 1.25) < 1e-12 && c.relativeError < 1e-12);
  });

  test("the host's checks of a worker's predictions", () => {
    assert.ok(isClassPredictions({ task: "classify", classes: ["a", "b"], records: [{ line: 2, truth: "a", probabilities: [0.4, 0.6] }] }));
    assert.ok(!isClassPredictions({ task: "classify", classes: ["a", "b"], records: [{ line: 2, truth: "a", probabilities: [1] }] }), "one probability per class");
    assert.ok(!isClassPredictions({ task: "classify", classes: ["a", "b"], records: [{ line: 0, truth: null, probabilities: [0.5, 0.5] }] }), "lines from 1");
    assert.ok(isTagPredictions({ task: "segment", tags: ["B", "E", "M", "S"], sequences: [{ line: 1, column: 0, tags: ["B", "E"] }] }));
    assert.ok(!isTagPredictions({ task: "tag", tags: ["O"], sequences: [{ line: 1, column: 0, tags: ["X"] }] }), "a tag outside the set");
    const a = { chars: ["a", "b"], classes: ["n", "p"], target: 1, probabilities: [0.3, 0.7], gradientTimesInput: [0.1, 0.2], integratedGradients: [0.1, 0.3], steps: 50, logit: 1, baselineLogit: 0.6 };
    assert.ok(isAttributionResult(a));
    assert.ok(!isAttributionResult({ ...a, integratedGradients: [0.1] }), "one attribution per character");
    assert.ok(!isAttributionResult({ ...a, target: 2 }));
  });
});

describe("the text-task worker's and the training worker's checks", () => {
  test("requests: lines from 1, non-empty texts within the cap, steps 1 to 1024; anything else refused", () => {
    assert.ok(isTextTaskRequest({ type: "predictLines", id: 1, checkpoint: "m.safetensors", lines: [{ line: 1, column: 0, text: "今天" }] }));
    assert.ok(!isTextTaskRequest({ type: "predictLines", id: 1, checkpoint: "m.safetensors", lines: [{ line: 0, column: 0, text: "x" }] }));
    assert.ok(!isTextTaskRequest({ type: "predictLines", id: 1, checkpoint: "m.safetensors", lines: [{ line: 1, column: 0, text: "" }] }));
    assert.ok(isTextTaskRequest({ type: "explain", id: 2, checkpoint: "m.safetensors", text: "good", steps: 32 }));
    assert.ok(!isTextTaskRequest({ type: "explain", id: 2, checkpoint: "m.safetensors", text: "good", steps: 0 }));
    assert.ok(!isTextTaskRequest({ type: "explain", id: 2, checkpoint: "m.safetensors", text: "x".repeat(5000), steps: 32 }));
    assert.ok(!isTextTaskRequest({ type: "delete", id: 3, checkpoint: "m.safetensors" }));
  });

  test("replies: a report's matrix square and its records' classes in range", () => {
    const report = { title: "t", file: "f.csv", classes: ["a", "b"], accuracy: 1, macroF1: 1, weightedF1: 1, perClass: [{}, {}], confusion: [[1, 0], [0, 1]], records: [{ line: 2, text: "x", truth: 0, predicted: 0, confidence: 0.9 }] };
    assert.ok(isTextTaskReply({ id: 1, ok: true, result: { type: "report", report } }));
    assert.ok(!isTextTaskReply({ id: 1, ok: true, result: { type: "report", report: { ...report, confusion: [[1, 0]] } } }));
    assert.ok(!isTextTaskReply({ id: 1, ok: true, result: { type: "report", report: { ...report, records: [{ line: 2, text: "x", truth: 2, predicted: 0, confidence: 1 }] } } }));
    assert.ok(isTextTaskReply({ id: 1, ok: false, message: "m.safetensors is a tagger" }));
    assert.ok(isTextTaskReply({ id: 1, ok: true, result: { type: "describe", kind: "segment", names: ["B", "E", "M", "S"], description: "GRU 1×16" } }));
    assert.ok(!isTextTaskReply({ id: 1, ok: true, result: { type: "describe", kind: "forecast", names: [], description: "" } }));
  });

  test("the training worker's textTask command and events", () => {
    const request = { kind: "classify", data: "r.csv", bidirectional: true, cell: "gru", layers: 1, hidden: 16, seconds: 4, out: "o.safetensors" };
    assert.ok(isToTrainingWorker({ type: "textTask", request }));
    assert.ok(!isToTrainingWorker({ type: "textTask", request: { ...request, seconds: 0 } }));
    assert.ok(!isToTrainingWorker({ type: "textTask", request: { ...request, kind: "forecast" } }));
    assert.ok(isTrainingEvent({ type: "textTaskEval", step: 10, valLoss: 1, valAccuracy: 0.5, valF1: 0.4, improved: true, fraction: 0.1 }));
    assert.ok(!isTrainingEvent({ type: "textTaskEval", step: 10, valLoss: 1, valAccuracy: 0.5, valF1: "0.4", improved: true, fraction: 0.1 }));
    assert.ok(isTrainingEvent({ type: "textTaskStarted", description: "GRU", params: 10, names: ["a", "b"], counts: [1, 2], trainRecords: 3, valRecords: 1, truncated: 0 }));
    assert.ok(!isTrainingEvent({ type: "textTaskStarted", description: "GRU", params: 10, names: ["a", "b"], counts: [1], trainRecords: 3, valRecords: 1, truncated: 0 }), "a count per name");
  });
});
