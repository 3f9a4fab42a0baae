// What clicking a checkpoint in the explorer opens: a read-only Markdown document about it (its
// model, the step it was saved at, its losses, where it came from) and what can be done with it.
// Only the safetensors header is read (a few KB: the metadata), never the weights, so it is quick on
// the extension host's thread.

import * as vscode from "vscode";
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { TrainingProgress } from "../engine/files/checkpoint";
import type { ModelSpec } from "../engine/model/modelSpec";
import { readModelManifest, readRunManifest } from "../engine/runs/runStore";
import { modelDescriptionWithParams } from "./modelDescription";

export const CHECKPOINT_SUMMARY_SCHEME = "rnnlab-checkpoint";

/** rnnlab-checkpoint:/<path>.md — the document of a checkpoint (the path is the checkpoint's). */
export function summaryUri(checkpoint: string): vscode.Uri {
  return vscode.Uri.from({ scheme: CHECKPOINT_SUMMARY_SCHEME, path: checkpoint + ".md" });
}

/** The header's metadata of a safetensors file: the JSON before the tensors. */
function readMetadata(path: string): Record<string, string> {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(8);
    if (readSync(fd, head, 0, 8, 0) < 8) throw new Error(vscode.l10n.t("too short to be a checkpoint"));
    const n = Number(head.readBigUInt64LE(0));
    if (n <= 0 || n > 100_000_000) throw new Error(vscode.l10n.t("not a safetensors file"));
    const json = Buffer.alloc(n);
    readSync(fd, json, 0, n, 8);
    return (JSON.parse(json.toString("utf8")) as { __metadata__?: Record<string, string> }).__metadata__ ?? {};
  } finally {
    closeSync(fd);
  }
}

const esc = (s: string) => s.replace(/[\\`*_{}[\]<>|]/g, "\\$&");
const nats = (x: number | null | undefined) => (x == null ? "—" : vscode.l10n.t("{0} nats/char", x.toFixed(4)));

export function checkpointSummary(checkpoint: string): string {
  const lines: string[] = [];
  const ckptDir = dirname(checkpoint), runDir = dirname(ckptDir), modelDir = dirname(dirname(runDir));
  const inStore = basename(ckptDir) === "checkpoints" && existsSync(join(modelDir, "model.json"));
  let name = basename(checkpoint);
  let run: ReturnType<typeof readRunManifest> | null = null;
  if (inStore) {
    try { name = readModelManifest(modelDir).name; } catch { /* damaged: the file name will do */ }
    try { run = readRunManifest(runDir); } catch { run = null; }
  }
  const isBest = basename(checkpoint) === "best.safetensors";
  lines.push(`# ${esc(name)} · ${esc(isBest ? vscode.l10n.t("best checkpoint") : basename(checkpoint))}`, "");
  let md: Record<string, string>;
  try {
    md = readMetadata(checkpoint);
  } catch (e) {
    lines.push(vscode.l10n.t("This file cannot be read as a checkpoint: {0}", (e as Error).message));
    return lines.join("\n");
  }
  let spec: ModelSpec | null = null, training: TrainingProgress | null = null;
  try { spec = JSON.parse(md.model) as ModelSpec; } catch { spec = null; }
  try { training = md.training ? (JSON.parse(md.training) as TrainingProgress) : null; } catch { training = null; }
  const row = (k: string, v: string) => lines.push(`| ${esc(k)} | ${v} |`);
  lines.push(`| | |`, `|:--|:--|`);
  if (spec) row(vscode.l10n.t("Architecture"), esc(modelDescriptionWithParams(spec)));
  if (run) row(vscode.l10n.t("Run"), esc(run.label ? `${run.label} (${run.id})` : run.id));
  if (training) {
    row(vscode.l10n.t("Saved at"), vscode.l10n.t("step {0}, epoch {1}, after {2} s of training", training.step, training.epoch, Math.round(training.elapsedSeconds)));
    row(vscode.l10n.t("Training loss (last step)"), nats(training.lastLoss));
    row(vscode.l10n.t("Validation loss (last)"), nats(training.lastValLoss));
    row(vscode.l10n.t("Validation loss (best so far)"), nats(training.bestValLoss));
    const o = training.options;
    row(vscode.l10n.t("Training"), esc(vscode.l10n.t("{0}, learning rate {1}, batch {2}, window {3}, clip {4}", o.optimizer, o.lr, o.batch, o.seq, o.clip || vscode.l10n.t("off"))));
    row(vscode.l10n.t("Text"), esc(vscode.l10n.t("{0} ({1} characters)", training.corpus.files.join(", "), training.corpus.chars.toLocaleString(vscode.env.language))));
  } else {
    row(vscode.l10n.t("Saved at"), vscode.l10n.t("no training state (imported or exported weights)"));
  }
  if (run) row(vscode.l10n.t("Run's best validation loss"), nats(run.bestValLoss));
  if (run?.tags?.length) row(vscode.l10n.t("Tags"), esc(run.tags.join(", ")));
  if (run?.notes) row(vscode.l10n.t("Notes"), esc(run.notes).replace(/\n/g, " "));
  row(vscode.l10n.t("File"), `\`${checkpoint}\` (${(statSync(checkpoint).size / 1024).toFixed(0)} KB)`);
  lines.push("", `## ${vscode.l10n.t("What you can do with it")}`, "");
  lines.push(vscode.l10n.t("Right-click the checkpoint in the RNN Lab view, or run from the command palette (RNN Lab: …):"), "");
  for (const action of [
    vscode.l10n.t("Set as Active Model: hovers, surprisal highlighting and the file-loss lens use it"),
    vscode.l10n.t("Open Text Generator: sample from it interactively, with each character's probability"),
    vscode.l10n.t("Show Gate Heatmap and Show Gradient Flow: look inside it"),
    vscode.l10n.t("Continue Training: a new run from this checkpoint, optimizer state included"),
    vscode.l10n.t("Export…: as safetensors, ONNX or a PyTorch project"),
  ]) lines.push(`- ${esc(action)}`);
  return lines.join("\n") + "\n";
}

export class CheckpointSummaries implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    const checkpoint = uri.path.replace(/\.md$/, "");
    if (!existsSync(checkpoint)) return vscode.l10n.t("{0} no longer exists.", checkpoint) + "\n";
    return checkpointSummary(checkpoint);
  }

  dispose(): void { this.changed.dispose(); }
}
