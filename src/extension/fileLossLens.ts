// A CodeLens at the top of a text file with the active model's mean loss on it, computed in the
// model worker once per document version (files up to rnnLab.fileLoss.maxCharacters).

import * as vscode from "vscode";
import { basename } from "node:path";
import { errorText } from "./errorText";
import type { ModelClient } from "./modelClient";
import { enabledFor } from "./predictionHover";

class FileLens extends vscode.CodeLens {
  constructor(readonly doc: vscode.TextDocument) {
    super(new vscode.Range(0, 0, 0, 0));
  }
}

export class FileLossLens implements vscode.CodeLensProvider<FileLens>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly cache = new Map<string, { key: string; loss: Promise<{ loss: number; predicted: number; characters?: number; unknown?: number }> }>();
  private readonly subscription: vscode.Disposable;

  /** `noActiveButModels`: trained models exist but none is active (the lens then offers to choose one). */
  constructor(private readonly client: ModelClient, private readonly noActiveButModels: () => boolean = () => false) {
    this.subscription = client.onDidChangeModel(() => { this.cache.clear(); this.changed.fire(); });
  }

  provideCodeLenses(doc: vscode.TextDocument): FileLens[] {
    if (!this.client.model && enabledFor(doc, "fileLoss") && this.noActiveButModels()) {
      const offer = new FileLens(doc);
      offer.command = { command: "rnnLab.setActiveModel", title: vscode.l10n.t("RNN Lab: no active model · choose one for predictions…") };
      return [offer];
    }
    if (!this.client.model || !enabledFor(doc, "fileLoss")) return [];
    const max = vscode.workspace.getConfiguration("rnnLab", doc).get<number>("fileLoss.maxCharacters", 1_000_000);
    if (doc.getText().length > max || doc.getText().length < 2) return [];
    return [new FileLens(doc)];
  }

  async resolveCodeLens(lens: FileLens, token: vscode.CancellationToken): Promise<FileLens> {
    const doc = lens.doc;
    const model = this.client.model;
    if (!model || lens.command) return lens;
    const key = `${doc.version}:${model.checkpoint}`;
    let entry = this.cache.get(doc.uri.toString());
    if (!entry || entry.key !== key) {
      entry = { key, loss: this.client.fileLoss(doc.getText()) };
      this.cache.set(doc.uri.toString(), entry);
    }
    try {
      const r = await entry.loss;
      if (token.isCancellationRequested) return lens;
      lens.command = {
        command: "rnnLab.evaluateModelOnCurrentFile", title: vscode.l10n.t("RNN Lab: {0} nats/char ({1} bits/char) over {2} · {3}", r.loss.toFixed(3), (r.loss / Math.LN2).toFixed(2), charactersRead(r), basename(model.checkpoint)),
      };
    } catch (e) {
      lens.command = { command: "", title: vscode.l10n.t("RNN Lab: {0}", errorText(e)) };
    }
    return lens;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

/** "15,182 characters", or with characters the model does not know: "7,098 of 15,182 characters; 8,084 unknown to the model, skipped". */
export function charactersRead(r: { predicted: number; characters?: number; unknown?: number }): string {
  const n = (x: number) => x.toLocaleString(vscode.env.language);
  if (!r.unknown || r.characters === undefined) return vscode.l10n.t("{0} characters", n(r.predicted));
  return vscode.l10n.t("{0} of {1} characters; {2} unknown to the model, skipped", n(r.predicted), n(r.characters), n(r.unknown));
}
