// Predict with a Model on This File… and Show Classification Report…: a classifier, tagger or
// segmenter checkpoint (picked from the workspace's .safetensors files) run in the text-task worker
// on the file, its predictions drawn in the editor (textTaskDecorations.ts) and drawn again when the
// file is saved, or its classification report in a panel. Nothing here blocks the host's thread.

import * as vscode from "vscode";
import { Worker } from "node:worker_threads";
import { basename, join } from "node:path";
import { WorkerChannel } from "../protocol/messageChannel";
import { MAX_LINE_CHARS, MAX_PREDICTED_LINES, TextTaskKindName, TextTaskRequestBody, TextTaskResult, isTextTaskReply } from "../protocol/textTaskWorker";
import type { TagSequencePrediction } from "../protocol/textPredictions";
import { conllSequences, rowTags } from "../engine/tasks/conllSequences";
import { errorText } from "./errorText";
import { prompts } from "./prompts";
import { pickWorkspaceFile } from "./workspaceFilePick";
import type { PanelContext } from "./panels/panelContext";
import { ClassificationReportPanel } from "./panels/classificationReportPanel";
import { ExplainPredictionPanel } from "./panels/explainPredictionPanel";
import type { TextTaskDecorations } from "./textTaskDecorations";
import { RecordField, recordTextField } from "../engine/tasks/recordField";
import { textTaskRecordOf } from "./textTaskTraining";

/** What a caller (a test) may pass instead of answering the quick picks. */
export interface PredictArgs { checkpoint?: string; textColumn?: string; labelColumn?: string }
export interface ExplainArgs { checkpoint?: string; steps?: number; textColumn?: string }

/** A tagger's or segmenter's redraw waits this long after the last scroll or keystroke (ms), and predicts this many lines beyond those in view. */
const FOLLOW_MS = 300, FOLLOW_MARGIN = 20;

/** Integrated gradients' steps at first (Gauss–Legendre nodes: 1 % completeness for last and mean pooling); the panel offers more. */
const FIRST_STEPS = 32;

/** The columns a command was given (a test's or a keybinding's), for a request that reads a labelled file. */
const givenColumns = (args: PredictArgs) => ({ ...(args.textColumn ? { textColumn: args.textColumn } : {}), ...(args.labelColumn ? { labelColumn: args.labelColumn } : {}) });

export class TextTaskPredictions implements vscode.Disposable {
  private channel: WorkerChannel<TextTaskRequestBody, TextTaskResult> | null = null;
  /** The checkpoint predicting each document, by URI: it predicts again on save. */
  private readonly models = new Map<string, { checkpoint: string; args: PredictArgs; kind?: TextTaskKindName }>();
  /** A tagger's or segmenter's predictions drawn on each document, by URI and then 1-based line. */
  private readonly tagged = new Map<string, Map<number, TagSequencePrediction>>();
  /** Documents edited since their tags were predicted: their lines have moved, so the next prediction starts afresh. */
  private readonly edited = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly ctx: PanelContext, private readonly marks: TextTaskDecorations) {
    this.subscriptions.push(
      vscode.workspace.onDidSaveTextDocument((d) => {
        const m = this.models.get(d.uri.toString());
        if (m) void this.predict(d, m.checkpoint, m.args);
      }),
      // a tagger or segmenter draws as you read and type: the lines in view, predicted again after a pause
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => this.follow(e.textEditor.document)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (!e.contentChanges.length) return;
        this.edited.add(e.document.uri.toString());
        this.follow(e.document);
      }),
    );
  }

  /** After FOLLOW_MS without scrolling or typing, the lines in view (and a margin) of a document a tagger or segmenter predicts. */
  private follow(doc: vscode.TextDocument): void {
    const key = doc.uri.toString(), m = this.models.get(key);
    if (!m || !m.kind || m.kind === "classify") return;
    clearTimeout(this.timers.get(key));
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      const views = vscode.window.visibleTextEditors.filter((e) => e.document.uri.toString() === key).flatMap((e) => e.visibleRanges);
      if (!views.length) return;
      const from = Math.max(1, Math.min(...views.map((r) => r.start.line + 1)) - FOLLOW_MARGIN);
      const to = Math.min(doc.lineCount, Math.max(...views.map((r) => r.end.line + 1)) + FOLLOW_MARGIN);
      void this.predict(doc, m.checkpoint, m.args, { from, to });
    }, FOLLOW_MS));
  }

  register(): vscode.Disposable[] {
    return [
      vscode.commands.registerCommand("rnnLab.predictWithModel", (uri?: vscode.Uri, args?: PredictArgs) => this.predictCommand(uri, args)),
      vscode.commands.registerCommand("rnnLab.showClassificationReport", (uri?: vscode.Uri, args?: PredictArgs) => this.reportCommand(uri, args)),
      vscode.commands.registerCommand("rnnLab.explainPrediction", (args?: ExplainArgs) => this.explainCommand(args)),
    ];
  }

  private request(body: TextTaskRequestBody): Promise<TextTaskResult> {
    this.channel ??= new WorkerChannel<TextTaskRequestBody, TextTaskResult>("text-task worker", () => new Worker(join(this.ctx.extensionPath, "dist", "textTaskWorker.js")), { reply: isTextTaskReply });
    return this.channel.request(body).result;
  }

  /** A checkpoint of the workspace, asked (the given one for a test). */
  private async checkpoint(given?: string): Promise<string | undefined> {
    if (given) return given;
    return pickWorkspaceFile("**/*.safetensors", "**/node_modules/**", 500,
      vscode.l10n.t("RNN Lab: no checkpoint in this workspace; train a classifier, tagger or segmenter first (rnn-lab train FILE --task classify)."), vscode.l10n.t("RNN Lab: which model?"));
  }

  private async document(uri?: vscode.Uri): Promise<vscode.TextDocument | undefined> {
    if (uri instanceof vscode.Uri) return vscode.workspace.openTextDocument(uri);
    const d = vscode.window.activeTextEditor?.document;
    if (!d) void prompts.error(vscode.l10n.t("RNN Lab: open the file to predict on first."));
    return d;
  }

  /** The document (the given one, else the active editor's) and the checkpoint to use on it (the given one, else asked). */
  private async documentAndCheckpoint(uri: vscode.Uri | undefined, args: PredictArgs): Promise<{ doc: vscode.TextDocument; checkpoint: string } | undefined> {
    const doc = await this.document(uri);
    if (!doc) return undefined;
    const checkpoint = await this.checkpoint(args.checkpoint);
    return checkpoint ? { doc, checkpoint } : undefined;
  }

  async predictCommand(uri?: vscode.Uri, args: PredictArgs = {}): Promise<TextTaskResult | undefined> {
    const asked = await this.documentAndCheckpoint(uri, args);
    if (!asked) return undefined;
    const { doc, checkpoint } = asked;
    await vscode.window.showTextDocument(doc, { preview: false });
    return this.predict(doc, checkpoint, args);
  }

  /**
   * Predicts on the document and draws the result. `only` (1-based lines, inclusive): a tagger's or
   * segmenter's redraw of the lines in view, added to what is drawn (quietly: an error while typing
   * is logged, not shown).
   */
  private async predict(doc: vscode.TextDocument, checkpoint: string, args: PredictArgs, only?: { from: number; to: number }): Promise<TextTaskResult | undefined> {
    const key = doc.uri.toString();
    try {
      const what = await this.request({ type: "describe", checkpoint });
      if (what.type !== "describe") return undefined;
      const labelled = what.kind === "classify" && doc.uri.scheme === "file" && /\.(csv|tsv|jsonl|ndjson)$/i.test(doc.uri.fsPath) && !doc.isDirty;
      // a tagger on a CoNLL file reads each blank-line-separated block as one sequence, as it was trained
      const conll = what.kind === "tag" && /\.(conll|bio|tsv)$/i.test(doc.fileName)
        ? conllSequences(Array.from({ length: doc.lineCount }, (_, i) => doc.lineAt(i).text)).filter((q) => !only || (q.rows.at(-1)!.line >= only.from && q.line <= only.to))
        : null;
      const lines: { line: number; column: number; text: string }[] = [];
      if (conll) for (const q of conll.slice(0, MAX_PREDICTED_LINES)) lines.push({ line: q.line, column: 0, text: q.text.slice(0, MAX_LINE_CHARS) });
      else if (!labelled) {
        for (let i = only ? only.from - 1 : 0; i < (only ? only.to : doc.lineCount) && lines.length < MAX_PREDICTED_LINES; i++) {
          const text = doc.lineAt(i).text;
          if (text.trim() !== "") lines.push({ line: i + 1, column: 0, text: text.slice(0, MAX_LINE_CHARS) });
        }
      }
      const version = doc.version;
      const r = labelled
        ? await this.request({ type: "predictFile", checkpoint, file: doc.uri.fsPath, ...givenColumns(args) })
        : lines.length ? await this.request({ type: "predictLines", checkpoint, lines }) : null;
      if (only && doc.version !== version) return undefined; // typed again meanwhile: the redraw after that follows
      this.models.set(key, { checkpoint, args, kind: what.kind });
      if (!r || r.type !== "predictions") return r ?? undefined;
      if (r.predictions.task === "classify") {
        this.marks.showClassPredictions(doc.uri, r.predictions);
        return r;
      }
      const sequences = conll ? r.predictions.sequences.flatMap((q, i) => rowTags(conll[i], q.tags)) : r.predictions.sequences;
      // a redraw of the lines in view adds to what is drawn, unless an edit has moved the lines since
      const drawn = only && !this.edited.has(key) ? this.tagged.get(key) ?? new Map<number, TagSequencePrediction>() : new Map<number, TagSequencePrediction>();
      if (only) for (let line = only.from; line <= only.to; line++) drawn.delete(line);
      for (const q of sequences) drawn.set(q.line, q);
      this.edited.delete(key);
      this.tagged.set(key, drawn);
      this.marks.showTagPredictions(doc.uri, { ...r.predictions, sequences: [...drawn.values()] });
      return r;
    } catch (e) {
      if (only) this.ctx.log.warn(`predicting the lines in view of ${doc.fileName}: ${errorText(e)}`);
      else void prompts.error(vscode.l10n.t("RNN Lab: cannot predict with {0}: {1}", basename(checkpoint), errorText(e)));
      return undefined;
    }
  }

  async reportCommand(uri?: vscode.Uri, args: PredictArgs = {}): Promise<ClassificationReportPanel | undefined> {
    const asked = await this.documentAndCheckpoint(uri, args);
    if (!asked) return undefined;
    const { doc, checkpoint } = asked;
    try {
      const r = await this.request({
        type: "report", checkpoint, file: doc.uri.fsPath, title: vscode.l10n.t("Classification report: {0} on {1}", basename(checkpoint), basename(doc.uri.fsPath)),
        ...givenColumns(args),
      });
      return r.type === "report" ? ClassificationReportPanel.show(this.ctx, checkpoint, r.report) : undefined;
    } catch (e) {
      void prompts.error(vscode.l10n.t("RNN Lab: cannot evaluate {0} on {1}: {2}", basename(checkpoint), basename(doc.uri.fsPath), errorText(e)));
      return undefined;
    }
  }

  /**
   * Explain Prediction: the selection, else the record or line at the cursor (a CSV/TSV/JSONL
   * record's text field alone, coloured on its own characters), by the document's classifier
   * (the one predicting it) or one asked for; colours in the editor and the panel with the numbers.
   */
  async explainCommand(args: ExplainArgs = {}): Promise<ExplainPredictionPanel | undefined> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void prompts.error(vscode.l10n.t("RNN Lab: select the text to explain in an editor first."));
      return undefined;
    }
    const range = editor.selection.isEmpty ? editor.document.lineAt(editor.selection.active.line).range : new vscode.Range(editor.selection.start, editor.selection.end);
    let text = editor.document.getText(range).slice(0, MAX_LINE_CHARS);
    if (text.trim() === "") {
      void prompts.error(vscode.l10n.t("RNN Lab: the line is empty; select the text to explain."));
      return undefined;
    }
    const predicting = this.models.get(editor.document.uri.toString());
    const checkpoint = args.checkpoint ?? predicting?.checkpoint ?? await this.checkpoint();
    if (!checkpoint) return undefined;
    // the cursor on a record of a labelled file: its text field alone, coloured where its characters are written
    let at: vscode.Position | { line: number; columns: readonly number[] } = range.start;
    const field = editor.selection.isEmpty ? recordFieldAt(editor.document, range.start.line, args.textColumn ?? predicting?.args.textColumn ?? textTaskRecordOf(checkpoint)?.textColumn) : null;
    if (field) {
      if (field.text.trim() === "") {
        void prompts.error(vscode.l10n.t("RNN Lab: the record's text is empty; select the text to explain."));
        return undefined;
      }
      text = field.text.slice(0, MAX_LINE_CHARS);
      at = { line: range.start.line, columns: field.columns };
    }
    const explain = async (steps: number) => {
      const r = await this.request({ type: "explain", checkpoint, text, steps });
      if (r.type !== "explain") throw new Error("unexpected reply");
      return r.attribution;
    };
    try {
      const first = await explain(args.steps ?? FIRST_STEPS);
      return ExplainPredictionPanel.show(this.ctx, checkpoint, text, first, explain, (a) => this.marks.showAttributions(editor, at, a));
    } catch (e) {
      void prompts.error(vscode.l10n.t("RNN Lab: cannot explain with {0}: {1}", basename(checkpoint), errorText(e)));
      return undefined;
    }
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    void this.channel?.stop("the extension ends");
    for (const s of this.subscriptions) s.dispose();
  }
}

/** The text field of the record on line `line` of a CSV, TSV or JSONL document (null: another file, the header, or a line that is not a whole record). */
function recordFieldAt(doc: vscode.TextDocument, line: number, textColumn?: string): RecordField | null {
  const format = /\.csv$/i.test(doc.fileName) ? "csv" : /\.tsv$/i.test(doc.fileName) ? "tsv" : /\.(jsonl|ndjson)$/i.test(doc.fileName) ? "jsonl" : null;
  if (!format || (format !== "jsonl" && line === 0)) return null;
  return recordTextField(format, format === "jsonl" ? null : doc.lineAt(0).text, doc.lineAt(line).text, textColumn);
}
