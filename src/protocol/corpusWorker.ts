// Messages between the extension host and the corpus worker (dist/corpusWorker.js), which does the
// work over a whole training text off the host's thread: its vocabulary (up to 20 M characters),
// its length in code points and its hash, and writing the new model's folder. Requests carry an id
// (messageChannel.ts's wire format); each gets one reply.

import type { ModelSpec } from "../engine/model/modelSpec";
import type { LabelledPreview, TextTaskName } from "../engine/tasks/labelledPreview";
import { requestFields } from "./messageChannel";

export type CorpusRequest =
  | { type: "vocabularySize"; id: number; text: string; cap: number }
  | { type: "createModel"; id: number; root: string; name: string; spec: Omit<ModelSpec, "vocabSize">; cap: number; text: string; files: string[] }
  /** A labelled data file's columns, classes or tags with their counts (engine/tasks/labelledPreview.ts); the worker reads the file. */
  | { type: "labelledPreview"; id: number; file: string; task: TextTaskName; textColumn?: string; labelColumn?: string };

export type CorpusRequestBody = CorpusRequest extends infer R ? R extends { id: number } ? Omit<R, "id"> : never : never;

export type CorpusResult =
  | { type: "vocabularySize"; size: number; chars: number }
  | { type: "createModel"; modelDir: string; spec: ModelSpec }
  | { type: "labelledPreview"; preview: LabelledPreview };

export type CorpusReply = { id: number; ok: true; result: CorpusResult } | { id: number; ok: false; message: string };

const str = (v: unknown) => typeof v === "string";
const int = (v: unknown) => typeof v === "number" && Number.isInteger(v);
const num = (v: unknown) => typeof v === "number" && Number.isFinite(v);
const TASKS: TextTaskName[] = ["classify", "tag", "segment"];

function isLabelledPreview(v: unknown): v is LabelledPreview {
  if (typeof v !== "object" || v === null) return false;
  const p = v as Record<string, unknown>, len = p.length as Record<string, unknown> | null;
  return TASKS.includes(p.task as TextTaskName) && str(p.format) && Array.isArray(p.columns) && p.columns.every(str)
    && (p.textColumn === null || str(p.textColumn)) && (p.labelColumn === null || str(p.labelColumn)) && int(p.records)
    && typeof len === "object" && len !== null && num(len.min) && num(len.max) && num(len.mean)
    && Array.isArray(p.labels) && p.labels.every((l) => typeof l === "object" && l !== null && str((l as Record<string, unknown>).name) && int((l as Record<string, unknown>).count));
}

/** The worker checks every request before acting on it (the spec itself is validated by the engine). */
export function isCorpusRequest(m: unknown): m is CorpusRequest {
  const r = requestFields(m);
  if (!r) return false;
  switch (r.type) {
    case "vocabularySize": return str(r.text) && int(r.cap);
    case "createModel": return str(r.root) && str(r.name) && typeof r.spec === "object" && r.spec !== null && int(r.cap) && str(r.text) && Array.isArray(r.files) && r.files.every(str);
    case "labelledPreview": return str(r.file) && TASKS.includes(r.task as TextTaskName) && (r.textColumn === undefined || str(r.textColumn)) && (r.labelColumn === undefined || str(r.labelColumn));
    default: return false;
  }
}

/** The host checks every reply before acting on it. */
export function isCorpusReply(m: unknown): m is CorpusReply {
  if (typeof m !== "object" || m === null) return false;
  const r = m as Record<string, unknown>;
  if (!int(r.id)) return false;
  if (r.ok === false) return str(r.message);
  const x = r.result as Record<string, unknown> | null;
  if (r.ok !== true || typeof x !== "object" || x === null) return false;
  switch (x.type) {
    case "vocabularySize": return int(x.size) && int(x.chars);
    case "createModel": return str(x.modelDir) && typeof x.spec === "object" && x.spec !== null;
    case "labelledPreview": return isLabelledPreview(x.preview);
    default: return false;
  }
}
