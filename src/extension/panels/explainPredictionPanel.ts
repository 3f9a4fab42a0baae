// Explain Prediction controller: shows a classifier's attributions for one text (computed in the
// text-task worker by the engine's attributions()) and explains it again with another number of
// integrated-gradients steps when the page asks; `onExplained` lets the editor recolour its text.

import * as vscode from "vscode";
import { basename } from "node:path";
import type { AttributionResult } from "../../protocol/textPredictions";
import { errorText } from "../errorText";
import { PanelContext } from "./panelContext";
import { PanelController } from "./panelController";
import { PanelHost } from "./panelHost";

export type Explain = (steps: number) => Promise<AttributionResult>;

export class ExplainPredictionPanel extends PanelController {
  /** The attribution shown (the tests read it). */
  attribution: AttributionResult | null = null;

  static show(ctx: PanelContext, checkpoint: string, text: string, first: AttributionResult, explain: Explain, onExplained: (a: AttributionResult) => void): ExplainPredictionPanel {
    for (const p of [...ctx.open]) if (p instanceof ExplainPredictionPanel) p.dispose(); // one explanation at a time
    const host = PanelHost.create(ctx.extensionUri, "explainPrediction", vscode.l10n.t("Explain Prediction: {0}", basename(checkpoint)), { kind: "explainPrediction", checkpoint, text: text.slice(0, 200) }, ctx.log);
    const panel = new ExplainPredictionPanel(ctx, host, checkpoint, explain, onExplained);
    panel.update(first);
    return panel;
  }

  constructor(ctx: PanelContext, host: PanelHost, readonly checkpoint: string, private readonly explain: Explain | null, private readonly onExplained: (a: AttributionResult) => void = () => undefined) {
    super(ctx, host);
    this.subscriptions.push(
      host.onReady(() => { if (this.attribution) this.post(this.attribution); }),
      host.onMessage((m) => { if (m.type === "explain.steps") void this.again(m.steps); }),
    );
  }

  private post(a: AttributionResult): void {
    this.host.post({ type: "explain.data", model: basename(this.checkpoint), attribution: a });
  }

  update(a: AttributionResult): void {
    this.attribution = a;
    this.post(a);
    this.onExplained(a);
  }

  private async again(steps: number): Promise<void> {
    if (!this.explain) return; // brought back after a reload: the page shows what it had
    this.host.post({ type: "busy", message: vscode.l10n.t("Explaining with {0} steps…", steps) });
    try {
      this.update(await this.explain(steps));
    } catch (e) {
      this.host.post({ type: "failed", message: errorText(e) });
    }
  }
}
