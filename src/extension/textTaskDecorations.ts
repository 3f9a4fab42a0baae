// What a classifier, tagger or segmenter said, drawn in the editor: after each record's line its
// predicted label and confidence (a wrong one marked, with the file's own label, and in the overview
// ruler), a hover on a record with its class probabilities, the list of misclassified records that
// jumps to each; predicted tags as outlined spans in one colour per tag, and a segmenter's words
// outlined over the text; attributions as a background per character, red for the class, blue
// against. The predictions come from the worker that runs the model (src/protocol/textPredictions.ts);
// every one is checked there before it is drawn. The positions are computed in
// src/engine/insight/textTaskMarks.ts.

import * as vscode from "vscode";
import { AttributionResult, ClassPredictions, RecordPrediction, TagPredictions, attributionColour } from "../protocol/textPredictions";
import { rankedClasses, recordMark, tagScheme, tagSpans } from "../engine/insight/textTaskMarks";
import { prompts } from "./prompts";
import { revealLine } from "./panels/classificationReportPanel";

const TAG_COLOURS = ["charts.blue", "charts.orange", "charts.green", "charts.purple", "charts.yellow", "charts.red"];
/** Attribution shades per sign: the opacity of a character's background in this many steps. */
const ATTRIBUTION_LEVELS = 8;

const percent = (p: number) => `${(100 * p).toFixed(p >= 0.995 || p < 0.1 ? 1 : 0)} %`;

interface ClassState { uri: string; predictions: ClassPredictions }

export class TextTaskDecorations implements vscode.Disposable, vscode.HoverProvider {
  private readonly right = vscode.window.createTextEditorDecorationType({ after: { color: new vscode.ThemeColor("descriptionForeground"), margin: "0 0 0 2em" } });
  private readonly wrong = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor("errorForeground"), margin: "0 0 0 2em" }, overviewRulerColor: new vscode.ThemeColor("editorError.foreground"), overviewRulerLane: vscode.OverviewRulerLane.Right,
  });
  private readonly tagTypes = new Map<string, vscode.TextEditorDecorationType>();
  private readonly wordTypes = [0, 1].map((i) => vscode.window.createTextEditorDecorationType({ border: "1px solid", borderColor: new vscode.ThemeColor(i ? "charts.orange" : "charts.blue"), borderRadius: "3px" }));
  private readonly attributionTypes = [1, -1].flatMap((sign) => Array.from({ length: ATTRIBUTION_LEVELS }, (_, k) => vscode.window.createTextEditorDecorationType({ backgroundColor: attributionColour(sign * (k + 1), ATTRIBUTION_LEVELS) })));
  private readonly classes = new Map<string, ClassState>();
  private readonly tags = new Map<string, TagPredictions>();
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Per document and decoration name, the ranges last applied (what the tests read). */
  readonly applied = new Map<string, Map<string, vscode.Range[]>>();

  constructor() {
    this.subscriptions.push(vscode.window.onDidChangeVisibleTextEditors((editors) => { for (const e of editors) this.redraw(e); }));
  }

  /** Labels after each record's line of the document `uri`. */
  showClassPredictions(uri: vscode.Uri, predictions: ClassPredictions): void {
    this.classes.set(uri.toString(), { uri: uri.toString(), predictions });
    for (const e of vscode.window.visibleTextEditors) if (e.document.uri.toString() === uri.toString()) this.redraw(e);
  }

  /** Tags (or words) over the text of `uri`. */
  showTagPredictions(uri: vscode.Uri, predictions: TagPredictions): void {
    this.tags.set(uri.toString(), predictions);
    for (const e of vscode.window.visibleTextEditors) if (e.document.uri.toString() === uri.toString()) this.redraw(e);
  }

  /**
   * Each character of the explained text coloured by its integrated-gradients attribution. `at`: where the explained text starts (it runs on from there), or a record's line with each
   * character's column (a CSV field's doubled quotes and a JSON string's escapes put them apart).
   */
  showAttributions(editor: vscode.TextEditor, at: vscode.Position | { line: number; columns: readonly number[] }, result: AttributionResult, values: readonly number[] = result.integratedGradients): void {
    const maxAbs = Math.max(...values.map(Math.abs), 0);
    const buckets: vscode.Range[][] = this.attributionTypes.map(() => []);
    const columns = "columns" in at ? at.columns : null;
    let line = at.line, character = "character" in at ? at.character : 0;
    result.chars.forEach((ch, i) => {
      if (columns) character = columns[i];
      else if (ch === "\n") { line++; character = 0; return; }
      const level = maxAbs > 0 ? Math.min(ATTRIBUTION_LEVELS, Math.ceil((Math.abs(values[i]) / maxAbs) * ATTRIBUTION_LEVELS)) : 0;
      // an escaped character (\t, \u4eca) is coloured over its one written character at the column it starts
      if (level > 0) buckets[(values[i] >= 0 ? 0 : ATTRIBUTION_LEVELS) + level - 1].push(new vscode.Range(line, character, line, character + ch.length));
      character += ch.length;
    });
    this.attributionTypes.forEach((t, k) => editor.setDecorations(t, buckets[k]));
    this.record(editor.document.uri, "attribution+", buckets.slice(0, ATTRIBUTION_LEVELS).flat());
    this.record(editor.document.uri, "attribution-", buckets.slice(ATTRIBUTION_LEVELS).flat());
  }

  clear(uri: vscode.Uri): void {
    this.classes.delete(uri.toString());
    this.tags.delete(uri.toString());
    for (const e of vscode.window.visibleTextEditors) if (e.document.uri.toString() === uri.toString()) {
      for (const t of [this.right, this.wrong, ...this.wordTypes, ...this.tagTypes.values(), ...this.attributionTypes]) e.setDecorations(t, []);
    }
    this.applied.delete(uri.toString());
  }

  private record(uri: vscode.Uri, name: string, ranges: vscode.Range[]): void {
    const key = uri.toString();
    if (!this.applied.has(key)) this.applied.set(key, new Map());
    this.applied.get(key)!.set(name, ranges);
  }

  private redraw(editor: vscode.TextEditor): void {
    const uri = editor.document.uri;
    const c = this.classes.get(uri.toString());
    if (c) {
      const right: vscode.DecorationOptions[] = [], wrong: vscode.DecorationOptions[] = [];
      for (const r of c.predictions.records) {
        if (r.line > editor.document.lineCount) continue;
        const m = recordMark(c.predictions.classes, r.probabilities, r.truth);
        const end = editor.document.lineAt(r.line - 1).range.end;
        const text = m.wrong ? vscode.l10n.t("✗ {0} {1} (the file says {2})", m.label, percent(m.confidence), m.truth ?? "") : vscode.l10n.t("→ {0} {1}", m.label, percent(m.confidence));
        (m.wrong ? wrong : right).push({ range: new vscode.Range(end, end), renderOptions: { after: { contentText: text } } });
      }
      editor.setDecorations(this.right, right);
      editor.setDecorations(this.wrong, wrong);
      this.record(uri, "right", right.map((d) => d.range));
      this.record(uri, "wrong", wrong.map((d) => d.range));
    }
    const t = this.tags.get(uri.toString());
    if (t) {
      const scheme = t.task === "segment" ? "words" : tagScheme(t.tags);
      const byType = new Map<string, vscode.Range[]>();
      const words: vscode.Range[][] = [[], []];
      let w = 0;
      for (const s of t.sequences) {
        if (s.line > editor.document.lineCount) continue;
        const text = Array.from(editor.document.lineAt(s.line - 1).text.slice(s.column)).slice(0, s.tags.length).join("");
        if (Array.from(text).length !== s.tags.length) continue; // the line was edited since: nothing drawn on it
        for (const span of tagSpans(text, s.tags, s.column, scheme)) {
          const range = new vscode.Range(s.line - 1, span.start, s.line - 1, span.end);
          if (scheme === "words") words[w++ % 2].push(range);
          else (byType.get(span.type) ?? byType.set(span.type, []).get(span.type)!).push(range);
        }
      }
      if (scheme === "words") {
        this.wordTypes.forEach((type, i) => editor.setDecorations(type, words[i]));
        this.record(uri, "words", words.flat());
      } else {
        for (const [type, ranges] of byType) { editor.setDecorations(this.tagType(type), ranges); this.record(uri, `tag:${type}`, ranges); }
      }
    }
  }

  /** One decoration type per tag, its colour from the theme's chart colours, the tag's name after the span's last character. */
  private tagType(type: string): vscode.TextEditorDecorationType {
    let d = this.tagTypes.get(type);
    if (!d) {
      const colour = new vscode.ThemeColor(TAG_COLOURS[this.tagTypes.size % TAG_COLOURS.length]);
      d = vscode.window.createTextEditorDecorationType({ border: "1px solid", borderColor: colour, borderRadius: "3px", after: { contentText: type, color: colour, fontStyle: "italic", margin: "0 0 0 0.2em" } });
      this.tagTypes.set(type, d);
    }
    return d;
  }

  /** The record a line belongs to: the last one starting at or before it (a CSV record may span lines). */
  recordAt(uri: vscode.Uri, line: number): RecordPrediction | undefined {
    const c = this.classes.get(uri.toString());
    if (!c) return undefined;
    let found: RecordPrediction | undefined;
    for (const r of c.predictions.records) if (r.line <= line) found = r; else break;
    return found;
  }

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const c = this.classes.get(document.uri.toString());
    const r = this.recordAt(document.uri, position.line + 1);
    if (!c || !r) return undefined;
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${vscode.l10n.t("RNN Lab: class probabilities of the record at line {0}", r.line)}**\n\n`);
    md.appendMarkdown(`| ${vscode.l10n.t("class")} | ${vscode.l10n.t("probability")} |\n| --- | ---: |\n`);
    for (const k of rankedClasses(c.predictions.classes, r.probabilities)) md.appendMarkdown(`| ${k.label === r.truth ? `**${k.label}** ${vscode.l10n.t("(the file's label)")}` : k.label} | ${percent(k.probability)} |\n`);
    return new vscode.Hover(md);
  }

  /** A quick pick of the misclassified records of `uri`; the one picked is opened at its line. */
  async showMisclassified(uri: vscode.Uri): Promise<RecordPrediction | undefined> {
    const c = this.classes.get(uri.toString());
    if (!c) {
      void prompts.info(vscode.l10n.t("RNN Lab: no predictions are shown in this file; classify it first."));
      return undefined;
    }
    const wrong = c.predictions.records.map((r) => ({ r, m: recordMark(c.predictions.classes, r.probabilities, r.truth) })).filter((x) => x.m.wrong);
    if (!wrong.length) {
      void prompts.info(vscode.l10n.t("RNN Lab: every labelled record of this file is classified right."));
      return undefined;
    }
    const doc = await vscode.workspace.openTextDocument(uri);
    const picked = await prompts.pick(wrong.map(({ r, m }) => ({
      label: vscode.l10n.t("line {0}: {1} → {2} ({3})", r.line, m.truth ?? "", m.label, percent(m.confidence)),
      detail: r.line <= doc.lineCount ? doc.lineAt(r.line - 1).text.slice(0, 120) : "", r,
    })), { title: vscode.l10n.t("RNN Lab: {0} misclassified records", wrong.length) });
    if (!picked) return undefined;
    await revealLine(uri.fsPath, picked.r.line);
    return picked.r;
  }

  dispose(): void {
    for (const t of [this.right, this.wrong, ...this.wordTypes, ...this.tagTypes.values(), ...this.attributionTypes]) t.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
