// Messages between the extension host and the corpus worker (dist/corpusWorker.js), which does the
// work over a whole training text off the host's thread: its vocabulary (up to 20 M characters),
// its length in code points and its hash, and writing the new model's folder. Requests carry an id
// (messageChannel.ts's wire format); each gets one reply.

import type { ModelSpec } from "../engine/model/modelSpec";
import { requestFields } from "./messageChannel";

export type CorpusRequest =
  | { type: "vocabularySize"; id: number; text: string; cap: number }
  | { type: "createModel"; id: number; root: string; name: string; spec: Omit<ModelSpec, "vocabSize">; cap: number; text: string; files: string[] };

export type CorpusRequestBody = CorpusRequest extends infer R ? R extends { id: number } ? Omit<R, "id"> : never : never;

export type CorpusResult =
  | { type: "vocabularySize"; size: number; chars: number }
  | { type: "createModel"; modelDir: string; spec: ModelSpec };

export type CorpusReply = { id: number; ok: true; result: CorpusResult } | { id: number; ok: false; message: string };

const str = (v: unknown) => typeof v === "string";
const int = (v: unknown) => typeof v === "number" && Number.isInteger(v);

/** The worker checks every request before acting on it (the spec itself is validated by the engine). */
export function isCorpusRequest(m: unknown): m is CorpusRequest {
  const r = requestFields(m);
  if (!r) return false;
  switch (r.type) {
    case "vocabularySize": return str(r.text) && int(r.cap);
    case "createModel": return str(r.root) && str(r.name) && typeof r.spec === "object" && r.spec !== null && int(r.cap) && str(r.text) && Array.isArray(r.files) && r.files.every(str);
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
    default: return false;
  }
}
