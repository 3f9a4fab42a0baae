// What the editor draws from a classifier's, tagger's or segmenter's predictions, computed apart
// from VS Code so that it can be tested: a record's label and confidence and whether it is wrong,
// tag spans as UTF-16 column ranges (a character is a code point; an editor column is a UTF-16
// unit, so 😀 is one character and two columns). Attribution colours are in src/protocol/textPredictions.ts
// (the editor and the Explain Prediction page share them).

import { argmax } from "./classificationReportData";
import { Span, chunks, wordSpans } from "../tasks/taskMetrics";

export interface RecordMark { label: string; confidence: number; wrong: boolean; truth: string | null }

/** The predicted class of a record, its probability, and whether it differs from the record's own label. */
export function recordMark(classes: readonly string[], probabilities: ArrayLike<number>, truth: string | null): RecordMark {
  const best = argmax(probabilities);
  return { label: classes[best], confidence: probabilities[best], wrong: truth !== null && truth !== classes[best], truth };
}

/** The classes by falling probability (ties in class order), for the hover. */
export function rankedClasses(classes: readonly string[], probabilities: ArrayLike<number>): { label: string; probability: number }[] {
  return classes.map((label, i) => ({ label, probability: probabilities[i], i })).sort((a, b) => b.probability - a.probability || a.i - b.i).map(({ label, probability }) => ({ label, probability }));
}

/** UTF-16 offset of each code point of `text`, and the text's UTF-16 length last (n + 1 entries). */
export function codePointOffsets(text: string): number[] {
  const out: number[] = [];
  let at = 0;
  for (const ch of text) { out.push(at); at += ch.length; }
  out.push(at);
  return out;
}

/** How a tag set is read: B/M/E/S words (segmentation), BIO/IOBES chunks with types, or each tag on its own. */
export function tagScheme(tags: readonly string[]): "words" | "chunks" | "plain" {
  if (tags.length && tags.every((t) => ["B", "M", "E", "S"].includes(t))) return "words";
  if (tags.some((t) => /^[BIESLU][-_]/.test(t)) && tags.every((t) => t === "O" || /^[BIESMLU][-_]/.test(t))) return "chunks";
  return "plain";
}

export interface ColumnSpan { start: number; end: number; type: string }

/**
 * The spans of one tagged text as UTF-16 column ranges from `column` (end exclusive): words for
 * B/M/E/S, conlleval's chunks for BIO/IOBES, else runs of one tag (an "O" run is not a span).
 */
export function tagSpans(text: string, tags: readonly string[], column = 0, scheme = tagScheme(tags)): ColumnSpan[] {
  const at = codePointOffsets(text);
  if (at.length - 1 !== tags.length) throw new RangeError(`${tags.length} tags for ${at.length - 1} characters`);
  let spans: Span[];
  if (scheme === "words") spans = wordSpans(tags);
  else if (scheme === "chunks") spans = chunks(tags);
  else {
    spans = [];
    for (let i = 0; i < tags.length; i++) {
      if (i > 0 && tags[i] === tags[i - 1] && spans.length && spans[spans.length - 1].end === i) spans[spans.length - 1].end = i + 1;
      else if (tags[i] !== "O") spans.push({ start: i, end: i + 1, type: tags[i] });
    }
  }
  return spans.map((s) => ({ start: column + at[s.start], end: column + at[s.end], type: s.type }));
}
