// Train Classifier / Tagger / Word Segmenter on This File… (palette, explorer and editor menus on
// .csv, .tsv, .jsonl, .conll, .bio and .txt files). The quick picks ask only what matters: the text
// and label columns when the defaults are not there, then — after a preview of the classes and their
// counts, or of the tag set, read by the engine's own readers in the corpus worker (a bad file shows
// its one-line error and nothing else) — the cell, one or both directions, the size and the budget.

import * as vscode from "vscode";
import { basename, extname } from "node:path";
import type { LabelledPreview, TextTaskName } from "../engine/tasks/labelledPreview";
import type { CellType } from "../engine/model/modelSpec";
import { errorText } from "./errorText";
import { prompts } from "./prompts";
import { pickWorkspaceFile } from "./workspaceFilePick";
import { inCorpusWorker } from "./trainCommands";
import { pickCell } from "./forecastCommands";

/** What a caller (a test) may pass instead of answering the quick picks. */
export interface TextTaskArgs {
  textColumn?: string;
  labelColumn?: string;
  cell?: CellType;
  bidirectional?: boolean;
  layers?: number;
  hidden?: number;
  seconds?: number;
}

/** Everything the commands ask: what a text task's training run is started with. */
export interface TextTaskChoice {
  task: TextTaskName;
  file: string;
  textColumn?: string;
  labelColumn?: string;
  /** the classes or tags the preview found, in the checkpoint's order */
  labels: string[];
  records: number;
  cell: CellType;
  bidirectional: boolean;
  layers: number;
  hidden: number;
  budget: { seconds: number };
}

/** Starts the training run of a choice; undefined: not started (and said why). */
export type StartTextTask = (choice: TextTaskChoice) => Promise<unknown>;

const EXTENSIONS: Record<TextTaskName, string[]> = {
  classify: [".csv", ".tsv", ".jsonl", ".ndjson"],
  tag: [".jsonl", ".ndjson", ".conll", ".bio", ".tsv"],
  segment: [".txt", ".utf8"],
};

export function isLabelledFile(uri: vscode.Uri | undefined, task: TextTaskName): boolean {
  return !!uri && EXTENSIONS[task].includes(extname(uri.fsPath).toLowerCase());
}

/** The file meant: the explorer's, else the active editor's, else one of the workspace's of a fitting kind, asked. */
async function dataFile(task: TextTaskName, uri?: vscode.Uri): Promise<string | undefined> {
  if (uri instanceof vscode.Uri && uri.scheme === "file" && isLabelledFile(uri, task)) return uri.fsPath;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active && active.scheme === "file" && isLabelledFile(active, task)) return active.fsPath;
  const glob = `**/*.{${EXTENSIONS[task].map((e) => e.slice(1)).join(",")}}`;
  const what = { classify: vscode.l10n.t("a .csv, .tsv or .jsonl file with a text and a label per record"), tag: vscode.l10n.t("a .jsonl file with text and tags, or a .conll/.bio file"), segment: vscode.l10n.t("a .txt file of sentences with their words separated by spaces") }[task];
  return pickWorkspaceFile(glob, "{**/node_modules/**,.rnnlab/**}", 200, vscode.l10n.t("RNN Lab: open {0} to train on.", what), vscode.l10n.t("RNN Lab: which file? ({0})", what));
}

const share = (n: number, total: number) => `${((100 * n) / total).toFixed(n / total < 0.1 ? 1 : 0)} %`;

/** "negative 40 (33 %) · neutral 41 (34 %) · …": the preview's classes or tags, the most frequent first when there are many. */
export function labelsLine(p: LabelledPreview, max = 12): string {
  const total = p.labels.reduce((a, l) => a + l.count, 0);
  const shown = p.labels.length > max ? [...p.labels].sort((a, b) => b.count - a.count).slice(0, max) : p.labels;
  const text = shown.map((l) => `${l.name} ${l.count.toLocaleString(vscode.env.language)} (${share(l.count, total)})`).join(" · ");
  return p.labels.length > max ? vscode.l10n.t("{0} · and {1} more", text, p.labels.length - max) : text;
}

export class TextTaskCommands {
  constructor(private readonly extensionPath: string, private readonly start: StartTextTask) {}

  register(): vscode.Disposable[] {
    return [
      vscode.commands.registerCommand("rnnLab.trainClassifier", (uri?: vscode.Uri, args?: TextTaskArgs) => this.train("classify", uri, args)),
      vscode.commands.registerCommand("rnnLab.trainTagger", (uri?: vscode.Uri, args?: TextTaskArgs) => this.train("tag", uri, args)),
      vscode.commands.registerCommand("rnnLab.trainSegmenter", (uri?: vscode.Uri, args?: TextTaskArgs) => this.train("segment", uri, args)),
    ];
  }

  private async preview(file: string, task: TextTaskName, columns: { textColumn?: string; labelColumn?: string } = {}): Promise<LabelledPreview | undefined> {
    try {
      const r = await inCorpusWorker(this.extensionPath, { type: "labelledPreview", file, task, ...columns });
      if (r.type === "labelledPreview") return r.preview;
    } catch (e) {
      // the reader's line names the file by its full path: here by its path in the workspace
      void prompts.error(vscode.l10n.t("RNN Lab: cannot train on this file: {0}", errorText(e).split(file).join(vscode.workspace.asRelativePath(file))));
    }
    return undefined;
  }

  /** The text and label columns from the file's columns (each asked; the label column from those left). */
  private async pickColumns(file: string, p: LabelledPreview): Promise<{ textColumn: string; labelColumn: string } | undefined> {
    const items = (exclude?: string) => p.columns.filter((c) => c !== exclude).map((c) => ({ label: c }));
    const text = await prompts.pick(items(), { title: vscode.l10n.t("RNN Lab: which column of {0} holds the text?", basename(file)) });
    if (!text) return undefined;
    const label = await prompts.pick(items(text.label), { title: vscode.l10n.t("RNN Lab: which column of {0} holds the label?", basename(file)) });
    return label && { textColumn: text.label, labelColumn: label.label };
  }

  async train(task: TextTaskName, uri?: vscode.Uri, args: TextTaskArgs = {}): Promise<unknown> {
    const file = await dataFile(task, uri);
    if (!file) return undefined;
    const given = { ...(args.textColumn ? { textColumn: args.textColumn } : {}), ...(args.labelColumn ? { labelColumn: args.labelColumn } : {}) };
    let p = await this.preview(file, task, given);
    if (!p) return undefined;
    for (;;) {
      if (task === "classify" && (p.textColumn === null || p.labelColumn === null)) {
        const columns = await this.pickColumns(file, p);
        if (!columns) return undefined;
        p = await this.preview(file, task, columns);
        if (!p) return undefined;
      }
      // the preview: what the model will learn to say, before anything else is asked
      if (args.cell) break; // a caller that gives the settings has seen the data
      const kind = task === "classify" ? vscode.l10n.t("{0} classes", p.labels.length) : vscode.l10n.t("{0} tags", p.labels.length);
      const go = { label: vscode.l10n.t("$(play) Continue"), detail: labelsLine(p), action: "go" as const };
      const other = { label: vscode.l10n.t("Choose Other Columns…"), detail: vscode.l10n.t("text from {0}, label from {1}", p.textColumn ?? "", p.labelColumn ?? ""), action: "columns" as const };
      const answer = await prompts.pick(task === "classify" && p.columns.length > 2 ? [go, other] : [go], {
        title: vscode.l10n.t("RNN Lab: {0}: {1} records, {2}, {3}–{4} characters each", basename(file), p.records.toLocaleString(vscode.env.language), kind, p.length.min, p.length.max),
      });
      if (!answer) return undefined;
      if (answer.action === "go") break;
      const columns = await this.pickColumns(file, p);
      if (!columns) return undefined;
      p = await this.preview(file, task, columns);
      if (!p) return undefined;
    }
    const cell = args.cell ?? await pickCell();
    if (!cell) return undefined;
    const bidirectional = args.bidirectional ?? (await prompts.pick([
      { label: vscode.l10n.t("Both Directions"), detail: vscode.l10n.t("one direction reads left to right, another right to left: every character is seen with the whole text around it"), value: true },
      { label: vscode.l10n.t("Left to Right Only"), detail: vscode.l10n.t("each character is seen only with what comes before it (half the parameters)"), value: false },
    ], { title: vscode.l10n.t("RNN Lab: read the text in both directions?") }))?.value;
    if (bidirectional === undefined) return undefined;
    const size = args.hidden ? { layers: args.layers ?? 1, hidden: args.hidden } : (await prompts.pick([
      { label: vscode.l10n.t("{0} layer × {1} units", 1, 64), description: vscode.l10n.t("small and quick"), layers: 1, hidden: 64 },
      { label: vscode.l10n.t("{0} layer × {1} units", 1, 128), description: vscode.l10n.t("the usual size"), layers: 1, hidden: 128 },
      { label: vscode.l10n.t("{0} layers × {1} units", 2, 128), description: vscode.l10n.t("for larger data"), layers: 2, hidden: 128 },
    ], { title: vscode.l10n.t("RNN Lab: model size") }));
    if (!size) return undefined;
    const seconds = args.seconds ?? (await prompts.pick([60, 300, 900].map((s) => ({ label: s === 60 ? vscode.l10n.t("1 minute") : vscode.l10n.t("{0} minutes", s / 60), seconds: s }))
      , { title: vscode.l10n.t("RNN Lab: how long to train") }))?.seconds;
    if (!seconds) return undefined;
    return this.start({
      task, file, ...(task === "classify" ? { textColumn: p.textColumn!, labelColumn: p.labelColumn! } : {}), labels: p.labels.map((l) => l.name), records: p.records,
      cell, bidirectional, layers: size.layers, hidden: size.hidden, budget: { seconds },
    });
  }
}
