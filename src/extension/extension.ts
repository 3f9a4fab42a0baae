// The VS Code side of RNN Lab: thin glue over the engine, which runs in worker threads.

import * as vscode from "vscode";
import { Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";
import { basename, join } from "node:path";
import type { CellType, ModelSpec } from "../engine/modelSpec";
import type { GradientCheckReply, GradientCheckRequest } from "../protocol/gradientCheckWorker";
import { exportModel, importPyTorchWeights } from "./interopCommands";
import { TrainingRun } from "./trainingRun";

const THRESHOLD = 1e-6;
let activeRun: TrainingRun | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel("RNN Lab", { log: true });
  context.subscriptions.push(
    log,
    vscode.commands.registerCommand("rnnLab.runGradientCheck", () => runGradientCheck(context, log)),
    vscode.commands.registerCommand("rnnLab.trainOnCurrentFile", (args?: TrainArgs) => trainOnCurrentFile(context, log, args)),
    vscode.commands.registerCommand("rnnLab.importPyTorchWeights", () => importPyTorchWeights(context.extensionPath, log)),
    vscode.commands.registerCommand("rnnLab.exportModel", (uri?: vscode.Uri) => exportModel(context.extensionPath, log, uri instanceof vscode.Uri ? uri : undefined)),
    vscode.commands.registerCommand("rnnLab.stopTraining", () => {
      if (activeRun) activeRun.stop();
      else void vscode.window.showInformationMessage("RNN Lab: nothing is training.");
    }),
    { dispose: () => activeRun?.dispose() },
  );
}

export function deactivate(): void {
  activeRun?.dispose();
}

/** rnnLab.threads, where 0 means cores − 1 (one stays with the editor), at least 1. */
export function trainingThreads(): number {
  const configured = vscode.workspace.getConfiguration("rnnLab").get<number>("threads", 0);
  return configured > 0 ? Math.floor(configured) : Math.max(1, availableParallelism() - 1);
}

/** Arguments a caller (a button, a test) may pass instead of answering the quick pick. */
interface TrainArgs {
  cell?: CellType;
}

async function trainOnCurrentFile(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, args?: TrainArgs): Promise<TrainingRun | undefined> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showErrorMessage("RNN Lab: open a text file to train on first.");
    return undefined;
  }
  const folder = vscode.workspace.getWorkspaceFolder(editor.document.uri) ?? vscode.workspace.workspaceFolders?.[0];
  if (!folder || folder.uri.scheme !== "file") {
    void vscode.window.showErrorMessage("RNN Lab: runs are saved in the workspace; open a folder first.");
    return undefined;
  }
  if (activeRun) {
    void vscode.window.showWarningMessage("RNN Lab: a model is already training; stop it first (RNN Lab: Stop Training).");
    return undefined;
  }
  const config = vscode.workspace.getConfiguration("rnnLab");
  const cells: (vscode.QuickPickItem & { cell: CellType })[] = [
    { label: "LSTM", description: "long short-term memory", cell: "lstm" },
    { label: "GRU", description: "gated recurrent unit", cell: "gru" },
    { label: "RNN", description: "vanilla tanh RNN", cell: "rnn" },
  ];
  const defaultCell = config.get<CellType>("cell", "lstm");
  const picked = args?.cell ? cells.find((c) => c.cell === args.cell)
    : await vscode.window.showQuickPick([...cells.filter((c) => c.cell === defaultCell), ...cells.filter((c) => c.cell !== defaultCell)], { title: "RNN Lab: cell type" });
  if (!picked) return undefined;
  const text = editor.document.getText();
  const name = basename(editor.document.fileName);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const outDir = join(folder.uri.fsPath, config.get<string>("runsFolder", ".rnnlab"), `${name}-${picked.cell}-${stamp}`);
  const model: Pick<ModelSpec, "cell" | "layers" | "hidden"> = { cell: picked.cell, layers: config.get<number>("layers", 2), hidden: config.get<number>("hiddenSize", 128) };
  const run = new TrainingRun(context.extensionPath, {
    type: "train", name, text, outDir, model,
    options: { batch: config.get<number>("batch", 50), seq: config.get<number>("seq", 50) },
    seconds: config.get<number>("trainingSeconds", 60), threads: trainingThreads(), evalEvery: 100,
  }, log);
  activeRun = run;
  context.subscriptions.push(run);
  void run.finishedEvent.then((e) => {
    if (activeRun === run) activeRun = undefined;
    if (e.type === "done") void vscode.window.showInformationMessage(`RNN Lab: trained ${e.step} steps on ${name}; validation loss ${e.valLoss?.toFixed(3) ?? "n/a"} nats/char.`);
    else if (e.type === "error") void vscode.window.showErrorMessage(`RNN Lab: training failed: ${e.message}`);
  });
  return run;
}

function checkedModels(): ModelSpec[] {
  const base = { nonlinearity: "tanh" as const, hidden: 4, embed: 0, vocabSize: 6, peephole: false, coupled: false, residual: false };
  const specs: ModelSpec[] = [];
  for (const layers of [1, 2]) {
    specs.push({ ...base, cell: "rnn", layers }, { ...base, cell: "lstm", layers }, { ...base, cell: "lstm", layers, peephole: true }, { ...base, cell: "gru", layers });
  }
  return specs;
}

async function runGradientCheck(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): Promise<void> {
  log.show(true);
  log.info("gradient check: analytic vs finite-difference gradients (f64), threshold " + THRESHOLD);
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: "RNN Lab: gradient check", cancellable: true }, (progress, token) =>
    new Promise<void>((resolve) => {
      const worker = new Worker(join(context.extensionPath, "dist", "gradientCheckWorker.js"));
      const specs = checkedModels();
      let done = 0, worst = 0;
      const finish = () => { void worker.terminate(); resolve(); };
      token.onCancellationRequested(finish);
      worker.on("error", (e) => { log.error(`gradient check failed: ${e.message}`); void vscode.window.showErrorMessage(`RNN Lab: gradient check failed: ${e.message}`); finish(); });
      worker.on("message", (m: GradientCheckReply) => {
        if (m.type === "result") {
          done++;
          progress.report({ increment: 100 / specs.length, message: `${done}/${specs.length}` });
          const w = Math.max(...m.tensors.map((t) => t.maxRelError));
          worst = Math.max(worst, w);
          log.info(`${m.spec.cell}${m.spec.peephole ? " (peepholes)" : ""}, ${m.spec.layers} layer(s): worst ${w.toExponential(2)} ${w < THRESHOLD ? "ok" : "FAIL"}`);
          for (const t of m.tensors) log.info(`    ${t.name}: max ${t.maxRelError.toExponential(2)}, mean ${t.meanRelError.toExponential(2)}`);
        } else if (m.type === "done") {
          const ok = worst < THRESHOLD;
          const text = `RNN Lab: gradient check ${ok ? "passed" : "FAILED"} for ${done} models (worst relative error ${worst.toExponential(2)}).`;
          if (ok) void vscode.window.showInformationMessage(text);
          else void vscode.window.showErrorMessage(text);
          finish();
        } else {
          log.error(m.message);
          void vscode.window.showErrorMessage(`RNN Lab: ${m.message}`);
          finish();
        }
      });
      const request: GradientCheckRequest = { type: "gradientCheck", specs };
      worker.postMessage(request);
    }));
}
