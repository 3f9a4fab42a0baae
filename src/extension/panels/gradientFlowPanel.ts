// Gradient flow controller: ‖∂L_T/∂h_t‖ against distance for the panel's checkpoint and, on request,
// for other models trained on the same text (found by the hash of their corpus), plus the effect of
// clipping on one gradient; computed in the panel's worker.

import * as vscode from "vscode";
import { errorText } from "../errorText";
import { dirname } from "node:path";
import { namedShape } from "../modelDescription";
import { listModels, readRunManifest } from "../../engine/runs/runStore";
import { InsightClient } from "../insightClient";
import { bestOrLatest } from "../modelExplorer";
import { runsRoot } from "../settings";
import { PanelContext, manifestOf, modelLabel } from "./panelContext";
import { PanelController } from "./panelController";
import { PanelHost } from "./panelHost";

interface Candidate { label: string; cell: string; checkpoint: string }

export class GradientFlowPanel extends PanelController {
  private readonly insight: InsightClient;
  private window = 100;
  private selected: number[] = [];
  private candidates: Candidate[] = [];

  static show(ctx: PanelContext, checkpoint: string, text: string, compareAll = false): GradientFlowPanel {
    const host = PanelHost.create(ctx.extensionUri, "gradientFlow", vscode.l10n.t("Gradient flow: {0}", modelLabel(checkpoint)), { kind: "gradientFlow", checkpoint, text }, ctx.log);
    const panel = new GradientFlowPanel(ctx, host, checkpoint, text);
    if (compareAll) panel.selected = panel.candidates.map((_, i) => i);
    return panel;
  }

  constructor(ctx: PanelContext, host: PanelHost, readonly checkpoint: string, private readonly text: string) {
    super(ctx, host);
    this.insight = new InsightClient(ctx.extensionPath);
    this.candidates = sameCorpusModels(checkpoint);
    this.window = Math.max(2, Math.min(100, Array.from(text).length - 1));
    this.subscriptions.push(
      this.insight,
      host.onReady(() => void this.send()),
      host.onMessage((m) => {
        if (m.type !== "flow.request") return;
        this.window = m.window;
        this.selected = m.compare.filter((i) => i < this.candidates.length);
        void this.send();
      }),
    );
  }

  private async send(): Promise<void> {
    if (!this.host.ready) return;
    this.host.post({ type: "busy", message: vscode.l10n.t("Computing the gradient flow…") });
    try {
      const chosen = this.selected.map((i) => this.candidates[i]);
      const clip = clipOf(this.checkpoint);
      const r = await this.insight.request({ type: "gradientFlow", checkpoints: [this.checkpoint, ...chosen.map((c) => c.checkpoint)], text: this.text, window: this.window, clip }).result;
      const labels = [modelLabel(this.checkpoint), ...chosen.map((c) => c.label)];
      this.host.post({
        type: "flow.data", model: modelLabel(this.checkpoint), window: this.window, windows: r.flows[0].windows,
        series: r.flows.map((f, k) => ({ label: labels[k], cell: r.models[k].spec.cell, layers: r.models[k].spec.layers, norms: f.norms })),
        clipping: r.clipping, candidates: this.candidates.map((c) => ({ label: c.label, cell: c.cell })), selected: this.selected,
      });
    } catch (e) {
      this.host.post({ type: "failed", message: vscode.l10n.t("RNN Lab: {0}", errorText(e)) });
    }
  }

}

/** Other models in the workspace trained on exactly this model's text, each with its best (or latest) checkpoint. */
function sameCorpusModels(checkpoint: string): Candidate[] {
  const mine = manifestOf(checkpoint);
  const root = runsRoot();
  if (!mine || !root) return [];
  return listModels(root).flatMap((m) => {
    if (!m.manifest || m.manifest.corpus.sha256 !== mine.corpus.sha256) return [];
    const c = bestOrLatest(m);
    return c && c !== checkpoint && !checkpoint.startsWith(m.dir + "/") ? [{ label: namedShape(m.manifest.name, m.manifest.spec), cell: m.manifest.spec.cell, checkpoint: c }] : [];
  });
}

/** The clipping threshold the checkpoint's run trained with (its run.json), or the default. */
function clipOf(checkpoint: string): number {
  try { return readRunManifest(dirname(dirname(checkpoint))).options.clip; } catch { return 5; }
}
