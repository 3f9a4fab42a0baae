// Predict with a Model on This File… and Show Classification Report…: a classifier, tagger or
// segmenter checkpoint (picked from the workspace's .safetensors files) run in the text-task worker
// on the file, its predictions drawn in the editor (textTaskDecorations.ts) and drawn again when the
// file is saved, or its classification report in a panel. Nothing here blocks the host's thread.

import * as vscode from "vscode";
import { Worker } from "node:worker_threads";
import { basename, join } from "node:path";
import { WorkerChannel } from "../protocol/messageChannel";
import { MAX_LINE_CHARS, MAX_PREDICTED_LINES, TextTaskRequestBody, TextTaskResult, isTextTaskReply } from "../protocol/textTaskWorker";
import { errorText } from "./errorText";
import { prompts } from "./prompts";
import type { PanelContext } from "./panels/panelContext";
import { ClassificationReportPanel } from "./panels/classificationReportPanel";
import { ExplainPredictionPanel } from "./panels/explainPredictionPanel";
import type { TextTaskDecorations } from "./textTaskDecorations";

/** What a caller (a test) may pass instead of answering the quick picks. */
export interface PredictArgs { checkpoint?: string; textColumn?: string; labelColumn?: string }
export interface ExplainArgs { checkpoint?: string; steps?: number }

/** Integrated gradients' steps at first (Gauss–Legendre nodes: 1 % completeness for last and mean pooling); the panel offers more. */
const FIRST_STEPS = 32;

export class TextTaskPredictions implements vscode.Disposable {
  private channel: WorkerChannel<TextTaskRequestBody, TextTaskResult> | null = null;
  /** The checkpoint predicting each document, by URI: it predicts again on save. */
  private readonly models = new Map<string, { checkpoint: string; args: PredictArgs }>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly ctx: PanelContext, private readonly marks: TextTaskDecorations) {
    this.subscriptions.push(vscode.workspace.onDidSaveTextDocument((d) => {
      const m = this.models.get(d.uri.toString());
      if (m) void this.predict(d, m.checkpoint, m.args);
    }));
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
    const found = await vscode.workspace.findFiles("**/*.safetensors", "**/node_modules/**", 500);
    if (!found.length) {
      void prompts.error(vscode.l10n.t("RNN Lab: no checkpoint in this workspace; train a classifier, tagger or segmenter first (rnn-lab train FILE --task classify)."));
      return undefined;
    }
    const picked = await prompts.pick(found.map((u) => ({ label: basename(u.fsPath), description: vscode.workspace.asRelativePath(u), path: u.fsPath })), { title: vscode.l10n.t("RNN Lab: which model?") });
    return picked?.path;
  }

  private async document(uri?: vscode.Uri): Promise<vscode.TextDocument | undefined> {
    if (uri instanceof vscode.Uri) return vscode.workspace.openTextDocument(uri);
    const d = vscode.window.activeTextEditor?.document;
    if (!d) void prompts.error(vscode.l10n.t("RNN Lab: open the file to predict on first."));
    return d;
  }

  async predictCommand(uri?: vscode.Uri, args: PredictArgs = {}): Promise<TextTaskResult | undefined> {
    const doc = await this.document(uri);
    if (!doc) return undefined;
    const checkpoint = await this.checkpoint(args.checkpoint);
    if (!checkpoint) return undefined;
    await vscode.window.showTextDocument(doc, { preview: false });
    return this.predict(doc, checkpoint, args);
  }

  private async predict(doc: vscode.TextDocument, checkpoint: string, args: PredictArgs): Promise<TextTaskResult | undefined> {
    try {
      const what = await this.request({ type: "describe", checkpoint });
      if (what.type !== "describe") return undefined;
      const labelled = what.kind === "classify" && doc.uri.scheme === "file" && /\.(csv|tsv|jsonl|ndjson)$/i.test(doc.uri.fsPath) && !doc.isDirty;
      const lines: { line: number; column: number; text: string }[] = [];
      if (!labelled) {
        for (let i = 0; i < doc.lineCount && lines.length < MAX_PREDICTED_LINES; i++) {
          const text = doc.lineAt(i).text;
          if (text.trim() !== "") lines.push({ line: i + 1, column: 0, text: text.slice(0, MAX_LINE_CHARS) });
        }
      }
      const r = labelled
        ? await this.request({ type: "predictFile", checkpoint, file: doc.uri.fsPath, ...(args.textColumn ? { textColumn: args.textColumn } : {}), ...(args.labelColumn ? { labelColumn: args.labelColumn } : {}) })
        : await this.request({ type: "predictLines", checkpoint, lines });
      if (r.type !== "predictions") return undefined;
      this.models.set(doc.uri.toString(), { checkpoint, args });
      if (r.predictions.task === "classify") this.marks.showClassPredictions(doc.uri, r.predictions);
      else this.marks.showTagPredictions(doc.uri, r.predictions);
      return r;
    } catch (e) {
      void prompts.error(vscode.l10n.t("RNN Lab: cannot predict with {0}: {1}", basename(checkpoint), errorText(e)));
      return undefined;
    }
  }

  async reportCommand(uri?: vscode.Uri, args: PredictArgs = {}): Promise<ClassificationReportPanel | undefined> {
    const doc = await this.document(uri);
    if (!doc) return undefined;
    const checkpoint = await this.checkpoint(args.checkpoint);
    if (!checkpoint) return undefined;
    try {
      const r = await this.request({
        type: "report", checkpoint, file: doc.uri.fsPath, title: vscode.l10n.t("Classification report: {0} on {1}", basename(checkpoint), basename(doc.uri.fsPath)),
        ...(args.textColumn ? { textColumn: args.textColumn } : {}), ...(args.labelColumn ? { labelColumn: args.labelColumn } : {}),
      });
      return r.type === "report" ? ClassificationReportPanel.show(this.ctx, checkpoint, r.report) : undefined;
    } catch (e) {
      void prompts.error(vscode.l10n.t("RNN Lab: cannot evaluate {0} on {1}: {2}", basename(checkpoint), basename(doc.uri.fsPath), errorText(e)));
      return undefined;
    }
  }

  /**
   * Explain Prediction: the selection, else the record or line at the cursor (the record's text
   * column is not split out: a CSV line is explained as written), by the document's classifier
   * (the one predicting it) or one asked for; colours in the editor and the panel with the numbers.
   */
  async explainCommand(args: ExplainArgs = {}): Promise<ExplainPredictionPanel | undefined> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void prompts.error(vscode.l10n.t("RNN Lab: select the text to explain in an editor first."));
      return undefined;
    }
    const range = editor.selection.isEmpty ? editor.document.lineAt(editor.selection.active.line).range : new vscode.Range(editor.selection.start, editor.selection.end);
    const text = editor.document.getText(range).slice(0, MAX_LINE_CHARS);
    if (text.trim() === "") {
      void prompts.error(vscode.l10n.t("RNN Lab: the line is empty; select the text to explain."));
      return undefined;
    }
    const checkpoint = args.checkpoint ?? this.models.get(editor.document.uri.toString())?.checkpoint ?? await this.checkpoint();
    if (!checkpoint) return undefined;
    const explain = async (steps: number) => {
      const r = await this.request({ type: "explain", checkpoint, text, steps });
      if (r.type !== "explain") throw new Error("unexpected reply");
      return r.attribution;
    };
    try {
      const first = await explain(args.steps ?? FIRST_STEPS);
      return ExplainPredictionPanel.show(this.ctx, checkpoint, text, first, explain, (a) => this.marks.showAttributions(editor, range.start, a));
    } catch (e) {
      void prompts.error(vscode.l10n.t("RNN Lab: cannot explain with {0}: {1}", basename(checkpoint), errorText(e)));
      return undefined;
    }
  }

  dispose(): void {
    void this.channel?.stop("the extension ends");
    for (const s of this.subscriptions) s.dispose();
  }
}
