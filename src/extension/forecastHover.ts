// Hovering over a data row of a CSV/TSV file shows the forecast made from that point: the next steps
// of the target column from the trained forecaster, and from the baselines (all of them when no
// forecaster is trained yet), beside the values that actually follow. The column is the one last
// opened in a forecast panel for the file, else its first numeric column. Computed in the forecast worker.

import * as vscode from "vscode";
import { basename } from "node:path";
import { forecastableColumns, TablePreview } from "../engine/forecast/tablePreview";
import type { ForecastClient } from "./forecastClient";
import { forecastCheckpointFor } from "./forecastModels";
import { chosenTargets } from "./panels/forecastPanel";

export const TABLE_SELECTOR: vscode.DocumentSelector = [{ scheme: "file", pattern: "**/*.{csv,tsv,CSV,TSV}" }];
const MAX_ROWS = 12;

/** The baselines' names in the user's language (AR with its order). */
export function modelName(name: string, arOrder?: number): string {
  switch (name) {
    case "naive": return vscode.l10n.t("naive");
    case "seasonal_naive": return vscode.l10n.t("seasonal naive");
    case "mean": return vscode.l10n.t("mean");
    case "ar": return arOrder === undefined ? vscode.l10n.t("AR(p)") : vscode.l10n.t("AR({0})", arOrder);
    case "tdnn": return vscode.l10n.t("time-delay network");
    default: return name;
  }
}

const fmt = (v: number | null) => (v === null || !Number.isFinite(v) ? "—" : Number(v.toPrecision(5)).toString());

export class ForecastHover implements vscode.HoverProvider {
  private previews = new Map<string, { version: number; preview: TablePreview }>();

  constructor(private readonly client: ForecastClient) {}

  private async target(doc: vscode.TextDocument): Promise<{ target: string; timeColumn?: string } | undefined> {
    const file = doc.uri.fsPath;
    let p = this.previews.get(file);
    if (!p || p.version !== doc.version) {
      p = { version: doc.version, preview: (await this.client.request({ type: "preview", source: this.client.sourceOf(file) })).preview };
      this.previews.set(file, p);
    }
    const columns = forecastableColumns(p.preview);
    const chosen = chosenTargets.get(file);
    const target = columns.find((c) => c.name === chosen)?.name ?? columns[0]?.name;
    return target ? { target, ...(p.preview.timeColumn ? { timeColumn: p.preview.timeColumn } : {}) } : undefined;
  }

  async provideHover(doc: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    if (position.line === 0 || !vscode.workspace.getConfiguration("rnnLab", doc).get<boolean>("hover.enabled", true)) return undefined;
    const file = doc.uri.fsPath;
    let r;
    try {
      const t = await this.target(doc);
      if (!t || token.isCancellationRequested) return undefined;
      const checkpoint = forecastCheckpointFor(file, t.target);
      r = await this.client.request({
        type: "forecastFrom", source: this.client.sourceOf(file), series: { ...t, fill: "linear" }, line: position.line + 1, ...(checkpoint ? { checkpoint } : {}),
      });
    } catch {
      return undefined; // not a row of values, or a table that does not parse: no hover rather than an error
    }
    if (token.isCancellationRequested) return undefined;
    const md = new vscode.MarkdownString();
    md.isTrusted = { enabledCommands: ["rnnLab.trainForecaster", "rnnLab.showForecastBaselines"] };
    md.appendMarkdown(`**${vscode.l10n.t("RNN Lab: forecast of {0} from row {1}", r.column, r.origin)}**\n\n`);
    const names = r.forecasts.map((f) => (f.name === "model" ? vscode.l10n.t("model") : modelName(f.name)));
    const steps = Math.min(MAX_ROWS, r.next.length);
    const head = `| ${vscode.l10n.t("step")} | ${vscode.l10n.t("actual")} | ${names.join(" | ")} |`;
    const align = `|--:|--:|${names.map(() => "--:").join("|")}|`;
    const rows = Array.from({ length: steps }, (_, h) => `| +${h + 1} | ${fmt(r.next[h])} | ${r.forecasts.map((f) => fmt(f.forecast[h])).join(" | ")} |`);
    md.appendMarkdown([head, align, ...rows].join("\n") + "\n\n");
    if (r.next.length > steps) md.appendMarkdown(vscode.l10n.t("…and {0} more steps in the forecast panel.", r.next.length - steps) + "\n\n");
    const uri = encodeURIComponent(JSON.stringify([doc.uri, { target: r.column }]));
    if (!r.model) {
      md.appendMarkdown(`${vscode.l10n.t("Baselines only: no forecaster is trained on this column yet.")} [${vscode.l10n.t("Train Forecaster on This File…")}](command:rnnLab.trainForecaster?${uri})\n\n`);
    }
    md.appendMarkdown(`$(graph-line) [${vscode.l10n.t("Show Forecast Baselines for This File")}](command:rnnLab.showForecastBaselines?${uri}) · ${basename(file)}`);
    md.supportThemeIcons = true;
    return new vscode.Hover(md, doc.lineAt(position.line).range);
  }
}
