// Run comparison controller: the loss curves and hyperparameters of several runs, re-read every
// two seconds while any of them is queued or training (the "Compare Cells" runs fill in live).
// A run is a language model's run folder, or the <time>.json record of a classifier's, tagger's,
// segmenter's or forecaster's run: those are compared by their own validation metrics (accuracy
// and F1, MAE and RMSE) rather than a loss per character.

import * as vscode from "vscode";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { paramCount } from "../../engine/files/checkpoint";
import { describeModel } from "../../engine/model/modelSpec";
import { readRunMetrics } from "../../engine/runs/runMetrics";
import { readModelManifest, readRunManifest } from "../../engine/runs/runStore";
import type { ComparedRun, RunMetric } from "../../protocol/webview";
import type { ForecastRecord } from "../forecastModels";
import { TextTaskRecord, textTaskName } from "../textTaskTraining";
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
  if (runDir.endsWith(".json")) return comparedRecord(runDir);
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

/** The F1 each text task's checkpoint is chosen by (text-tasks.md): macro F1 over classes, conlleval's span F1, word F1. */
const F1_NAME: Record<TextTaskRecord["task"], string> = { classify: "validation macro F1", tag: "validation span F1", segment: "validation word F1" };

/** A classifier's, tagger's, segmenter's or forecaster's run record (<time>.json beside its checkpoint). */
function comparedRecord(path: string): ComparedRun {
  const raw = JSON.parse(readFileSync(path, "utf8")) as Partial<TextTaskRecord & ForecastRecord>;
  if (typeof raw.checkpoint !== "string" || !Array.isArray(raw.validations)) throw new Error("not a run record");
  const stem = basename(raw.data ?? "");
  const when = raw.created ? new Date(raw.created).toLocaleString(vscode.env.language, { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" }) : basename(path, ".json");
  const state = raw.state === "training" ? "interrupted" : raw.state ?? "failed"; // a live run's record is rewritten at each validation
  const nan = (n: number) => new Float32Array(n).fill(NaN);
  if (typeof raw.target === "string") {
    const r = raw as ForecastRecord, v = r.validations, n = v.length;
    const mae = Float32Array.from(v, (x) => x.valMae);
    const precise = (x: number | null | undefined) => (typeof x === "number" && Number.isFinite(x) ? x.toPrecision(4) : "—");
    // the task's own results, as a text task's record gives its best F1: the kept validation's MAE and MASE, the line to beat, and the test span's verdict
    const bestMae = r.bestValMae ?? (n ? Math.min(...mae) : null);
    const hyper: Record<string, string> = {
      task: vscode.l10n.t("forecaster"), data: `${stem} → ${r.target}`, cell: r.cell.toUpperCase(), lookback: String(r.lookback), horizon: String(r.horizon),
      steps: String(r.stepsDone ?? r.steps ?? v.at(-1)?.step ?? 0), "best validation MAE": precise(bestMae), "best validation MASE": precise(r.bestValMase),
      "best baseline's validation MAE": r.baselineValMae === null || !Number.isFinite(r.baselineValMae) ? "—" : `${precise(r.baselineValMae)}${r.baselineName ? ` (${r.baselineName})` : ""}`,
      "test MAE": r.modelMae === undefined ? "—" : `${precise(r.modelMae)}${r.bestBaseline ? ` (${r.bestBaseline} ${precise(r.bestBaselineMae)})` : ""}`,
    };
    const metrics: RunMetric[] = [{ name: "validation MAE", higherIsBetter: false, values: mae }];
    if (v.some((x) => x.valMase !== undefined)) metrics.push({ name: "validation MASE", higherIsBetter: false, values: Float32Array.from(v, (x) => x.valMase ?? NaN) });
    metrics.push({ name: "validation RMSE", higherIsBetter: false, values: Float32Array.from(v, (x) => x.valRmse) });
    // the line to beat, drawn at each validation step so it reads against the model's curve
    if (r.baselineValMae !== null && Number.isFinite(r.baselineValMae)) metrics.push({ name: "best baseline's validation MAE", higherIsBetter: false, values: new Float32Array(n).fill(r.baselineValMae) });
    return {
      label: `${stem} · ${r.target} · ${when}`, state, hyper, task: "forecast", metrics,
      ...noTrainingCurve(), eval: { step: Float64Array.from(v, (x) => x.step), valLoss: nan(n), chars: new Float64Array(n).fill(NaN), seconds: nan(n) },
    };
  }
  const r = raw as TextTaskRecord, v = r.validations, n = v.length;
  const f1 = Float32Array.from(v, (x) => x.valF1);
  const metrics: RunMetric[] = [
    { name: F1_NAME[r.task], higherIsBetter: true, values: f1 },
    { name: "validation accuracy", higherIsBetter: true, values: Float32Array.from(v, (x) => x.valAccuracy) },
    { name: "validation loss", higherIsBetter: false, values: Float32Array.from(v, (x) => x.valLoss) },
  ];
  const hyper: Record<string, string> = {
    task: textTaskName(r.task), data: stem, cell: r.cell.toUpperCase(), layers: String(r.layers), hidden: String(r.hidden), directions: r.bidirectional ? "2" : "1",
    [r.task === "classify" ? "classes" : "tags"]: r.names.join(", "), budget: r.seconds ? `${r.seconds} s` : "—",
    steps: String(v.at(-1)?.step ?? 0), "best validation F1": r.bestValF1 === undefined || r.bestValF1 === null ? "—" : r.bestValF1.toFixed(3),
  };
  return {
    label: `${stem} · ${textTaskName(r.task)} · ${when}`, state, hyper, task: r.task, metrics, ...noTrainingCurve(),
    eval: { step: Float64Array.from(v, (x) => x.step), valLoss: metrics[2].values, chars: new Float64Array(n).fill(NaN), seconds: nan(n) },
  };
}

/** Text tasks and forecasters record validations only: no per-step training curve. */
function noTrainingCurve(): Pick<ComparedRun, "step" | "chars" | "seconds" | "loss"> {
  return { step: new Float64Array(0), chars: new Float64Array(0), seconds: new Float32Array(0), loss: new Float32Array(0) };
}

/** Settings whose values are not all the same (results such as steps and best loss are not settings). */
export function differingKeys(runs: ComparedRun[]): string[] {
  const results = new Set(["steps", "best validation", "best validation F1", "best validation MAE", "best validation MASE", "best baseline's validation MAE", "test MAE"]);
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.hyper)))].filter((k) => !results.has(k));
  return runs.length < 2 ? [] : keys.filter((k) => new Set(runs.map((r) => r.hyper[k])).size > 1);
}
