// Training dashboard controller: one panel per run. It sends the run's whole history from its
// metrics file, then, while the run trains in this window, every step, validation and sample as the
// worker reports them; Pause/Resume/Stop act on the run only if it is the one training here.

import * as vscode from "vscode";
import { errorText } from "../errorText";
import { basename } from "node:path";
import { tensorSlots } from "../../engine/files/checkpoint";
import { torchName } from "../../engine/model/modelSpec";
import { StepMetric, readRunMetrics } from "../../engine/runs/runMetrics";
import { DISTRIBUTION_QUANTILES } from "../../engine/insight/histograms";
import { metricsCsv } from "../../engine/files/metricsCsv";
import { listStepCheckpoints, readModelManifest, readRunManifest } from "../../engine/runs/runStore";
import { InsightClient } from "../insightClient";
import { corpusOf } from "./panelContext";
import { saveExport } from "./panelExport";
import type { EvalColumns, RunState, RunSummary, StepColumns } from "../../protocol/webview";
import type { ActiveRun } from "../trainingQueue";
import { PanelContext, paramsLabel } from "./panelContext";
import { PanelController } from "./panelController";
import { PanelHost } from "./panelHost";

export function stepColumns(rows: StepMetric[], tensorCount: number): StepColumns {
  const n = rows.length;
  const c: StepColumns = {
    step: new Float64Array(n), loss: new Float32Array(n), gradNorm: new Float32Array(n), clipped: new Uint8Array(n), lr: new Float32Array(n),
    chars: new Float64Array(n), seconds: new Float32Array(n), tensorNorms: new Float32Array(n * tensorCount).fill(NaN), tensorCount,
  };
  rows.forEach((r, i) => {
    c.step[i] = r.step; c.loss[i] = r.loss; c.gradNorm[i] = r.gradNorm; c.clipped[i] = r.clipped ? 1 : 0; c.lr[i] = r.lr;
    c.chars[i] = r.chars; c.seconds[i] = r.seconds;
    if (r.tensorNorms && r.tensorNorms.length === tensorCount) c.tensorNorms.set(r.tensorNorms, i * tensorCount);
  });
  return c;
}

export function evalColumns(rows: { step: number; valLoss: number; chars: number; seconds: number }[]): EvalColumns {
  return {
    step: Float64Array.from(rows, (r) => r.step), valLoss: Float32Array.from(rows, (r) => r.valLoss),
    chars: Float64Array.from(rows, (r) => r.chars), seconds: Float32Array.from(rows, (r) => r.seconds),
  };
}

export class DashboardPanel extends PanelController {
  private attached: ActiveRun | null = null;
  private following: vscode.Disposable | undefined; // the attached run's event subscription
  private tensorCount = 0;
  private readonly insight: InsightClient; // started on the first request for histograms

  static show(ctx: PanelContext, runDir: string): DashboardPanel {
    const existing = [...ctx.open].find((p) => p instanceof DashboardPanel && p.runDir === runDir) as DashboardPanel | undefined;
    if (existing) {
      existing.host.panel.reveal();
      return existing;
    }
    const title = vscode.l10n.t("Training: {0}", runTitle(runDir));
    return new DashboardPanel(ctx, PanelHost.create(ctx.extensionUri, "dashboard", title, { kind: "dashboard", runDir }, ctx.log), runDir);
  }

  constructor(ctx: PanelContext, host: PanelHost, readonly runDir: string) {
    super(ctx, host);
    this.insight = new InsightClient(ctx.extensionPath);
    this.subscriptions.push(
      this.insight,
      host.onReady(() => this.sendAll()),
      host.onMessage((m) => {
        if (m.type === "dashboard.exportCsv") return void this.exportCsv();
        if (m.type === "histograms.request") return void this.sendHistograms();
        if (m.type !== "dashboard.control") return;
        const active = ctx.queue.isActive(runDir) ? ctx.queue.active : null;
        if (!active) return void vscode.window.showInformationMessage(vscode.l10n.t("RNN Lab: this run is not training in this window."));
        if (m.action === "pause") active.pause();
        else if (m.action === "resume") active.resume();
        else active.stop();
      }),
      ctx.queue.onDidChange(() => this.attach()),
    );
    this.attach();
  }

  /** Follows the run's worker while it trains in this window. */
  private attach(): void {
    const active = this.ctx.queue.isActive(this.runDir) ? this.ctx.queue.active : null;
    if (active === this.attached) return;
    this.attached = active;
    this.following?.dispose();
    this.following = undefined;
    if (!active) return void this.sendRun(); // it finished (or never trained here): show its final state
    active.hideProgressNotification(); // this panel shows the progress; the notification would cover its bottom
    this.following = active.onEvent((e) => {
      switch (e.type) {
        case "progress":
          this.host.post({ type: "dashboard.append", steps: stepColumns(e.steps, this.tensorCount) });
          this.host.post({ type: "dashboard.status", state: "training", step: e.step, charsPerSecond: e.charsPerSecond, etaSeconds: e.etaSeconds, fraction: e.fraction });
          break;
        case "eval": {
          const last = active.lastProgress?.steps.at(-1);
          this.host.post({ type: "dashboard.eval", step: e.step, valLoss: e.valLoss, chars: last?.chars ?? 0, seconds: last?.seconds ?? 0, ...(active.overfitWarning ? { warning: active.overfitWarning } : {}) });
          break;
        }
        case "sample":
          this.host.post({ type: "dashboard.sample", step: e.step, text: e.text });
          break;
        case "paused":
        case "resumed":
          this.host.post({ type: "dashboard.status", state: e.type === "paused" ? "paused" : "training", step: e.step, charsPerSecond: null, etaSeconds: null, fraction: null });
          break;
        case "done":
        case "error":
          this.sendAll(); // the file has every step, including those after the last progress event
          break;
      }
    });
    this.sendRun();
  }

  private summary(): RunSummary {
    const run = readRunManifest(this.runDir);
    const model = readModelManifest(modelDirOfRun(this.runDir));
    const names = tensorSlots(model.spec).map(torchName);
    this.tensorCount = names.length;
    const live = this.ctx.queue.isActive(this.runDir);
    const state: RunState = run.state === "training" && !live ? "interrupted" : live && this.ctx.queue.active?.paused ? "paused" : run.state;
    const b = run.plan.budget;
    return {
      label: `${model.name} · ${run.id}`, model: paramsLabel(model), state, clip: run.options.clip, tensorNames: names, live,
      charsPerEpoch: Math.round(model.corpus.chars * (1 - run.options.valFraction)),
      budget: b.steps ? vscode.l10n.t("budget {0} steps", b.steps) : vscode.l10n.t("budget {0} s", b.seconds ?? 0),
    };
  }

  private sendRun(): void {
    try {
      this.host.post({ type: "dashboard.run", run: this.summary() });
    } catch (e) {
      this.host.post({ type: "failed", message: vscode.l10n.t("RNN Lab: cannot read this run: {0}", errorText(e)) });
    }
  }

  private sendAll(): void {
    if (!this.host.ready) return;
    try {
      const run = this.summary();
      this.host.post({ type: "dashboard.run", run });
      const m = readRunMetrics(this.runDir);
      this.host.post({ type: "dashboard.history", steps: stepColumns(m.steps, this.tensorCount), evals: evalColumns(m.evals), samples: m.samples.slice(-50) });
      const p = this.attached?.lastProgress;
      if (p) this.host.post({ type: "dashboard.status", state: run.state, step: p.step, charsPerSecond: p.charsPerSecond, etaSeconds: p.etaSeconds, fraction: p.fraction });
    } catch (e) {
      this.host.post({ type: "failed", message: vscode.l10n.t("RNN Lab: cannot read this run: {0}", errorText(e)) });
    }
  }

  private async exportCsv(): Promise<void> {
    try {
      const run = this.summary();
      const csv = metricsCsv(readRunMetrics(this.runDir), run.tensorNames, run.charsPerEpoch);
      await saveExport(this.ctx.log, `${basename(modelDirOfRun(this.runDir))}-${basename(this.runDir)}-metrics`, "csv", new TextEncoder().encode(csv));
    } catch (e) {
      this.host.post({ type: "failed", message: vscode.l10n.t("RNN Lab: cannot read this run: {0}", (e as Error).message) });
    }
  }

  /** Histograms at each of the run's kept checkpoints, computed in the panel's worker on a stretch of the model's corpus. */
  private async sendHistograms(): Promise<void> {
    const checkpoints = listStepCheckpoints(this.runDir);
    if (!checkpoints.length) return this.host.post({ type: "failed", message: vscode.l10n.t("RNN Lab: this run has no checkpoints yet; histograms are read from them.") });
    const text = corpusOf(checkpoints[0].path, 4000);
    if (!text) return this.host.post({ type: "failed", message: vscode.l10n.t("RNN Lab: the model's corpus is missing, so its gradients and states cannot be read.") });
    this.host.post({ type: "busy", message: vscode.l10n.t("Reading {0} checkpoints…", checkpoints.length) });
    try {
      const { histograms: h } = await this.insight.request({ type: "histograms", checkpoints, text }).result;
      this.host.post({ type: "histograms.data", steps: h.steps, quantiles: DISTRIBUTION_QUANTILES, series: h.series });
    } catch (e) {
      this.host.post({ type: "failed", message: vscode.l10n.t("RNN Lab: {0}", (e as Error).message) });
    }
  }

  dispose(): void {
    this.following?.dispose();
    super.dispose();
  }
}

/** .rnnlab/<model>/runs/<run> → .rnnlab/<model> */
export function modelDirOfRun(runDir: string): string {
  return runDir.replace(/[\\/]runs[\\/][^\\/]+[\\/]?$/, "");
}

function runTitle(runDir: string): string {
  try { return `${readModelManifest(modelDirOfRun(runDir)).name} · ${basename(runDir)}`; } catch { return basename(runDir); }
}

