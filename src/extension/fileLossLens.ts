// A CodeLens at the top of a text file with the active model's mean loss on it, computed in the
// model worker once per document version (files up to rnnLab.fileLoss.maxCharacters).

import * as vscode from "vscode";
import { basename } from "node:path";
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
  private readonly cache = new Map<string, { key: string; loss: Promise<{ loss: number; predicted: number }> }>();
  private readonly subscription: vscode.Disposable;

  constructor(private readonly client: ModelClient) {
    this.subscription = client.onDidChangeModel(() => { this.cache.clear(); this.changed.fire(); });
  }

  provideCodeLenses(doc: vscode.TextDocument): FileLens[] {
    if (!this.client.model || !enabledFor(doc, "fileLoss")) return [];
    const max = vscode.workspace.getConfiguration("rnnLab", doc).get<number>("fileLoss.maxCharacters", 1_000_000);
    if (doc.getText().length > max || doc.getText().length < 2) return [];
    return [new FileLens(doc)];
  }

  async resolveCodeLens(lens: FileLens, token: vscode.CancellationToken): Promise<FileLens> {
    const doc = lens.doc;
    const model = this.client.model;
    if (!model) return lens;
    const key = `${doc.version}:${model.checkpoint}`;
    let entry = this.cache.get(doc.uri.toString());
    if (!entry || entry.key !== key) {
      entry = { key, loss: this.client.fileLoss(doc.getText()) };
      this.cache.set(doc.uri.toString(), entry);
    }
    try {
      const { loss, predicted } = await entry.loss;
      if (token.isCancellationRequested) return lens;
      lens.command = {
        command: "rnnLab.evaluateModelOnCurrentFile", title: vscode.l10n.t("RNN Lab: {0} nats/char ({1} bits) over {2} characters · {3}", loss.toFixed(3), (loss / Math.LN2).toFixed(2), predicted.toLocaleString(), basename(model.checkpoint)),
      };
    } catch (e) {
      lens.command = { command: "", title: vscode.l10n.t("RNN Lab: {0}", (e as Error).message) };
    }
    return lens;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
