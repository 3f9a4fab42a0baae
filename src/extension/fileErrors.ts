// A file operation that failed because of the user's machine (a read-only folder, no permission, a
// full disk), said in the user's language and named as such, never as a fault of RNN Lab.

import * as vscode from "vscode";

/** The errno code of a failed file operation, in words ("the folder is read-only (EROFS)"), or null for anything else. */
export function environmentReason(code: string | undefined): string | null {
  switch (code) {
    case "EROFS": return vscode.l10n.t("the folder is read-only (EROFS)");
    case "EACCES": case "EPERM": return vscode.l10n.t("permission denied ({0})", code);
    case "ENOSPC": case "EDQUOT": return vscode.l10n.t("the disk is full ({0})", code);
    default: return null;
  }
}
