// Classification, tagging and word segmentation of labelled files inside a real VS Code extension
// host: Train Classifier / Tagger / Word Segmenter on This File… from the explorer's menu, their
// preview of the classes with their counts (or the tag set) read by the corpus worker, the column
// picks when the default columns are missing, and a bad file's one-line error with nothing else
// asked; a classifier trained by the command in the training worker. Then the drawing of
// predictions, first fed in the shape the text-task worker returns (labels after each record's line
// with the wrong ones marked, the hover's class probabilities, the misclassified list jumping to a
// record, a segmenter's words and a tagger's spans, attribution colours), then from tiny models
// trained by rnn-lab on the bundled examples, checked against rnn-lab eval and predict.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as vscode from "vscode";
import type { RnnLabApi } from "../../../src/extension/extension";
import type { Shown } from "../../../src/extension/prompts";
import { until } from "./wait";

const EXTENSION_ID = "rnn-lab.rnn-lab";
let api: RnnLabApi;
const ws = () => vscode.workspace.workspaceFolders![0].uri.fsPath;

function file(name: string, text: string): vscode.Uri {
  const path = join(ws(), name);
  writeFileSync(path, text);
  return vscode.Uri.file(path);
}

/** Asks the runner (runInCodeServer.ts) for a screenshot of the window now, and gives it time to take it. */
async function screenshot(name: string): Promise<void> {
  await vscode.commands.executeCommand("notifications.clearAll"); // the errors earlier tests asked for are not part of the picture
  console.log(`screenshot: ${name}`);
  await new Promise((r) => setTimeout(r, 1500));
}

/** Runs a command answering each prompt in turn; returns what was shown. */
async function answered(command: string, uri: vscode.Uri, answers: ((s: Shown) => string | undefined)[]): Promise<Shown[]> {
  const from = api.prompts.shown.length;
  api.prompts.answer(...answers);
  await vscode.commands.executeCommand(command, uri);
  return api.prompts.shown.slice(from);
}

// 12 reviews of three classes (5 pos, 4 neg, 3 neu), one with a quoted comma and one in Chinese
const REVIEWS = ["text,label", '"good, really good",pos', "dull,neg", "fine,neu", "今天是个好日子,pos", "awful,neg", "great,pos", "meh,neu", "bad,neg", "superb,pos", "ok,neu", "terrible,neg", "lovely,pos"].join("\n") + "\n";

describe("Classify, tag and segment text in VS Code", () => {
  before(async () => {
    api = await vscode.extensions.getExtension<RnnLabApi>(EXTENSION_ID)!.activate();
  });

  it("Train Classifier on This File…: a preview of the classes with their counts, then cell, directions, size and budget", async () => {
    const csv = file("reviews.csv", REVIEWS);
    const shown = await answered("rnnLab.trainClassifier", csv, [(s) => s.items[0], () => "LSTM", () => "Both Directions", (s) => s.items[1], () => undefined]);
    const [preview, cell, directions, size, budget] = shown;
    assert.equal(preview.kind, "pick");
    assert.match(preview.text, /reviews\.csv: 12 records, 3 classes, 2–17 characters each/);
    assert.equal(cell.text, "RNN Lab: cell type");
    assert.deepEqual(cell.items, ["LSTM", "GRU", "RNN"]);
    assert.deepEqual(directions.items, ["Both Directions", "Left to Right Only"]);
    assert.equal(size.text, "RNN Lab: model size");
    assert.equal(budget.text, "RNN Lab: how long to train");
    assert.deepEqual(budget.items, ["1 minute", "5 minutes", "15 minutes"]);
    assert.equal(shown.length, 5, "Escape at the budget starts nothing");
  });

  it("the preview lists each class with its count and share; Escape there asks nothing more", async () => {
    const csv = file("reviews2.csv", REVIEWS);
    const shown = await answered("rnnLab.trainClassifier", csv, [() => undefined]);
    assert.equal(shown.length, 1);
    // classes in the checkpoint's order (sorted), counted by hand from REVIEWS
    assert.equal(shown[0].itemDetails?.[0], "neg 4 (33 %) · neu 3 (25 %) · pos 5 (42 %)");
  });

  it("columns are asked when the defaults are missing, the label column from those left", async () => {
    const csv = file("stars.csv", "id,review,stars\n1,fine,5\n2,bad,1\n3,good,5\n");
    const shown = await answered("rnnLab.trainClassifier", csv, [() => "review", () => "stars", () => undefined]);
    assert.match(shown[0].text, /which column of stars\.csv holds the text\?/);
    assert.deepEqual(shown[0].items, ["id", "review", "stars"]);
    assert.deepEqual(shown[1].items, ["id", "stars"]);
    assert.match(shown[2].text, /stars\.csv: 3 records, 2 classes, 3–4 characters each/);
    assert.deepEqual(shown[2].items, ["$(play) Continue", "Choose Other Columns…"]);
  });

  it("bad data: the reader's one-line error naming the file and line, and nothing else asked", async () => {
    const csv = file("one-class.csv", "text,label\nx,a\ny,a\n");
    const shown = await answered("rnnLab.trainClassifier", csv, []);
    assert.equal(shown.length, 1);
    assert.equal(shown[0].kind, "error");
    assert.match(shown[0].text, /^RNN Lab: cannot train on this file: one-class\.csv: every record has the label "a"; a classifier needs at least two classes$/);
    const conll = file("broken.conll", "北\tB-LOC\n京\n");
    const bad = await answered("rnnLab.trainTagger", conll, []);
    assert.match(bad[0].text, /^RNN Lab: cannot train on this file: broken\.conll:2: one column; a CoNLL line is the character, a tab, and its tag/);
  });

  it("Train Tagger on This File…: the tag set previewed from a CoNLL file", async () => {
    const conll = file("places.conll", "北\tB-LOC\n京\tI-LOC\n好\tO\n\n上\tB-LOC\n海\tI-LOC\n");
    const shown = await answered("rnnLab.trainTagger", conll, [() => undefined]);
    assert.match(shown[0].text, /places\.conll: 2 records, 3 tags, 2–3 characters each/);
    assert.deepEqual(shown[0].items, ["$(play) Continue"], "no columns to choose for tagging");
  });

  it("Train Word Segmenter on This File…: B/M/E/S from spaced words, then the same questions", async () => {
    const txt = file("sentences.txt", "今天 是 个 好日子\n我 爱 北京\n");
    const shown = await answered("rnnLab.trainSegmenter", txt, [(s) => s.items[0], () => "GRU", () => "Left to Right Only", (s) => s.items[0], () => undefined]);
    assert.match(shown[0].text, /sentences\.txt: 2 records, 4 tags, 4–7 characters each/);
    assert.deepEqual(shown.slice(1).map((x) => x.text), ["RNN Lab: cell type", "RNN Lab: read the text in both directions?", "RNN Lab: model size", "RNN Lab: how long to train"]);
  });

  it("predicted labels after each record's line, wrong ones marked; the hover's probabilities; the misclassified list opens a record's line", async () => {
    const csv = file("predicted.csv", REVIEWS);
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(csv));
    const classes = ["neg", "neu", "pos"];
    const truth = REVIEWS.trim().split("\n").slice(1).map((l) => l.slice(l.lastIndexOf(",") + 1));
    // right on every record but line 3 ("dull", neg), predicted pos with 70 %
    const records = truth.map((t, i) => ({ line: i + 2, truth: t, probabilities: classes.map((c) => (i === 1 ? (c === "pos" ? 0.7 : 0.15) : c === t ? 0.9 : 0.05)) }));
    api.textMarks.showClassPredictions(csv, { task: "classify", classes, records });
    const applied = api.textMarks.applied.get(csv.toString())!;
    assert.equal(applied.get("right")!.length, 11);
    assert.deepEqual(applied.get("wrong")!.map((r) => [r.start.line, r.start.character]), [[2, "dull,neg".length]], "at the end of line 3");
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", csv, new vscode.Position(2, 1));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === "string" ? c : (c as vscode.MarkdownString).value))).join("\n");
    assert.match(text, /class probabilities of the record at line 3/);
    assert.match(text, /\| pos \| 70 %[\s\S]*\| \*\*neg\*\* \(the file's label\) \| 15 %/, text);
    const shown = await answered("rnnLab.showMisclassified", csv, [(s) => s.items[0]]);
    assert.equal(shown[0].text, "RNN Lab: 1 misclassified records");
    assert.deepEqual(shown[0].items, ["line 3: neg → pos (70 %)"]);
    await until("the cursor at line 3", () => vscode.window.activeTextEditor?.selection.active.line === 2 || undefined);
    assert.equal(editor.document.uri.toString(), csv.toString());
    await screenshot("text-tasks-labels");
  });

  it("a segmenter's words outlined over the text (astral characters are two columns), a tagger's spans per tag, attributions red and blue", async () => {
    const txt = file("plain.txt", "今天是个好日子\n我爱😀北京\n");
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(txt));
    api.textMarks.showTagPredictions(txt, { task: "segment", tags: ["B", "E", "M", "S"], sequences: [
      { line: 1, column: 0, tags: ["B", "E", "S", "S", "B", "M", "E"] }, { line: 2, column: 0, tags: ["S", "S", "S", "B", "E"] },
    ] });
    const words = api.textMarks.applied.get(txt.toString())!.get("words")!;
    assert.deepEqual(words.map((r) => `${r.start.line}:${r.start.character}-${r.end.character}`).sort(), ["0:0-2", "0:2-3", "0:3-4", "0:4-7", "1:0-1", "1:1-2", "1:2-4", "1:4-6"].sort());
    const conll = file("ner.txt", "Ann met Bo in Rome\n");
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(conll));
    const tags = ["B-PER", "I-PER", "I-PER", "O", "O", "O", "O", "O", "B-PER", "I-PER", "O", "O", "O", "O", "B-LOC", "I-LOC", "I-LOC", "I-LOC"];
    api.textMarks.showTagPredictions(conll, { task: "tag", tags: ["B-LOC", "B-PER", "I-LOC", "I-PER", "O"], sequences: [{ line: 1, column: 0, tags }] });
    const a = api.textMarks.applied.get(conll.toString())!;
    assert.deepEqual(a.get("tag:PER")!.map((r) => [r.start.character, r.end.character]), [[0, 3], [8, 10]]);
    assert.deepEqual(a.get("tag:LOC")!.map((r) => [r.start.character, r.end.character]), [[14, 18]]);
    await screenshot("text-tasks-tags");
    const again = await vscode.window.showTextDocument(editor.document);
    await screenshot("text-tasks-words");
    api.textMarks.showAttributions(again, new vscode.Position(0, 0), {
      chars: Array.from("今天是个好日子"), classes: ["neg", "pos"], target: 1, probabilities: [0.2, 0.8],
      gradientTimesInput: [0.1, 0.1, 0, 0, 0.5, 0.2, 0.1], integratedGradients: [0.2, 0.1, 0, -0.05, 0.6, 0.3, -0.1], steps: 50, logit: 1.5, baselineLogit: 0.45,
    });
    const t = api.textMarks.applied.get(txt.toString())!;
    assert.deepEqual(t.get("attribution+")!.map((r) => r.start.character).sort(), [0, 1, 4, 5]);
    assert.deepEqual(t.get("attribution-")!.map((r) => r.start.character).sort(), [3, 6]);
    await screenshot("text-tasks-attributions");
  });

  describe("with tiny models trained by rnn-lab on the bundled examples", () => {
    const ext = () => vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    /** The CLI in the extension host's own Node (no child test runner: it runs dist/cli.js). */
    const cli = (...args: string[]) => execFileSync(process.execPath, [join(ext(), "dist", "cli.js"), ...args], { env: { ...process.env, ELECTRON_RUN_AS_NODE: "1" }, encoding: "utf8", maxBuffer: 64 << 20 });
    const jsonLines = (out: string) => out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    let moodCkpt = "", segCkpt = "", moodTest: vscode.Uri, zh: vscode.Uri;

    before(function () {
      this.timeout(120_000);
      moodTest = vscode.Uri.file(join(ws(), "sentence-mood.test.csv"));
      copyFileSync(join(ext(), "media", "examples", "sentence-mood.test.csv"), moodTest.fsPath);
      moodCkpt = join(ws(), "mood.classify.safetensors");
      segCkpt = join(ws(), "zh.segment.safetensors");
      cli("train", join(ext(), "media", "examples", "sentence-mood.csv"), "--task", "classify", "--steps", "60", "--hidden", "16", "--embed", "8", "--threads", "1", "--out", moodCkpt, "--force");
      cli("train", join(ext(), "media", "examples", "chinese-sentences.txt"), "--task", "segment", "--steps", "60", "--hidden", "16", "--embed", "8", "--threads", "1", "--out", segCkpt, "--force");
      zh = file("reading.txt", "今天上海很便宜\n\n我觉得自行车很忙。\n");
    });

    it("Train Classifier on This File… trains a bidirectional GRU in the training worker: validations with accuracy and F1, the best checkpoint, its panel, the explorer, Explain Prediction on it", async function () {
      this.timeout(120_000);
      const data = vscode.Uri.file(join(ws(), "sentence-mood.csv"));
      copyFileSync(join(ext(), "media", "examples", "sentence-mood.csv"), data.fsPath);
      const run = await vscode.commands.executeCommand<{ checkpoint: string; finished: Promise<{ state: string; message?: string; validations: { valAccuracy: number; valF1: number }[]; bestValF1?: number | null; names: string[]; counts: number[] }> }>(
        "rnnLab.trainClassifier", data, { cell: "gru", bidirectional: true, layers: 1, hidden: 16, seconds: 4 });
      assert.ok(run, "the command returns the run");
      const done = await run.finished;
      assert.equal(done.state, "done", done.message);
      assert.ok(existsSync(run.checkpoint));
      assert.deepEqual(done.names, ["exclamation", "question", "statement"]);
      assert.ok(done.validations.length >= 1 && done.validations.every((v) => v.valAccuracy >= 0 && v.valAccuracy <= 1 && v.valF1 >= 0 && v.valF1 <= 1), JSON.stringify(done.validations));
      assert.equal(done.bestValF1, Math.max(...done.validations.map((v) => v.valF1)), "the checkpoint is the best validation F1");
      console.log(`classifier trained in the worker: ${done.validations.length} validations, best F1 ${done.bestValF1?.toFixed(3)}`);
      const evalOut = jsonLines(cli("eval", run.checkpoint, moodTest.fsPath, "--json")).find((o) => o.type === "eval") as { labels: string[]; records: number };
      assert.deepEqual(evalOut.labels, done.names);
      assert.equal(evalOut.records, 400);
      // its panel drew every validation
      type Panel = { host: { kind: string; rendered: Record<string, unknown> } };
      const trainingPanel = await until("the training panel to draw", () => [...(api.panels.open as Set<Panel>)].find((p) => p.host.kind === "textTaskTraining" && p.host.rendered.validations === done.validations.length && p.host.rendered.state === "done"), 30_000);
      assert.equal(trainingPanel.host.rendered.bestF1, done.bestValF1);
      await screenshot("text-tasks-training");
      // the model explorer lists the run with its task, classes and best validation scores
      await api.explorer.refresh();
      const nodes = api.explorer.getChildren().filter((n) => n.kind === "textTask");
      const item = nodes.map((n) => api.explorer.getTreeItem(n)).find((i) => String(i.id).endsWith(run.checkpoint));
      assert.ok(item, `a tree item for ${run.checkpoint}`);
      assert.equal(item.label, "classifier of sentence-mood.csv");
      assert.equal(item.description, `3 classes · best validation accuracy ${(100 * (done.validations.find((v) => v.valF1 === done.bestValF1)!.valAccuracy)).toFixed(1)} %, F1 ${done.bestValF1!.toFixed(3)}`);
      assert.match(String(item.tooltip), /^classifier: GRU 1×16 \(both directions\)\nclasses: exclamation, question, statement\nbest validation accuracy/);
      // its gate heatmap from the explorer: the first record it was trained on, each direction of the bidirectional layer
      type HeatmapPanel = { host: { panel: vscode.WebviewPanel; rendered: Record<string, unknown>; failure: string | null; receive(m: unknown): void } };
      const node = nodes.find((n) => api.explorer.getTreeItem(n).id === item.id)!;
      const heatmap = await vscode.commands.executeCommand<HeatmapPanel>("rnnLab.showGateHeatmap", node);
      const firstText = "You have a daughter call'd Elizabeth, Virtuous and fair, royal and gracious"; // media/examples/sentence-mood.csv, line 2
      const forward = await until("the heatmap to draw", () => (heatmap.host.rendered.chars === Array.from(firstText).length && heatmap.host.rendered.directions === 2 ? heatmap.host.rendered : undefined), 30_000);
      assert.equal(heatmap.host.panel.title, "Gates: classifier of sentence-mood.csv", "named as the explorer names the run");
      assert.equal(forward.direction, 0);
      assert.equal(forward.units, 16);
      assert.equal(forward.quantities, "reset gate|update gate|candidate|hidden state");
      // the page's direction pick asks for the backward direction (the message goes through the host's check)
      heatmap.host.receive({ type: "heatmap.request", layer: 0, direction: 1 });
      const backward = await until("the backward direction to draw", () => (heatmap.host.rendered.direction === 1 ? heatmap.host.rendered : undefined), 30_000);
      assert.notEqual(backward.ranges, forward.ranges, "the backward direction's own values");
      assert.equal(heatmap.host.failure, null);
      await screenshot("text-tasks-heatmap-backward");
      // Compare Runs compares classifiers by macro F1 (highest best): this run's record, and a copy of it whose last validation scores 0.99
      const recordPath = run.checkpoint.replace(/\.safetensors$/, ".json");
      const better = JSON.parse(readFileSync(recordPath, "utf8")) as { validations: { valF1: number; valAccuracy: number }[]; created: string };
      better.validations.at(-1)!.valF1 = 0.99;
      better.created = new Date(Date.parse(better.created) + 60_000).toISOString();
      const betterPath = join(ws(), "better-run.json");
      writeFileSync(betterPath, JSON.stringify(better));
      type ComparePanel = { host: { rendered: Record<string, unknown>; failure: string | null } };
      const compare = await vscode.commands.executeCommand<ComparePanel>("rnnLab.compareRuns", undefined, undefined, { runDirs: [recordPath, betterPath] });
      const compared = await until("the comparison to draw", () => (compare.host.rendered.runs === 2 ? compare.host.rendered : undefined), 30_000);
      assert.equal(compared.metric, "validation macro F1");
      assert.equal(compared.metrics, "validation macro F1|validation accuracy|validation loss");
      assert.equal(compared.best, `${done.bestValF1!.toFixed(3)},0.990`);
      assert.equal(compared.bestRun, 1);
      assert.equal(compare.host.failure, null);
      await screenshot("text-tasks-compare");
      // the bidirectional classifier explained: integrated gradients add up to its logit difference
      const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(moodTest));
      editor.selection = new vscode.Selection(5, 0, 5, editor.document.lineAt(5).text.lastIndexOf(","));
      const explained = await vscode.commands.executeCommand<{ attribution: { integratedGradients: number[]; logit: number; baselineLogit: number } }>("rnnLab.explainPrediction", { checkpoint: run.checkpoint });
      const ig = explained.attribution.integratedGradients.reduce((x, y) => x + y, 0), diff = explained.attribution.logit - explained.attribution.baselineLogit;
      console.log(`bidirectional explain: Σ IG ${ig.toFixed(6)} vs ${diff.toFixed(6)}`);
      assert.ok(Math.abs(ig - diff) <= 0.01 * Math.abs(diff), `completeness: ${ig} vs ${diff}`);
    });

    it("Predict with a Model on This File…: each record's label after its line, the wrong ones exactly where rnn-lab eval says; the list of them", async () => {
      const evalOut = jsonLines(cli("eval", moodCkpt, moodTest.fsPath, "--json")).find((o) => o.type === "eval") as { predictions: { line: number; truth: string; predicted: string; confidence: number }[] };
      const wrongLines = evalOut.predictions.filter((p) => p.truth !== p.predicted).map((p) => p.line);
      const r = await vscode.commands.executeCommand<{ type: string }>("rnnLab.predictWithModel", moodTest, { checkpoint: moodCkpt });
      assert.equal(r?.type, "predictions");
      const a = api.textMarks.applied.get(moodTest.toString())!;
      assert.equal(a.get("right")!.length + a.get("wrong")!.length, 400);
      assert.deepEqual(a.get("wrong")!.map((x) => x.start.line + 1), wrongLines, "the same records wrong as rnn-lab eval");
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", moodTest, new vscode.Position(1, 2));
      const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === "string" ? c : (c as vscode.MarkdownString).value))).join("\n");
      const first = evalOut.predictions[0];
      // the likeliest class first (in bold when it is the file's own label), with rnn-lab eval's confidence
      assert.match(text, new RegExp(`\\| (\\*\\*)?${first.predicted}(\\*\\*)?[^|]*\\| ${(100 * first.confidence).toFixed(first.confidence >= 0.995 || first.confidence < 0.1 ? 1 : 0)} %`), text);
      await screenshot("text-tasks-classifier");
      const shown = await answered("rnnLab.showMisclassified", moodTest, [() => undefined]);
      assert.equal(shown[0].items.length, wrongLines.length);
    });

    it("Show Classification Report…: the panel's matrix is rnn-lab eval's confusion matrix", async () => {
      const evalOut = jsonLines(cli("eval", moodCkpt, moodTest.fsPath, "--json")).find((o) => o.type === "eval") as { confusion: number[][]; accuracy: number };
      const panel = await vscode.commands.executeCommand<{ host: { rendered: Record<string, unknown>; failure: string | null }; data: { confusion: number[][]; accuracy: number } }>("rnnLab.showClassificationReport", moodTest, { checkpoint: moodCkpt });
      assert.ok(panel, "the panel opened");
      assert.deepEqual(panel.data.confusion, evalOut.confusion);
      assert.ok(Math.abs(panel.data.accuracy - evalOut.accuracy) < 1e-12);
      const drawn = await until("the report to draw", () => (panel.host.rendered.records === 400 ? panel.host.rendered : undefined), 30_000);
      assert.equal(drawn.matrixTotal, 400);
      assert.equal(drawn.diagonal, evalOut.confusion.reduce((s, row, i) => s + row[i], 0));
      assert.equal(panel.host.failure, null);
      await screenshot("text-tasks-report");
    });

    it("Explain Prediction on a selection: characters coloured in the editor and in the panel, integrated gradients adding up to the logit difference within 1 %", async () => {
      const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(moodTest));
      const line = editor.document.lineAt(2).text; // "Nay, go not from us thus",statement
      const start = line.indexOf('"') + 1, end = line.indexOf('"', start);
      editor.selection = new vscode.Selection(2, start, 2, end);
      const panel = await vscode.commands.executeCommand<{ attribution: { chars: string[]; integratedGradients: number[]; gradientTimesInput: number[]; logit: number; baselineLogit: number; steps: number }; host: { rendered: Record<string, unknown>; failure: string | null } }>("rnnLab.explainPrediction", { checkpoint: moodCkpt });
      assert.ok(panel, "the panel opened");
      const a = panel.attribution;
      assert.equal(a.chars.join(""), line.slice(start, end));
      const sum = a.integratedGradients.reduce((x, y) => x + y, 0), diff = a.logit - a.baselineLogit;
      console.log(`explain: Σ IG ${sum.toFixed(6)} vs logit difference ${diff.toFixed(6)} (${(100 * Math.abs(sum - diff) / Math.abs(diff)).toFixed(3)} %, ${a.steps} steps)`);
      assert.ok(Math.abs(sum - diff) <= 0.01 * Math.abs(diff), `completeness: ${sum} vs ${diff}`);
      const marks = api.textMarks.applied.get(moodTest.toString())!;
      assert.equal(marks.get("attribution+")!.length, a.integratedGradients.filter((v) => v > 0).length);
      assert.equal(marks.get("attribution-")!.length, a.integratedGradients.filter((v) => v < 0).length);
      assert.ok(marks.get("attribution+")!.every((r) => r.start.line === 2 && r.start.character >= start && r.end.character <= end));
      const drawn = await until("the explanation to draw", () => (panel.host.rendered.chars === a.chars.length ? panel.host.rendered : undefined), 30_000);
      assert.equal(drawn.complete, true);
      await screenshot("text-tasks-explain");
    });

    it("Explain Prediction on a record (the cursor on its line): the text field alone, quotes and columns excluded, coloured on its own characters; a JSONL record's escapes too", async () => {
      const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(moodTest));
      const line = editor.document.lineAt(2).text; // "Nay, go not from us thus",statement
      const start = line.indexOf('"') + 1, end = line.indexOf('"', start);
      editor.selection = new vscode.Selection(2, 5, 2, 5);
      type Explained = { attribution: { chars: string[]; integratedGradients: number[] } };
      const csv = await vscode.commands.executeCommand<Explained>("rnnLab.explainPrediction", { checkpoint: moodCkpt });
      assert.equal(csv.attribution.chars.join(""), line.slice(start, end), "the text column, without its quotes or the label");
      const marks = api.textMarks.applied.get(moodTest.toString())!;
      const coloured = [...marks.get("attribution+")!, ...marks.get("attribution-")!];
      assert.equal(coloured.length, csv.attribution.integratedGradients.filter((v) => v !== 0).length);
      assert.ok(coloured.every((r) => r.start.line === 2 && r.start.character >= start && r.end.character <= end), "every colour on the text's characters");
      // JSONL: an escaped apostrophe (\u0027) is one character of the text, coloured over its escape's start; the key and the label are not
      const jsonl = file("moods.jsonl", [String.raw`{"label": "question", "text": "Is it my lord\u0027s will"}`, ""].join("\n"));
      const jEditor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(jsonl));
      jEditor.selection = new vscode.Selection(0, 0, 0, 0);
      const j = await vscode.commands.executeCommand<Explained>("rnnLab.explainPrediction", { checkpoint: moodCkpt });
      assert.equal(j.attribution.chars.join(""), "Is it my lord's will");
      const jLine = jEditor.document.lineAt(0).text, from = jLine.indexOf("Is it"), to = jLine.lastIndexOf('"');
      const jMarks = api.textMarks.applied.get(jsonl.toString())!;
      const jColoured = [...jMarks.get("attribution+")!, ...jMarks.get("attribution-")!];
      assert.ok(jColoured.length > 0 && jColoured.every((r) => r.start.character >= from && r.end.character <= to), "within the string's value");
      await screenshot("text-tasks-explain-record");
    });

    it("a segmenter draws its words over Chinese text in any open file: the words rnn-lab predict gives", async () => {
      const predicted = jsonLines(cli("predict", segCkpt, zh.fsPath, "--json")).filter((o) => o.type === "prediction") as { line: number; words: string[] }[];
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(zh));
      await vscode.commands.executeCommand("rnnLab.predictWithModel", zh, { checkpoint: segCkpt });
      const words = api.textMarks.applied.get(zh.toString())!.get("words")!;
      const doc = await vscode.workspace.openTextDocument(zh);
      const drawn = words.map((r) => `${r.start.line + 1}:${doc.getText(r)}`).sort();
      assert.deepEqual(drawn, predicted.flatMap((p) => p.words.map((w) => `${p.line}:${w}`)).sort());
      await screenshot("text-tasks-segmenter");
      // typing: a new first line is segmented after a pause (no save), the lines below it moved down and drawn again
      const editor = vscode.window.activeTextEditor!;
      await editor.edit((e) => e.insert(new vscode.Position(0, 0), "我们在公园里散步\n"));
      const typed = jsonLines(cli("predict", segCkpt, "--text", "我们在公园里散步", "--json")).find((o) => o.type === "prediction") as { words: string[] };
      const wordsOn = (line: number) => (api.textMarks.applied.get(zh.toString())?.get("words") ?? []).filter((r) => r.start.line === line).sort((a, b) => a.start.character - b.start.character).map((r) => editor.document.getText(r));
      await until("the typed line's words", () => (JSON.stringify(wordsOn(0)) === JSON.stringify(typed.words) ? true : undefined), 20_000);
      assert.deepEqual(wordsOn(1), predicted.find((p) => p.line === 1)!.words, "the old first line, now the second, drawn where it is now");
      // reading on: a long document is drawn where it is scrolled to
      const long = file("long.txt", Array.from({ length: 400 }, (_, i) => (i % 2 ? "我觉得自行车很忙。" : "今天上海很便宜")).join("\n") + "\n");
      const longEditor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(long));
      await vscode.commands.executeCommand("rnnLab.predictWithModel", long, { checkpoint: segCkpt });
      await longEditor.edit((e) => e.insert(new vscode.Position(0, 0), "我"));
      const longWords = () => api.textMarks.applied.get(long.toString())?.get("words") ?? [];
      assert.ok(longWords().some((r) => r.start.line > 300), "Predict with a Model draws every line at first");
      // after an edit the lines have moved: only those in view (and a margin) are drawn again
      await until("the lines in view drawn again after the edit", () => (longWords().some((r) => r.start.line === 0) && !longWords().some((r) => r.start.line > 300) ? true : undefined), 20_000);
      longEditor.revealRange(new vscode.Range(350, 0, 350, 0), vscode.TextEditorRevealType.AtTop);
      await until("the lines scrolled to", () => (longWords().some((r) => r.start.line === 355) ? true : undefined), 20_000);
      await screenshot("text-tasks-segmenter-scrolled");
    });

    it("a tagger on a CoNLL file predicts each blank-line-separated sequence whole, as rnn-lab predict does on its text, and draws each row's tag", async function () {
      this.timeout(60_000);
      const tagger = join(ws(), "names.tag.safetensors");
      cli("train", join(ext(), "media", "examples", "shakespeare-names.conll"), "--task", "tag", "--steps", "60", "--hidden", "16", "--embed", "8", "--threads", "1", "--out", tagger, "--force");
      const blocks = ["Romeo, come", "Ask Juliet"];
      const conll = file("two.conll", blocks.map((b) => Array.from(b).map((c) => `${c}\tO`).join("\n")).join("\n\n") + "\n");
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(conll));
      await vscode.commands.executeCommand("rnnLab.predictWithModel", conll, { checkpoint: tagger });
      const applied = api.textMarks.applied.get(conll.toString())!;
      const drawn = new Map<number, string>();
      for (const [name, ranges] of applied) if (name.startsWith("tag:")) for (const r of ranges) drawn.set(r.start.line, name.slice(4));
      // expected: each block's text predicted whole by the CLI; row k of a block is its k-th character
      const expected = new Map<number, string>();
      let row = 0;
      for (const b of blocks) {
        const p = jsonLines(cli("predict", tagger, "--text", b, "--json")).find((o) => o.type === "prediction") as { tags: string[] };
        p.tags.forEach((t, k) => { if (t !== "O") expected.set(row + k, t.replace(/^[BIES]-/, "")); });
        row += Array.from(b).length + 1;
      }
      console.log(`CoNLL tagger: ${expected.size} characters tagged as names of ${row - blocks.length} rows`);
      assert.deepEqual([...drawn].sort(), [...expected].sort());
      await screenshot("text-tasks-conll");
    });
  });
});
