// Classification, tagging and word segmentation of labelled files inside a real VS Code extension
// host: Train Classifier / Tagger / Word Segmenter on This File… from the explorer's menu, their
// preview of the classes with their counts (or the tag set) read by the corpus worker, the column
// picks when the default columns are missing, and a bad file's one-line error with nothing else
// asked. (This build's training worker has no text task: the commands end by saying so.)

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as vscode from "vscode";
import type { RnnLabApi } from "../../../src/extension/extension";
import type { Shown } from "../../../src/extension/prompts";

const EXTENSION_ID = "rnn-lab.rnn-lab";
let api: RnnLabApi;
const ws = () => vscode.workspace.workspaceFolders![0].uri.fsPath;

function file(name: string, text: string): vscode.Uri {
  const path = join(ws(), name);
  writeFileSync(path, text);
  return vscode.Uri.file(path);
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
    const shown = await answered("rnnLab.trainClassifier", csv, [(s) => s.items[0], () => "LSTM", () => "Both Directions", (s) => s.items[1], (s) => s.items[0]]);
    const [preview, cell, directions, size, budget, end] = shown;
    assert.equal(preview.kind, "pick");
    assert.match(preview.text, /reviews\.csv: 12 records, 3 classes, 2–17 characters each/);
    assert.equal(cell.text, "RNN Lab: cell type");
    assert.deepEqual(cell.items, ["LSTM", "GRU", "RNN"]);
    assert.deepEqual(directions.items, ["Both Directions", "Left to Right Only"]);
    assert.equal(size.text, "RNN Lab: model size");
    assert.equal(budget.text, "RNN Lab: how long to train");
    // what this build does at the end: says that its training worker has no classification task
    assert.equal(end.kind, "error");
    assert.match(end.text, /cannot train a classifier yet/);
    assert.equal(shown.length, 6);
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
    assert.match(shown[0].text, /^RNN Lab: cannot train on one-class\.csv: .*one-class\.csv: every record has the label "a"; a classifier needs at least two classes$/);
    const conll = file("broken.conll", "北\tB-LOC\n京\n");
    const bad = await answered("rnnLab.trainTagger", conll, []);
    assert.match(bad[0].text, /broken\.conll:2: one column; a CoNLL line is the character, a tab, and its tag/);
  });

  it("Train Tagger on This File…: the tag set previewed from a CoNLL file", async () => {
    const conll = file("places.conll", "北\tB-LOC\n京\tI-LOC\n好\tO\n\n上\tB-LOC\n海\tI-LOC\n");
    const shown = await answered("rnnLab.trainTagger", conll, [() => undefined]);
    assert.match(shown[0].text, /places\.conll: 2 records, 3 tags, 2–3 characters each/);
    assert.deepEqual(shown[0].items, ["$(play) Continue"], "no columns to choose for tagging");
  });

  it("Train Word Segmenter on This File…: B/M/E/S from spaced words, then the same questions", async () => {
    const txt = file("sentences.txt", "今天 是 个 好日子\n我 爱 北京\n");
    const shown = await answered("rnnLab.trainSegmenter", txt, [(s) => s.items[0], () => "GRU", () => "Left to Right Only", (s) => s.items[0], (s) => s.items[0]]);
    assert.match(shown[0].text, /sentences\.txt: 2 records, 4 tags, 4–7 characters each/);
    assert.equal(shown[5].kind, "error");
    assert.match(shown[5].text, /cannot train a word segmenter yet/);
  });
});
