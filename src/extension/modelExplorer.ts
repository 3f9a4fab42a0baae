// The "Models" tree in the RNN Lab sidebar: models in the runs folder → their runs → each run's
// checkpoints and files; then checkpoints found elsewhere in the workspace (imports). Rebuilt from
// disk when the queue reports progress or the runs folder changes.

import * as vscode from "vscode";
import { basename, dirname, join, relative } from "node:path";
import { paramCount } from "../engine/files/checkpoint";
import { describeModel } from "../engine/model/modelSpec";
import { modelDescriptionWithParams } from "./modelDescription";
import { StoredModel, StoredRun, latestCheckpoint, listModels, metricsPath, samplesPath } from "../engine/runs/runStore";
import { existsSync } from "node:fs";
import type { TrainingQueue } from "./trainingQueue";
import { runsRoot } from "./settings";
import { TEXT_TASKS_FOLDER, TextTaskRecord, listTextTaskRecords, textTaskName } from "./textTaskTraining";
import { FORECASTS_FOLDER, type ForecastRecord, allForecastRecords } from "./forecastModels";

export type ModelState = "training" | "paused" | "queued" | "interrupted" | "done" | "stopped" | "failed" | "new";

export type ExplorerNode =
  | { kind: "model"; model: StoredModel; state: ModelState }
  | { kind: "run"; model: StoredModel; run: StoredRun; state: ModelState }
  | { kind: "checkpoint"; model: StoredModel | null; path: string; step: number | null; best: boolean }
  | { kind: "file"; path: string; label: string }
  | { kind: "others"; paths: string[] }
  /** a classifier's, tagger's or segmenter's run (.rnnlab/text-tasks/) */
  | { kind: "textTask"; record: TextTaskRecord }
  /** a forecaster's run (.rnnlab/forecasts/) */
  | { kind: "forecast"; record: ForecastRecord };

export class ModelExplorer implements vscode.TreeDataProvider<ExplorerNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ExplorerNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private models: StoredModel[] = [];
  private others: string[] = [];
  private textTasks: TextTaskRecord[] = [];
  private forecasts: ForecastRecord[] = [];
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  /** The workspace-wide search for checkpoints outside model folders is due (not redone for every checkpoint a run writes). */
  private othersStale = true;

  constructor(private readonly queue: TrainingQueue, private readonly activeCheckpoint: () => string | undefined) {
    this.subscriptions.push(queue.onDidChange(() => this.refreshSoon()));
    const root = runsRoot();
    if (root) {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(root), "**/{model.json,run.json,*.safetensors}"));
      // forecasters' records: <time>.json beside each checkpoint under forecasts/
      const records = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(root), `${FORECASTS_FOLDER}/*/*.json`));
      for (const w of [watcher, records]) this.subscriptions.push(w, w.onDidCreate(() => this.refreshSoon()), w.onDidDelete(() => this.refreshSoon()), w.onDidChange(() => this.refreshSoon()));
    }
    const loose = vscode.workspace.createFileSystemWatcher("**/*.safetensors", false, true, false);
    const onLoose = (uri: vscode.Uri) => {
      if (!this.inModelFolder(uri.fsPath)) { this.othersStale = true; this.refreshSoon(); }
    };
    this.subscriptions.push(loose, loose.onDidCreate(onLoose), loose.onDidDelete(onLoose));
  }

  private inModelFolder(path: string): boolean {
    return this.models.some((m) => path.startsWith(m.dir + "/"));
  }

  /** Coalesces bursts (a checkpoint writes several files) into one re-read. */
  refreshSoon(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => { this.refreshTimer = undefined; void this.refresh(false); }, 150);
  }

  /** Re-reads the runs folder; with `rescan` (the default) also searches the workspace for other checkpoints. */
  async refresh(rescan = true): Promise<void> {
    const root = runsRoot();
    this.models = root ? listModels(root) : [];
    this.textTasks = root ? listTextTaskRecords(root).map((r) => r.record) : [];
    this.forecasts = root ? allForecastRecords() : [];
    if (rescan || this.othersStale) {
      this.othersStale = false;
      try {
        const found = await vscode.workspace.findFiles("**/*.safetensors", "**/node_modules/**", 500);
        this.others = found.map((u) => u.fsPath).filter((p) => !root || relative(root, p).startsWith("..") || !this.inModelFolder(p)).sort();
      } catch {
        this.others = [];
      }
    }
    this.others = this.others.filter((p) => !this.inModelFolder(p) && !(root && [TEXT_TASKS_FOLDER, FORECASTS_FOLDER].some((f) => p.startsWith(join(root, f) + "/"))));
    void vscode.commands.executeCommand("setContext", "rnnLab.hasModels", this.models.length > 0 || this.others.length > 0 || this.forecasts.length > 0);
    this.changed.fire(undefined);
  }

  get storedModels(): readonly StoredModel[] { return this.models; }

  /**
   * The label of each model: its name, and where two models share a name (two notes.txt from
   * different folders), the folder its text came from, else its model folder's name.
   */
  labelOf(model: StoredModel): string {
    const name = model.manifest?.name ?? basename(model.dir);
    const twins = this.models.filter((m) => (m.manifest?.name ?? basename(m.dir)) === name);
    if (twins.length < 2) return name;
    const where = (m: StoredModel) => {
      const f = m.manifest?.corpus.files[0];
      const d = f ? dirname(f) : ".";
      return d === "." || d === "" ? vscode.l10n.t("workspace root") : basename(d);
    };
    const mine = where(model);
    if (twins.filter((m) => where(m) === mine).length === 1) return vscode.l10n.t("{0} ({1})", name, mine);
    // the same name and folder (two models of one file): when each was made, else its folder's name
    const made = (m: StoredModel) => (m.manifest ? new Date(m.manifest.created).toLocaleString(vscode.env.language, { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" }) : basename(m.dir));
    const when = made(model);
    return vscode.l10n.t("{0} (made {1})", name, twins.filter((m) => made(m) === when).length === 1 ? when : basename(model.dir));
  }

  stateOf(model: StoredModel): ModelState {
    const last = model.runs[model.runs.length - 1];
    return last ? this.runState(last) : "new";
  }

  runState(run: StoredRun): ModelState {
    if (this.queue.isActive(run.dir)) return this.queue.active!.paused ? "paused" : "training";
    if (this.queue.queued.some((q) => q.runDir === run.dir)) return "queued";
    if (run.interrupted) return "interrupted";
    if (!run.manifest) return "failed";
    return run.manifest.state === "queued" ? "stopped" : run.manifest.state;
  }

  getChildren(node?: ExplorerNode): ExplorerNode[] {
    if (!node) {
      const models: ExplorerNode[] = this.models.map((m) => ({ kind: "model", model: m, state: this.stateOf(m) }));
      const tasks: ExplorerNode[] = this.textTasks.map((record) => ({ kind: "textTask", record }));
      const forecasts: ExplorerNode[] = this.forecasts.map((record) => ({ kind: "forecast", record }));
      return this.others.length ? [...models, ...tasks, ...forecasts, { kind: "others", paths: this.others }] : [...models, ...tasks, ...forecasts];
    }
    switch (node.kind) {
      case "model": return node.model.runs.map((r): ExplorerNode => ({ kind: "run", model: node.model, run: r, state: this.runState(r) })).reverse();
      case "run": {
        const { run } = node;
        const out: ExplorerNode[] = [];
        if (run.best) out.push({ kind: "checkpoint", model: node.model, path: run.best, step: null, best: true });
        for (const c of [...run.checkpoints].reverse()) out.push({ kind: "checkpoint", model: node.model, path: c.path, step: c.step, best: false });
        if (existsSync(samplesPath(run.dir))) out.push({ kind: "file", path: samplesPath(run.dir), label: vscode.l10n.t("samples") });
        if (existsSync(metricsPath(run.dir))) out.push({ kind: "file", path: metricsPath(run.dir), label: vscode.l10n.t("metrics") });
        return out;
      }
      case "others": return node.paths.map((p) => ({ kind: "checkpoint", model: null, path: p, step: null, best: false }));
      case "textTask":
      case "forecast": return existsSync(node.record.checkpoint) ? [{ kind: "checkpoint", model: null, path: node.record.checkpoint, step: null, best: true }] : [];
      default: return [];
    }
  }

  getTreeItem(node: ExplorerNode): vscode.TreeItem {
    const active = this.activeCheckpoint();
    switch (node.kind) {
      case "model": {
        const { model, state } = node;
        const m = model.manifest;
        const label = this.labelOf(model);
        const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `model:${model.dir}`;
        if (!m) {
          item.description = vscode.l10n.t("damaged");
          item.tooltip = model.error ?? undefined;
          item.iconPath = new vscode.ThemeIcon("warning");
          item.contextValue = "rnnLab.damaged";
          return item;
        }
        const best = model.runs.reduce<number | null>((b, r) => r.manifest?.bestValLoss != null && (b === null || r.manifest.bestValLoss < b) ? r.manifest.bestValLoss : b, null);
        const isActive = !!active && active.startsWith(model.dir + "/");
        // the label may already name the cell (Compare Cells names its models "text · GRU"): say it once
        const d = describeModel(m.spec);
        const bare = label.toUpperCase().endsWith(` ${m.spec.cell.toUpperCase()}`) ? d.size : `${d.cell} ${d.size}`;
        const shape = m.spec.bidirectional ? vscode.l10n.t("{0} bidirectional", bare) : bare;
        item.description = [shape, vscode.l10n.t("{0} params", compact(paramCount(m.spec))),
          best !== null ? vscode.l10n.t("best {0} nats/char", best.toFixed(3)) : null, stateLabel(state), isActive ? vscode.l10n.t("active") : null].filter(Boolean).join(" · ");
        const tip = new vscode.MarkdownString();
        tip.appendMarkdown(`**${escape(label)}**\n\n`);
        tip.appendMarkdown(`${escape(modelDescriptionWithParams(m.spec))}\n\n`);
        tip.appendMarkdown(`${escape(vscode.l10n.t("{0}: {1}", vscode.l10n.t("Corpus"), vscode.l10n.t("{0} ({1} characters, {2} distinct)", m.corpus.files.join(", "), m.corpus.chars.toLocaleString(vscode.env.language), m.spec.vocabSize)))}\n\n`);
        if (best !== null) tip.appendMarkdown(`${escape(vscode.l10n.t("{0}: {1}", vscode.l10n.t("Best validation loss"), vscode.l10n.t("{0} nats/char", best.toFixed(4))))}\n\n`);
        tip.appendMarkdown(escape(vscode.l10n.t("{0}: {1}", vscode.l10n.t("State"), stateLabel(state))));
        item.tooltip = tip;
        item.iconPath = stateIcon(state);
        item.contextValue = `rnnLab.model.${state}`;
        return item;
      }
      case "run": {
        const { run, state } = node;
        const r = run.manifest;
        const item = new vscode.TreeItem(r ? (r.label ?? vscode.l10n.t("run {0}", r.id)) : basename(run.dir), vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `run:${run.dir}`;
        item.description = r ? [...(r.tags ?? []).map((t) => `#${t}`), vscode.l10n.t("step {0}", r.step), r.bestValLoss !== null ? vscode.l10n.t("best {0} nats/char", r.bestValLoss.toFixed(3)) : null, stateLabel(state)].filter(Boolean).join(" · ") : vscode.l10n.t("damaged");
        const why = r?.message ?? run.error ?? (state === "interrupted" ? vscode.l10n.t("Interrupted (window closed or crashed); Continue Training resumes it from its last checkpoint.") : undefined);
        if (r && (r.label || r.notes || r.tags?.length || why)) {
          const tip = new vscode.MarkdownString();
          tip.appendMarkdown(`**${escape(r.label ?? vscode.l10n.t("run {0}", r.id))}**${r.label ? ` (${escape(r.id)})` : ""}\n\n`);
          if (r.tags?.length) tip.appendMarkdown(`${escape(vscode.l10n.t("{0}: {1}", vscode.l10n.t("Tags"), r.tags.join(", ")))}\n\n`);
          if (r.notes) tip.appendMarkdown(`${escape(r.notes)}\n\n`);
          if (why) tip.appendMarkdown(escape(why));
          item.tooltip = tip;
        } else item.tooltip = why;
        item.iconPath = stateIcon(state);
        item.contextValue = `rnnLab.run.${state}`;
        return item;
      }
      case "checkpoint": {
        const label = node.best ? vscode.l10n.t("best") : node.step !== null ? vscode.l10n.t("step {0}", node.step) : basename(node.path);
        const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
        item.id = `checkpoint:${node.path}`;
        item.resourceUri = vscode.Uri.file(node.path);
        item.description = [node.model ? null : vscode.workspace.asRelativePath(node.path), node.path === active ? vscode.l10n.t("active") : null].filter(Boolean).join(" · ") || undefined;
        item.tooltip = node.path;
        item.iconPath = new vscode.ThemeIcon(node.path === active ? "pass-filled" : node.best ? "star" : "package");
        item.contextValue = node.model ? "rnnLab.checkpoint" : "rnnLab.checkpoint.loose";
        item.command = { command: "rnnLab.showCheckpointSummary", title: vscode.l10n.t("Show Checkpoint Summary"), arguments: [node] };
        return item;
      }
      case "file": {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.resourceUri = vscode.Uri.file(node.path);
        item.iconPath = new vscode.ThemeIcon(node.label === vscode.l10n.t("samples") ? "note" : "graph-line");
        // the metrics are for reading as charts: the run's dashboard (its file stays a right-click away: Reveal in Explorer)
        item.command = node.label === vscode.l10n.t("metrics") ? { command: "rnnLab.openTrainingDashboard", title: vscode.l10n.t("Open Training Dashboard"), arguments: [{ runDir: dirname(node.path) }] }
          : { command: "vscode.open", title: vscode.l10n.t("Open"), arguments: [vscode.Uri.file(node.path)] };
        return item;
      }
      case "textTask": return textTaskItem(node.record);
      case "forecast": return forecastItem(node.record);
      case "others": {
        const item = new vscode.TreeItem(vscode.l10n.t("Other checkpoints in the workspace"), vscode.TreeItemCollapsibleState.Collapsed);
        item.id = "others";
        item.iconPath = new vscode.ThemeIcon("folder-library");
        return item;
      }
    }
  }

  /** The model folder a node belongs to, and the checkpoint it stands for (the newest one for a model or run). */
  static target(node: ExplorerNode | undefined): { modelDir?: string; checkpoint?: string; runDir?: string } {
    if (!node) return {};
    switch (node.kind) {
      case "model": return { modelDir: node.model.dir, checkpoint: bestOrLatest(node.model) };
      case "run": return { modelDir: node.model.dir, runDir: node.run.dir, checkpoint: node.run.checkpoints[node.run.checkpoints.length - 1]?.path };
      case "checkpoint": return { modelDir: node.model?.dir, checkpoint: node.path };
      case "textTask":
      case "forecast": return { checkpoint: node.record.checkpoint };
      default: return {};
    }
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }
}

/** A model's best checkpoint if one exists (best.safetensors of its newest run that has one), else its newest. */
export function bestOrLatest(model: StoredModel): string | undefined {
  for (let k = model.runs.length - 1; k >= 0; k--) if (model.runs[k].best) return model.runs[k].best!;
  return latestCheckpoint(model)?.path;
}

function stateLabel(state: ModelState): string {
  return {
    training: vscode.l10n.t("training"), paused: vscode.l10n.t("paused"), queued: vscode.l10n.t("queued"), interrupted: vscode.l10n.t("interrupted"),
    done: vscode.l10n.t("done"), stopped: vscode.l10n.t("stopped"), failed: vscode.l10n.t("failed"), new: vscode.l10n.t("new"),
  }[state];
}

function stateIcon(state: ModelState): vscode.ThemeIcon {
  const icons: Record<ModelState, string> = { training: "sync~spin", paused: "debug-pause", queued: "clock", interrupted: "debug-disconnect", done: "check", stopped: "circle-slash", failed: "error", new: "circle-outline" };
  return new vscode.ThemeIcon(icons[state]);
}

function compact(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(0)}K` : String(n);
}

function escape(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, "\\$&");
}

/** A text task's run: its file and task, its classes or tags, its best validation accuracy and F1. */
export function textTaskItem(r: TextTaskRecord): vscode.TreeItem {
  const task = textTaskName(r.task);
  const item = new vscode.TreeItem(vscode.l10n.t("{0} of {1}", task, basename(r.data)), vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `textTask:${r.checkpoint}`;
  const names = r.names.length > 6 ? vscode.l10n.t("{0} · and {1} more", r.names.slice(0, 6).join(", "), r.names.length - 6) : r.names.join(", ");
  const scores = r.bestValF1 === undefined || r.bestValF1 === null ? "" : vscode.l10n.t("best validation accuracy {0}, F1 {1}", `${(100 * (r.bestValAccuracy ?? 0)).toFixed(1)} %`, r.bestValF1.toFixed(3));
  item.description = [r.task === "classify" ? vscode.l10n.t("{0} classes", r.names.length) : vscode.l10n.t("{0} tags", r.names.length), scores].filter(Boolean).join(" · ");
  item.tooltip = [
    `${task}: ${r.cell.toUpperCase()} ${r.layers}×${r.hidden}${r.bidirectional ? ` (${vscode.l10n.t("both directions")})` : ""}`,
    `${r.task === "classify" ? vscode.l10n.t("classes") : vscode.l10n.t("tags")}: ${names}`, scores, r.message ?? "",
  ].filter(Boolean).join("\n");
  item.iconPath = stateIcon(r.state === "training" ? "training" : r.state);
  item.contextValue = `rnnLab.textTask.${r.state}`;
  return item;
}

/** A forecaster's run: its column and file; its cell, how far it trained, and its best validation MASE beside the best baseline's (the line to beat). A click opens the forecast panel of that column. */
export function forecastItem(r: ForecastRecord): vscode.TreeItem {
  const item = new vscode.TreeItem(vscode.l10n.t("forecast of {0} in {1}", r.target, basename(r.data)), vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `forecast:${r.checkpoint}`;
  const state = r.state === "training" ? "training" : r.state;
  const mase = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? null : v.toFixed(3));
  const ours = mase(r.bestValMase), theirs = mase(r.baselineValMase);
  const baseline = r.baselineName ?? vscode.l10n.t("best baseline");
  const score = ours === null ? "" : theirs === null ? vscode.l10n.t("validation MASE {0}", ours) : vscode.l10n.t("validation MASE {0} ({1}: {2})", ours, baseline, theirs);
  item.description = [r.cell.toUpperCase(), score || stateLabel(state)].filter(Boolean).join(" · ");
  const steps = r.stepsDone ?? r.steps;
  item.tooltip = [
    vscode.l10n.t("{0}, lookback {1}, horizon {2}{3}", r.cell.toUpperCase(), r.lookback, r.horizon, r.inputs.length ? vscode.l10n.t(", inputs {0}", r.inputs.join(", ")) : ""),
    `${stateLabel(state)}${steps ? ` · ${vscode.l10n.t("{0} steps", steps)}` : ""}${r.bestStep ? ` · ${vscode.l10n.t("best validation at step {0}", r.bestStep)}` : ""}`,
    r.bestValMae !== null && r.bestValMae !== undefined && r.baselineValMae !== null ? vscode.l10n.t("validation MAE {0}; {1} {2}", r.bestValMae.toPrecision(4), baseline, r.baselineValMae.toPrecision(4)) : "",
    r.message ?? "",
  ].filter(Boolean).join("\n");
  item.iconPath = stateIcon(state);
  // "-", not ".": the queue's Pause and Stop (menus matching /\.training$/) are for language-model runs
  item.contextValue = `rnnLab.forecast-${r.state}`;
  item.command = { command: "rnnLab.showForecastBaselines", title: vscode.l10n.t("Open the forecast panel"), arguments: [vscode.Uri.file(r.data), { target: r.target }] };
  return item;
}
