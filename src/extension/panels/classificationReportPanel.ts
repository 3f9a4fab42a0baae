// Classification report controller: shows a classifier's evaluation on a labelled file (the report
// data the engine makes, src/engine/insight/classificationReportData.ts) and opens the file at a
// record's line when the page asks. The page keeps the report in its state, so a reloaded window
// shows it again without evaluating again.

import * as vscode from "vscode";
import { basename } from "node:path";
import type { ClassificationReportData } from "../../protocol/webview";
import { PanelContext } from "./panelContext";
import { PanelController } from "./panelController";
import { PanelHost } from "./panelHost";

export class ClassificationReportPanel extends PanelController {
  /** The report shown (the tests read it); null after a reload until the host evaluates again. */
  data: ClassificationReportData | null = null;

  static show(ctx: PanelContext, checkpoint: string, data: ClassificationReportData): ClassificationReportPanel {
    const existing = [...ctx.open].find((p) => p instanceof ClassificationReportPanel && p.checkpoint === checkpoint && p.file === data.file) as ClassificationReportPanel | undefined;
    const panel = existing ?? new ClassificationReportPanel(ctx, PanelHost.create(ctx.extensionUri, "classificationReport", vscode.l10n.t("Classification report: {0}", basename(data.file)), { kind: "classificationReport", checkpoint, file: data.file }, ctx.log), checkpoint, data.file);
    if (existing) existing.host.panel.reveal();
    panel.update(data);
    return panel;
  }

  constructor(ctx: PanelContext, host: PanelHost, readonly checkpoint: string, readonly file: string) {
    super(ctx, host);
    this.subscriptions.push(
      host.onReady(() => { if (this.data) host.post({ type: "report.data", data: this.data }); }),
      host.onMessage((m) => { if (m.type === "report.reveal") void revealLine(this.file, m.line); }),
    );
  }

  update(data: ClassificationReportData): void {
    this.data = data;
    this.host.post({ type: "report.data", data });
  }
}

/** Opens `file` in the first column with the cursor at the start of `line` (1-based), centred. */
export async function revealLine(file: string, line: number): Promise<vscode.TextEditor> {
  const editor = await vscode.window.showTextDocument(vscode.Uri.file(file), { viewColumn: vscode.ViewColumn.One, preserveFocus: false });
  const at = new vscode.Position(Math.min(line - 1, editor.document.lineCount - 1), 0);
  editor.selection = new vscode.Selection(at, at);
  editor.revealRange(new vscode.Range(at, at), vscode.TextEditorRevealType.InCenter);
  return editor;
}
