// The commands that start training: on the current file, on workspace files matched by a glob, on
// the selection, and continuing from a checkpoint. They ask only for the cell, the size and the
// budget (quick picks whose defaults come from rnnLab.* settings), make the model and run folders,
// and hand the run to the queue.

import * as vscode from "vscode";
import { environmentReason } from "./fileErrors";
import { OutputError, probeOutputFolder } from "../engine/outputFile";
import { basename, join } from "node:path";
import { CharVocabulary } from "../engine/charVocabulary";
import { decodeText } from "../engine/corpusFile";
import { createHash } from "node:crypto";
import { CellType, ModelSpec } from "../engine/modelSpec";
import { RunPlan, createModel, createRun, listModels, readModelManifest } from "../engine/runStore";
import { loadCheckpoint } from "../engine/checkpointFile";
import { DEFAULT_TRAIN_OPTIONS, TrainOptions } from "../engine/trainOptions";
import type { InitScheme } from "../engine/initialise";
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
  /** Called with the message shown when the run cannot start (for automation and tests). */
  onRefused?: (message: string) => void;
}

export type SizePreset = "small" | "medium" | "large" | "custom";
const SIZES: Record<Exclude<SizePreset, "custom">, { layers: number; hidden: number }> = {
  small: { layers: 1, hidden: 64 }, medium: { layers: 2, hidden: 128 }, large: { layers: 2, hidden: 256 },
};

interface Source { name: string; text: string; files: string[]; uris?: vscode.Uri[] }

function config(): vscode.WorkspaceConfiguration { return vscode.workspace.getConfiguration("rnnLab"); }

function trainOptions(): TrainOptions {
  const c = config(), d = DEFAULT_TRAIN_OPTIONS;
  return {
    ...d, batch: c.get("batch", d.batch), seq: c.get("seq", d.seq), lr: c.get("learningRate", d.lr), dropout: c.get("dropout", d.dropout),
    clip: c.get("clip", d.clip), weightDecay: c.get("weightDecay", d.weightDecay), init: c.get<InitScheme>("init", d.init), seed: c.get("seed", d.seed),
  };
}

function runPlan(budget: RunPlan["budget"]): RunPlan {
  const c = config();
  return {
    budget, threads: trainingThreads(), checkpointEvery: c.get("checkpointEvery", 200), keepCheckpoints: c.get("keepCheckpoints", 3),
    evalEvery: c.get("evalEvery", 100), sampleEvery: c.get("sampleEvery", 500), sampleLength: c.get("sampleLength", 200),
  };
}

function noFolder(): void {
  void vscode.window.showErrorMessage(vscode.l10n.t("RNN Lab: models and runs are saved in the workspace; open a folder first."), vscode.l10n.t("Open Folder")).then((b) => {
    if (b) void vscode.commands.executeCommand("vscode.openFolder");
  });
}

async function pickCell(args: TrainArgs): Promise<CellType | undefined> {
  if (args.cell) return args.cell;
  const cells: (vscode.QuickPickItem & { cell: CellType })[] = [
    { label: "LSTM", description: vscode.l10n.t("long short-term memory: forget, input and output gates"), cell: "lstm" },
    { label: "GRU", description: vscode.l10n.t("gated recurrent unit: reset and update gates"), cell: "gru" },
    { label: "RNN", description: vscode.l10n.t("vanilla tanh RNN: watch its gradients vanish"), cell: "rnn" },
  ];
  const preferred = config().get<CellType>("cell", "lstm");
  const ordered = [...cells.filter((c) => c.cell === preferred), ...cells.filter((c) => c.cell !== preferred)];
  return (await vscode.window.showQuickPick(ordered, { title: vscode.l10n.t("RNN Lab: cell type"), placeHolder: vscode.l10n.t("Which recurrent cell?") }))?.cell;
}

async function pickSize(args: TrainArgs): Promise<{ layers: number; hidden: number } | undefined> {
  const custom = { layers: config().get("layers", 2), hidden: config().get("hiddenSize", 128) };
  const preset = args.size ?? (args.cell ? config().get<SizePreset>("size", "custom") : undefined);
  if (preset) return preset === "custom" ? custom : SIZES[preset];
  const items: (vscode.QuickPickItem & { size: { layers: number; hidden: number } })[] = [
    { label: vscode.l10n.t("From settings"), description: `${custom.layers} × ${custom.hidden}`, detail: vscode.l10n.t("rnnLab.layers × rnnLab.hiddenSize"), size: custom },
    { label: vscode.l10n.t("Small"), description: "1 × 64", detail: vscode.l10n.t("trains in seconds; fine for a few KB of text"), size: SIZES.small },
    { label: vscode.l10n.t("Medium"), description: "2 × 128", detail: vscode.l10n.t("char-rnn's classic size; minutes on 1 MB"), size: SIZES.medium },
    { label: vscode.l10n.t("Large"), description: "2 × 256", detail: vscode.l10n.t("for a few MB of text and a longer budget"), size: SIZES.large },
  ];
  return (await vscode.window.showQuickPick(items, { title: vscode.l10n.t("RNN Lab: model size (layers × hidden units)") }))?.size;
}

async function pickBudget(args: TrainArgs): Promise<RunPlan["budget"] | undefined> {
  if (args.steps) return { steps: args.steps };
  if (args.seconds) return { seconds: args.seconds };
  const c = config();
  const steps = c.get<number>("trainingSteps", 0);
  const seconds = c.get<number>("trainingSeconds", 60);
  if (args.cell) return steps > 0 ? { steps } : { seconds };
  const items: (vscode.QuickPickItem & { budget: RunPlan["budget"] })[] = [
    steps > 0 ? { label: vscode.l10n.t("{0} steps", steps), detail: vscode.l10n.t("from rnnLab.trainingSteps"), budget: { steps } }
      : { label: vscode.l10n.t("{0} seconds", seconds), detail: vscode.l10n.t("from rnnLab.trainingSeconds"), budget: { seconds } },
    { label: vscode.l10n.t("{0} minutes", 5), budget: { seconds: 300 } },
    { label: vscode.l10n.t("{0} minutes", 30), budget: { seconds: 1800 } },
    { label: vscode.l10n.t("{0} steps", 1000), budget: { steps: 1000 } },
    { label: vscode.l10n.t("{0} steps", 10000), budget: { steps: 10000 } },
  ];
  return (await vscode.window.showQuickPick(items, { title: vscode.l10n.t("RNN Lab: how long to train") }))?.budget;
}

/** Very large texts: train on the first part, with the user's agreement. */
async function limitSize(source: Source, args: TrainArgs): Promise<Source | undefined> {
  const max = config().get<number>("maxTrainingCharacters", 20_000_000);
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
  constructor(private readonly queue: TrainingQueue, private readonly log: vscode.LogOutputChannel) {}

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
    let vocab: CharVocabulary;
    try {
      vocab = CharVocabulary.fromText(limited.text, config().get("vocabularyCap", 5000)).vocab;
    } catch (e) {
      void vscode.window.showErrorMessage(vscode.l10n.t("RNN Lab: cannot train on {0}: {1}", source.name, (e as Error).message));
      return undefined;
    }
    const cell = args.spec?.cell ?? await pickCell(args);
    if (!cell) return undefined;
    const size = args.spec ?? await pickSize(args);
    if (!size) return undefined;
    const budget = await pickBudget(args);
    if (!budget) return undefined;
    if (!(await this.makeRoom(args))) return undefined;
    const spec: ModelSpec = args.spec ? { ...args.spec, vocabSize: vocab.size }
      : { cell, nonlinearity: "tanh", layers: size.layers, hidden: size.hidden, embed: 0, vocabSize: vocab.size, peephole: false, coupled: false, residual: false };
    let modelDir: string, runDir: string;
    try {
      // proved before anything is made: the runs folder takes a file of the text's size (outputFile.ts)
      probeOutputFolder(join(root, "corpus.txt"), Buffer.byteLength(limited.text));
      modelDir = await createModel(root, {
        name: args.name ?? limited.name, spec, vocab: vocab.toJSON(),
        corpus: { files: limited.files, chars: [...limited.text].length, sha256: createHash("sha256").update(limited.text).digest("hex") },
      }, limited.text);
      runDir = await createRun(modelDir, { ...trainOptions(), ...args.options }, runPlan(budget), null);
      args.onCreated?.(runDir);
    } catch (e) {
      // a read-only, forbidden or full runs folder is the machine's state: say so, and where to change it
      // (mkdir -p on a read-only mount says ENOENT: the probe's code is the one to trust)
      const why = environmentReason(e instanceof OutputError && e.refusal?.reason === "unwritable" ? e.refusal.code : (e as NodeJS.ErrnoException).code);
      const message = why ? vscode.l10n.t("RNN Lab: cannot write to the runs folder {0}: {1}. Choose another folder in the setting rnnLab.runsFolder.", root, why)
        : vscode.l10n.t("RNN Lab: cannot create the run in {0}: {1}", root, (e as Error).message);
      void vscode.window.showErrorMessage(message);
      args.onRefused?.(message);
      return undefined;
    }
    return this.queue.enqueue({ modelDir, runDir, label: readModelManifest(modelDir).name, sources: limited.uris });
  }

  /** When a run is training: queue the new one, or stop the current one first. */
  private async makeRoom(args: TrainArgs): Promise<boolean> {
    const active = this.queue.active;
    if (!active) return true;
    const queue = vscode.l10n.t("Queue"), stop = vscode.l10n.t("Stop Current and Start");
    const answer = args.whenBusy === "queue" ? queue : args.whenBusy === "stop" ? stop
      : await vscode.window.showInformationMessage(vscode.l10n.t("RNN Lab: {0} is training. Queue the new run after it, or stop it?", active.run.label), { modal: true }, queue, stop);
    if (answer === stop) {
      active.stop();
      return true; // the queue starts the new run when this one has written its checkpoint
    }
    return answer === queue;
  }

  async trainOnCurrentFile(args: TrainArgs = {}): Promise<ActiveRun | undefined> {
    if (args.file) return this.trainOnFile(vscode.Uri.file(args.file), args);
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showErrorMessage(vscode.l10n.t("RNN Lab: open a text file to train on first."));
      return undefined;
    }
    const doc = editor.document;
    return this.start({ name: basename(doc.fileName), text: doc.getText(), files: [vscode.workspace.asRelativePath(doc.uri)], uris: doc.uri.scheme === "file" ? [doc.uri] : [] }, args);
  }

  /** Trains on text the caller has (an experiment on the current file), named as given. */
  trainOnText(name: string, text: string, files: string[], args: TrainArgs): Promise<ActiveRun | undefined> {
    return this.start({ name, text, files }, args);
  }

  /** The vocabulary size a text would have (experiments size their models before training). */
  vocabularySize(text: string): number {
    return CharVocabulary.fromText(text, config().get("vocabularyCap", 5000)).vocab.size;
  }

  private async trainOnFile(uri: vscode.Uri, args: TrainArgs): Promise<ActiveRun | undefined> {
    let text: string;
    try {
      text = decodeText(await vscode.workspace.fs.readFile(uri), basename(uri.fsPath));
    } catch (e) {
      void vscode.window.showErrorMessage(vscode.l10n.t("RNN Lab: {0}", (e as Error).message));
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
      const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t("RNN Lab: continue training from which checkpoint?") });
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
      void vscode.window.showErrorMessage(vscode.l10n.t("RNN Lab: cannot continue training: {0}", (e as Error).message));
      return undefined;
    }
  }
}
