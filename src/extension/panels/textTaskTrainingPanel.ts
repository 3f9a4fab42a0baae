// A text task's training panel: its validations (accuracy, F1, loss) as they come from the run
// training now, or from its record once it has ended (a reload, or opened later), and Stop.

import * as vscode from "vscode";
import { basename, dirname } from "node:path";
import { readFileSync } from "node:fs";
import type { TextTaskTrainingData } from "../../protocol/webview";
import { TextTaskRecord, runningTextTasks } from "../textTaskTraining";
import { PanelContext } from "./panelContext";
import { PanelController } from "./panelController";
import { PanelHost } from "./panelHost";

/** The record as the page draws it, titled in the window's language. */
export function trainingData(r: TextTaskRecord): TextTaskTrainingData {
  const task = { classify: vscode.l10n.t("Classifier"), tag: vscode.l10n.t("Tagger"), segment: vscode.l10n.t("Word segmenter") }[r.task];
  return {
    title: vscode.l10n.t("{0} on {1}", task, basename(r.data)), model: `${r.cell.toUpperCase()} ${r.layers}×${r.hidden}${r.bidirectional ? ` · ${vscode.l10n.t("both directions")}` : ""}`,
    state: r.state, names: r.names, counts: r.counts, validations: r.validations, ...(r.message ? { message: r.message } : {}),
  };
}

export class TextTaskTrainingPanel extends PanelController {
  last: TextTaskTrainingData | null = null;

  static show(ctx: PanelContext, recordPath: string): TextTaskTrainingPanel {
    const existing = [...ctx.open].find((p) => p instanceof TextTaskTrainingPanel && p.recordPath === recordPath) as TextTaskTrainingPanel | undefined;
    if (existing) { existing.host.panel.reveal(); return existing; }
    const host = PanelHost.create(ctx.extensionUri, "textTaskTraining", vscode.l10n.t("Training: {0}", basename(dirname(recordPath))), { kind: "textTaskTraining", record: recordPath }, ctx.log);
    return new TextTaskTrainingPanel(ctx, host, recordPath);
  }

  constructor(ctx: PanelContext, host: PanelHost, readonly recordPath: string) {
    super(ctx, host);
    const run = runningTextTasks.get(recordPath);
    if (run) this.subscriptions.push(run.onDidUpdate((r) => this.send(r)));
    this.subscriptions.push(
      host.onReady(() => { const r = run?.record ?? this.read(); if (r) this.send(r); }),
      host.onMessage((m) => { if (m.type === "textTask.stop") runningTextTasks.get(recordPath)?.stop(); }),
    );
  }

  private read(): TextTaskRecord | null {
    try { return JSON.parse(readFileSync(this.recordPath, "utf8")) as TextTaskRecord; } catch { return null; }
  }

  private send(r: TextTaskRecord): void {
    this.last = trainingData(r);
    this.host.post({ type: "textTask.data", data: this.last });
  }
}
