// An error as the user reads it: an engine error made by userError() (or its template and
// arguments after a trip through a worker) in the window's language, through the l10n bundle; a
// file-system error named by its code; anything else by its message.

import * as vscode from "vscode";
import { translatableOf } from "../engine/messages/inputError";

export function errorText(e: unknown): string {
  const t = translatableOf(e);
  if (t) return vscode.l10n.t(t.template, ...t.args);
  return e instanceof Error ? e.message : String(e);
}

/** A file-system error as one line: the condition named (EACCES, EROFS, ENOSPC, …), not VS Code's whole message. */
export function fileErrorText(e: unknown): string {
  const code = (e as { code?: string }).code;
  const m = (e as Error)?.message ?? String(e);
  const errno = /\b(EACCES|EPERM|EROFS|ENOSPC|EBUSY|ENOENT|EEXIST)\b/.exec(m)?.[1];
  if (errno === "EROFS") return vscode.l10n.t("the file system is read-only (EROFS)");
  if (errno === "ENOSPC") return vscode.l10n.t("the disk is full (ENOSPC)");
  if (errno === "EACCES" || errno === "EPERM" || code === "NoPermissions") return vscode.l10n.t("permission denied ({0})", errno ?? "EACCES");
  if (errno === "ENOENT" || code === "FileNotFound") return vscode.l10n.t("it no longer exists");
  if (errno === "EBUSY") return vscode.l10n.t("it is in use by another program (EBUSY)");
  return m.split("\n")[0];
}
