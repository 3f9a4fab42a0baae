// The VS Code side of RNN Lab: registers the commands, the model explorer, hovers, surprisal
// highlighting and the file-loss lens, and wires them to the workers that do the work.
// Activation only creates objects; files are read and workers started later, when needed.

const moduleLoadedAt = performance.now();

import * as vscode from "vscode";
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { describeSpec } from "../engine/model/modelSpec";
import { RUN_TEXT_LIMITS, modelManifestPath, readModelManifest, readRunManifest, updateRunManifest, writeJsonAtomic } from "../engine/runs/runStore";
import { CHECKPOINT_SUMMARY_SCHEME, CheckpointSummaries, summaryUri } from "./checkpointSummary";
import { errorText, fileErrorText } from "./errorText";
import { Prompts, contextKeys, prompts, setContext } from "./prompts";
import { FileLossLens, charactersRead } from "./fileLossLens";
import { ExportPreset, exportModel, importPyTorchWeights } from "./interopCommands";
import { ModelClient } from "./modelClient";
import { ExplorerNode, ModelExplorer, bestOrLatest } from "./modelExplorer";
import { modelShape } from "./modelDescription";
import { PanelContext } from "./panels/panelContext";
import type { PanelKind } from "../protocol/webview";
import { registerPanels, restorePanel } from "./panels/panelCommands";
import { PredictionHover } from "./predictionHover";
import { SurprisalHighlighter } from "./surprisalHighlighter";
import { TrainArgs, TrainCommands, currentTextDocument } from "./trainCommands";
import { TrainingQueue } from "./trainingQueue";
import { SETTING_DEFAULTS } from "../engine/model/defaults";
import { ForecastClient } from "./forecastClient";
import { ForecastCommands } from "./forecastCommands";
import { ForecastHover, TABLE_SELECTOR } from "./forecastHover";
import { startForecaster } from "./forecastTraining";
import { TextTaskCommands } from "./textTaskCommands";
import { startTextTask } from "./textTaskTraining";
import { TextTaskTrainingPanel } from "./panels/textTaskTrainingPanel";
import { TextTaskDecorations } from "./textTaskDecorations";
import { TextTaskPredictions } from "./textTaskPredictions";

const ACTIVE_KEY = "rnnLab.activeCheckpoint";
/** Surprisal highlighting on or off in this workspace: the window's own state, never written into the user's .vscode/settings.json. */
const SURPRISAL_KEY = "rnnLab.surprisalHighlighting";

/** What activate() returns: the integration tests look inside through it. */
export interface RnnLabApi {
  queue: TrainingQueue;
  explorer: ModelExplorer;
  client: ModelClient;
  surprisal: SurprisalHighlighter;
  panels: PanelContext;
  /** What the panels' serializers do after a window reload (the tests call it without reloading). */
  restorePanel: (kind: PanelKind, panel: vscode.WebviewPanel, state: unknown) => boolean;
  activationMs: number;
  /** Every message and quick pick shown, and answers for the next ones (the tests answer modal dialogs through it). */
  prompts: Prompts;
  /** Predicted labels, tags and attributions drawn in the editor. */
  textMarks: TextTaskDecorations;
  /** The context keys set for when clauses, as last set. */
  contextKeys: ReadonlyMap<string, unknown>;
  /** The RNN Lab log channel's file. */
  logFile: string;
  workspaceState: vscode.Memento;
}

export function activate(context: vscode.ExtensionContext): RnnLabApi {
  const t0 = performance.now();
  const log = vscode.window.createOutputChannel("RNN Lab", { log: true });
  const queue = new TrainingQueue(context.extensionPath, log);
  const client = new ModelClient(context.extensionPath, () => vscode.workspace.getConfiguration("rnnLab").get("hover.contextCharacters", 256));
  const active = () => context.workspaceState.get<string>(ACTIVE_KEY);
  const explorer = new ModelExplorer(queue, active);
  const train = new TrainCommands(queue, log, context.extensionPath);
  const surprisal = new SurprisalHighlighter(client, context.workspaceState.get<boolean>(SURPRISAL_KEY));
  /** Trained models but none active: hovers and the lens offer to choose one (the hover once a session). */
  const noActiveButModels = () => !client.model && explorer.storedModels.some((m) => m.runs.some((r) => r.best || r.checkpoints.length));
  const lens = new FileLossLens(client, noActiveButModels);
  const summaries = new CheckpointSummaries();
  const tree = vscode.window.createTreeView("rnnLab.models", { treeDataProvider: explorer, showCollapseAll: true, canSelectMany: true });
  const panels: PanelContext = { extensionUri: context.extensionUri, extensionPath: context.extensionPath, log, queue, open: new Set() };
  const languages = () => vscode.workspace.getConfiguration("rnnLab").get<string[]>("languages", ["plaintext", "markdown"]).map((language) => ({ language }));

  /** Makes a checkpoint the model hovers, highlighting and sampling use. */
  const setActive = async (checkpoint: string, quiet = false): Promise<boolean> => {
    try {
      const m = await client.load(checkpoint);
      await context.workspaceState.update(ACTIVE_KEY, checkpoint);
      explorer.refreshSoon();
      log.info(`active model: ${checkpoint} (${describeSpec(m.spec)})`);
      if (!quiet) void vscode.window.setStatusBarMessage(vscode.l10n.t("RNN Lab: {0} is the active model", vscode.workspace.asRelativePath(checkpoint)), 4000);
      setContext("rnnLab.hasActiveModel", true);
      return true;
    } catch (e) {
      log.error(`cannot load ${checkpoint}: ${(e as Error).message}`);
      void prompts.error(vscode.l10n.t("RNN Lab: cannot use this checkpoint: {0}", errorText(e)));
      return false;
    }
  };

  /** Asks which trained model to make active (newest first); false when there is none or the user cancels. */
  const pickActive = async (): Promise<boolean> => {
    const items = explorer.storedModels.flatMap((m) => {
      const c = bestOrLatest(m);
      return c && m.manifest ? [{ label: m.manifest.name, description: modelShape(m.manifest.spec), detail: vscode.workspace.asRelativePath(c), checkpoint: c, created: m.manifest.created }] : [];
    }).sort((a, b) => b.created.localeCompare(a.created));
    if (!items.length) {
      void prompts.info(vscode.l10n.t("RNN Lab: there is no trained model yet."));
      return false;
    }
    const picked = await prompts.pick(items, { title: vscode.l10n.t("RNN Lab: which model should hovers, highlighting and sampling use?") });
    return picked ? setActive(picked.checkpoint) : false;
  };

  /** The active model, or an offer to train one when there is none. */
  const needModel = async (): Promise<boolean> => {
    if (client.model) return true;
    const saved = active();
    if (saved && existsSync(saved) && (await setActive(saved, true))) return true;
    if (noActiveButModels()) {
      const choose = vscode.l10n.t("Set Active Model…");
      if ((await prompts.info(vscode.l10n.t("RNN Lab: no model is active; choose one of the trained models."), choose)) === choose) return pickActive();
      return false;
    }
    const trainOne = vscode.l10n.t("Train on Current File");
    const answer = await prompts.info(vscode.l10n.t("RNN Lab: there is no active model yet."), trainOne);
    if (answer === trainOne) void vscode.commands.executeCommand("rnnLab.trainOnCurrentFile");
    return false;
  };

  const target = (node?: ExplorerNode) => ModelExplorer.target(node ?? tree.selection[0]);

  /** Reports how a run ended; a finished run becomes the active model when there is none, or when it continues the active one's model. */
  const track = <T extends { finishedEvent: Promise<{ type: string }>; run: { modelDir: string; label: string } } | undefined>(run: T): T => {
    void run?.finishedEvent.then(async (e) => {
      const done = e as { type: string; step?: number; valLoss?: number | null; message?: string; stopped?: boolean };
      const runDir = (run.run as { runDir?: string }).runDir;
      if (e.type === "done") {
        const dashboard = vscode.l10n.t("Open Dashboard"), generate = vscode.l10n.t("Generate Text");
        const loss = done.valLoss == null ? vscode.l10n.t("no validation loss") : vscode.l10n.t("validation loss {0} nats/char", done.valLoss.toFixed(3));
        const text = done.stopped ? vscode.l10n.t("RNN Lab: stopped {0} at step {1}; its last checkpoint is saved ({2}).", run.run.label, done.step ?? 0, loss)
          : vscode.l10n.t("RNN Lab: trained {0} to step {1}; {2}.", run.run.label, done.step ?? 0, loss);
        void prompts.info(text, dashboard, generate).then(async (b) => {
          if (b === dashboard) void vscode.commands.executeCommand("rnnLab.openTrainingDashboard", { runDir });
          if (b === generate) {
            await explorer.refresh(false);
            const model = explorer.storedModels.find((m) => m.dir === run.run.modelDir);
            void vscode.commands.executeCommand("rnnLab.generateText", model && { kind: "model", model, state: explorer.stateOf(model) });
          }
        });
      } else void prompts.error(vscode.l10n.t("RNN Lab: training failed: {0}", errorText(done)));
      await explorer.refresh();
      const current = active();
      if (e.type !== "done" || (current && existsSync(current) && !current.startsWith(run.run.modelDir + "/"))) return;
      const model = explorer.storedModels.find((m) => m.dir === run.run.modelDir);
      const checkpoint = model && bestOrLatest(model);
      if (checkpoint) await setActive(checkpoint, true);
    });
    return run;
  };

  const register = (id: string, f: (...args: never[]) => unknown) => vscode.commands.registerCommand(id, f as (...args: unknown[]) => unknown);
  context.subscriptions.push(
    log, queue, client, explorer, tree, surprisal, lens,
    summaries,
    vscode.workspace.registerTextDocumentContentProvider(CHECKPOINT_SUMMARY_SCHEME, summaries),
    vscode.languages.registerHoverProvider(languages(), new PredictionHover(client, surprisal, noActiveButModels)),
    vscode.languages.registerCodeLensProvider(languages(), lens),
    vscode.workspace.onDidChangeTextDocument((e) => client.noteChange(e)),
    vscode.workspace.onDidCloseTextDocument((d) => client.forget(d)),
    register("rnnLab.trainOnCurrentFile", (args?: TrainArgs) => train.trainOnCurrentFile(args).then(track)),
    register("rnnLab.trainOnWorkspaceFiles", (args?: TrainArgs) => train.trainOnWorkspaceFiles(args).then(track)),
    register("rnnLab.trainOnSelection", (args?: TrainArgs) => train.trainOnSelection(args).then(track)),
    register("rnnLab.trainOnBundledCorpus", (args?: TrainArgs) => train.trainOnCurrentFile({ ...args, file: join(context.extensionPath, "media", "corpus", "tinyshakespeare.txt") }).then(track)),
    register("rnnLab.continueTraining", (node?: ExplorerNode, args?: TrainArgs) => {
      const t = node ? target(node) : {};
      const resumeInPlace = node?.kind === "run" && (node.state === "interrupted" || node.state === "paused");
      return train.continueTraining(t.modelDir ? { modelDir: t.modelDir, checkpoint: t.checkpoint, runDir: resumeInPlace ? t.runDir : undefined } : undefined, args).then(track);
    }),
    register("rnnLab.stopTraining", (node?: ExplorerNode) => {
      if (node?.kind === "run" && node.state === "queued") {
        queue.cancelQueued(node.run.dir);
        return void vscode.window.setStatusBarMessage(vscode.l10n.t("RNN Lab: removed the queued run from the queue"), 4000);
      }
      if (!queue.active) return void prompts.info(vscode.l10n.t("RNN Lab: nothing is training."));
      if (!queue.active.stopping) void vscode.window.setStatusBarMessage(vscode.l10n.t("RNN Lab: stopping {0}; its last checkpoint is being written…", queue.active.run.label), 5000);
      queue.active.stop();
    }),
    register("rnnLab.pauseResumeTraining", () => {
      const a = queue.active;
      if (!a) return void prompts.info(vscode.l10n.t("RNN Lab: nothing is training."));
      if (a.paused) a.resume();
      else a.pause();
    }),
    register("rnnLab.showLog", () => log.show()),
    register("rnnLab.refreshModels", () => explorer.refresh()),
    register("rnnLab.setActiveModel", async (node?: ExplorerNode) => {
      if (!node && !tree.selection.length) return pickActive();
      const checkpoint = target(node).checkpoint;
      if (!checkpoint) return void prompts.info(vscode.l10n.t("RNN Lab: this has no checkpoint yet."));
      return setActive(checkpoint);
    }),
    register("rnnLab.showCheckpointSummary", async (node?: ExplorerNode | { path: string }) => {
      const checkpoint = node && "path" in node ? node.path : target(node).checkpoint;
      if (!checkpoint) return undefined;
      const doc = await vscode.workspace.openTextDocument(summaryUri(checkpoint));
      await vscode.languages.setTextDocumentLanguage(doc, "markdown");
      await vscode.window.showTextDocument(doc, { preview: true });
      return doc.getText();
    }),
    register("rnnLab.sampleText", async (node?: ExplorerNode, args?: { prime?: string; length?: number; open?: boolean }) => {
      const checkpoint = node ? target(node).checkpoint : undefined;
      if (checkpoint) { if (!(await setActive(checkpoint, true))) return undefined; } else if (!(await needModel())) return undefined;
      const c = vscode.workspace.getConfiguration("rnnLab");
      const prime = args?.prime ?? await prompts.input({ title: vscode.l10n.t("RNN Lab: sample text into a new document"), prompt: vscode.l10n.t("Text to start from (may be empty)"), value: "" });
      if (prime === undefined) return undefined;
      let text: string;
      try {
        text = await client.sample(prime, args?.length ?? c.get("sampleLength", SETTING_DEFAULTS.sampleLength), c.get("sampleTemperature", SETTING_DEFAULTS.sampleTemperature), 0, 1, Math.floor(Math.random() * 2 ** 31));
      } catch (e) {
        void prompts.error(vscode.l10n.t("RNN Lab: {0}", errorText(e)));
        return undefined;
      }
      if (args?.open !== false) await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ content: prime + text, language: "plaintext" }));
      return prime + text;
    }),
    register("rnnLab.evaluateModelOnCurrentFile", async () => {
      const doc = await currentTextDocument(vscode.l10n.t("RNN Lab: evaluate the model on which open file?"));
      if (!doc) return undefined;
      if (!(await needModel())) return undefined;
      try {
        const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t("RNN Lab: evaluating") }, () => client.fileLoss(doc.getText()));
        const msg = vscode.l10n.t("RNN Lab: {0}: {1} nats/char ({2} bits/char) over {3}.", basename(doc.fileName), r.loss.toFixed(4), (r.loss / Math.LN2).toFixed(4), charactersRead(r));
        log.info(msg);
        void prompts.info(msg);
        return r;
      } catch (e) {
        void prompts.error(vscode.l10n.t("RNN Lab: {0}", errorText(e)));
        return undefined;
      }
    }),
    register("rnnLab.toggleSurprisal", async () => {
      const on = !surprisal.enabled;
      await context.workspaceState.update(SURPRISAL_KEY, on);
      surprisal.setEnabled(on);
      log.info(`surprisal highlighting ${on ? "on" : "off"} in this workspace (kept in the window's workspace state)`);
      if (on) await needModel();
      return on;
    }),
    register("rnnLab.revealModel", (node?: ExplorerNode) => {
      const t = target(node);
      // a checkpoint, a text task's or a forecaster's run: the checkpoint file; a model or run: its folder
      const path = node?.kind === "checkpoint" || node?.kind === "textTask" || node?.kind === "forecast" ? t.checkpoint : t.runDir ?? t.modelDir;
      if (path) void vscode.commands.executeCommand("revealInExplorer", vscode.Uri.file(path));
    }),
    register("rnnLab.renameModel", async (node?: ExplorerNode) => {
      const dir = target(node).modelDir;
      if (!dir) return;
      const m = readModelManifest(dir);
      const name = await prompts.input({ title: vscode.l10n.t("RNN Lab: rename model"), value: m.name, validateInput: (v) => (v.trim() ? null : vscode.l10n.t("A name cannot be empty")) });
      if (!name) return;
      writeJsonAtomic(modelManifestPath(dir), { ...m, name: name.trim() });
      explorer.refreshSoon();
    }),
    register("rnnLab.renameRun", (node?: ExplorerNode, args?: { label?: string }) => editRun(node, "label", args?.label)),
    register("rnnLab.editRunNotes", (node?: ExplorerNode, args?: { notes?: string }) => editRun(node, "notes", args?.notes)),
    register("rnnLab.tagRun", (node?: ExplorerNode, args?: { tags?: string }) => editRun(node, "tags", args?.tags)),
    register("rnnLab.deleteModel", async (node?: ExplorerNode, args?: { confirm?: boolean }) => {
      const t = target(node);
      const path = node?.kind === "checkpoint" ? t.checkpoint : node?.kind === "run" ? t.runDir : t.modelDir;
      if (!path) return;
      if ((t.runDir && queue.isActive(t.runDir)) || (node?.kind === "model" && queue.active?.run.modelDir === t.modelDir)) {
        return void vscode.window.showErrorMessage(vscode.l10n.t("RNN Lab: stop its training before deleting it."));
      }
      if (!(await deleteFiles(path, args?.confirm !== false))) return;
      const current = active();
      if (current && (current === path || current.startsWith(path + "/"))) {
        await context.workspaceState.update(ACTIVE_KEY, undefined);
        client.unload();
      }
      await explorer.refresh();
    }),
    register("rnnLab.importPyTorchWeights", () => importPyTorchWeights(context.extensionPath, log).then((r) => { explorer.refreshSoon(); return r; })),
    register("rnnLab.exportModel", (arg?: vscode.Uri | ExplorerNode, preset?: ExportPreset | vscode.Uri[]) => {
      const checkpoint = arg instanceof vscode.Uri ? arg : arg ? (target(arg).checkpoint ? vscode.Uri.file(target(arg).checkpoint!) : undefined) : undefined;
      // from the file explorer's menu the second argument is the selection (an array of URIs), not a preset
      const given = preset && !Array.isArray(preset) && typeof preset.out === "string" && typeof preset.format === "string" ? preset : undefined;
      return exportModel(context.extensionPath, log, checkpoint, given);
    }),
  );
  context.subscriptions.push(...registerPanels({
    ctx: panels, explorer, train, track: track as <T>(run: T) => T,
    activeCheckpoint: async () => ((await needModel()) ? client.model?.checkpoint : undefined),
  }), { dispose: () => { for (const p of [...panels.open]) p.host.dispose(); } });
  // forecasting on CSV/TSV files: the commands, and the hover over a row (one worker for both)
  const forecasts = new ForecastClient(context.extensionPath);
  const forecastCommands = new ForecastCommands(panels, (choice) => startForecaster(choice, { log, extensionPath: context.extensionPath }));
  context.subscriptions.push(forecasts, forecastCommands, ...forecastCommands.register(), vscode.languages.registerHoverProvider(TABLE_SELECTOR, new ForecastHover(forecasts)));
  // classification, tagging and segmentation of labelled files, trained in the training worker
  const textTasks = new TextTaskCommands(context.extensionPath, async (choice) => {
    const run = await startTextTask(choice, { log, extensionPath: context.extensionPath });
    if (run) TextTaskTrainingPanel.show(panels, run.recordFile); // its validations as they come
    return run;
  });
  // what a classifier, tagger or segmenter says, run in the text-task worker and drawn in the editor
  const textMarks = new TextTaskDecorations();
  const textPredictions = new TextTaskPredictions(panels, textMarks);
  context.subscriptions.push(...textTasks.register(), textMarks, textPredictions, ...textPredictions.register(), vscode.languages.registerHoverProvider([{ scheme: "file" }, { scheme: "untitled" }], textMarks),
    vscode.commands.registerCommand("rnnLab.showMisclassified", (uri?: vscode.Uri) => {
      const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
      return target ? textMarks.showMisclassified(target) : prompts.info(vscode.l10n.t("RNN Lab: no predictions are shown in this file; classify it first."));
    }));
  setContext("rnnLab.hasModels", false);
  setContext("rnnLab.hasActiveModel", false);
  context.subscriptions.push(client.onDidChangeModel((m) => setContext("rnnLab.hasActiveModel", !!m)));

  /**
   * Deletes a model, run or checkpoint folder after asking. Where the window has no trash (a remote
   * or browser window: code-server, SSH, WSL, Codespaces) the question says so and a second one
   * confirms deleting for good; a trash that refuses is handled the same way. Errors are one line
   * (and logged), never VS Code's raw message.
   */
  async function deleteFiles(path: string, ask: boolean): Promise<boolean> {
    const rel = vscode.workspace.asRelativePath(path);
    const uri = vscode.Uri.file(path);
    const del = vscode.l10n.t("Delete"), forGood = vscode.l10n.t("Delete Permanently");
    const permanently = async (): Promise<boolean> => !ask || (await prompts.confirm(vscode.l10n.t("RNN Lab: permanently delete {0}?", rel), vscode.l10n.t("This cannot be undone."), forGood)) === forGood;
    const trash = ask && hasTrash();
    if (ask) {
      const first = await prompts.confirm(trash ? vscode.l10n.t("RNN Lab: delete {0}?", rel) : vscode.l10n.t("RNN Lab: delete {0}? This window has no trash, so its files would be deleted permanently.", rel),
        trash ? vscode.l10n.t("Its files are moved to the trash.") : vscode.l10n.t("Remote and browser windows (code-server, SSH, WSL, Codespaces) cannot move files to a trash."), del);
      if (first !== del) return false;
      if (!trash && !(await permanently())) return false;
    }
    try {
      try {
        await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: trash });
      } catch (e) {
        if (!trash || !isNoTrash(e)) throw e;
        log.warn(`cannot move ${path} to the trash (${(e as Error).message}); asking to delete it permanently`);
        if (!(await prompts.confirm(vscode.l10n.t("RNN Lab: {0} cannot be moved to the trash here. Delete it permanently?", rel), vscode.l10n.t("This cannot be undone."), forGood) === forGood)) return false;
        await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: false });
        log.info(`deleted ${path} permanently`);
        return true;
      }
    } catch (e) {
      log.error(`cannot delete ${path}: ${(e as Error).message}`);
      void prompts.error(vscode.l10n.t("RNN Lab: cannot delete {0}: {1}", rel, fileErrorText(e)));
      return false;
    }
    log.info(`deleted ${path}${trash ? " (to the trash)" : " permanently"}`);
    return true;
  }

  /** Rename Run…, Edit Run Notes…, Tag Run…: the user's own fields of run.json. */
  async function editRun(node: ExplorerNode | undefined, field: "label" | "notes" | "tags", given?: string): Promise<boolean> {
    const runDir = target(node).runDir;
    if (!runDir) return void prompts.info(vscode.l10n.t("RNN Lab: choose a run in the RNN Lab view.")) as unknown as false;
    let r;
    try { r = readRunManifest(runDir); } catch (e) { void prompts.error(vscode.l10n.t("RNN Lab: {0}", errorText(e))); return false; }
    const L = RUN_TEXT_LIMITS;
    const value = given ?? await prompts.input(
      field === "label" ? { title: vscode.l10n.t("RNN Lab: rename run"), value: r.label ?? "", prompt: vscode.l10n.t("A name for run {0} (empty: its id)", r.id), validateInput: (v) => (v.length > L.label ? vscode.l10n.t("At most {0} characters", L.label) : null) }
        : field === "notes" ? { title: vscode.l10n.t("RNN Lab: notes on run {0}", r.label ?? r.id), value: r.notes ?? "", prompt: vscode.l10n.t("What you tried and what you saw (empty: no notes)"), validateInput: (v) => (v.length > L.notes ? vscode.l10n.t("At most {0} characters", L.notes) : null) }
          : { title: vscode.l10n.t("RNN Lab: tags of run {0}", r.label ?? r.id), value: (r.tags ?? []).join(", "), prompt: vscode.l10n.t("Tags separated by commas, e.g. baseline, high-lr"), validateInput: (v) => (parseTags(v).some((t) => t.length > L.tag) || parseTags(v).length > L.tags ? vscode.l10n.t("At most {0} tags of at most {1} characters", L.tags, L.tag) : null) });
    if (value === undefined) return false;
    const change = field === "tags" ? { tags: parseTags(value).slice(0, L.tags) } : { [field]: value.trim().slice(0, field === "label" ? L.label : L.notes) };
    const cleared = field === "tags" ? (change as { tags: string[] }).tags.length === 0 : !(change as Record<string, string>)[field];
    try {
      // an empty answer removes the field (run.json keeps only what the user set)
      const next = { ...readRunManifest(runDir), ...change, updated: new Date().toISOString() } as Record<string, unknown>;
      if (cleared) delete next[field];
      writeJsonAtomic(join(runDir, "run.json"), next);
    } catch (e) {
      log.error(`cannot write ${runDir}/run.json: ${(e as Error).message}`);
      void prompts.error(vscode.l10n.t("RNN Lab: cannot change the run: {0}", fileErrorText(e)));
      return false;
    }
    log.info(`run ${r.id}: ${field} ${cleared ? "cleared" : "set"}`);
    explorer.refreshSoon();
    return true;
  }

  // The rest reads files: after activation returns.
  setTimeout(() => void startup(), 0);
  async function startup(): Promise<void> {
    await explorer.refresh();
    const saved = active();
    if (saved && existsSync(saved)) await setActive(saved, true);
    await offerToResume();
  }

  /** Runs left "training" by a closed window or a crash: continue them from their last checkpoint. */
  async function offerToResume(): Promise<void> {
    const policy = vscode.workspace.getConfiguration("rnnLab").get<"ask" | "always" | "never">("resumeInterruptedRuns", "ask");
    if (policy === "never") return;
    for (const model of explorer.storedModels) {
      for (const run of model.runs.filter((r) => r.interrupted && r.manifest)) {
        if (!run.checkpoints.length) {
          updateRunManifest(run.dir, { state: "failed", message: "interrupted before its first checkpoint" });
          continue;
        }
        const go = vscode.l10n.t("Continue");
        const answer = policy === "always" ? go : await vscode.window.showInformationMessage(
          vscode.l10n.t("RNN Lab: training of {0} was interrupted at step {1}. Continue from its last checkpoint?", model.manifest?.name ?? basename(model.dir), run.checkpoints[run.checkpoints.length - 1].step), go);
        if (answer === go) track(await train.continueTraining({ modelDir: model.dir, runDir: run.dir }, { whenBusy: "queue" }));
      }
    }
  }

  const activationMs = performance.now() - t0;
  log.info(`activated in ${activationMs.toFixed(1)} ms (module load to ready: ${(performance.now() - moduleLoadedAt).toFixed(1)} ms)`);
  return {
    queue, explorer, client, surprisal, panels, restorePanel: (kind, panel, state) => restorePanel(panels, kind, panel, state), activationMs,
    prompts, textMarks, contextKeys, logFile: join(context.logUri.fsPath, "RNN Lab.log"), workspaceState: context.workspaceState,
  };
}

export function deactivate(): void {
  // everything is in context.subscriptions
}

/** Desktop VS Code on this machine moves deleted files to the system's trash; remote and browser windows have none. */
function hasTrash(): boolean {
  return vscode.env.remoteName === undefined && vscode.env.uiKind === vscode.UIKind.Desktop;
}

/** VS Code's "Unable to delete file … via trash because provider does not support it" and its kin. */
function isNoTrash(e: unknown): boolean {
  return /trash/i.test((e as Error)?.message ?? "");
}

function parseTags(v: string): string[] {
  return [...new Set(v.split(/[,，]/).map((t) => t.trim()).filter(Boolean))];
}

