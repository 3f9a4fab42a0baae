// The training dashboard of a forecaster's run (one panel per run record): its validation MAE and RMSE
// at every evaluation with the best baseline's validation MAE as the line to beat, live while it trains
// in this window, and Stop (the run writes its best weights so far) and Resume (a new run from that
// checkpoint, for the steps the budget had left). The page is the text runs' dashboard in its forecast
// mode (webview/dashboard.ts, message dashboard.forecast).

import * as vscode from "vscode";
import { existsSync } from "node:fs";
import { basename } from "node:path";
import type { ForecastTrainingData } from "../../protocol/webview";
import type { CellType } from "../../engine/model/modelSpec";
import type { ForecastCellOptions } from "../forecastCommands";
import { ForecastRecord, readForecastRecord } from "../forecastModels";
import { onForecastTraining, runningForecast, startForecaster } from "../forecastTraining";
import { PanelContext } from "./panelContext";
import { PanelController } from "./panelController";
import { PanelHost } from "./panelHost";

export class ForecastDashboardPanel extends PanelController {
  static show(ctx: PanelContext, recordPath: string): ForecastDashboardPanel {
    const existing = [...ctx.open].find((p) => p instanceof ForecastDashboardPanel && p.recordPath === recordPath) as ForecastDashboardPanel | undefined;
    if (existing) {
      existing.host.panel.reveal();
      return existing;
    }
    const r = readForecastRecord(recordPath);
    const title = vscode.l10n.t("Training: {0}", r ? `${basename(r.data)} · ${r.target}` : basename(recordPath));
    return new ForecastDashboardPanel(ctx, PanelHost.create(ctx.extensionUri, "dashboard", title, { kind: "dashboard", forecastRecord: recordPath }, ctx.log), recordPath);
  }

  constructor(ctx: PanelContext, host: PanelHost, public recordPath: string) {
    super(ctx, host);
    this.subscriptions.push(
      host.onReady(() => this.send()),
      host.onMessage((m) => {
        if (m.type !== "dashboard.control") return;
        if (m.action === "stop") return void this.live()?.stop();
        if (m.action === "resume") return void this.resume();
        void vscode.window.showInformationMessage(vscode.l10n.t("RNN Lab: a forecaster's run does not pause; Stop writes its checkpoint and Resume trains on from it."));
      }),
      onForecastTraining((file, target, training) => {
        const r = readForecastRecord(this.recordPath);
        if (r && r.data === file && r.target === target && this.live()) this.post(r, training);
        else if (r && r.data === file && r.target === target) this.send();
      }),
    );
  }

  /** The run of this record, while it trains in this window. */
  private live() {
    const r = readForecastRecord(this.recordPath);
    const run = r ? runningForecast(r.data, r.target) : undefined;
    return run?.recordPath === this.recordPath ? run : undefined;
  }

  private send(): void {
    const r = readForecastRecord(this.recordPath);
    if (!r) return this.host.post({ type: "failed", message: vscode.l10n.t("RNN Lab: cannot read this run: {0}", this.recordPath) });
    const live = this.live();
    this.post(r, live ? live.training() : { state: r.state, steps: r.steps ?? 0, validations: r.validations, baselineValMae: r.baselineValMae ?? NaN });
  }

  private post(r: ForecastRecord, training: ForecastTrainingData): void {
    const live = !!this.live();
    this.host.post({
      type: "dashboard.forecast", label: `${basename(r.data)} · ${r.target} · ${r.cell.toUpperCase()}, lookback ${r.lookback}, horizon ${r.horizon}`, column: r.target,
      training, live, resumable: !live && r.state === "stopped" && existsSync(r.checkpoint),
    });
  }

  /** A new run from the stopped run's checkpoint, for the steps its budget had left; this panel then follows it. */
  private async resume(): Promise<void> {
    const r = readForecastRecord(this.recordPath);
    if (!r || r.state !== "stopped" || !existsSync(r.checkpoint)) return void vscode.window.showInformationMessage(vscode.l10n.t("RNN Lab: only a stopped run with a checkpoint resumes."));
    const left = Math.max(1, (r.steps ?? 0) - (r.stepsDone ?? 0));
    const run = await startForecaster({
      file: r.data, target: r.target, inputs: r.inputs, ...(r.timeColumn ? { timeColumn: r.timeColumn } : {}), fill: r.fill === "linear" ? "linear" : "none",
      lookback: r.lookback, horizon: r.horizon, cell: r.cell as CellType, ...(r.cellOptions ? { cellOptions: r.cellOptions as ForecastCellOptions } : {}), budget: { steps: left }, resumeFrom: r.checkpoint, ...(r.quantiles ? { quantiles: r.quantiles } : {}),
    }, { log: this.ctx.log, extensionPath: this.ctx.extensionPath });
    if (!run) return;
    this.recordPath = run.recordPath;
    this.host.setRestore({ kind: "dashboard", forecastRecord: run.recordPath });
    this.send();
  }
}
