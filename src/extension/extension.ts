// The VS Code side of RNN Lab: registers the commands, the model explorer, hovers, surprisal
// highlighting and the file-loss lens, and wires them to the workers that do the work.
// Activation only creates objects; files are read and workers started later, when needed.

const moduleLoadedAt = performance.now();

import * as vscode from "vscode";
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { modelManifestPath, readModelManifest, updateRunManifest, writeJsonAtomic } from "../engine/runStore";
import { FileLossLens } from "./fileLossLens";
import { exportModel, importPyTorchWeights } from "./interopCommands";
import { ModelClient } from "./modelClient";
import { ExplorerNode, ModelExplorer, bestOrLatest } from "./modelExplorer";
import { PanelContext } from "./panels/panelContext";
import type { PanelKind } from "../protocol/webview";
import { registerPanels, restorePanel } from "./panels/panelCommands";
import { PredictionHover } from "./predictionHover";
import { SurprisalHighlighter } from "./surprisalHighlighter";
import { TrainArgs, TrainCommands } from "./trainCommands";
import { TrainingQueue } from "./trainingQueue";
import { SETTING_DEFAULTS } from "../engine/defaults";

const ACTIVE_KEY = "rnnLab.activeCheckpoint";

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
}

export function activate(context: vscode.ExtensionContext): RnnLabApi {
  const t0 = performance.now();
  const log = vscode.window.createOutputChannel("RNN Lab", { log: true });
  const queue = new TrainingQueue(context.extensionPath, log);
  const client = new ModelClient(context.extensionPath, () => vscode.workspace.getConfiguration("rnnLab").get("hover.contextCharacters", 256));
  const active = () => context.workspaceState.get<string>(ACTIVE_KEY);
  const explorer = new ModelExplorer(queue, active);
  const train = new TrainCommands(queue, log, context.extensionPath);
  const surprisal = new SurprisalHighlighter(client);
  const lens = new FileLossLens(client);
  const tree = vscode.window.createTreeView("rnnLab.models", { treeDataProvider: explorer, showCollapseAll: true, canSelectMany: true });
  const panels: PanelContext = { extensionUri: context.extensionUri, extensionPath: context.extensionPath, log, queue, open: new Set() };
  const languages = () => vscode.workspace.getConfiguration("rnnLab").get<string[]>("languages", ["plaintext", "markdown"]).map((language) => ({ language }));

  /** Makes a checkpoint the model hovers, highlighting and sampling use. */
  const setActive = async (checkpoint: string, quiet = false): Promise<boolean> => {
    try {
      const m = await client.load(checkpoint);
      await context.workspaceState.update(ACTIVE_KEY, checkpoint);
      explorer.refreshSoon();
      log.info(`active model: ${checkpoint} (${m.spec.cell} ${m.spec.layers}×${m.spec.hidden})`);
      if (!quiet) void vscode.window.setStatusBarMessage(vscode.l10n.t("RNN Lab: {0} is the active model", vscode.workspace.asRelativePath(checkpoint)), 4000);
      return true;
    } catch (e) {
      log.error(`cannot load ${checkpoint}: ${(e as Error).message}`);
      void vscode.window.showErrorMessage(vscode.l10n.t("RNN Lab: cannot use this checkpoint: {0}", (e as Error).message));
      return false;
    }
  };

  /** The active model, or an offer to train one when there is none. */
  const needModel = async (): Promise<boolean> => {
    if (client.model) return true;
    const saved = active();
    if (saved && existsSync(saved) && (await setActive(saved, true))) return true;
    const trainOne = vscode.l10n.t("Train on Current File");
    const answer = await vscode.window.showInformationMessage(vscode.l10n.t("RNN Lab: there is no active model yet."), trainOne);
    if (answer === trainOne) void vscode.commands.executeCommand("rnnLab.trainOnCurrentFile");
    return false;
  };

  const target = (node?: ExplorerNode) => ModelExplorer.target(node ?? tree.selection[0]);

  /** Reports how a run ended; a finished run becomes the active model when there is none, or when it continues the active one's model. */
  const track = <T extends { finishedEvent: Promise<{ type: string }>; run: { modelDir: string; label: string } } | undefined>(run: T): T => {
    void run?.finishedEvent.then(async (e) => {
      const done = e as { type: string; step?: number; valLoss?: number | null; message?: string };
      if (e.type === "done") void vscode.window.showInformationMessage(vscode.l10n.t("RNN Lab: trained {0} to step {1}; validation loss {2} nats/char.", run.run.label, done.step ?? 0, done.valLoss?.toFixed(3) ?? "n/a"));
      else void vscode.window.showErrorMessage(vscode.l10n.t("RNN Lab: training failed: {0}", done.message ?? ""));
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
    vscode.languages.registerHoverProvider(languages(), new PredictionHover(client)),
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
      if (node?.kind === "run" && node.state === "queued") return queue.cancelQueued(node.run.dir);
      if (queue.active) queue.active.stop();
      else void vscode.window.showInformationMessage(vscode.l10n.t("RNN Lab: nothing is training."));
    }),
    register("rnnLab.pauseResumeTraining", () => {
      const a = queue.active;
      if (!a) return void vscode.window.showInformationMessage(vscode.l10n.t("RNN Lab: nothing is training."));
      if (a.paused) a.resume();
      else a.pause();
    }),
    register("rnnLab.showLog", () => log.show()),
    register("rnnLab.refreshModels", () => explorer.refresh()),
    register("rnnLab.setActiveModel", async (node?: ExplorerNode) => {
      const checkpoint = target(node).checkpoint;
      if (!checkpoint) return void vscode.window.showInformationMessage(vscode.l10n.t("RNN Lab: this has no checkpoint yet."));
      return setActive(checkpoint);
    }),
    register("rnnLab.sampleText", async (node?: ExplorerNode, args?: { prime?: string; length?: number; open?: boolean }) => {
      const checkpoint = node ? target(node).checkpoint : undefined;
      if (checkpoint) { if (!(await setActive(checkpoint, true))) return undefined; } else if (!(await needModel())) return undefined;
      const c = vscode.workspace.getConfiguration("rnnLab");
      const prime = args?.prime ?? await vscode.window.showInputBox({ title: vscode.l10n.t("RNN Lab: sample text"), prompt: vscode.l10n.t("Text to start from (may be empty)"), value: "" });
      if (prime === undefined) return undefined;
      let text: string;
      try {
        text = await client.sample(prime, args?.length ?? c.get("sampleLength", SETTING_DEFAULTS.sampleLength), c.get("sampleTemperature", SETTING_DEFAULTS.sampleTemperature), 0, 1, Math.floor(Math.random() * 2 ** 31));
      } catch (e) {
        void vscode.window.showErrorMessage(vscode.l10n.t("RNN Lab: {0}", (e as Error).message));
        return undefined;
      }
      if (args?.open !== false) await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ content: prime + text, language: "plaintext" }));
      return prime + text;
    }),
    register("rnnLab.evaluateModelOnCurrentFile", async () => {
      const doc = vscode.window.activeTextEditor?.document;
      if (!doc) return void vscode.window.showErrorMessage(vscode.l10n.t("RNN Lab: open a text file to train on first."));
      if (!(await needModel())) return undefined;
      try {
        const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t("RNN Lab: evaluating") }, () => client.fileLoss(doc.getText()));
        const msg = vscode.l10n.t("RNN Lab: {0}: {1} nats/char ({2} bits/char) over {3} characters.", basename(doc.fileName), r.loss.toFixed(4), (r.loss / Math.LN2).toFixed(4), r.predicted.toLocaleString());
        log.info(msg);
        void vscode.window.showInformationMessage(msg);
        return r;
      } catch (e) {
        void vscode.window.showErrorMessage(vscode.l10n.t("RNN Lab: {0}", (e as Error).message));
        return undefined;
      }
    }),
    register("rnnLab.toggleSurprisal", async () => {
      const c = vscode.workspace.getConfiguration("rnnLab");
      const on = !c.get<boolean>("surprisal.enabled", false);
      await c.update("surprisal.enabled", on, vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
      if (on) await needModel();
    }),
    register("rnnLab.revealModel", (node?: ExplorerNode) => {
      const t = target(node);
      const path = node?.kind === "checkpoint" ? t.checkpoint : t.runDir ?? t.modelDir;
      if (path) void vscode.commands.executeCommand("revealInExplorer", vscode.Uri.file(path));
    }),
    register("rnnLab.renameModel", async (node?: ExplorerNode) => {
      const dir = target(node).modelDir;
      if (!dir) return;
      const m = readModelManifest(dir);
      const name = await vscode.window.showInputBox({ title: vscode.l10n.t("RNN Lab: rename model"), value: m.name, validateInput: (v) => (v.trim() ? null : vscode.l10n.t("A name cannot be empty")) });
      if (!name) return;
      writeJsonAtomic(modelManifestPath(dir), { ...m, name: name.trim() });
      explorer.refreshSoon();
    }),
    register("rnnLab.deleteModel", async (node?: ExplorerNode, args?: { confirm?: boolean }) => {
      const t = target(node);
      const path = node?.kind === "checkpoint" ? t.checkpoint : node?.kind === "run" ? t.runDir : t.modelDir;
      if (!path) return;
      if ((t.runDir && queue.isActive(t.runDir)) || (node?.kind === "model" && queue.active?.run.modelDir === t.modelDir)) {
        return void vscode.window.showErrorMessage(vscode.l10n.t("RNN Lab: stop its training before deleting it."));
      }
      const del = vscode.l10n.t("Delete");
      const ok = args?.confirm === false ? del : await vscode.window.showWarningMessage(vscode.l10n.t("RNN Lab: delete {0}? Its files are moved to the trash where the system has one.", vscode.workspace.asRelativePath(path)), { modal: true }, del);
      if (ok !== del) return;
      const current = active();
      await vscode.workspace.fs.delete(vscode.Uri.file(path), { recursive: true, useTrash: args?.confirm !== false });
      if (current && (current === path || current.startsWith(path + "/"))) {
        await context.workspaceState.update(ACTIVE_KEY, undefined);
        client.unload();
      }
      await explorer.refresh();
    }),
    register("rnnLab.importPyTorchWeights", () => importPyTorchWeights(context.extensionPath, log).then((r) => { explorer.refreshSoon(); return r; })),
    register("rnnLab.exportModel", (arg?: vscode.Uri | ExplorerNode) => {
      const checkpoint = arg instanceof vscode.Uri ? arg : arg ? (target(arg).checkpoint ? vscode.Uri.file(target(arg).checkpoint!) : undefined) : undefined;
      return exportModel(context.extensionPath, log, checkpoint);
    }),
  );
  context.subscriptions.push(...registerPanels({
    ctx: panels, explorer, train, track: track as <T>(run: T) => T,
    activeCheckpoint: async () => ((await needModel()) ? client.model?.checkpoint : undefined),
  }), { dispose: () => { for (const p of [...panels.open]) p.host.dispose(); } });
  void vscode.commands.executeCommand("setContext", "rnnLab.hasModels", false);

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
  return { queue, explorer, client, surprisal, panels, restorePanel: (kind, panel, state) => restorePanel(panels, kind, panel, state), activationMs };
}

export function deactivate(): void {
  // everything is in context.subscriptions
}
