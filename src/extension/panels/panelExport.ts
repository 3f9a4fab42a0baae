// Saving what a panel shows (a chart as PNG, a run's metrics as CSV): always through VS Code's save
// dialog, which asks before it replaces an existing file, so nothing is overwritten unconfirmed.

import * as vscode from "vscode";
import { join } from "node:path";

const REASONS: Record<string, string> = { EROFS: "EROFS: the disk is read-only", ENOSPC: "ENOSPC: the disk is full", EACCES: "EACCES: no permission to write there", EPERM: "EPERM: no permission to write there" };

/** Asks where to save `bytes` (suggesting `name` in the first workspace folder); returns the path written, or undefined if cancelled or failed (said in one line). */
export async function saveExport(log: vscode.LogOutputChannel, name: string, extension: "png" | "csv", bytes: Uint8Array): Promise<string | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const target = await vscode.window.showSaveDialog({
    title: vscode.l10n.t("RNN Lab: save {0} as", `${name}.${extension}`),
    defaultUri: folder ? vscode.Uri.file(join(folder, `${name}.${extension}`)) : undefined,
    filters: extension === "png" ? { [vscode.l10n.t("PNG image")]: ["png"] } : { [vscode.l10n.t("CSV table")]: ["csv"] },
  });
  if (!target) return undefined;
  try {
    await vscode.workspace.fs.writeFile(target, bytes);
  } catch (e) {
    const code = (e as { code?: string }).code ?? "";
    const why = REASONS[code] ?? (e as Error).message;
    log.warn(`export to ${target.fsPath} failed: ${why}`);
    void vscode.window.showErrorMessage(vscode.l10n.t("RNN Lab: could not save {0}: {1}", target.fsPath, why));
    return undefined;
  }
  log.info(`saved ${target.fsPath} (${bytes.length} bytes)`);
  void vscode.window.showInformationMessage(vscode.l10n.t("RNN Lab: saved {0}.", target.fsPath));
  return target.fsPath;
}

/** A PNG data URL (checked by the protocol) as its bytes. */
export function pngBytes(dataUrl: string): Uint8Array {
  return Buffer.from(dataUrl.slice(dataUrl.indexOf(",") + 1), "base64");
}
