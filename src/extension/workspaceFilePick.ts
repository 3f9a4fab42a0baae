// Asking for one of the workspace's files of a kind (a table, a labelled-data file, a checkpoint), the
// same way for every command: none found is one error line; otherwise a quick pick of the file names
// with their workspace-relative paths.

import * as vscode from "vscode";
import { basename } from "node:path";
import { prompts } from "./prompts";

/** The path of the file picked among the first `limit` matching `glob` (not `exclude`); undefined after `none` was said, or on Escape. */
export async function pickWorkspaceFile(glob: string, exclude: string, limit: number, none: string, title: string): Promise<string | undefined> {
  const found = await vscode.workspace.findFiles(glob, exclude, limit);
  if (!found.length) {
    void prompts.error(none);
    return undefined;
  }
  const picked = await prompts.pick(found.map((u) => ({ label: basename(u.fsPath), description: vscode.workspace.asRelativePath(u), file: u.fsPath })), { title });
  return picked?.file;
}
