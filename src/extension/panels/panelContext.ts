// What the panel controllers share: where the extension lives, the log, the training queue, and
// how a checkpoint relates to its model folder (name, corpus) in the run store.

import * as vscode from "vscode";
import { textTaskName, textTaskRecordOf } from "../textTaskTraining";
import { closeSync, existsSync, openSync, readSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { modelDescription, modelDescriptionWithParams } from "../modelDescription";
import { ModelManifest, corpusPath, readModelManifest } from "../../engine/runs/runStore";
import type { TrainingQueue } from "../trainingQueue";
import type { PanelHost } from "./panelHost";
import type { PanelKind } from "../../protocol/webview";

export interface PanelContext {
  extensionUri: vscode.Uri;
  extensionPath: string;
  log: vscode.LogOutputChannel;
  queue: TrainingQueue;
  /** Every open panel, for revealing an existing one and for the tests. */
  open: Set<{ host: PanelHost }>;
}

export function panelsOf(ctx: PanelContext, kind: PanelKind): PanelHost[] {
  return [...ctx.open].map((p) => p.host).filter((h) => h.kind === kind);
}

/** .rnnlab/<model>/runs/<run>/checkpoints/<file>: the model folder, or null for a checkpoint outside the store. */
export function modelDirOf(checkpoint: string): string | null {
  const dir = dirname(dirname(dirname(dirname(checkpoint))));
  return basename(dirname(checkpoint)) === "checkpoints" && basename(dirname(dirname(dirname(checkpoint)))) === "runs" && existsSync(join(dir, "model.json")) ? dir : null;
}

export function manifestOf(checkpoint: string): ModelManifest | null {
  const dir = modelDirOf(checkpoint);
  try { return dir ? readModelManifest(dir) : null; } catch { return null; }
}

/** "name (LSTM 2×128, one-hot input, vocabulary 65)" for titles and legends, in the window's language. */
export function modelLabel(checkpoint: string): string {
  const m = manifestOf(checkpoint);
  if (m) return vscode.l10n.t("{0} ({1})", m.name, modelDescription(m.spec));
  // a classifier's, tagger's or segmenter's run: its task and file, as the explorer names it
  const r = textTaskRecordOf(checkpoint);
  return r ? vscode.l10n.t("{0} of {1}", textTaskName(r.task), basename(r.data)) : basename(checkpoint);
}

/** The dashboard header's model line: the description and the parameter count, in the window's language. */
export function paramsLabel(m: ModelManifest): string {
  return modelDescriptionWithParams(m.spec);
}

/** The first `max` characters of the text a checkpoint's model was trained on, if it is in the store. */
export function corpusOf(checkpoint: string, max: number): string | null {
  const dir = modelDirOf(checkpoint);
  if (!dir || !existsSync(corpusPath(dir))) return null;
  // read only the start: max code points are at most 4·max bytes of UTF-8
  const fd = openSync(corpusPath(dir), "r");
  try {
    const bytes = Buffer.alloc(4 * max);
    const n = readSync(fd, bytes, 0, bytes.length, 0);
    return Array.from(new TextDecoder().decode(bytes.subarray(0, n))).slice(0, max).join("");
  } finally {
    closeSync(fd);
  }
}
