// Surprisal highlighting (GLTR-like): each visible character's background shows how surprised the
// active model was to see it, in bits. Computed in the model worker for the visible ranges,
// debounced while typing and scrolling; a few decoration types, one per band of bits.
// On or off is the window's workspace state (Toggle Surprisal Highlighting), falling back to the
// rnnLab.surprisal.enabled setting; while on, a status-bar item carries the key to the five bands.

import * as vscode from "vscode";
import type { ModelClient } from "./modelClient";
import { languageEnabled } from "./predictionHover";

/** Lower edges of the bands, in bits; below the first band nothing is drawn. */
export const SURPRISAL_BANDS = [1, 2, 4, 6, 8];
const MAX_CHARS = 30_000;

/** The background of band i (SURPRISAL_BANDS[i] bits and more): one red, more opaque for more surprise. */
export function bandColor(i: number): string {
  return `rgba(230, 60, 40, ${(0.12 + 0.13 * i).toFixed(2)})`;
}

/** The same colour as #rrggbbaa: hovers and tooltips accept only hex colours in a span's style (VS Code's Markdown sanitizer). */
export function bandHex(i: number): string {
  const alpha = Math.round(255 * (0.12 + 0.13 * i)).toString(16).padStart(2, "0");
  return `#e63c28${alpha}`;
}

/** "≥ 1 bit", "1–2 bits", …: the key to the shading, in the window's language (band i). */
export function bandLabel(i: number): string {
  const lo = SURPRISAL_BANDS[i], hi = SURPRISAL_BANDS[i + 1];
  return hi === undefined ? vscode.l10n.t("{0} bits or more", lo) : vscode.l10n.t("{0} to {1} bits", lo, hi);
}

/** The legend as Markdown: a swatch and a range per band, and what a bit means here. */
export function surprisalLegend(): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.supportHtml = true;
  md.appendMarkdown(`**${vscode.l10n.t("Surprisal highlighting")}**\n\n`);
  md.appendMarkdown(vscode.l10n.t("How surprised the active model was by each character: −log₂ p in bits. Below 1 bit (p > 50 %) nothing is shaded.") + "\n\n");
  for (let i = 0; i < SURPRISAL_BANDS.length; i++) {
    md.appendMarkdown(`<span style="background-color:${bandHex(i)};">&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;</span> ${bandLabel(i)}\n\n`);
  }
  return md;
}

export class SurprisalHighlighter implements vscode.Disposable {
  private readonly types: vscode.TextEditorDecorationType[];
  private readonly timers = new Map<vscode.TextEditor, NodeJS.Timeout>();
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Ranges per band as last applied, per editor: what tests and the status bar read. */
  readonly applied = new Map<vscode.TextEditor, vscode.Range[][]>();
  private readonly done = new vscode.EventEmitter<vscode.TextEditor>();
  readonly onDidApply = this.done.event;

  /** The key to the bands, shown while highlighting is on. */
  readonly legend: vscode.StatusBarItem;
  private on: boolean | undefined;

  /** `on`: the workspace's saved choice (undefined: none yet, the setting decides). */
  constructor(private readonly client: ModelClient, on?: boolean) {
    this.on = on;
    this.legend = vscode.window.createStatusBarItem("rnnLab.surprisalLegend", vscode.StatusBarAlignment.Right, 100);
    this.legend.name = vscode.l10n.t("RNN Lab surprisal key");
    this.legend.text = "$(symbol-color) " + vscode.l10n.t("Surprisal: {0}", SURPRISAL_BANDS.map((b) => `${b}`).join(" · ") + " " + vscode.l10n.t("bits"));
    this.legend.tooltip = surprisalLegend();
    this.legend.command = "rnnLab.toggleSurprisal";
    this.types = SURPRISAL_BANDS.map((_, i) => vscode.window.createTextEditorDecorationType({
      backgroundColor: bandColor(i),
      overviewRulerColor: i >= 3 ? "rgba(230, 60, 40, 0.6)" : undefined,
      overviewRulerLane: vscode.OverviewRulerLane.Right,
    }));
    this.subscriptions.push(
      vscode.window.onDidChangeVisibleTextEditors(() => this.updateAll()),
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => this.schedule(e.textEditor)),
      vscode.workspace.onDidChangeTextDocument((e) => { for (const ed of vscode.window.visibleTextEditors) if (ed.document === e.document) this.schedule(ed); }),
      vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration("rnnLab.surprisal") || e.affectsConfiguration("rnnLab.languages")) this.updateAll(); }),
      client.onDidChangeModel(() => this.updateAll()),
    );
    this.updateAll();
  }

  /** On in this workspace: its saved choice, else the rnnLab.surprisal.enabled setting. */
  get enabled(): boolean {
    return this.on ?? vscode.workspace.getConfiguration("rnnLab").get<boolean>("surprisal.enabled", false);
  }

  setEnabled(on: boolean): void {
    this.on = on;
    this.updateAll();
  }

  updateAll(): void {
    if (this.enabled) this.legend.show();
    else this.legend.hide();
    for (const ed of vscode.window.visibleTextEditors) this.schedule(ed, 0);
  }

  private schedule(editor: vscode.TextEditor, delay = 250): void {
    clearTimeout(this.timers.get(editor));
    this.timers.set(editor, setTimeout(() => { this.timers.delete(editor); void this.update(editor); }, delay));
  }

  private clear(editor: vscode.TextEditor): void {
    for (const t of this.types) editor.setDecorations(t, []);
    this.applied.delete(editor);
  }

  private async update(editor: vscode.TextEditor): Promise<void> {
    const doc = editor.document;
    if (!this.client.model || !this.enabled || !languageEnabled(doc)) return this.clear(editor);
    const bands: vscode.Range[][] = SURPRISAL_BANDS.map(() => []);
    const version = doc.version;
    for (const visibleRange of editor.visibleRanges) {
      const start = doc.offsetAt(new vscode.Position(visibleRange.start.line, 0));
      const end = Math.min(doc.offsetAt(doc.lineAt(visibleRange.end.line).range.end), start + MAX_CHARS);
      let r;
      try {
        r = await this.client.surprisal(doc, start, end);
      } catch {
        return; // a newer update or a model change will come
      }
      if (doc.version !== version) return; // typed meanwhile: the scheduled update redoes it
      const s = r.start;
      for (let i = 0; i < r.bits.length; i++) {
        const b = r.bits[i];
        if (!(b >= SURPRISAL_BANDS[0])) continue;
        let band = SURPRISAL_BANDS.length - 1;
        while (b < SURPRISAL_BANDS[band]) band--;
        const len = i + 1 < r.bits.length && Number.isNaN(r.bits[i + 1]) && (doc.getText().charCodeAt(s + i) & 0xfc00) === 0xd800 ? 2 : 1;
        bands[band].push(new vscode.Range(doc.positionAt(s + i), doc.positionAt(s + i + len)));
      }
    }
    this.types.forEach((t, i) => editor.setDecorations(t, bands[i]));
    this.applied.set(editor, bands);
    this.done.fire(editor);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const t of this.types) t.dispose();
    this.legend.dispose();
    for (const s of this.subscriptions) s.dispose();
    this.done.dispose();
  }
}
