// Labelled text read from workspace files, for the classification, tagging and word-segmentation
// tasks: one class per record, or one tag per character (Unicode code point) of the record's text.
//   classification  .csv/.tsv with a header (columns `text` and `label` unless told), or .jsonl {"text", "label"}
//   tagging         .jsonl {"text", "tags": [...]} or CoNLL: `character<TAB>tag` per line, a blank line between sequences
//   segmentation    plain text, one sentence a line, words separated by spaces (SIGHAN bakeoff), as B/M/E/S tags
// Every problem is one line naming the file and line. CSV parsing is csv-parse's (RFC 4180).

import { extname } from "node:path";
import { csvRecords } from "../files/csvTable";
import { InputError } from "../messages/inputError";
import { mulberry32 } from "../model/seededRandom";

export interface ClassifiedRecord { text: string; label: string; line: number }
export interface TaggedRecord { chars: string[]; tags: string[]; line: number }

export interface ClassificationData { file: string; records: ClassifiedRecord[]; classes: string[] }
export interface TaggingData { file: string; records: TaggedRecord[]; tags: string[] }

export type LabelledFormat = "csv" | "tsv" | "jsonl" | "conll" | "segmented";

export const DEFAULT_MAX_CLASSES = 1000;

/** The format a file's name implies, or an InputError listing what is understood. */
export function formatFromName(file: string, task: "classify" | "tag" | "segment"): LabelledFormat {
  if (task === "segment") return "segmented";
  const ext = extname(file).toLowerCase();
  if (task === "classify" && (ext === ".csv" || ext === ".tsv")) return ext.slice(1) as "csv" | "tsv";
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  if (task === "tag" && (ext === ".conll" || ext === ".bio" || ext === ".tsv")) return "conll";
  const known = task === "classify" ? ".csv, .tsv or .jsonl" : ".jsonl, .conll or .bio";
  throw new InputError(`${file}: cannot tell its format from the name; ${task === "classify" ? "classification" : "tagging"} reads ${known} (or give --format)`);
}

// ---------------------------------------------------------------- classification

/** `minClasses` (2): fewer distinct labels are refused (1 for a file a trained model is evaluated on). */
export function parseClassificationData(text: string, file: string, options: { format: "csv" | "tsv" | "jsonl"; textColumn?: string; labelColumn?: string; maxClasses?: number; minClasses?: number }): ClassificationData {
  const textColumn = options.textColumn ?? "text", labelColumn = options.labelColumn ?? "label";
  const records: ClassifiedRecord[] = [];
  if (options.format === "jsonl") {
    for (const { value, line } of jsonLines(text, file)) {
      const t = field(value, textColumn, file, line), l = field(value, labelColumn, file, line);
      if (typeof t !== "string") throw new InputError(`${file}:${line}: "${textColumn}" must be a string`);
      if (typeof l !== "string" && typeof l !== "number" && typeof l !== "boolean") throw new InputError(`${file}:${line}: "${labelColumn}" must be a string (or a number)`);
      records.push({ text: t, label: String(l), line });
    }
  } else {
    const rows = csvRecords(text, file, { delimiter: options.format === "tsv" ? "\t" : "," });
    if (rows.length === 0) throw new InputError(`${file}: empty; it needs a header row with "${textColumn}" and "${labelColumn}" columns`);
    const header = rows[0].cells;
    const column = (name: string, flag: string) => {
      const i = header.indexOf(name);
      if (i < 0) throw new InputError(`${file}:1: no column "${name}"; the columns are ${header.map((h) => `"${h}"`).join(", ")} (choose with ${flag})`);
      return i;
    };
    const ti = column(textColumn, "--text-column"), li = column(labelColumn, "--label-column");
    for (const r of rows.slice(1)) records.push({ text: r.cells[ti], label: r.cells[li].trim(), line: r.line });
  }
  for (const r of records) {
    if (r.text.trim() === "") throw new InputError(`${file}:${r.line}: the text is empty`);
    if (r.label === "") throw new InputError(`${file}:${r.line}: the label is empty`);
  }
  if (records.length === 0) throw new InputError(`${file}: no records`);
  const classes = [...new Set(records.map((r) => r.label))].sort(compareCodePoints);
  if (classes.length < (options.minClasses ?? 2)) throw new InputError(`${file}: every record has the label "${classes[0]}"; a classifier needs at least two classes`);
  const cap = options.maxClasses ?? DEFAULT_MAX_CLASSES;
  if (classes.length > cap) throw new InputError(`${file}: ${classes.length} different labels, more than the ${cap} a classifier takes here; is "${labelColumn}" the label column?`);
  return { file, records, classes };
}

/** The texts of a csv/tsv/jsonl file (its `textColumn`, labels not needed: what a classifier predicts on), with their lines. */
export function parseTextRecords(text: string, file: string, options: { format: "csv" | "tsv" | "jsonl"; textColumn?: string }): { texts: string[]; lines: number[] } {
  const textColumn = options.textColumn ?? "text";
  const texts: string[] = [], lines: number[] = [];
  const add = (t: string, line: number) => {
    if (t.trim() === "") throw new InputError(`${file}:${line}: the text is empty`);
    texts.push(t);
    lines.push(line);
  };
  if (options.format === "jsonl") {
    for (const { value, line } of jsonLines(text, file)) {
      const t = field(value, textColumn, file, line);
      if (typeof t !== "string") throw new InputError(`${file}:${line}: "${textColumn}" must be a string`);
      add(t, line);
    }
  } else {
    const rows = csvRecords(text, file, { delimiter: options.format === "tsv" ? "\t" : "," });
    const header = rows[0]?.cells ?? [];
    const i = header.indexOf(textColumn);
    if (i < 0) throw new InputError(`${file}:1: no column "${textColumn}"; the columns are ${header.map((h) => `"${h}"`).join(", ")} (choose with --text-column)`);
    for (const r of rows.slice(1)) add(r.cells[i], r.line);
  }
  if (texts.length === 0) throw new InputError(`${file}: no records`);
  return { texts, lines };
}

// ---------------------------------------------------------------- tagging

export function parseTaggingData(text: string, file: string, format: "jsonl" | "conll" | "segmented"): TaggingData {
  const records: TaggedRecord[] = [];
  if (format === "jsonl") {
    for (const { value, line } of jsonLines(text, file)) {
      const t = field(value, "text", file, line), tags = field(value, "tags", file, line);
      if (typeof t !== "string" || t === "") throw new InputError(`${file}:${line}: "text" must be a non-empty string`);
      if (!Array.isArray(tags) || !tags.every((x) => typeof x === "string" && x !== "")) throw new InputError(`${file}:${line}: "tags" must be a list of non-empty strings`);
      const chars = Array.from(t);
      if (tags.length !== chars.length) throw new InputError(`${file}:${line}: ${tags.length} tags for ${chars.length} characters; give one tag per character (code point) of "text"`);
      records.push({ chars, tags: tags as string[], line });
    }
  } else if (format === "conll") {
    let chars: string[] = [], tags: string[] = [], start = 0;
    const flush = () => { if (chars.length) records.push({ chars, tags, line: start }); chars = []; tags = []; };
    lines(text).forEach((raw, i) => {
      const line = i + 1;
      if (raw.trim() === "") return flush();
      const cols = raw.split("\t");
      if (cols.length < 2 || cols[cols.length - 1].trim() === "") throw new InputError(`${file}:${line}: one column; a CoNLL line is the character, a tab, and its tag`);
      const ch = Array.from(cols[0]);
      if (ch.length !== 1) throw new InputError(`${file}:${line}: "${cols[0]}" is ${ch.length} characters; one character per line`);
      if (!chars.length) start = line;
      chars.push(ch[0]);
      tags.push(cols[cols.length - 1].trim());
    });
    flush();
  } else {
    lines(text).forEach((raw, i) => {
      if (raw === "") return;
      if (raw.trim() === "") throw new InputError(`${file}:${i + 1}: only spaces; a line is a sentence with its words separated by spaces`);
      const { chars, tags } = wordsToTags(raw.trim().split(/[ \u3000\t]+/u));
      records.push({ chars, tags, line: i + 1 });
    });
  }
  if (records.length === 0) throw new InputError(`${file}: no sequences`);
  const tagSet = [...new Set(records.flatMap((r) => r.tags))].sort(compareCodePoints);
  return { file, records, tags: tagSet };
}

/** Words → characters with B/M/E/S tags: S a one-character word, else B, M…, E. */
export function wordsToTags(words: string[]): { chars: string[]; tags: string[] } {
  const chars: string[] = [], tags: string[] = [];
  for (const w of words) {
    const c = Array.from(w);
    if (c.length === 0) continue;
    c.forEach((ch, i) => { chars.push(ch); tags.push(c.length === 1 ? "S" : i === 0 ? "B" : i === c.length - 1 ? "E" : "M"); });
  }
  return { chars, tags };
}

/** B/M/E/S tags → words: a word ends at E or S (and a lone B or M is closed by the next B/S or the end). */
export function tagsToWords(chars: string[], tags: string[]): string[] {
  const words: string[] = [];
  let current = "";
  chars.forEach((ch, i) => {
    const t = tags[i];
    if ((t === "B" || t === "S") && current) { words.push(current); current = ""; }
    current += ch;
    if (t === "E" || t === "S") { words.push(current); current = ""; }
  });
  if (current) words.push(current);
  return words;
}

// ---------------------------------------------------------------- splits

/** A seeded validation split; for classification stratified by label (each class keeps its share, at least one record in training). */
export function splitValidation<T>(records: T[], fraction: number, seed: number, labelOf?: (r: T) => string): { train: T[]; val: T[] } {
  if (!(fraction >= 0 && fraction < 1)) throw new InputError(`--val-frac must be from 0 to below 1, not ${fraction}`);
  const groups = new Map<string, number[]>();
  records.forEach((r, i) => { const k = labelOf ? labelOf(r) : ""; (groups.get(k) ?? groups.set(k, []).get(k)!).push(i); });
  const rand = mulberry32(seed >>> 0);
  const valIndex = new Set<number>();
  for (const key of [...groups.keys()].sort(compareCodePoints)) {
    const idx = groups.get(key)!;
    for (let i = idx.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [idx[i], idx[j]] = [idx[j], idx[i]]; }
    const take = Math.min(idx.length - 1, Math.round(idx.length * fraction));
    for (let i = 0; i < take; i++) valIndex.add(idx[i]);
  }
  return { train: records.filter((_, i) => !valIndex.has(i)), val: records.filter((_, i) => valIndex.has(i)) };
}

// ---------------------------------------------------------------- helpers

function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function lines(text: string): string[] {
  const out = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  if (out.length && out[out.length - 1] === "") out.pop();
  return out;
}

function* jsonLines(text: string, file: string): Generator<{ value: Record<string, unknown>; line: number }> {
  const all = lines(text);
  for (let i = 0; i < all.length; i++) {
    if (all[i].trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(all[i]);
    } catch (e) {
      throw new InputError(`${file}:${i + 1}: not a JSON object (${(e as Error).message.split("\n")[0]})`);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new InputError(`${file}:${i + 1}: a line must be one JSON object`);
    yield { value: value as Record<string, unknown>, line: i + 1 };
  }
}

function field(value: Record<string, unknown>, name: string, file: string, line: number): unknown {
  if (!(name in value)) throw new InputError(`${file}:${line}: no "${name}" field; the fields are ${Object.keys(value).map((k) => `"${k}"`).join(", ") || "none"}`);
  return value[name];
}
