// RNN Lab: Import PyTorch Weights… and RNN Lab: Export Model…: dialogs on the host, the file work in
// a worker (src/extension/interopWorker.ts).

import * as vscode from "vscode";
import { Worker } from "node:worker_threads";
import { existsSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import type { ExportFormat } from "../engine/interop/modelExport";
import type { OutputRefusal } from "../engine/files/outputFile";
import { environmentReason } from "./fileErrors";
import { runsRoot } from "./settings";
import { InteropReply, InteropRequest, isInteropReply } from "../protocol/interopWorker";
import { WorkerChannel } from "../protocol/messageChannel";

/** Runs one request in a fresh worker; the worker ends with the reply. */
function runInWorker(extensionPath: string, request: InteropRequest): Promise<InteropReply> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: InteropReply) => {
      if (settled) return;
      settled = true;
      void channel.stop("done");
      resolve(r);
    };
    const channel = new WorkerChannel<InteropRequest, never, never, InteropReply>("import/export worker", () => new Worker(join(extensionPath, "dist", "interopWorker.js")), { event: isInteropReply }, {
      onEvent: done,
      onFailure: (why) => done({ type: "error", message: why }),
      onMalformed: () => done({ type: "error", message: "the import/export worker sent an unreadable reply" }),
    });
    channel.send(request);
  });
}

export async function importPyTorchWeights(extensionPath: string, log: vscode.LogOutputChannel): Promise<string | undefined> {
  const root = runsRoot();
  if (!root) {
    void vscode.window.showErrorMessage(vscode.l10n.t("RNN Lab: imported models are saved in the workspace; open a folder first."));
    return undefined;
  }
  const [weights] = await vscode.window.showOpenDialog({ title: vscode.l10n.t("RNN Lab: PyTorch weights (a state_dict saved as .safetensors)"), filters: { safetensors: ["safetensors"] }, canSelectMany: false }) ?? [];
  if (!weights) return undefined;
  const [vocab] = await vscode.window.showOpenDialog({ title: vscode.l10n.t("RNN Lab: vocabulary (a JSON list of characters, or the training text)"), canSelectMany: false, defaultUri: vscode.Uri.file(dirname(weights.fsPath)) }) ?? [];
  if (!vocab) return undefined;
  const common = { weights: weights.fsPath, vocab: vocab.fsPath, map: [] as string[], nonlinearity: "tanh" as const };
  const inspected = await runInWorker(extensionPath, { type: "inspect", ...common });
  if (inspected.type !== "inspected") {
    const message = inspected.type === "error" ? inspected.message : "unexpected reply";
    log.error(`import: ${message}`);
    void vscode.window.showErrorMessage(vscode.l10n.t("RNN Lab: cannot import: {0}", message));
    return undefined;
  }
  const importLabel = vscode.l10n.t("Import");
  const choice = await vscode.window.showInformationMessage(vscode.l10n.t("RNN Lab: import {0}?", basename(weights.fsPath)), { modal: true, detail: inspected.summary }, importLabel);
  if (choice !== importLabel) return undefined;
  const stem = basename(weights.fsPath, extname(weights.fsPath));
  let out = join(root, `imported-${stem}`, "model.safetensors");
  for (let k = 2; existsSync(out); k++) out = join(root, `imported-${stem}-${k}`, "model.safetensors");
  const r = await runInWorker(extensionPath, { type: "import", ...common, out });
  if (r.type !== "imported") {
    void vscode.window.showErrorMessage(vscode.l10n.t("RNN Lab: import failed: {0}", r.type === "error" ? (r.refusal ? refusalMessage(r.refusal) : r.message) : "unexpected reply"));
    return undefined;
  }
  log.info(`imported ${weights.fsPath} → ${r.out}\n${r.summary}`);
  void vscode.window.showInformationMessage(vscode.l10n.t("RNN Lab: imported {0} as {1}.", r.summary.split("\n")[0], vscode.workspace.asRelativePath(r.out)));
  return r.out;
}

const formats = (): (vscode.QuickPickItem & { format: ExportFormat })[] => [
  { label: "safetensors", description: vscode.l10n.t("weights + vocabulary for PyTorch's load_state_dict"), format: "safetensors" },
  { label: "ONNX", description: vscode.l10n.t("LSTM/GRU/RNN operators, state as input and output"), format: "onnx" },
  { label: vscode.l10n.t("PyTorch project"), description: vscode.l10n.t("model.py, train.py (python or torchrun), weights, data"), format: "pytorch" },
];

/** Why the engine refused an output, in the user's language (the engine's own message is English). */
export function refusalMessage(refusal: OutputRefusal): string {
  switch (refusal.reason) {
    case "input": return vscode.l10n.t("{0} is one of the files this reads ({1}); writing there would replace it. Choose another file.", basename(refusal.out), basename(refusal.input));
    case "not-regular": return vscode.l10n.t("{0} is not a regular file (a folder, device or pipe); choose another file.", refusal.out);
    case "holds-input": return vscode.l10n.t("the folder {0} holds {1}, which this reads; replacing the folder would delete it. Choose another folder.", basename(refusal.out), basename(refusal.input));
    case "exists": return vscode.l10n.t("{0} already exists; choose another name.", basename(refusal.out));
    case "unwritable": {
      const why = environmentReason(refusal.code) ?? refusal.code;
      return vscode.l10n.t("cannot write {0}: {1}. Choose another place.", refusal.out, why);
    }
  }
}

/** For automation and tests: the format and destination, instead of the quick pick and the save dialog. */
export interface ExportPreset { format: ExportFormat; out: string }

export type ExportOutcome = { out: string } | { error: string };

/** `checkpoint`: a .safetensors file from the explorer's context menu, or asked for. Undefined when cancelled. */
export async function exportModel(extensionPath: string, log: vscode.LogOutputChannel, checkpoint?: vscode.Uri, preset?: ExportPreset): Promise<ExportOutcome | undefined> {
  const source = checkpoint ?? (await vscode.window.showOpenDialog({ title: vscode.l10n.t("RNN Lab: checkpoint to export"), filters: { safetensors: ["safetensors"] }, canSelectMany: false, defaultUri: runsRoot() ? vscode.Uri.file(runsRoot()!) : undefined }))?.[0];
  if (!source) return undefined;
  const picked = preset ? formats().find((f) => f.format === preset.format) : await vscode.window.showQuickPick(formats(), { title: vscode.l10n.t("RNN Lab: export {0} as", basename(source.fsPath)) });
  if (!picked) return undefined;
  const stem = basename(source.fsPath, ".safetensors");
  const suggested = join(dirname(source.fsPath), picked.format === "pytorch" ? `${stem}-pytorch` : `${stem}.export.${picked.format === "onnx" ? "onnx" : "safetensors"}`);
  const target = preset ? vscode.Uri.file(preset.out) : await vscode.window.showSaveDialog({ title: picked.format === "pytorch" ? vscode.l10n.t("RNN Lab: folder for the PyTorch project") : vscode.l10n.t("RNN Lab: export to"), defaultUri: vscode.Uri.file(suggested) });
  if (!target) return undefined;
  // the save dialog has already asked whether to replace an existing file; the engine still refuses
  // the checkpoint itself, the run's text, a device, or a folder that holds them (outputFile.ts)
  const r = await runInWorker(extensionPath, { type: "export", checkpoint: source.fsPath, format: picked.format, out: target.fsPath, force: picked.format !== "pytorch",
    corpusBase: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath });
  if (r.type !== "exported") {
    const message = r.type === "error" ? (r.refusal ? refusalMessage(r.refusal) : r.message) : "unexpected reply";
    log.error(`export: ${r.type === "error" ? r.message : message}`);
    const shown = vscode.l10n.t("RNN Lab: export failed: {0}", message);
    void vscode.window.showErrorMessage(shown);
    return { error: shown };
  }
  log.info(`exported ${source.fsPath} as ${picked.format} → ${r.out} (${r.bytes} bytes)`);
  void vscode.window.showInformationMessage(vscode.l10n.t("RNN Lab: exported {0} as {1} ({2} KiB).", basename(source.fsPath), picked.label, (r.bytes / 1024).toFixed(0)));
  return { out: r.out };
}
