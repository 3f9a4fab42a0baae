// Settings more than one part of the extension reads.

import * as vscode from "vscode";
import { availableParallelism } from "node:os";
import { isAbsolute, join, relative } from "node:path";

/**
 * The runs folder of the first local workspace folder; undefined without one. A setting that
 * points outside the workspace (absolute, or up through "..") is ignored: a workspace's settings
 * must not make RNN Lab write elsewhere.
 */
export function runsRoot(): string | undefined {
  const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === "file");
  if (!folder) return undefined;
  const configured = vscode.workspace.getConfiguration("rnnLab").get<string>("runsFolder", ".rnnlab");
  const path = join(folder.uri.fsPath, configured);
  const inside = !isAbsolute(configured) && !relative(folder.uri.fsPath, path).startsWith("..");
  return inside ? path : join(folder.uri.fsPath, ".rnnlab");
}

/** rnnLab.threads, where 0 means cores − 1 (one stays with the editor), at least 1. */
export function trainingThreads(): number {
  const configured = vscode.workspace.getConfiguration("rnnLab").get<number>("threads", 0);
  return configured > 0 ? Math.floor(configured) : Math.max(1, availableParallelism() - 1);
}
