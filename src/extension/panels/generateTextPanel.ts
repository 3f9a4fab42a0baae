// Generated text controller: streams characters from the panel's worker to the page as they are
// drawn, with their probabilities and alternatives; Copy puts the text on the clipboard, Insert at
// Cursor puts it into the last text editor the user was in.

import * as vscode from "vscode";
import { errorText } from "../errorText";
import { InsightClient } from "../insightClient";
import { PanelContext, modelLabel } from "./panelContext";
import { PanelController } from "./panelController";
import { PanelHost } from "./panelHost";

const ALTERNATIVES = 5;

export class GenerateTextPanel extends PanelController {
  private readonly insight: InsightClient;
  private running: number | null = null;
  private editor: vscode.TextEditor | undefined = vscode.window.activeTextEditor;

  static show(ctx: PanelContext, checkpoint: string): GenerateTextPanel {
    const host = PanelHost.create(ctx.extensionUri, "generateText", vscode.l10n.t("Generate: {0}", modelLabel(checkpoint)), { kind: "generateText", checkpoint }, ctx.log);
    return new GenerateTextPanel(ctx, host, checkpoint);
  }

  constructor(ctx: PanelContext, host: PanelHost, readonly checkpoint: string) {
    super(ctx, host);
    this.insight = new InsightClient(ctx.extensionPath);
    this.subscriptions.push(
      this.insight,
      vscode.window.onDidChangeActiveTextEditor((e) => { if (e) this.editor = e; }),
      host.onReady(() => void this.describe()),
      host.onMessage((m) => {
        switch (m.type) {
          case "generate.start": return this.generate(m);
          case "generate.stop": if (this.running !== null) this.insight.cancel(this.running); return;
          case "generate.copy":
            void vscode.env.clipboard.writeText(m.text).then(() => vscode.window.setStatusBarMessage(vscode.l10n.t("RNN Lab: copied {0} characters", m.text.length), 3000));
            return;
          case "generate.insert": return void this.insert(m.text);
        }
      }),
    );
  }

  private async describe(): Promise<void> {
    try {
      const r = await this.insight.request({ type: "describe", checkpoint: this.checkpoint }).result;
      this.host.post({ type: "generate.model", model: modelLabel(this.checkpoint), vocab: r.vocab, k: ALTERNATIVES });
    } catch (e) {
      this.host.post({ type: "failed", message: vscode.l10n.t("RNN Lab: {0}", errorText(e)) });
    }
  }

  private generate(m: { prime: string; length: number; temperature: number; topK: number; topP: number; seed: number }): void {
    if (this.running !== null) this.insight.cancel(this.running);
    const { prime, length, temperature, topK, topP, seed } = m;
    const { id, result } = this.insight.request({ type: "generate", checkpoint: this.checkpoint, prime, length, temperature, topK, topP, seed, alternatives: ALTERNATIVES }, (chunk) => {
      if (this.running === id) this.host.post({ type: "generate.chunk", ...chunk });
    });
    this.running = id;
    result.then((r) => {
      if (this.running === id) this.host.post({ type: "generate.done", stopped: r.stopped });
    }, (e: Error) => {
      if (this.running === id) this.host.post({ type: "failed", message: vscode.l10n.t("RNN Lab: {0}", errorText(e)) });
    }).finally(() => { if (this.running === id) this.running = null; });
  }

  private async insert(text: string): Promise<void> {
    const editor = this.editor && vscode.window.visibleTextEditors.includes(this.editor) ? this.editor : vscode.window.visibleTextEditors[0];
    if (!editor) return void vscode.window.showInformationMessage(vscode.l10n.t("RNN Lab: open a text editor to insert into."));
    const ok = await editor.edit((b) => { for (const s of editor.selections) b.replace(s, text); });
    if (!ok) void vscode.window.showErrorMessage(vscode.l10n.t("RNN Lab: the editor did not accept the text (is it read-only?)."));
  }

}
