// Messages between the extension host and the text-task worker (dist/textTaskWorker.js), which
// loads a classifier, tagger or segmenter checkpoint and runs it off the host's thread: what the
// checkpoint is, predictions for a labelled file's records or for lines of any open document, and
// the classification report of a labelled file. Requests carry an id; each gets one reply.

import type { ClassificationReportData } from "../engine/insight/classificationReportData";
import { requestFields } from "./messageChannel";
import { AttributionResult, ClassPredictions, TagPredictions, isAttributionResult, isClassPredictions, isTagPredictions } from "./textPredictions";

export type TextTaskKindName = "classify" | "tag" | "segment";

export type TextTaskRequest =
  | { type: "describe"; id: number; checkpoint: string }
  /** every record of a labelled file (classification: CSV/TSV/JSONL, with its labels where it has them) */
  | { type: "predictFile"; id: number; checkpoint: string; file: string; textColumn?: string; labelColumn?: string }
  /** stretches of an open document: its 1-based line, the UTF-16 column the text starts at, the text */
  | { type: "predictLines"; id: number; checkpoint: string; lines: { line: number; column: number; text: string }[] }
  | { type: "report"; id: number; checkpoint: string; file: string; title: string; textColumn?: string; labelColumn?: string }
  /** why a classifier gives its class to `text`: gradient × input and integrated gradients in `steps` steps */
  | { type: "explain"; id: number; checkpoint: string; text: string; steps: number };

export type TextTaskRequestBody = TextTaskRequest extends infer R ? R extends { id: number } ? Omit<R, "id"> : never : never;

export type TextTaskResult =
  | { type: "describe"; kind: TextTaskKindName; names: string[]; description: string }
  | { type: "predictions"; predictions: ClassPredictions | TagPredictions }
  | { type: "report"; report: ClassificationReportData }
  | { type: "explain"; attribution: AttributionResult };

export type TextTaskReply = { id: number; ok: true; result: TextTaskResult } | { id: number; ok: false; message: string; template?: string; args?: (string | number)[] };

/** At most this many stretches in one predictLines request (a screenful of lines, many times over). */
export const MAX_PREDICTED_LINES = 5000;
export const MAX_LINE_CHARS = 4096;

const str = (v: unknown): v is string => typeof v === "string";
const optStr = (v: unknown) => v === undefined || str(v);
const KINDS: TextTaskKindName[] = ["classify", "tag", "segment"];

/** The worker checks every request before acting on it. */
export function isTextTaskRequest(m: unknown): m is TextTaskRequest {
  const r = requestFields(m);
  if (!r || !str(r.checkpoint)) return false;
  switch (r.type) {
    case "describe": return true;
    case "predictFile": return str(r.file) && optStr(r.textColumn) && optStr(r.labelColumn);
    case "predictLines": return Array.isArray(r.lines) && r.lines.length <= MAX_PREDICTED_LINES && r.lines.every((l: Record<string, unknown>) => typeof l === "object" && l !== null
      && Number.isInteger(l.line) && (l.line as number) >= 1 && Number.isInteger(l.column) && (l.column as number) >= 0 && str(l.text) && l.text.length > 0 && l.text.length <= MAX_LINE_CHARS);
    case "report": return str(r.file) && str(r.title) && optStr(r.textColumn) && optStr(r.labelColumn);
    case "explain": return str(r.text) && r.text.length > 0 && r.text.length <= MAX_LINE_CHARS && Number.isInteger(r.steps) && (r.steps as number) >= 1 && (r.steps as number) <= 1024;
    default: return false;
  }
}

function isReport(v: unknown): v is ClassificationReportData {
  const x = v as Record<string, unknown> | null;
  if (typeof x !== "object" || x === null || !Array.isArray(x.classes) || !Array.isArray(x.confusion) || !Array.isArray(x.records) || !Array.isArray(x.perClass)) return false;
  const k = x.classes.length;
  return str(x.title) && str(x.file) && x.perClass.length === k && x.confusion.length === k && x.confusion.every((row) => Array.isArray(row) && row.length === k && row.every((n) => Number.isInteger(n) && n >= 0))
    && x.records.every((r: Record<string, unknown>) => typeof r === "object" && r !== null && Number.isInteger(r.line) && str(r.text) && Number.isInteger(r.truth) && (r.truth as number) < k && Number.isInteger(r.predicted) && (r.predicted as number) < k && typeof r.confidence === "number");
}

/** The host checks every reply before acting on it. */
export function isTextTaskReply(m: unknown): m is TextTaskReply {
  if (typeof m !== "object" || m === null) return false;
  const r = m as Record<string, unknown>;
  if (!Number.isInteger(r.id)) return false;
  if (r.ok === false) return str(r.message);
  const x = r.result as Record<string, unknown> | null;
  if (r.ok !== true || typeof x !== "object" || x === null) return false;
  switch (x.type) {
    case "describe": return KINDS.includes(x.kind as TextTaskKindName) && Array.isArray(x.names) && x.names.every(str) && str(x.description);
    case "predictions": return isClassPredictions(x.predictions) || isTagPredictions(x.predictions);
    case "report": return isReport(x.report);
    case "explain": return isAttributionResult(x.attribution);
    default: return false;
  }
}
