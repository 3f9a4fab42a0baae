// The panels' commands (palette and explorer) and their serializers (panels come back after a
// window reload). Each command finds what its panel shows: the explorer node it was run on, else
// the active model or run, else it says there is none and offers to train one.

import * as vscode from "vscode";
import { errorText } from "../errorText";
import { existsSync } from "node:fs";
import { basename } from "node:path";
import { ExperimentKind, cellVariants, experimentVariants } from "../../engine/runs/experiments";
import { ModelSpec } from "../../engine/model/modelSpec";
import { listModels, readModelManifest } from "../../engine/runs/runStore";
import { PanelKind, isPanelRestore } from "../../protocol/webview";
import { ExplorerNode, ModelExplorer } from "../modelExplorer";
import { prompts } from "../prompts";
import { runsRoot } from "../settings";
import type { TrainCommands } from "../trainCommands";
import { CompareRunsPanel } from "./compareRunsPanel";
import { DashboardPanel, modelDirOfRun } from "./dashboardPanel";
import { ForecastDashboardPanel } from "./forecastDashboardPanel";
import { GateHeatmapPanel } from "./gateHeatmapPanel";
import { firstRecordText, listTextTaskRecords, recordPathOf, textTaskName, textTaskRecordOf } from "../textTaskTraining";
import { allForecastRecords } from "../forecastModels";
import { GenerateTextPanel } from "./generateTextPanel";
import { GradientCheckPanel } from "./gradientCheckPanel";
import { GradientFlowPanel } from "./gradientFlowPanel";
import { ForecastPanel } from "./forecastPanel";
import { ClassificationReportPanel } from "./classificationReportPanel";
import { ExplainPredictionPanel } from "./explainPredictionPanel";
import { TextTaskTrainingPanel } from "./textTaskTrainingPanel";
import { PanelContext, corpusOf } from "./panelContext";
import { PanelHost, VIEW_TYPES } from "./panelHost";
import { DEFAULT_MODEL, SETTING_DEFAULTS } from "../../engine/model/defaults";

export interface PanelDeps {
  ctx: PanelContext;
  explorer: ModelExplorer;
  train: TrainCommands;
  /** The active model's checkpoint, loading the saved one or offering to train one; undefined when there is none. */
  activeCheckpoint: () => Promise<string | undefined>;
  track: <T>(run: T) => T;
}

const HEATMAP_DEFAULT_CHARS = 300;
const FLOW_TEXT_CHARS = 20_000;

/** The text editor the user was last in (a focused panel leaves no active text editor). */
let lastEditor: vscode.TextEditor | undefined;

function currentEditor(): vscode.TextEditor | undefined {
  return vscode.window.activeTextEditor ?? (lastEditor && vscode.window.visibleTextEditors.includes(lastEditor) ? lastEditor : undefined);
}

/** The selection, else the line the cursor is on; null without an editor. */
/** The selection, or (unless `selectionOnly`) the line at the cursor. */
function selectedText(selectionOnly = false): string | null {
  const editor = currentEditor();
  if (!editor) return null;
  const s = editor.selection;
  if (s.isEmpty && selectionOnly) return null;
  const text = s.isEmpty ? editor.document.lineAt(s.active.line).text : editor.document.getText(s);
  return text.length ? text : null;
}

export function registerPanels(deps: PanelDeps): vscode.Disposable[] {
  const { ctx } = deps;
  lastEditor = vscode.window.activeTextEditor;
  const tracking = vscode.window.onDidChangeActiveTextEditor((e) => { if (e) lastEditor = e; });
  const checkpointFor = async (node?: ExplorerNode): Promise<string | undefined> => {
    const t = ModelExplorer.target(node);
    if (t.checkpoint) return t.checkpoint;
    if (node) return void vscode.window.showInformationMessage(vscode.l10n.t("RNN Lab: this has no checkpoint yet."));
    return deps.activeCheckpoint();
  };
  const fail = (e: unknown) => void vscode.window.showErrorMessage(vscode.l10n.t("RNN Lab: {0}", errorText(e)));

  const commands: [string, (...args: never[]) => unknown][] = [
    ["rnnLab.openTrainingDashboard", async (arg?: ExplorerNode | { runDir: string } | { forecastRecord: string }) => {
      // a forecaster's run (from the forecast panel): its record
      if (arg && "forecastRecord" in arg) return ForecastDashboardPanel.show(ctx, arg.forecastRecord);
      let runDir = arg && "runDir" in arg ? arg.runDir : ModelExplorer.target(arg as ExplorerNode | undefined).runDir;
      const node = arg as ExplorerNode | undefined;
      if (!runDir && node?.kind === "model") runDir = node.model.runs.at(-1)?.dir;
      runDir ??= ctx.queue.active?.run.runDir;
      runDir ??= await pickRuns(false).then((r) => r?.[0]);
      if (!runDir) return undefined;
      return DashboardPanel.show(ctx, runDir);
    }],
    ["rnnLab.showGateHeatmap", async (node?: ExplorerNode, args?: { text?: string }) => {
      const checkpoint = await checkpointFor(node);
      if (!checkpoint) return undefined;
      // a classifier, tagger or segmenter reads the selection, else the first record it was trained on (not the line at the cursor: a record is what it reads)
      const record = textTaskRecordOf(checkpoint);
      const text = args?.text ?? (record ? selectedText(true) ?? firstRecordText(record) : selectedText() ?? corpusOf(checkpoint, HEATMAP_DEFAULT_CHARS));
      if (!text) return void vscode.window.showInformationMessage(vscode.l10n.t("RNN Lab: select the text to read, or put the cursor on a line."));
      const chars = Array.from(text);
      if (chars.length > 5000) void vscode.window.showInformationMessage(vscode.l10n.t("RNN Lab: the heatmap reads the first 5,000 of {0} characters.", chars.length));
      return GateHeatmapPanel.show(ctx, checkpoint, chars.slice(0, 5000).join(""));
    }],
    ["rnnLab.showGradientFlow", async (node?: ExplorerNode, args?: { text?: string; compareAll?: boolean }) => {
      const checkpoint = await checkpointFor(node);
      if (!checkpoint) return undefined;
      const selected = selectedText();
      const text = args?.text ?? (selected && selected.length > 100 ? selected : corpusOf(checkpoint, FLOW_TEXT_CHARS) ?? selected);
      if (!text || Array.from(text).length < 3) return void vscode.window.showInformationMessage(vscode.l10n.t("RNN Lab: select at least a few hundred characters of text for the gradient flow."));
      return GradientFlowPanel.show(ctx, checkpoint, text, args?.compareAll);
    }],
    ["rnnLab.generateText", async (node?: ExplorerNode) => {
      const checkpoint = await checkpointFor(node);
      return checkpoint ? GenerateTextPanel.show(ctx, checkpoint) : undefined;
    }],
    ["rnnLab.compareRuns", async (node?: ExplorerNode, nodes?: readonly ExplorerNode[], args?: { runDirs?: string[] }) => {
      let runDirs = args?.runDirs;
      const chosen = (nodes?.length ? nodes : node ? [node] : []).filter((n) => n.kind === "run" || n.kind === "model" || n.kind === "textTask");
      if (!runDirs && chosen.length > 1) runDirs = chosen.flatMap((n) => (n.kind === "run" ? [n.run.dir] : n.kind === "model" ? n.model.runs.map((r) => r.dir) : n.kind === "textTask" ? [recordPathOf(n.record)] : []));
      else if (!runDirs && chosen.length === 1) runDirs = sameCorpusRuns(chosen[0]);
      runDirs ??= await pickRuns(true);
      if (!runDirs?.length) return undefined;
      return CompareRunsPanel.show(ctx, [...new Set(runDirs)]);
    }],
    ["rnnLab.compareCellsOnText", (args?: { kind?: ExperimentKind; seconds?: number; text?: string; name?: string }) => compareOnText(deps, args).catch(fail)],
    ["rnnLab.runGradientCheck", (node?: ExplorerNode) => {
      const dir = ModelExplorer.target(node).modelDir;
      let spec: ModelSpec | undefined;
      try { spec = dir ? readModelManifest(dir).spec : undefined; } catch { spec = undefined; }
      return GradientCheckPanel.show(ctx, spec);
    }],
  ];

  const serializers = (Object.keys(VIEW_TYPES) as PanelKind[]).map((kind) => vscode.window.registerWebviewPanelSerializer(VIEW_TYPES[kind], {
    deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => void restorePanel(ctx, kind, panel, state),
  }));

  return [tracking, ...commands.map(([id, f]) => vscode.commands.registerCommand(id, f as (...a: unknown[]) => unknown)), ...serializers];
}

/** Every run of models trained on the same text as this node's model. */
function sameCorpusRuns(node: ExplorerNode): string[] {
  // a text task's run: every run of that task on that file (their records)
  if (node.kind === "textTask") {
    const root = runsRoot();
    return (root ? listTextTaskRecords(root) : []).filter(({ record: r }) => r.data === node.record.data && r.task === node.record.task).map((r) => r.path).reverse();
  }
  const model = node.kind === "run" || node.kind === "model" ? node.model : null;
  const root = runsRoot();
  if (!model?.manifest || !root) return [];
  return listModels(root).filter((m) => m.manifest?.corpus.sha256 === model.manifest!.corpus.sha256).flatMap((m) => m.runs.map((r) => r.dir));
}

async function pickRuns(many: boolean): Promise<string[] | undefined> {
  const root = runsRoot();
  const items = (root ? listModels(root) : []).flatMap((m) => m.runs.map((r) => ({
    label: `${m.manifest?.name ?? basename(m.dir)} · ${r.manifest?.label ?? basename(r.dir)}`,
    description: r.manifest ? [...(r.manifest.tags ?? []).map((t) => `#${t}`), vscode.l10n.t("step {0}", r.manifest.step)].join(" · ") : "", runDir: r.dir,
  })));
  // classifiers', taggers', segmenters' and forecasters' runs: their records, which Compare Runs reads by their own metrics
  const when = (iso: string) => new Date(iso).toLocaleString(vscode.env.language, { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  if (root) for (const { path, record } of listTextTaskRecords(root)) items.push({ label: `${basename(record.data)} · ${textTaskName(record.task)}`, description: when(record.created), runDir: path });
  for (const r of allForecastRecords()) items.push({ label: `${basename(r.data)} → ${r.target} · ${vscode.l10n.t("forecaster")}`, description: when(r.created), runDir: r.path });
  // runs of same-named models started in the same second share a label: add the model folder's name
  const shared = new Set(items.map((i) => i.label).filter((l, k, all) => all.indexOf(l) !== k));
  for (const i of items) if (shared.has(i.label)) i.label = `${i.label} (${basename(modelDirOfRun(i.runDir))})`;
  if (!items.length) {
    const train = vscode.l10n.t("Train on Current File");
    if ((await vscode.window.showInformationMessage(vscode.l10n.t("RNN Lab: there are no training runs yet."), train)) === train) void vscode.commands.executeCommand("rnnLab.trainOnCurrentFile");
    return undefined;
  }
  if (many) {
    // Enter with nothing ticked compares the highlighted run; with nothing highlighted either, say what to do
    const picked = await prompts.pickMany(items, vscode.l10n.t("RNN Lab: runs to compare (tick them with Space, then Enter)"));
    if (picked && !picked.length) void prompts.info(vscode.l10n.t("RNN Lab: no run was ticked; tick the runs to compare (Space or a click on their boxes), then press Enter."));
    return picked?.length ? picked.map((i) => i.runDir) : undefined;
  }
  const one = await prompts.pick(items, { title: vscode.l10n.t("RNN Lab: which run?") });
  return one ? [one.runDir] : undefined;
}

/**
 * Compare Cells on This Text: trains the variants of one experiment one after another on the current
 * file (or selection) for the same time and opens the comparison, which fills in as they train.
 */
async function compareOnText(deps: PanelDeps, args: { kind?: ExperimentKind; seconds?: number; text?: string; name?: string; cells?: string[] } = {}): Promise<CompareRunsPanel | undefined> {
  const editor = currentEditor();
  const selection = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : "";
  const text = args.text ?? (selection || editor?.document.getText() || "");
  const name = args.name ?? (editor ? basename(editor.document.fileName) : "text");
  if (!text) return void vscode.window.showErrorMessage(vscode.l10n.t("RNN Lab: open a text file to train on first."));
  const kind = args.kind ?? (await vscode.window.showQuickPick([
    { label: vscode.l10n.t("Cells: RNN, LSTM, GRU"), detail: vscode.l10n.t("equal parameter count, same time"), experiment: "cells" as const },
    { label: vscode.l10n.t("Initialisation: N(0,1)·0.01, N(0,1)·sqrt(1/n), orthogonal"), experiment: "init" as const },
    { label: vscode.l10n.t("Gradient clipping on and off"), experiment: "clipping" as const },
  ], { title: vscode.l10n.t("RNN Lab: what to compare") }))?.experiment;
  if (!kind) return undefined;
  // cells picked from the list: which cell variants (the reset-before GRU among them); given args.kind without args.cells, the registry's cells
  let cells = args.cells;
  if (kind === "cells" && !cells && !args.kind) {
    const items = cellVariants().map((v) => ({ label: v.label, picked: Object.keys(v.options).length === 0 }));
    const picked = await prompts.pickMany(items, vscode.l10n.t("RNN Lab: cells to compare (tick them with Space, then Enter)"));
    if (!picked?.length) return undefined;
    cells = picked.map((p) => p.label);
  }
  const c = vscode.workspace.getConfiguration("rnnLab");
  const seconds = args.seconds ?? Number(await vscode.window.showInputBox({
    title: vscode.l10n.t("RNN Lab: seconds of training for each model"), value: String(c.get("trainingSeconds", SETTING_DEFAULTS.trainingSeconds)),
    validateInput: (v) => (Number(v) >= 1 && Number(v) <= 86400 ? null : vscode.l10n.t("1 to 86,400 seconds")),
  }));
  if (!(seconds >= 1)) return undefined;
  let vocabSize: number;
  try { vocabSize = await deps.train.vocabularySize(text); } catch (e) { return void vscode.window.showErrorMessage(vscode.l10n.t("RNN Lab: cannot train on {0}: {1}", name, errorText(e))); }
  const base: ModelSpec = {
    ...DEFAULT_MODEL, cell: c.get("cell", SETTING_DEFAULTS.cell), layers: c.get("layers", SETTING_DEFAULTS.layers), hidden: c.get("hiddenSize", SETTING_DEFAULTS.hiddenSize), vocabSize,
  };
  const variants = experimentVariants(kind, base, c.get("clip", SETTING_DEFAULTS.clip), cells);
  const runDirs: string[] = [];
  for (const v of variants) {
    // the next variant is made once this one's run folder exists, so they queue in this order
    await new Promise<void>((made) => {
      const started = deps.train.trainOnText(`${name} · ${v.name}`, text, editor ? [vscode.workspace.asRelativePath(editor.document.uri)] : [], {
        cell: v.spec.cell, spec: v.spec, options: v.options, seconds, whenBusy: "queue", name: `${name} · ${v.name}`,
        onCreated: (dir) => { runDirs.push(dir); made(); },
      });
      void started.then((run) => { made(); deps.track(run); });
    });
  }
  if (!runDirs.length) return undefined;
  const title = { cells: vscode.l10n.t("Cells on {0}", name), init: vscode.l10n.t("Initialisation on {0}", name), clipping: vscode.l10n.t("Clipping on {0}", name) }[kind];
  return CompareRunsPanel.show(deps.ctx, runDirs, title);
}

/**
 * A panel VS Code brings back after a reload, with the state its page saved: its controller again,
 * or the panel closed when the state is not ours or what it showed was deleted meanwhile.
 */
export function restorePanel(ctx: PanelContext, kind: PanelKind, panel: vscode.WebviewPanel, state: unknown): boolean {
  const restore = (state as { restore?: unknown } | undefined)?.restore;
  if (!isPanelRestore(restore) || restore.kind !== kind) {
    panel.dispose();
    return false;
  }
  const host = new PanelHost(ctx.extensionUri, kind, panel, restore, ctx.log);
  switch (restore.kind) {
    case "dashboard":
      if ("forecastRecord" in restore) { if (existsSync(restore.forecastRecord)) return !!new ForecastDashboardPanel(ctx, host, restore.forecastRecord); break; }
      if (existsSync(restore.runDir)) return !!new DashboardPanel(ctx, host, restore.runDir);
      break;
    case "gateHeatmap": if (existsSync(restore.checkpoint)) return !!new GateHeatmapPanel(ctx, host, restore.checkpoint, restore.text); break;
    case "gradientFlow": if (existsSync(restore.checkpoint)) return !!new GradientFlowPanel(ctx, host, restore.checkpoint, restore.text); break;
    case "generateText": if (existsSync(restore.checkpoint)) return !!new GenerateTextPanel(ctx, host, restore.checkpoint); break;
    case "compareRuns": return !!new CompareRunsPanel(ctx, host, restore.runDirs.filter((d) => existsSync(d)), panel.title);
    case "gradientCheck": return !!new GradientCheckPanel(ctx, host); // the page still has its report
    case "textTaskTraining": if (existsSync(restore.record)) return !!new TextTaskTrainingPanel(ctx, host, restore.record); break;
    case "explainPrediction": if (existsSync(restore.checkpoint)) return !!new ExplainPredictionPanel(ctx, host, restore.checkpoint, null); break; // the page still has its explanation
    case "classificationReport": if (existsSync(restore.file)) return !!new ClassificationReportPanel(ctx, host, restore.checkpoint, restore.file); break; // the page still has its report
    case "forecast": if (existsSync(restore.file)) return !!new ForecastPanel(ctx, host, { file: restore.file, target: restore.target, ...(restore.timeColumn ? { timeColumn: restore.timeColumn } : {}) }); break;
  }
  host.dispose();
  return false;
}
