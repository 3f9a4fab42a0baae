// Surprisal highlighting (GLTR-like): each visible character's background shows how surprised the
// active model was to see it, in bits. Computed in the model worker for the visible ranges,
// debounced while typing and scrolling; a few decoration types, one per band of bits.

import * as vscode from "vscode";
import type { ModelClient } from "./modelClient";
import { enabledFor } from "./predictionHover";

/** Lower edges of the bands, in bits; below the first band nothing is drawn. */
export const SURPRISAL_BANDS = [1, 2, 4, 6, 8];
const MAX_CHARS = 30_000;

export class SurprisalHighlighter implements vscode.Disposable {
  private readonly types: vscode.TextEditorDecorationType[];
  private readonly timers = new Map<vscode.TextEditor, NodeJS.Timeout>();
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Ranges per band as last applied, per editor: what tests and the status bar read. */
  readonly applied = new Map<vscode.TextEditor, vscode.Range[][]>();
  private readonly done = new vscode.EventEmitter<vscode.TextEditor>();
  readonly onDidApply = this.done.event;

  constructor(private readonly client: ModelClient) {
    this.types = SURPRISAL_BANDS.map((_, i) => vscode.window.createTextEditorDecorationType({
      backgroundColor: `rgba(230, 60, 40, ${(0.12 + 0.13 * i).toFixed(2)})`,
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

  updateAll(): void {
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
    if (!this.client.model || !enabledFor(doc, "surprisal")) return this.clear(editor);
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
    for (const s of this.subscriptions) s.dispose();
    this.done.dispose();
  }
}
