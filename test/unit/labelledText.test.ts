// Labelled text for classification, tagging and segmentation: the formats, and one line naming the
// file and line for every kind of bad input; the metrics against scikit-learn, conlleval's counting
// and the SIGHAN scorer's words (test/fixtures/generateTaskMetricFixtures.py).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { InputError } from "../../src/engine/messages/inputError";
import { formatFromName, parseClassificationData, parseTaggingData, splitValidation, tagsToWords, wordsToTags } from "../../src/engine/tasks/labelledText";
import { chunks, classificationReport, spanReport } from "../../src/engine/tasks/taskMetrics";
import { expectClose, projectRoot } from "../helpers";

const oneLine = (pattern: RegExp) => (e: unknown) => e instanceof InputError && pattern.test(e.message) && !e.message.includes("\n");

describe("labelled text files", () => {
  test("classification from CSV: RFC 4180 quoting, labels as strings, classes sorted by code point", () => {
    const csv = 'id,text,label\n1,"good, really good",pos\n2,"she said ""no""\nand left",neg\n3,今天是个好日子,pos\n';
    const d = parseClassificationData(csv, "r.csv", { format: "csv" });
    assert.deepEqual(d.records.map((r) => [r.text, r.label, r.line]), [["good, really good", "pos", 2], ['she said "no"\nand left', "neg", 3], ["今天是个好日子", "pos", 5]]);
    assert.deepEqual(d.classes, ["neg", "pos"]);
    const jsonl = '{"text": "a", "label": 1}\n\n{"text": "b", "label": 0}\n';
    assert.deepEqual(parseClassificationData(jsonl, "r.jsonl", { format: "jsonl" }).records.map((r) => [r.label, r.line]), [["1", 1], ["0", 3]]);
  });

  test("classification: other columns by name; every bad input is one line with file and line", () => {
    assert.equal(parseClassificationData("review,stars\nfine,5\nbad,1\n", "r.csv", { format: "csv", textColumn: "review", labelColumn: "stars" }).classes.length, 2);
    assert.throws(() => parseClassificationData("review,stars\nx,1\n", "r.csv", { format: "csv" }), oneLine(/^r\.csv:1: no column "text"; the columns are "review", "stars" \(choose with --text-column\)$/));
    assert.throws(() => parseClassificationData("text,label\nok,a\n  ,b\n", "r.csv", { format: "csv" }), oneLine(/^r\.csv:3: the text is empty$/));
    assert.throws(() => parseClassificationData("text,label\nx,a\ny,a\n", "r.csv", { format: "csv" }), oneLine(/every record has the label "a"; a classifier needs at least two classes/));
    assert.throws(() => parseClassificationData("text,label\n" + Array.from({ length: 12 }, (_, i) => `t${i},c${i}`).join("\n"), "r.csv", { format: "csv", maxClasses: 10 }), oneLine(/12 different labels, more than the 10/));
    assert.throws(() => parseClassificationData('{"text": "a"}\n', "r.jsonl", { format: "jsonl" }), oneLine(/^r\.jsonl:1: no "label" field; the fields are "text"$/));
    assert.throws(() => parseClassificationData("{oops\n", "r.jsonl", { format: "jsonl" }), oneLine(/^r\.jsonl:1: not a JSON object/));
    assert.throws(() => formatFromName("data.txt", "classify"), oneLine(/cannot tell its format from the name; classification reads \.csv, \.tsv or \.jsonl/));
  });

  test("tagging from JSONL and CoNLL; a tag per code point (emoji and CJK are one each)", () => {
    const d = parseTaggingData('{"text": "北京😀", "tags": ["B-LOC", "I-LOC", "O"]}\n', "t.jsonl", "jsonl");
    assert.deepEqual(d.records[0].chars, ["北", "京", "😀"]);
    assert.throws(() => parseTaggingData('{"text": "北京😀", "tags": ["B-LOC", "O"]}\n', "t.jsonl", "jsonl"), oneLine(/^t\.jsonl:1: 2 tags for 3 characters/));
    const conll = "北\tB-LOC\n京\tI-LOC\n\n\n是\tO\n";
    const c = parseTaggingData(conll, "t.conll", "conll");
    assert.deepEqual(c.records.map((r) => [r.chars.join(""), r.line]), [["北京", 1], ["是", 5]]);
    assert.deepEqual(c.tags, ["B-LOC", "I-LOC", "O"]);
    assert.throws(() => parseTaggingData("北\tB-LOC\n京\n", "t.conll", "conll"), oneLine(/^t\.conll:2: one column; a CoNLL line is the character, a tab, and its tag$/));
  });

  test("segmentation: spaced words ⇄ B/M/E/S tags, round trip; a line of only spaces is refused", () => {
    const d = parseTaggingData("今天 是 个 好日子\n\n我们　去\n", "s.txt", "segmented");
    assert.deepEqual(d.records[0].tags, ["B", "E", "S", "S", "B", "M", "E"]);
    assert.deepEqual(d.records[1].tags, ["B", "E", "S"], "an ideographic space separates words too");
    assert.deepEqual(tagsToWords(d.records[0].chars, d.records[0].tags), ["今天", "是", "个", "好日子"]);
    assert.deepEqual(wordsToTags(["a", "bc"]).tags, ["S", "B", "E"]);
    assert.throws(() => parseTaggingData("今天 是\n   \n", "s.txt", "segmented"), oneLine(/^s\.txt:2: only spaces/));
  });

  test("validation split: seeded, stratified, every class keeps a training record", () => {
    const records = [...Array.from({ length: 90 }, (_, i) => ({ id: i, label: "a" })), ...Array.from({ length: 10 }, (_, i) => ({ id: 90 + i, label: "b" })), { id: 100, label: "c" }];
    const s1 = splitValidation(records, 0.2, 7, (r) => r.label), s2 = splitValidation(records, 0.2, 7, (r) => r.label);
    assert.deepEqual(s1, s2);
    assert.equal(s1.val.filter((r) => r.label === "a").length, 18);
    assert.equal(s1.val.filter((r) => r.label === "b").length, 2);
    assert.ok(s1.train.some((r) => r.label === "c"));
    assert.notDeepEqual(splitValidation(records, 0.2, 8, (r) => r.label).val, s1.val);
  });
});

const fx = JSON.parse(readFileSync(join(projectRoot, "test", "fixtures", "taskMetricFixtures.json"), "utf8"));

describe("task metrics against scikit-learn, conlleval and the SIGHAN scorer", () => {
  fx.classification.forEach((c: { classes: number; truth: number[]; predicted: number[]; accuracy: number; macro_f1: number; weighted_f1: number; per_class: { precision: number; recall: number; f1: number; support: number }[]; confusion: number[][] }, i: number) => {
    test(`classification case ${i + 1}: accuracy, macro and weighted F1, per-class scores and the confusion matrix equal scikit-learn's`, () => {
      const r = classificationReport(c.truth, c.predicted, c.classes);
      assert.deepEqual(r.confusion, c.confusion);
      expectClose([r.accuracy, r.macroF1, r.weightedF1], [c.accuracy, c.macro_f1, c.weighted_f1], { atol: 1e-12, rtol: 0 }, "summary");
      r.perClass.forEach((s, k) => expectClose([s.precision, s.recall, s.f1, s.support], [c.per_class[k].precision, c.per_class[k].recall, c.per_class[k].f1, c.per_class[k].support], { atol: 1e-12, rtol: 0 }, `class ${k}`));
    });
  });

  test("BIO chunks: precision, recall, F1 and the counts equal conlleval's", () => {
    const r = spanReport(fx.bio.truth_tags, fx.bio.predicted_tags, "chunks");
    assert.deepEqual([r.predicted, r.actual, r.correct], [fx.bio.predicted, fx.bio.actual, fx.bio.correct]);
    expectClose([r.accuracy, r.precision, r.recall, r.f1], [fx.bio.accuracy, fx.bio.precision, fx.bio.recall, fx.bio.f1], { atol: 1e-12, rtol: 0 }, "conlleval");
  });

  test("conlleval's rules by hand: I- after O starts a chunk; a type change ends one", () => {
    assert.deepEqual(chunks(["O", "I-PER", "I-PER", "I-LOC", "B-LOC", "O"]), [{ start: 1, end: 3, type: "PER" }, { start: 3, end: 4, type: "LOC" }, { start: 4, end: 5, type: "LOC" }]);
  });

  test("segmentation: word precision, recall and F1 equal the scorer's, counted from the words themselves", () => {
    const s = fx.segmentation;
    const r = spanReport(s.truth_tags, s.predicted_tags, "words");
    assert.deepEqual([r.predicted, r.actual, r.correct], [s.predicted_count, s.actual, s.correct]);
    expectClose([r.precision, r.recall, r.f1, r.accuracy], [s.precision, s.recall, s.f1, s.accuracy], { atol: 1e-12, rtol: 0 }, "SIGHAN");
  });
});
