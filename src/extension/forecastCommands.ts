// The forecasting commands on a CSV/TSV file (palette, explorer and editor menus): Show Forecast
// Baselines for This File (the forecast panel from the baselines alone) and Train Forecaster on This
// File… (quick picks of the target and input columns, previewed with their ranges and missing counts;
// lookback and horizon suggested from the autocorrelation; cell and budget). Reading the table and the
// autocorrelation happen in the forecast worker.

import * as vscode from "vscode";
import { basename, extname } from "node:path";
import type { ColumnPreview, TablePreview } from "../engine/forecast/tablePreview";
import { forecastableColumns } from "../engine/forecast/tablePreview";
import type { WindowSuggestion } from "../engine/forecast/baselineReport";
import { errorText } from "./errorText";
import { ForecastClient } from "./forecastClient";
import { ForecastPanel, ForecastTarget } from "./panels/forecastPanel";
import type { PanelContext } from "./panels/panelContext";
import { prompts } from "./prompts";
import { pickWorkspaceFile } from "./workspaceFilePick";
import type { CellType } from "../engine/model/modelSpec";
import { forecastAllows, type ForecastNetworkChoice } from "../engine/forecast/forecastNetworkChoice";
import { cellVariantItems } from "./cellPick";
import { FORECAST_TRAIN_DEFAULTS } from "../engine/model/defaults";

/** What a caller (a test, a panel's button) may pass instead of answering the quick picks. */
export interface ForecastArgs {
  target?: string;
  inputs?: string[];
  lookback?: number;
  horizon?: number;
  cell?: CellType;
  /** the cell's variant fields (a registry variant's options: { gruReset: "before" }, { norm: "layer" } …); with cell */
  cellOptions?: ForecastCellOptions;
  steps?: number;
  /** quantile levels: a pinball head whose outer levels bound the panel's interval (no quick pick asks for it) */
  quantiles?: number[];
}

/** Everything Train Forecaster on This File… asks for: what the forecast training task is started with. */
export interface ForecasterChoice {
  file: string;
  target: string;
  inputs: string[];
  timeColumn?: string;
  fill: "none" | "linear";
  lookback: number;
  horizon: number;
  cell: CellType;
  /** the variant's spec fields (absent: the cell's defaults) */
  cellOptions?: ForecastCellOptions;
  budget: { steps: number };
  /** a stopped run's checkpoint to start from (Resume on the training dashboard) */
  resumeFrom?: string;
  quantiles?: number[];
}

/** Starts forecast training for a choice (the forecast training task's entry); undefined: not started. */
export type StartForecaster = (choice: ForecasterChoice) => Promise<unknown>;

export function isTable(uri: vscode.Uri | undefined): boolean {
  return !!uri && [".csv", ".tsv"].includes(extname(uri.fsPath).toLowerCase());
}

/** The file meant: the explorer's, else the active editor's CSV/TSV, else one of the workspace's, asked. */
async function tableFile(uri?: vscode.Uri): Promise<string | undefined> {
  if (uri instanceof vscode.Uri && isTable(uri)) return uri.fsPath;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active && active.scheme === "file" && isTable(active)) return active.fsPath;
  return pickWorkspaceFile("**/*.{csv,tsv,CSV,TSV}", "{**/node_modules/**,.rnnlab/**}", 200,
    vscode.l10n.t("RNN Lab: open a CSV or TSV file with a header row and numeric columns to forecast."), vscode.l10n.t("RNN Lab: which table?"));
}

const number = (v: number) => (Number.isInteger(v) ? v.toLocaleString(vscode.env.language) : Number(v.toPrecision(4)).toLocaleString(vscode.env.language));

/** A column as a quick pick item: its range, how many values, how many missing. */
export function columnItem(c: ColumnPreview): vscode.QuickPickItem & { column: string } {
  return {
    label: c.name, column: c.name,
    description: vscode.l10n.t("{0} to {1}", number(c.min), number(c.max)),
    detail: c.missing ? vscode.l10n.t("{0} values, {1} missing (filled by linear interpolation)", c.values, c.missing) : vscode.l10n.t("{0} values, none missing", c.values),
  };
}

/** The cell options a forecaster's variant may set (every network choice but the cell and its size). */
export type ForecastCellOptions = Omit<ForecastNetworkChoice, "cell" | "layers" | "hidden">;

/**
 * The cell, asked: every registered variant (cellPick.ts), as Train on Current File offers them. None
 * is bidirectional: the regression head reads each step's output, which a backward direction would
 * have computed from the window's later steps, the future of the step forecast.
 */
export async function pickCellVariant(): Promise<{ cell: CellType; cellOptions: ForecastCellOptions } | undefined> {
  const picked = await prompts.pick(cellVariantItems().filter((v) => forecastAllows(v.options)), { title: vscode.l10n.t("RNN Lab: cell type") });
  return picked && { cell: picked.cell, cellOptions: picked.options as ForecastCellOptions };
}

/** LSTM, GRU or the vanilla RNN with their defaults (the text tasks' pick: the cells that also run both ways). */
export async function pickCell(): Promise<CellType | undefined> {
  return (await prompts.pick(cellVariantItems().filter((v) => ["LSTM", "GRU", "RNN"].includes(v.variant)), { title: vscode.l10n.t("RNN Lab: cell type") }))?.cell;
}

export class ForecastCommands implements vscode.Disposable {
  private readonly client: ForecastClient;

  constructor(private readonly ctx: PanelContext, private readonly startForecaster: StartForecaster) {
    this.client = new ForecastClient(ctx.extensionPath);
  }

  register(): vscode.Disposable[] {
    return [
      vscode.commands.registerCommand("rnnLab.showForecastBaselines", (uri?: vscode.Uri, args?: ForecastArgs) => this.showBaselines(uri, args)),
      vscode.commands.registerCommand("rnnLab.trainForecaster", (uri?: vscode.Uri, args?: ForecastArgs) => this.trainForecaster(uri, args)),
    ];
  }

  private async preview(file: string): Promise<TablePreview | undefined> {
    try {
      return (await this.client.request({ type: "preview", source: this.client.sourceOf(file) })).preview;
    } catch (e) {
      void prompts.error(vscode.l10n.t("RNN Lab: cannot read {0}: {1}", basename(file), errorText(e)));
      return undefined;
    }
  }

  /** The target column: given, the only numeric one, or asked. */
  private async pickTarget(file: string, preview: TablePreview, given?: string): Promise<ColumnPreview | undefined> {
    const columns = forecastableColumns(preview);
    if (!columns.length) {
      void prompts.error(vscode.l10n.t("RNN Lab: {0} has no numeric column to forecast (its columns: {1}).", basename(file), preview.columns.map((c) => c.name).join(", ")));
      return undefined;
    }
    if (given) {
      const c = columns.find((x) => x.name === given);
      if (!c) void prompts.error(vscode.l10n.t("RNN Lab: {0} has no numeric column {1}; its numeric columns are {2}.", basename(file), given, columns.map((x) => x.name).join(", ")));
      return c;
    }
    const time = preview.timeColumn ? vscode.l10n.t("time from the column {0}", preview.timeColumn) : vscode.l10n.t("time is the row order");
    const picked = await prompts.pick(columns.map(columnItem), { title: vscode.l10n.t("RNN Lab: which column to forecast? ({0} rows, {1})", preview.rows, time) });
    return picked && columns.find((c) => c.name === picked.column);
  }

  /** The table (the given file or one the person picks), its preview and the column to forecast; undefined once anything is cancelled or refused (said already). */
  private async pickSeries(uri: vscode.Uri | undefined, args: ForecastArgs): Promise<{ file: string; preview: TablePreview; target: ColumnPreview } | undefined> {
    const file = await tableFile(uri);
    if (!file) return undefined;
    const preview = await this.preview(file);
    if (!preview) return undefined;
    const target = await this.pickTarget(file, preview, args.target);
    return target && { file, preview, target };
  }

  async showBaselines(uri?: vscode.Uri, args: ForecastArgs = {}): Promise<ForecastPanel | undefined> {
    const series = await this.pickSeries(uri, args);
    if (!series) return undefined;
    const { file, preview, target } = series;
    const t: ForecastTarget = { file, target: target.name, ...(preview.timeColumn ? { timeColumn: preview.timeColumn } : {}) };
    return ForecastPanel.show(this.ctx, t);
  }

  /** The lookback and horizon suggested from the target's autocorrelation on its training span. */
  private async suggestion(file: string, target: string, timeColumn: string | null): Promise<WindowSuggestion | undefined> {
    try {
      const r = await this.client.request({ type: "report", source: this.client.sourceOf(file), series: { target, ...(timeColumn ? { timeColumn } : {}), fill: "linear" }, horizon: 1, origins: 1 });
      return r.report.suggestion;
    } catch (e) {
      void prompts.error(vscode.l10n.t("RNN Lab: cannot forecast {0} of {1}: {2}", target, basename(file), errorText(e)));
      return undefined;
    }
  }

  async trainForecaster(uri?: vscode.Uri, args: ForecastArgs = {}): Promise<unknown> {
    const series = await this.pickSeries(uri, args);
    if (!series) return undefined;
    const { file, preview, target } = series;
    const others = forecastableColumns(preview).filter((c) => c.name !== target.name);
    let inputs = args.inputs ?? (args.target ? [] : undefined);
    if (!inputs && others.length) {
      const picked = await prompts.pickMany(others.map(columnItem), vscode.l10n.t("RNN Lab: input columns known at each step (tick none for the target's own history only)"));
      if (picked === undefined) return undefined;
      inputs = picked.map((p) => p.column);
    }
    inputs ??= [];
    const s = await this.suggestion(file, target.name, preview.timeColumn);
    if (!s) return undefined;
    const why = s.season > 1 ? vscode.l10n.t("the autocorrelation peaks at lag {0} (a season)", s.season)
      : s.falloff <= s.acf.length - 1 ? vscode.l10n.t("the autocorrelation falls inside the noise band at lag {0}", s.falloff) : vscode.l10n.t("the autocorrelation stays above the noise band for {0} lags", s.acf.length - 1);
    const lookback = args.lookback ?? await this.pickNumber(vscode.l10n.t("RNN Lab: lookback (steps the network reads)"), s.lookback, why, [s.lookback, 2 * s.lookback, Math.max(4, Math.round(s.lookback / 2)), 64], 1, 4096);
    if (!lookback) return undefined;
    const horizon = args.horizon ?? await this.pickNumber(vscode.l10n.t("RNN Lab: horizon (steps ahead to forecast)"), s.horizon, why, [s.horizon, 1, 2 * s.horizon], 1, 1000);
    if (!horizon) return undefined;
    const picked = args.cell ? { cell: args.cell, cellOptions: args.cellOptions ?? {} } : await pickCellVariant();
    if (!picked) return undefined;
    const { cell, cellOptions } = picked;
    // the forecast trainer counts optimizer steps (it has no time budget)
    const budget = args.steps ? { steps: args.steps } : (await prompts.pick([
      { label: vscode.l10n.t("{0} steps", FORECAST_TRAIN_DEFAULTS.steps), detail: vscode.l10n.t("the default of rnn-lab train --task forecast"), budget: { steps: FORECAST_TRAIN_DEFAULTS.steps } },
      ...[FORECAST_TRAIN_DEFAULTS.steps / 3, FORECAST_TRAIN_DEFAULTS.steps * 10 / 3].map((steps) => ({ label: vscode.l10n.t("{0} steps", steps), budget: { steps } })),
    ], { title: vscode.l10n.t("RNN Lab: how long to train") }))?.budget;
    if (!budget) return undefined;
    const run = await this.startForecaster({
      file, target: target.name, inputs, ...(preview.timeColumn ? { timeColumn: preview.timeColumn } : {}),
      fill: target.missing || preview.columns.some((c) => inputs!.includes(c.name) && c.missing) ? "linear" : "none", lookback, horizon, cell, budget,
      ...(Object.keys(cellOptions).length ? { cellOptions } : {}), ...(args.quantiles ? { quantiles: args.quantiles } : {}),
    });
    // the forecast panel of the column shows the run's validations against the best baseline as they come
    if (run) ForecastPanel.show(this.ctx, { file, target: target.name, ...(preview.timeColumn ? { timeColumn: preview.timeColumn } : {}) });
    return run;
  }

  /** A number from a pick of suggestions (the first marked as suggested, with why) or typed. */
  private async pickNumber(title: string, suggested: number, why: string, options: number[], min: number, max: number): Promise<number | undefined> {
    const other = vscode.l10n.t("Other…");
    const values = [...new Set(options.filter((v) => v >= min && v <= max))];
    const items = [
      ...values.map((v) => ({ label: String(v), description: v === suggested ? vscode.l10n.t("suggested: {0}", why) : "", value: v })),
      { label: other, description: "", value: 0 },
    ];
    const picked = await prompts.pick(items, { title });
    if (!picked) return undefined;
    if (picked.value) return picked.value;
    const typed = await prompts.input({
      title, value: String(suggested),
      validateInput: (v) => (Number.isInteger(Number(v)) && Number(v) >= min && Number(v) <= max ? null : vscode.l10n.t("A whole number from {0} to {1}", min, max)),
    });
    return typed === undefined ? undefined : Number(typed);
  }

  dispose(): void {
    this.client.dispose();
  }
}
