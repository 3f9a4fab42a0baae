// Settings more than one part of the extension reads.

import * as vscode from "vscode";
import { isAbsolute, join, relative } from "node:path";
import { SETTING_DEFAULTS, trainingThreads as threadsFor } from "../engine/model/defaults";

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

/** rnnLab.threads through the engine's rule (0: cores − 1, one stays with the editor; 1 to 64). */
export function trainingThreads(): number {
  return threadsFor(vscode.workspace.getConfiguration("rnnLab").get<number>("threads", SETTING_DEFAULTS.threads));
}
