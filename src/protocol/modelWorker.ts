// Messages between the extension host and the model worker (dist/modelWorker.js), which holds the
// active model for hovers, surprisal highlighting, file losses and sampling. Requests carry an id;
// each gets exactly one reply with the same id (the wire format of messageChannel.ts). Document text
// travels only when its version changed.

import type { ModelSpec } from "../engine/model/modelSpec";
import type { Prediction } from "../engine/insight/textPredictor";
import { requestFields } from "./messageChannel";

export interface DocumentText { doc: string; version: number; text: string; changedFrom?: number }

export type ModelRequest =
  | { type: "load"; id: number; checkpoint: string; contextChars: number }
  | { type: "predict"; id: number; doc: string; version: number; offset: number; k: number; text?: DocumentText }
  | { type: "surprisal"; id: number; doc: string; version: number; start: number; end: number; text?: DocumentText }
  | { type: "fileLoss"; id: number; text: string }
  | { type: "sample"; id: number; prime: string; length: number; temperature: number; topK: number; topP: number; seed: number }
  | { type: "forget"; id: number; doc: string };

/** A request before the client numbers it. */
export type ModelRequestBody = ModelRequest extends infer R ? R extends { id: number } ? Omit<R, "id"> : never : never;

export interface LoadedModel { checkpoint: string; spec: ModelSpec; params: number; step: number | null; valLoss: number | null }

export type ModelResult =
  | { type: "load"; model: LoadedModel }
  | { type: "predict"; prediction: Prediction }
  | { type: "surprisal"; start: number; bits: Float32Array }
  | { type: "fileLoss"; loss: number; predicted: number; characters?: number; unknown?: number }
  | { type: "sample"; text: string }
  | { type: "forget" };

export type ModelReply =
  | { id: number; ok: true; result: ModelResult }
  /** `stale`: the worker holds a newer or different text than the request assumed; ask again with the text. */
  | { id: number; ok: false; message: string; stale?: boolean; template?: string; args?: (string | number)[] };

/** The host checks every reply before acting on it. */
export function isModelReply(m: unknown): m is ModelReply {
  if (typeof m !== "object" || m === null) return false;
  const r = m as Record<string, unknown>;
  if (typeof r.id !== "number") return false;
  if (r.ok === false) return typeof r.message === "string";
  if (r.ok !== true || typeof r.result !== "object" || r.result === null) return false;
  const x = r.result as Record<string, unknown>;
  switch (x.type) {
    case "load": return typeof x.model === "object" && x.model !== null;
    case "predict": return typeof x.prediction === "object" && x.prediction !== null && Array.isArray((x.prediction as Prediction).top);
    case "surprisal": return typeof x.start === "number" && x.bits instanceof Float32Array;
    case "fileLoss": return typeof x.loss === "number" && typeof x.predicted === "number";
    case "sample": return typeof x.text === "string";
    case "forget": return true;
    default: return false;
  }
}

const num = (v: unknown) => typeof v === "number" && Number.isFinite(v);
const str = (v: unknown) => typeof v === "string";

function isDocumentText(v: unknown): v is DocumentText {
  if (typeof v !== "object" || v === null) return false;
  const t = v as Record<string, unknown>;
  return str(t.doc) && num(t.version) && str(t.text) && (t.changedFrom === undefined || num(t.changedFrom));
}

/** The worker checks every request before acting on it. */
export function isModelRequest(m: unknown): m is ModelRequest {
  const r = requestFields(m);
  if (!r) return false;
  const text = r.text === undefined || isDocumentText(r.text);
  switch (r.type) {
    case "load": return str(r.checkpoint) && num(r.contextChars);
    case "predict": return str(r.doc) && num(r.version) && num(r.offset) && num(r.k) && text;
    case "surprisal": return str(r.doc) && num(r.version) && num(r.start) && num(r.end) && text;
    case "fileLoss": return str(r.text);
    case "sample": return str(r.prime) && num(r.length) && num(r.temperature) && num(r.topK) && num(r.topP) && num(r.seed);
    case "forget": return str(r.doc);
    default: return false;
  }
}
