// Messages between the extension host and the import/export worker (dist/interopWorker.js).

import type { ExportFormat } from "../engine/interop/modelExport";
import type { CellType, ModelSpec, Nonlinearity } from "../engine/model/modelSpec";
import type { OutputRefusal } from "../engine/files/outputFile";

// One request, one reply, without ids (messageChannel.ts's event style).

export type InteropRequest =
  | { type: "inspect"; weights: string; vocab: string; map: string[]; nonlinearity: Nonlinearity; cell?: CellType }
  | { type: "import"; weights: string; vocab: string; map: string[]; nonlinearity: Nonlinearity; cell?: CellType; out: string }
  | { type: "export"; checkpoint: string; format: ExportFormat; out: string; force: boolean; corpusBase?: string };

export type InteropReply =
  | { type: "inspected"; summary: string; spec: ModelSpec }
  | { type: "imported"; out: string; summary: string }
  | { type: "exported"; out: string; bytes: number; files: string[]; data: string[] | null }
  /** `refusal`: the output was refused (outputFile.ts), so the host can say why in the user's language. */
  | { type: "error"; message: string; refusal?: OutputRefusal };

const REFUSALS = ["input", "not-regular", "holds-input", "exists", "unwritable"];

function isRefusal(r: unknown): r is OutputRefusal {
  if (typeof r !== "object" || r === null) return false;
  const o = r as Record<string, unknown>;
  if (!REFUSALS.includes(o.reason as string) || typeof o.out !== "string") return false;
  if (o.reason === "input" || o.reason === "holds-input") return typeof o.input === "string";
  if (o.reason === "unwritable") return typeof o.code === "string";
  return true;
}

/** The host checks every reply before acting on it. */
export function isInteropReply(m: unknown): m is InteropReply {
  if (typeof m !== "object" || m === null) return false;
  const r = m as Record<string, unknown>;
  switch (r.type) {
    case "inspected": return typeof r.summary === "string" && typeof r.spec === "object" && r.spec !== null;
    case "imported": return typeof r.out === "string" && typeof r.summary === "string";
    case "exported": return typeof r.out === "string" && typeof r.bytes === "number" && Array.isArray(r.files);
    case "error": return typeof r.message === "string" && (r.refusal === undefined || isRefusal(r.refusal));
    default: return false;
  }
}

/** The worker checks every request before acting on it. */
export function isInteropRequest(m: unknown): m is InteropRequest {
  if (typeof m !== "object" || m === null) return false;
  const r = m as Record<string, unknown>;
  const str = (v: unknown) => typeof v === "string";
  switch (r.type) {
    case "inspect": case "import":
      return str(r.weights) && str(r.vocab) && Array.isArray(r.map) && r.map.every(str) && str(r.nonlinearity) && (r.cell === undefined || str(r.cell)) && (r.type === "inspect" || str(r.out));
    case "export": return str(r.checkpoint) && str(r.format) && str(r.out) && typeof r.force === "boolean" && (r.corpusBase === undefined || str(r.corpusBase));
    default: return false;
  }
}
