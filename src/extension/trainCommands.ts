// The commands that start training: on the current file, on workspace files matched by a glob, on
// the selection, and continuing from a checkpoint. They ask only for the cell, the size and the
// budget (quick picks whose defaults come from rnnLab.* settings), make the model and run folders,
// and hand the run to the queue. The work over the whole text (vocabulary, length, hash, writing the
// model folder) happens in the corpus worker, never on the extension host's thread.

import * as vscode from "vscode";
import { Worker } from "node:worker_threads";
import { environmentReason } from "./fileErrors";
import { OutputError, probeOutputFolder } from "../engine/files/outputFile";
import { basename, join } from "node:path";
import { decodeText } from "../engine/files/corpusFile";
import { DEFAULT_MODEL, SETTING_DEFAULTS } from "../engine/model/defaults";
import { CellType, ModelSpec, validateSpec } from "../engine/model/modelSpec";
import { RunPlan, createRun, listModels, readModelManifest } from "../engine/runs/runStore";
import { loadCheckpoint } from "../engine/files/checkpointFile";
import { DEFAULT_TRAIN_OPTIONS, TrainOptions, validateTrainOptions } from "../engine/training/trainOptions";
import { CorpusRequestBody, CorpusResult, isCorpusReply } from "../protocol/corpusWorker";
import { WorkerChannel } from "../protocol/messageChannel";
import { batchThatFits, charactersForOneBatch } from "../engine/training/streamBatches";
import { errorText } from "./errorText";
import { prompts } from "./prompts";
import { CellVariantChoice, CellVariantItem, cellVariantItems } from "./cellPick";
import { runsRoot, trainingThreads } from "./settings";
import { ActiveRun, TrainingQueue } from "./trainingQueue";

/** What a caller (a button, a test) may pass instead of answering the quick picks. */
export interface TrainArgs {
  cell?: CellType;
  size?: SizePreset;
  seconds?: number;
  steps?: number;
  glob?: string; // Train on Workspace Files
  whenBusy?: "queue" | "stop";
  file?: string;
  /** Set by experiments: the exact model, options that differ from the settings, the model's name, and a callback with the run folder once made. */
  spec?: ModelSpec;
  options?: Partial<TrainOptions>;
  name?: string;
  onCreated?: (runDir: string) => void;
  /** A text too short for the settings' batch: "fit" trains with a batch and window that fit, without asking. */
  shortText?: "fit";
  /** Called with the message shown when the run cannot start (for automation and tests). */
  onRefused?: (message: string) => void;
}

export type SizePreset = "small" | "medium" | "large" | "custom";
const SIZES: Record<Exclude<SizePreset, "custom">, { layers: number; hidden: number }> = {
  small: { layers: 1, hidden: 64 }, medium: { layers: 2, hidden: 128 }, large: { layers: 2, hidden: 256 },
};

interface Source { name: string; text: string; files: string[]; uris?: vscode.Uri[] }

function config(): vscode.WorkspaceConfiguration { return vscode.workspace.getConfiguration("rnnLab"); }

/** A setting, with the engine's default (package.json's schema agrees: test/unit/defaults.test.ts). */
function setting<K extends keyof typeof SETTING_DEFAULTS>(key: K): (typeof SETTING_DEFAULTS)[K] {
  return config().get(key, SETTING_DEFAULTS[key]);
}

function trainOptions(): TrainOptions {
  return {
    ...DEFAULT_TRAIN_OPTIONS, batch: setting("batch"), seq: setting("seq"), lr: setting("learningRate"), dropout: setting("dropout"),
    clip: setting("clip"), weightDecay: setting("weightDecay"), init: setting("init"), seed: setting("seed"),
  };
}

function runPlan(budget: RunPlan["budget"]): RunPlan {
  return {
    budget, threads: trainingThreads(), checkpointEvery: setting("checkpointEvery"), keepCheckpoints: setting("keepCheckpoints"),
    evalEvery: setting("evalEvery"), sampleEvery: setting("sampleEvery"), sampleLength: setting("sampleLength"),
  };
}

/** One request to a fresh corpus worker, which ends with it. */
export async function inCorpusWorker(extensionPath: string, body: CorpusRequestBody): Promise<CorpusResult> {
  const channel = new WorkerChannel<CorpusRequestBody, CorpusResult>("corpus worker", () => new Worker(join(extensionPath, "dist", "corpusWorker.js")), { reply: isCorpusReply });
  try {
    return await channel.request(body).result;
  } finally {
    void channel.stop("done");
  }
}

/**
 * The text document the user means by "the current file": the active editor's if it is a real text
 * document (a file or an untitled one; not the Output panel, a diff's left side or another
 * extension's virtual document), else one of the files open in tabs, asked; undefined (said) without one.
 */
export async function currentTextDocument(title: string): Promise<vscode.TextDocument | undefined> {
  const real = (uri: vscode.Uri) => uri.scheme === "file" || uri.scheme === "untitled";
  const active = vscode.window.activeTextEditor?.document;
  if (active && real(active.uri)) return active;
  const seen = new Set<string>();
  const open = vscode.window.tabGroups.all.flatMap((g) => g.tabs).flatMap((t) => (t.input instanceof vscode.TabInputText && real(t.input.uri) ? [t.input.uri] : []))
    .filter((u) => !seen.has(u.toString()) && !!seen.add(u.toString()));
  if (!open.length) {
    void prompts.error(vscode.l10n.t("RNN Lab: no text file is open; open the file to train on (or use Train Model on Workspace Files…)."));
    return undefined;
  }
  const picked = await prompts.pick(open.map((uri) => ({ label: uri.scheme === "file" ? basename(uri.fsPath) : uri.path, description: vscode.workspace.asRelativePath(uri), uri })), { title });
  return picked && vscode.workspace.openTextDocument(picked.uri);
}

function noFolder(): void {
  void vscode.window.showErrorMessage(vscode.l10n.t("RNN Lab: models and runs are saved in the workspace; open a folder first."), vscode.l10n.t("Open Folder")).then((b) => {
    if (b) void vscode.commands.executeCommand("vscode.openFolder");
  });
}

/** The cell's own options from the rnnLab.* settings (only for the cell that has them). */
function cellSettings(cell: CellType): Partial<ModelSpec> {
  if (cell === "ctrnn") return { tau: setting("ctrnnTau"), dt: setting("ctrnnDt"), learnTau: setting("ctrnnLearnTau") };
  if (cell === "additive") return { additiveForm: setting("additiveForm") };
  return {};
}

/**
 * The cell and its variant's spec fields (cellPick.ts: every registry variant); args.cell skips the
 * pick and takes rnnLab.gruReset and rnnLab.norm.
 */
async function pickCell(args: TrainArgs): Promise<CellVariantChoice | undefined> {
  const resetSetting = setting("gruReset"), normSetting = setting("norm");
  if (args.cell) {
    const reset = args.cell === "gru" && resetSetting === "before" ? { gruReset: "before" as const } : {};
    // the reset-before GRU has no normalised form (the registry refuses it): the reset setting wins
    const norm = (args.cell === "lstm" || args.cell === "gru") && (normSetting === "layer" || normSetting === "batch") && !reset.gruReset ? { norm: normSetting } : {};
    return { cell: args.cell, options: { ...reset, ...norm } };
  }
  const cells = cellVariantItems();
  const preferred = setting("cell");
  // the settings' cell first: its variant with the reset and normalisation settings, and none of the other options
  const first = (c: CellVariantItem) => c.cell === preferred && (c.options.gruReset ?? "after") === (c.cell === "gru" ? resetSetting : "after")
    && (c.options.norm ?? "none") === (c.options.gruReset ? "none" : normSetting) && Object.keys(c.options).every((k) => k === "gruReset" || k === "norm");
  const ordered = [...cells.filter(first), ...cells.filter((c) => !first(c))];
  const picked = await prompts.pick(ordered, { title: vscode.l10n.t("RNN Lab: cell type"), placeHolder: vscode.l10n.t("Which recurrent cell?") });
  return picked && { cell: picked.cell, options: picked.options };
}

/**
 * The preset that suits a text of `chars` characters: a bigger model on little text learns it by
 * heart (its validation loss turns up within a few epochs), a small one on a lot underfits.
 * Thresholds: about 10 characters of text per parameter or more (Small 1×64 ≈ 12K parameters on a
 * 65-character vocabulary, Medium ≈ 200K, Large ≈ 800K).
 */
export function suggestedSize(chars: number): Exclude<SizePreset, "custom"> {
  return chars < 200_000 ? "small" : chars < 4_000_000 ? "medium" : "large";
}

async function pickSize(args: TrainArgs, chars: number): Promise<{ layers: number; hidden: number } | undefined> {
  const custom = { layers: setting("layers"), hidden: setting("hiddenSize") };
  const preset = args.size ?? (args.cell ? config().get<SizePreset>("size", "custom") : undefined);
  if (preset) return preset === "custom" ? custom : SIZES[preset];
  type Item = vscode.QuickPickItem & { size: { layers: number; hidden: number }; preset: SizePreset };
  const presets: Item[] = [
    { label: vscode.l10n.t("Small"), description: "1 × 64", detail: vscode.l10n.t("trains in seconds; fine for a few KB of text"), size: SIZES.small, preset: "small" },
    { label: vscode.l10n.t("Medium"), description: "2 × 128", detail: vscode.l10n.t("char-rnn's classic size; minutes on 1 MB"), size: SIZES.medium, preset: "medium" },
    { label: vscode.l10n.t("Large"), description: "2 × 256", detail: vscode.l10n.t("for a few MB of text and a longer budget"), size: SIZES.large, preset: "large" },
  ];
  const suggested = suggestedSize(chars);
  for (const p of presets) if (p.preset === suggested) p.description = vscode.l10n.t("{0} · suggested for {1} characters", p.description!, chars.toLocaleString(vscode.env.language));
  // the settings' size, unless it is one of the presets (then that preset is it)
  const same = presets.find((p) => p.size.layers === custom.layers && p.size.hidden === custom.hidden);
  if (same) same.detail = vscode.l10n.t("{0} (your settings rnnLab.layers × rnnLab.hiddenSize)", same.detail!);
  const fromSettings: Item[] = same ? [] : [{ label: vscode.l10n.t("From settings"), description: `${custom.layers} × ${custom.hidden}`, detail: vscode.l10n.t("rnnLab.layers × rnnLab.hiddenSize"), size: custom, preset: "custom" }];
  const items = [...presets.filter((p) => p.preset === suggested), ...fromSettings, ...presets.filter((p) => p.preset !== suggested)];
  return (await prompts.pick(items, { title: vscode.l10n.t("RNN Lab: model size (layers × hidden units)") }))?.size;
}

async function pickBudget(args: TrainArgs): Promise<RunPlan["budget"] | undefined> {
  if (args.steps) return { steps: args.steps };
  if (args.seconds) return { seconds: args.seconds };
  const c = config();
  const steps = c.get<number>("trainingSteps", SETTING_DEFAULTS.trainingSteps);
  const seconds = c.get<number>("trainingSeconds", SETTING_DEFAULTS.trainingSeconds);
  if (args.cell) return steps > 0 ? { steps } : { seconds };
  const items: (vscode.QuickPickItem & { budget: RunPlan["budget"] })[] = [
    steps > 0 ? { label: vscode.l10n.t("{0} steps", steps), detail: vscode.l10n.t("from rnnLab.trainingSteps"), budget: { steps } }
      : { label: vscode.l10n.t("{0} seconds", seconds), detail: vscode.l10n.t("from rnnLab.trainingSeconds"), budget: { seconds } },
    { label: vscode.l10n.t("{0} minutes", 5), budget: { seconds: 300 } },
    { label: vscode.l10n.t("{0} minutes", 30), budget: { seconds: 1800 } },
    { label: vscode.l10n.t("{0} steps", 1000), budget: { steps: 1000 } },
    { label: vscode.l10n.t("{0} steps", 10000), budget: { steps: 10000 } },
  ];
  return (await prompts.pick(items, { title: vscode.l10n.t("RNN Lab: how long to train") }))?.budget;
}

/** Very large texts: train on the first part, with the user's agreement. */
async function limitSize(source: Source, args: TrainArgs): Promise<Source | undefined> {
  const max = setting("maxTrainingCharacters");
  if (source.text.length <= max) return source;
  const mb = (n: number) => (n / 1e6).toFixed(1);
  const use = vscode.l10n.t("Train on the first {0} M characters", mb(max));
  const answer = args.cell ? use : await vscode.window.showWarningMessage(
    vscode.l10n.t("RNN Lab: {0} has {1} M characters, more than rnnLab.maxTrainingCharacters ({2} M).", source.name, mb(source.text.length), mb(max)), { modal: true }, use);
  if (answer !== use) return undefined;
  let cut = max;
  const u = source.text.charCodeAt(cut - 1);
  if (u >= 0xd800 && u <= 0xdbff) cut--; // do not split a surrogate pair
  return { ...source, text: source.text.slice(0, cut) };
}

export class TrainCommands {
  constructor(private readonly queue: TrainingQueue, private readonly log: vscode.LogOutputChannel, private readonly extensionPath: string) {}

  /** Makes the model and its first run, then queues it. */
  async start(source: Source, args: TrainArgs = {}): Promise<ActiveRun | undefined> {
    const root = runsRoot();
    if (!root) return void noFolder();
    if (source.text.includes("\u0000")) {
      void vscode.window.showErrorMessage(vscode.l10n.t("RNN Lab: {0} looks binary (it contains NUL characters); train on text.", source.name));
      return undefined;
    }
    const limited = await limitSize(source, args);
    if (!limited) return undefined;
    // the text's facts come first (in the corpus worker): too few distinct characters, or too short
    // for one batch, is said before any question, and nothing is made for it
    let chars: number;
    try {
      chars = (await this.textFacts(limited.text)).chars;
    } catch (e) {
      void prompts.error(vscode.l10n.t("RNN Lab: cannot train on {0}: {1}", source.name, errorText(e)));
      return undefined;
    }
    const fit = await this.fitBatch(limited.name, chars, { ...trainOptions(), ...args.options }, args);
    if (!fit) return undefined;
    args = { ...args, options: { ...args.options, ...fit } };
    const picked = args.spec ? { cell: args.spec.cell } : await pickCell(args);
    if (!picked) return undefined;
    const cell = picked.cell;
    const size = args.spec ?? await pickSize(args, chars);
    if (!size) return undefined;
    const budget = await pickBudget(args);
    if (!budget) return undefined;
    // the variant's own fields win over the cell's settings (CTRNN (learned τ) learns τ whatever rnnLab.ctrnnLearnTau says)
    const { vocabSize, ...chosen } = args.spec ?? { ...DEFAULT_MODEL, cell, layers: size.layers, hidden: size.hidden, vocabSize: 0, ...cellSettings(cell), ...("options" in picked ? picked.options : {}) };
    void vocabSize; // the text's vocabulary decides it
    const options = { ...trainOptions(), ...args.options };
    try {
      // the settings, checked with the engine's rules before anything is written (2 stands in for the vocabulary)
      validateSpec({ ...chosen, vocabSize: 2 });
      validateTrainOptions(options);
    } catch (e) {
      void prompts.error(vscode.l10n.t("RNN Lab: cannot train on {0}: {1}", source.name, errorText(e)));
      return undefined;
    }
    if (!(await this.makeRoom(args))) return undefined;
    let modelDir: string, runDir: string;
    try {
      // proved before anything is made: the runs folder takes a file of the text's size (outputFile.ts)
      probeOutputFolder(join(root, "corpus.txt"), Buffer.byteLength(limited.text));
      const made = await inCorpusWorker(this.extensionPath, { type: "createModel", root, name: args.name ?? limited.name, spec: chosen, cap: setting("vocabularyCap"), text: limited.text, files: limited.files });
      modelDir = (made as Extract<CorpusResult, { type: "createModel" }>).modelDir;
      runDir = await createRun(modelDir, options, runPlan(budget), null);
      args.onCreated?.(runDir);
    } catch (e) {
      // a read-only, forbidden or full runs folder is the machine's state: say so, and where to change it
      // (mkdir -p on a read-only mount says ENOENT: the probe's code is the one to trust)
      const why = environmentReason(e instanceof OutputError && e.refusal?.reason === "unwritable" ? e.refusal.code : (e as NodeJS.ErrnoException).code);
      const message = why ? vscode.l10n.t("RNN Lab: cannot write to the runs folder {0}: {1}. Choose another folder in the setting rnnLab.runsFolder.", root, why)
        : vscode.l10n.t("RNN Lab: cannot create the run in {0}: {1}", root, errorText(e));
      void prompts.error(message);
      args.onRefused?.(message);
      return undefined;
    }
    return this.queue.enqueue({ modelDir, runDir, label: readModelManifest(modelDir).name, sources: limited.uris });
  }

  /**
   * The batch and window to train with: the settings' when the text's training part holds one batch;
   * otherwise, asked first, ones that fit (or the settings to change, with a button to them).
   */
  private async fitBatch(name: string, chars: number, o: TrainOptions, args: TrainArgs): Promise<{ batch: number; seq: number } | undefined> {
    const trainChars = chars - Math.floor(chars * o.valFraction);
    const needed = charactersForOneBatch(o.batch, o.seq);
    if (trainChars >= needed) return { batch: o.batch, seq: o.seq };
    const fits = batchThatFits(trainChars, o.batch, o.seq);
    const openSettings = vscode.l10n.t("Open Settings");
    const why = vscode.l10n.t("RNN Lab: {0} has {1} characters to train on, fewer than one batch needs: rnnLab.batch × rnnLab.seq + 1 = {2} × {3} + 1 = {4}.", name, trainChars.toLocaleString(vscode.env.language), o.batch, o.seq, needed.toLocaleString(vscode.env.language));
    this.log.warn(`${name}: ${trainChars} training characters, fewer than batch ${o.batch} × seq ${o.seq} + 1 = ${needed}${fits ? `; batch ${fits.batch} × seq ${fits.steps} fits` : ""}`);
    let answer: string | undefined;
    const useFit = fits && vscode.l10n.t("Train with Batch {0} and Window {1}", fits.batch, fits.steps);
    if (useFit) {
      answer = args.shortText === "fit" ? useFit : await prompts.message("warning", why, { modal: true, detail: vscode.l10n.t("A batch of {0} streams and a window of {1} characters fit this text; or change the settings, or train on more text.", fits.batch, fits.steps) }, useFit, openSettings);
    } else {
      answer = await prompts.error(vscode.l10n.t("{0} Use more text, or lower rnnLab.batch and rnnLab.seq.", why), openSettings);
    }
    if (answer === openSettings) void vscode.commands.executeCommand("workbench.action.openSettings", "rnnLab.batch rnnLab.seq");
    return answer === useFit && fits ? { batch: fits.batch, seq: fits.steps } : undefined;
  }

  /** When a run is training: queue the new one, or stop the current one first. */
  private async makeRoom(args: TrainArgs): Promise<boolean> {
    const active = this.queue.active;
    if (!active) return true;
    const queue = vscode.l10n.t("Queue"), stop = vscode.l10n.t("Stop Current and Start");
    const answer = args.whenBusy === "queue" ? queue : args.whenBusy === "stop" ? stop
      : await prompts.message("info", vscode.l10n.t("RNN Lab: {0} is training. Queue the new run after it, or stop it?", active.run.label), { modal: true }, queue, stop);
    if (answer === stop) {
      active.stop();
      return true; // the queue starts the new run when this one has written its checkpoint
    }
    return answer === queue;
  }

  async trainOnCurrentFile(args: TrainArgs = {}): Promise<ActiveRun | undefined> {
    if (args.file) return this.trainOnFile(vscode.Uri.file(args.file), args);
    const doc = await currentTextDocument(vscode.l10n.t("RNN Lab: train on which open file?"));
    if (!doc) return undefined;
    return this.start({ name: basename(doc.fileName), text: doc.getText(), files: [vscode.workspace.asRelativePath(doc.uri)], uris: doc.uri.scheme === "file" ? [doc.uri] : [] }, args);
  }

  /** Trains on text the caller has (an experiment on the current file), named as given. */
  trainOnText(name: string, text: string, files: string[], args: TrainArgs): Promise<ActiveRun | undefined> {
    return this.start({ name, text, files }, args);
  }

  /** The vocabulary size a text would have and its length in code points, counted in the corpus worker (its errors: too few distinct characters). */
  async textFacts(text: string): Promise<{ vocabSize: number; chars: number }> {
    const r = await inCorpusWorker(this.extensionPath, { type: "vocabularySize", text, cap: setting("vocabularyCap") });
    const facts = r as Extract<CorpusResult, { type: "vocabularySize" }>;
    return { vocabSize: facts.size, chars: facts.chars };
  }

  /** The vocabulary size a text would have (experiments size their models before training). */
  async vocabularySize(text: string): Promise<number> {
    return (await this.textFacts(text)).vocabSize;
  }

  private async trainOnFile(uri: vscode.Uri, args: TrainArgs): Promise<ActiveRun | undefined> {
    let text: string;
    try {
      text = decodeText(await vscode.workspace.fs.readFile(uri), basename(uri.fsPath));
    } catch (e) {
      void prompts.error(vscode.l10n.t("RNN Lab: {0}", errorText(e)));
      return undefined;
    }
    return this.start({ name: basename(uri.fsPath), text, files: [uri.fsPath], uris: [uri] }, args);
  }

  async trainOnSelection(args: TrainArgs = {}): Promise<ActiveRun | undefined> {
    const editor = vscode.window.activeTextEditor;
    const text = editor?.selections.map((s) => editor.document.getText(s)).join("\n") ?? "";
    if (!editor || text.length === 0) {
      void vscode.window.showErrorMessage(vscode.l10n.t("RNN Lab: select the text to train on first."));
      return undefined;
    }
    const name = vscode.l10n.t("selection of {0}", basename(editor.document.fileName));
    return this.start({ name, text, files: [vscode.workspace.asRelativePath(editor.document.uri)] }, args);
  }

  async trainOnWorkspaceFiles(args: TrainArgs = {}): Promise<ActiveRun | undefined> {
    if (!runsRoot()) return void noFolder();
    const glob = args.glob ?? await vscode.window.showInputBox({
      title: vscode.l10n.t("RNN Lab: train on workspace files"), prompt: vscode.l10n.t("A glob pattern relative to the workspace"),
      value: config().get("workspaceGlob", "**/*.{txt,md}"),
    });
    if (!glob) return undefined;
    const exclude = `{${config().get<string>("runsFolder", ".rnnlab")}/**,**/node_modules/**}`;
    const uris = (await vscode.workspace.findFiles(glob, exclude, 10_000)).sort((a, b) => a.fsPath.localeCompare(b.fsPath));
    const texts: string[] = [], files: string[] = [], skipped: string[] = [];
    for (const uri of uris) {
      try {
        texts.push(decodeText(await vscode.workspace.fs.readFile(uri), basename(uri.fsPath)));
        files.push(vscode.workspace.asRelativePath(uri));
      } catch (e) {
        skipped.push(`${vscode.workspace.asRelativePath(uri)} (${(e as Error).message})`);
      }
    }
    if (skipped.length) this.log.warn(`skipped ${skipped.length} file(s) that are not UTF-8 text: ${skipped.join("; ")}`);
    if (!files.length) {
      void vscode.window.showErrorMessage(vscode.l10n.t("RNN Lab: no text files match {0}.", glob));
      return undefined;
    }
    const text = texts.join("\n");
    if (!args.cell) {
      const go = vscode.l10n.t("Train");
      const preview = vscode.l10n.t("{0} files, {1} characters{2}", files.length, text.length.toLocaleString(), skipped.length ? vscode.l10n.t(" ({0} non-text files skipped)", skipped.length) : "");
      const picked = await vscode.window.showQuickPick([{ label: go, description: preview, detail: files.slice(0, 20).join(", ") + (files.length > 20 ? " …" : "") }], { title: vscode.l10n.t("RNN Lab: train on {0}", glob) });
      if (!picked) return undefined;
    }
    return this.start({ name: glob, text, files }, args);
  }

  /**
   * A new run of an existing model, from a checkpoint (its optimizer state included, so training
   * continues where it stopped), or resuming an interrupted run in place.
   */
  async continueTraining(target?: { modelDir: string; checkpoint?: string; runDir?: string }, args: TrainArgs = {}): Promise<ActiveRun | undefined> {
    const root = runsRoot();
    if (!root) return void noFolder();
    if (!target) {
      const models = listModels(root).filter((m) => m.manifest);
      const items = models.flatMap((m) => m.runs.flatMap((r) => [...r.checkpoints].reverse().slice(0, 1).map((c) => ({
        label: m.manifest!.name, description: vscode.l10n.t("step {0}", c.step), detail: c.path, modelDir: m.dir, checkpoint: c.path,
      }))));
      if (!items.length) {
        void vscode.window.showInformationMessage(vscode.l10n.t("RNN Lab: no checkpoints yet; train a model first."));
        return undefined;
      }
      const picked = await prompts.pick(items, { title: vscode.l10n.t("RNN Lab: continue training from which checkpoint?") });
      if (!picked) return undefined;
      target = picked;
    }
    if (!(await this.makeRoom(args))) return undefined;
    let runDir = target.runDir;
    try {
      const label = readModelManifest(target.modelDir).name;
      if (!runDir) {
        const checkpoint = target.checkpoint!;
        const model = loadCheckpoint(checkpoint); // reports a damaged or newer checkpoint before anything is made
        const budget = await pickBudget(args);
        if (!budget) return undefined;
        runDir = await createRun(target.modelDir, model.training?.options ?? trainOptions(), runPlan(budget), { run: basename(join(checkpoint, "..", "..")), checkpoint, step: model.training?.step ?? 0 });
      }
      return await this.queue.enqueue({ modelDir: target.modelDir, runDir, label });
    } catch (e) {
      void prompts.error(vscode.l10n.t("RNN Lab: cannot continue training: {0}", errorText(e)));
      return undefined;
    }
  }
}
