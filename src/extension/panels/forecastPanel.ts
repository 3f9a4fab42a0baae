// Forecast panel controller: one CSV/TSV column's backtest on its test span, every baseline (naive,
// seasonal naive, mean, AR(p)) and, once one exists, the trained forecaster's, computed in the
// panel's own forecast worker. It is drawn again when the file is saved, when the user asks for
// another horizon or number of origins, and when a training run ends (a new checkpoint may exist).

import * as vscode from "vscode";
import { basename } from "node:path";
import { errorText } from "../errorText";
import { ForecastClient } from "../forecastClient";
import { forecastCheckpointFor, forecastRecords } from "../forecastModels";
import { onForecastTraining, runningForecast } from "../forecastTraining";
import type { ForecastPanelData } from "../../protocol/webview";
import type { ForecastResult } from "../../protocol/forecastWorker";
import { PanelContext } from "./panelContext";
import { PanelController } from "./panelController";
import { PanelHost } from "./panelHost";

export interface ForecastTarget { file: string; target: string; timeColumn?: string }


/** The column last opened in a forecast panel, per file: the CSV hover forecasts that one. */
export const chosenTargets = new Map<string, string>();

export class ForecastPanel extends PanelController {
  private readonly client: ForecastClient;
  private horizon: number | undefined;
  private origins: number | undefined; // the model's own backtest count, else DEFAULT_ORIGINS
  /** The last data sent (the tests read it). */
  last: ForecastPanelData | null = null;

  static show(ctx: PanelContext, target: ForecastTarget): ForecastPanel {
    const existing = [...ctx.open].find((p) => p instanceof ForecastPanel && p.target.file === target.file && p.target.target === target.target) as ForecastPanel | undefined;
    if (existing) {
      existing.host.panel.reveal();
      return existing;
    }
    const host = PanelHost.create(ctx.extensionUri, "forecast", vscode.l10n.t("Forecast: {0} · {1}", basename(target.file), target.target), { kind: "forecast", ...target }, ctx.log);
    return new ForecastPanel(ctx, host, target);
  }

  constructor(ctx: PanelContext, host: PanelHost, readonly target: ForecastTarget) {
    super(ctx, host);
    this.client = new ForecastClient(ctx.extensionPath);
    chosenTargets.set(target.file, target.target);
    this.subscriptions.push(
      this.client,
      host.onReady(() => void this.send()),
      host.onMessage((m) => {
        if (m.type === "forecast.options") {
          this.horizon = m.horizon;
          this.origins = m.origins;
          void this.send();
        } else if (m.type === "forecast.train") {
          void vscode.commands.executeCommand("rnnLab.trainForecaster", vscode.Uri.file(target.file), { target: target.target });
        } else if (m.type === "forecast.stop") {
          runningForecast(target.file, target.target)?.stop();
        } else if (m.type === "forecast.dashboard") {
          const record = runningForecast(target.file, target.target)?.recordPath ?? forecastRecords(target.file, target.target)[0]?.path;
          if (record) void vscode.commands.executeCommand("rnnLab.openTrainingDashboard", { forecastRecord: record });
        } else if (m.type === "forecast.reveal") {
          void this.reveal(m.line);
        }
      }),
      vscode.workspace.onDidSaveTextDocument((d) => { if (d.uri.fsPath === target.file) void this.send(); }),
      onForecastTraining((file, column, training) => {
        if (file !== target.file || column !== target.target) return;
        this.host.post({ type: "forecast.training", training });
        if (training.state === "done") void this.send(); // its checkpoint: the model's row
      }),
    );
  }

  /** Computes the backtest in the worker and posts it; resolves with what was sent (null: an error was shown). */
  async send(): Promise<ForecastPanelData | null> {
    if (!this.host.ready) return null;
    this.host.post({ type: "busy", message: vscode.l10n.t("Backtesting the baselines…") });
    const checkpoint = forecastCheckpointFor(this.target.file, this.target.target);
    try {
      const r = await this.client.request({
        type: "report", source: { file: this.target.file }, series: { target: this.target.target, ...(this.target.timeColumn ? { timeColumn: this.target.timeColumn } : {}), fill: "linear" },
        ...(this.horizon ? { horizon: this.horizon } : {}), ...(this.origins ? { origins: this.origins } : {}), ...(checkpoint ? { checkpoint } : {}),
      });
      const data = panelData(r, vscode.l10n.t("{0} · {1}", basename(this.target.file), this.target.target), this.target.timeColumn);
      this.last = data;
      this.host.post({ type: "forecast.data", data });
      this.sendTraining();
      return data;
    } catch (e) {
      this.host.post({ type: "failed", message: vscode.l10n.t("RNN Lab: {0}", errorText(e)) });
      return null;
    }
  }

  /** The run training now, else the newest recorded one: its validation curve beside the baselines' line. */
  private sendTraining(): void {
    const live = runningForecast(this.target.file, this.target.target);
    if (live) return this.host.post({ type: "forecast.training", training: live.training() });
    const r = forecastRecords(this.target.file, this.target.target).find((x) => x.validations.length);
    if (r) this.host.post({ type: "forecast.training", training: { state: r.state, steps: r.steps ?? 0, validations: r.validations, baselineValMae: r.baselineValMae ?? NaN } });
  }

  private async reveal(line: number): Promise<void> {
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(this.target.file), { viewColumn: vscode.ViewColumn.One, preserveFocus: false });
    const at = new vscode.Position(Math.min(line - 1, editor.document.lineCount - 1), 0);
    editor.selection = new vscode.Selection(at, at);
    editor.revealRange(new vscode.Range(at, at), vscode.TextEditorRevealType.InCenter);
  }
}

/** The worker's report as the page's payload, with the notes about the data in the user's language. */
export function panelData(r: Extract<ForecastResult, { type: "report" }>, title: string, timeColumn?: string): ForecastPanelData {
  const s = r.series, rep = r.report;
  const notes: string[] = [];
  if (s.filled) notes.push(vscode.l10n.t("{0} missing values filled by linear interpolation.", s.filled));
  if (s.sorted) notes.push(vscode.l10n.t("The rows were not in time order; they are sorted by {0}.", timeColumn ?? ""));
  if (s.spacing?.irregular) notes.push(vscode.l10n.t("{0} of the time steps differ from the usual spacing ({1}).", s.spacing.irregular, s.spacing.step));
  return {
    title, column: s.column, values: s.values, time: s.time, timeKind: s.timeKind, lines: s.lines, trainEnd: rep.trainEnd, valEnd: rep.valEnd,
    horizon: rep.horizon, origins: rep.origins, season: rep.season, seasonDetected: rep.seasonDetected, suggestion: rep.suggestion, ar: rep.ar,
    models: rep.models, residualBand: rep.residualBand, intervalLevel: rep.intervalLevel, model: r.model?.label ?? null,
    ...(r.modelError ? { modelNote: r.modelError } : r.model?.note ? { modelNote: r.model.note } : {}), notes,
  };
}
