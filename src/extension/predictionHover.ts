// Hovering over text shows what the active model expects next at that position: the top-k
// characters with bars, and how likely (and how surprising) the character that actually follows was.

import * as vscode from "vscode";
import { basename } from "node:path";
import type { ModelClient } from "./modelClient";
import { SURPRISAL_BANDS, bandLabel } from "./surprisalHighlighter";

/** The document's language is one RNN Lab reads (rnnLab.languages). */
export function languageEnabled(doc: vscode.TextDocument): boolean {
  return vscode.workspace.getConfiguration("rnnLab", doc).get<string[]>("languages", ["plaintext", "markdown"]).includes(doc.languageId);
}

export function enabledFor(doc: vscode.TextDocument, setting: "hover" | "surprisal" | "fileLoss"): boolean {
  const c = vscode.workspace.getConfiguration("rnnLab", doc);
  if (!c.get<boolean>(`${setting}.enabled`, setting !== "surprisal")) return false;
  return c.get<string[]>("languages", ["plaintext", "markdown"]).includes(doc.languageId);
}

/** Characters that would be invisible in a hover, shown as symbols. */
export function visible(ch: string): string {
  return ch === " " ? "␣" : ch === "\n" ? "↵" : ch === "\t" ? "⇥" : ch === "\r" ? "␍" : ch === "`" ? "ˋ" : ch;
}

export class PredictionHover implements vscode.HoverProvider {
  private offered = false;

  /** `surprisal`: whether highlighting is on (the hover then carries its key); `noActiveButModels`: trained models exist but none is active. */
  constructor(private readonly client: ModelClient, private readonly surprisal: { enabled: boolean }, private readonly noActiveButModels: () => boolean = () => false) {}

  async provideHover(doc: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    const model = this.client.model;
    if (!model && !this.offered && enabledFor(doc, "hover") && this.noActiveButModels()) {
      // once a session: say why there are no predictions, and how to get them
      this.offered = true;
      const md = new vscode.MarkdownString(`${vscode.l10n.t("RNN Lab: no model is active, so there are no predictions here.")} [${vscode.l10n.t("Set Active Model…")}](command:rnnLab.setActiveModel)`);
      md.isTrusted = { enabledCommands: ["rnnLab.setActiveModel"] };
      return new vscode.Hover(md, new vscode.Range(position, position.translate(0, 1)));
    }
    if (!model || !enabledFor(doc, "hover")) return undefined;
    const k = vscode.workspace.getConfiguration("rnnLab", doc).get<number>("hover.topK", 5);
    let result;
    try {
      result = await this.client.predict(doc, doc.offsetAt(position), k);
    } catch {
      return undefined; // the model changed or its worker stopped: no hover rather than an error
    }
    if (token.isCancellationRequested) return undefined;
    const p = result.prediction;
    const md = new vscode.MarkdownString();
    md.supportThemeIcons = true;
    md.appendMarkdown(`**${vscode.l10n.t("RNN Lab: next character")}**\n\n`);
    const rows = p.top.map((t) => `| \`${visible(t.char)}\` | \`${bar(t.probability)}\` | ${(100 * t.probability).toFixed(1)}% |`);
    md.appendMarkdown(`| | | |\n|:-:|:--|--:|\n${rows.join("\n")}\n\n`);
    if (p.actual) {
      md.appendMarkdown(vscode.l10n.t("Actual: `{0}` with p = {1}% · surprisal {2} bits", visible(p.actual.char), (100 * p.actual.probability).toFixed(2), p.actual.bits.toFixed(2)) + "\n\n");
    } else if (p.unknown) {
      md.appendMarkdown(vscode.l10n.t("Actual: `{0}` is unknown to the model: it was not in its training text, so the model cannot predict it and skips it when reading. Above is what it expects instead.", visible(p.unknown)) + "\n\n");
    }
    if (this.surprisal.enabled) md.appendMarkdown(`${vscode.l10n.t("Shading")}: ${SURPRISAL_BANDS.map((_, i) => bandLabel(i)).join(" · ")}\n\n`);
    md.appendMarkdown(`$(circuit-board) ${vscode.l10n.t("{0} ({1} characters of context)", basename(model.checkpoint), p.contextChars)}`);
    return new vscode.Hover(md, new vscode.Range(position, position.translate(0, 1)));
  }
}

function bar(p: number): string {
  const width = 20, eighths = Math.round(p * width * 8);
  const full = Math.floor(eighths / 8), rest = eighths % 8;
  return ("█".repeat(full) + (rest ? "▏▎▍▌▋▊▉"[rest - 1] : "")).padEnd(width, " ");
}
