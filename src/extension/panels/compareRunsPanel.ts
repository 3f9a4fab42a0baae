// Run comparison controller: the loss curves and hyperparameters of several runs, re-read every
// two seconds while any of them is queued or training (the "Compare Cells" runs fill in live).

import * as vscode from "vscode";
import { basename } from "node:path";
import { paramCount } from "../../engine/files/checkpoint";
import { describeModel } from "../../engine/model/modelSpec";
import { readRunMetrics } from "../../engine/runs/runMetrics";
import { readModelManifest, readRunManifest } from "../../engine/runs/runStore";
import type { ComparedRun } from "../../protocol/webview";
import { evalColumns, modelDirOfRun } from "./dashboardPanel";
import { PanelContext } from "./panelContext";
import { PanelController } from "./panelController";
import { PanelHost } from "./panelHost";

export class CompareRunsPanel extends PanelController {
  private timer: NodeJS.Timeout | undefined;

  static show(ctx: PanelContext, runDirs: string[], title = compareTitle(runDirs.length)): CompareRunsPanel {
    const host = PanelHost.create(ctx.extensionUri, "compareRuns", title, { kind: "compareRuns", runDirs }, ctx.log);
    return new CompareRunsPanel(ctx, host, runDirs, title);
  }

  constructor(ctx: PanelContext, host: PanelHost, readonly runDirs: string[], private readonly title: string) {
    super(ctx, host);
    this.subscriptions.push(host.onReady(() => this.send()), ctx.queue.onDidChange(() => this.send()));
  }

  private send(): void {
    if (!this.host.ready) return;
    const runs: ComparedRun[] = [], dirs: string[] = [];
    for (const dir of this.runDirs) {
      try {
        runs.push(comparedRun(dir, this.ctx.queue.isActive(dir)));
        dirs.push(dir);
      } catch (e) {
        this.ctx.log.warn(`compare runs: skipped ${dir}: ${(e as Error).message}`);
      }
    }
    if (!runs.length) return this.host.post({ type: "failed", message: vscode.l10n.t("RNN Lab: none of these runs can be read any more.") });
    // two models of one name (a copy, or the same file trained twice) with runs of one id: the page tells runs apart by label
    const shared = new Set(runs.map((r) => r.label).filter((l, i, all) => all.indexOf(l) !== i));
    runs.forEach((r, i) => { if (shared.has(r.label)) r.label = `${r.label} (${basename(modelDirOfRun(dirs[i]))})`; });
    this.host.post({ type: "compare.data", title: this.title, runs, differing: differingKeys(runs) });
    const live = runs.some((r) => r.state === "training" || r.state === "queued" || r.state === "paused");
    if (live && !this.timer) this.timer = setInterval(() => this.send(), 2000);
    if (!live && this.timer) { clearInterval(this.timer); this.timer = undefined; }
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    super.dispose();
  }
}

/** "Compare 1 run", "Compare 3 runs": each plural form its own string, so each language words it its own way. */
export function compareTitle(n: number): string {
  return n === 1 ? vscode.l10n.t("Compare 1 run") : vscode.l10n.t("Compare {0} runs", n);
}

/** Reads one run for the comparison: its curves and the settings worth comparing, as text. */
export function comparedRun(runDir: string, live: boolean): ComparedRun {
  const run = readRunManifest(runDir);
  const model = readModelManifest(modelDirOfRun(runDir));
  const m = readRunMetrics(runDir);
  const s = model.spec, o = run.options;
  const hyper: Record<string, string> = {
    cell: describeModel(s).cell, layers: String(s.layers), hidden: String(s.hidden), parameters: paramCount(s).toLocaleString("en"),
    corpus: `${model.corpus.files.map((f) => basename(f)).join(", ")} (${model.corpus.chars.toLocaleString("en")} chars)`,
    optimizer: o.optimizer, "learning rate": String(o.lr), batch: String(o.batch), "sequence length": String(o.seq), clip: o.clip > 0 ? String(o.clip) : "off",
    init: o.init, dropout: String(o.dropout), "weight decay": String(o.weightDecay), seed: String(o.seed),
    budget: run.plan.budget.steps ? `${run.plan.budget.steps} steps` : `${run.plan.budget.seconds} s`,
    steps: String(run.step), "best validation": run.bestValLoss === null ? "—" : run.bestValLoss.toFixed(4),
  };
  // the run's own name, note and tags (optional fields of run.json), passed on only when well-formed
  const given = run as { label?: unknown; notes?: unknown; tags?: unknown };
  const named: Pick<ComparedRun, "name" | "notes" | "tags"> = {};
  if (typeof given.label === "string" && given.label.trim()) named.name = given.label.trim().slice(0, 200);
  if (typeof given.notes === "string" && given.notes.trim()) named.notes = given.notes.trim().slice(0, 2000);
  if (Array.isArray(given.tags) && given.tags.every((x) => typeof x === "string")) named.tags = (given.tags as string[]).filter((x) => x.trim()).slice(0, 20);
  return {
    ...named,
    label: `${model.name} · ${run.label ?? run.id}`, state: run.state === "training" && !live ? "interrupted" : run.state, hyper,
    step: Float64Array.from(m.steps, (r) => r.step), chars: Float64Array.from(m.steps, (r) => r.chars),
    seconds: Float32Array.from(m.steps, (r) => r.seconds), loss: Float32Array.from(m.steps, (r) => r.loss), eval: evalColumns(m.evals),
  };
}

/** Settings whose values are not all the same (results such as steps and best loss are not settings). */
export function differingKeys(runs: ComparedRun[]): string[] {
  const results = new Set(["steps", "best validation"]);
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.hyper)))].filter((k) => !results.has(k));
  return runs.length < 2 ? [] : keys.filter((k) => new Set(runs.map((r) => r.hyper[k])).size > 1);
}
