// Gate heatmap controller: reads a text through a checkpoint in the panel's worker and sends one
// layer's quantities at a time as typed arrays ([characters, units] each).

import * as vscode from "vscode";
import { errorText } from "../errorText";
import type { Activations } from "../../engine/insight/activations";
import { InsightClient } from "../insightClient";
import { PanelContext, modelLabel } from "./panelContext";
import { PanelController } from "./panelController";
import { PanelHost } from "./panelHost";

export class GateHeatmapPanel extends PanelController {
  private readonly insight: InsightClient;
  private activations: Promise<Activations> | null = null;
  private layer = 0;
  /** 0 forward, 1 backward (a bidirectional model's). */
  private direction = 0;

  static show(ctx: PanelContext, checkpoint: string, text: string): GateHeatmapPanel {
    const host = PanelHost.create(ctx.extensionUri, "gateHeatmap", vscode.l10n.t("Gates: {0}", modelLabel(checkpoint)), { kind: "gateHeatmap", checkpoint, text }, ctx.log);
    return new GateHeatmapPanel(ctx, host, checkpoint, text);
  }

  constructor(ctx: PanelContext, host: PanelHost, readonly checkpoint: string, private text: string) {
    super(ctx, host);
    this.insight = new InsightClient(ctx.extensionPath);
    this.subscriptions.push(
      this.insight,
      host.onReady(() => void this.send()),
      host.onMessage((m) => {
        if (m.type !== "heatmap.request") return;
        if (m.text !== undefined && m.text !== this.text) {
          this.text = m.text;
          this.activations = null;
          host.setRestore({ kind: "gateHeatmap", checkpoint, text: m.text });
        }
        this.layer = m.layer;
        if (m.direction !== undefined) this.direction = m.direction;
        void this.send();
      }),
    );
  }

  /** Shows other text (the command run again on a new selection) in this panel. */
  showText(text: string): void {
    this.text = text;
    this.activations = null;
    this.host.setRestore({ kind: "gateHeatmap", checkpoint: this.checkpoint, text });
    this.host.panel.reveal();
    void this.send();
  }

  private async send(): Promise<void> {
    if (!this.host.ready) return;
    this.host.post({ type: "busy", message: vscode.l10n.t("Reading {0} characters…", Array.from(this.text).length) });
    try {
      this.activations ??= this.insight.request({ type: "activations", checkpoint: this.checkpoint, text: this.text }).result.then((r) => r.activations);
      const a = await this.activations;
      const layer = Math.min(this.layer, a.layers - 1), direction = Math.min(this.direction, a.directions - 1);
      const shown = a.perLayer[layer];
      this.host.post({
        type: "heatmap.data", model: modelLabel(this.checkpoint), cell: a.cell, layers: a.layers, hidden: a.hidden, layer, directions: a.directions, direction,
        chars: a.chars, quantities: a.quantities, values: direction === 1 ? shown.reverse! : shown.values,
      });
    } catch (e) {
      this.activations = null;
      this.host.post({ type: "failed", message: vscode.l10n.t("RNN Lab: {0}", errorText(e)) });
    }
  }

}
