// What Train Classifier / Tagger / Word Segmenter on This File… show before they ask anything: the
// file's columns (a CSV/TSV header, a JSONL record's fields), whether the default columns are there,
// and the classes with their counts or the tag set with its counts, read by labelledText's own
// readers (so a bad file fails here with the same one-line error the CLI gives).

import { csvRecords } from "../files/csvTable";
import { InputError } from "../messages/inputError";
import { LabelledFormat, formatFromName, parseClassificationData, parseTaggingData } from "./labelledText";

export type TextTaskName = "classify" | "tag" | "segment";

export interface NameCount { name: string; count: number }

export interface LabelledPreview {
  task: TextTaskName;
  format: LabelledFormat;
  /** classification: the columns (fields) a text and a label can come from; empty for tagging */
  columns: string[];
  /** classification only: the text and label columns used, or null when they must be chosen (a default column is missing) */
  textColumn: string | null;
  labelColumn: string | null;
  records: number;
  /** characters (code points) per record: shortest, longest, mean */
  length: { min: number; max: number; mean: number };
  /** classes (classification) or tags (tagging, segmentation) with how many records / characters carry each, sorted as the checkpoint stores them */
  labels: NameCount[];
}

/** Column names a CSV/TSV header or a JSONL file's first record offers (for the quick pick of columns). */
function columnsOf(text: string, file: string, format: LabelledFormat): string[] {
  if (format === "jsonl") {
    const first = text.replace(/^\uFEFF/, "").split(/\r?\n/).findIndex((l) => l.trim() !== "");
    if (first < 0) throw new InputError(`${file}: no records`);
    const line = text.replace(/^\uFEFF/, "").split(/\r?\n/)[first];
    let value: unknown;
    try { value = JSON.parse(line); } catch (e) { throw new InputError(`${file}:${first + 1}: not a JSON object (${(e as Error).message.split("\n")[0]})`); }
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new InputError(`${file}:${first + 1}: a line must be one JSON object`);
    return Object.keys(value);
  }
  // only the header is needed: parse the first record alone (a quoted header may span lines, rarely)
  const end = text.indexOf("\n");
  const head = csvRecords(end < 0 ? text : text.slice(0, end + 1), file, { delimiter: format === "tsv" ? "\t" : "," });
  if (!head.length) throw new InputError(`${file}: empty; it needs a header row with "text" and "label" columns`);
  return head[0].cells;
}

function counted(values: Iterable<string>, order: string[]): NameCount[] {
  const n = new Map<string, number>(order.map((k) => [k, 0]));
  for (const v of values) n.set(v, (n.get(v) ?? 0) + 1);
  return order.map((name) => ({ name, count: n.get(name)! }));
}

function lengths(ls: number[]): LabelledPreview["length"] {
  return { min: Math.min(...ls), max: Math.max(...ls), mean: ls.reduce((a, b) => a + b, 0) / ls.length };
}

/**
 * The preview of `text` (the file's contents) for a task. For classification without columns given,
 * the defaults `text` and `label` are used when the file has both; otherwise the result names the
 * columns and leaves textColumn/labelColumn null, with no labels, for the caller to ask.
 */
export function previewLabelledText(text: string, file: string, task: TextTaskName, options: { textColumn?: string; labelColumn?: string; format?: LabelledFormat } = {}): LabelledPreview {
  const format = options.format ?? formatFromName(file, task);
  if (task === "classify") {
    if (format !== "csv" && format !== "tsv" && format !== "jsonl") throw new InputError(`${file}: a classifier reads .csv, .tsv or .jsonl, not ${format}`);
    const columns = columnsOf(text, file, format);
    const textColumn = options.textColumn ?? (columns.includes("text") ? "text" : null);
    const labelColumn = options.labelColumn ?? (columns.includes("label") ? "label" : null);
    if (textColumn === null || labelColumn === null) return { task, format, columns, textColumn, labelColumn, records: 0, length: { min: 0, max: 0, mean: 0 }, labels: [] };
    const data = parseClassificationData(text, file, { format, textColumn, labelColumn });
    return {
      task, format, columns, textColumn, labelColumn, records: data.records.length,
      length: lengths(data.records.map((r) => Array.from(r.text).length)), labels: counted(data.records.map((r) => r.label), data.classes),
    };
  }
  const tagFormat = task === "segment" ? "segmented" : format;
  if (tagFormat !== "jsonl" && tagFormat !== "conll" && tagFormat !== "segmented") throw new InputError(`${file}: a tagger reads .jsonl or .conll/.bio, not ${format}`);
  const data = parseTaggingData(text, file, tagFormat);
  return {
    task, format: tagFormat, columns: [], textColumn: null, labelColumn: null, records: data.records.length,
    length: lengths(data.records.map((r) => r.chars.length)), labels: counted(data.records.flatMap((r) => r.tags), data.tags),
  };
}
