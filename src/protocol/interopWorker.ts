// Messages between the extension host and the import/export worker (dist/interopWorker.js).

import type { ExportFormat } from "../engine/modelExport";
import type { CellType, ModelSpec, Nonlinearity } from "../engine/modelSpec";

// One request, one reply, without ids (messageChannel.ts's event style).

export type InteropRequest =
  | { type: "inspect"; weights: string; vocab: string; map: string[]; nonlinearity: Nonlinearity; cell?: CellType }
  | { type: "import"; weights: string; vocab: string; map: string[]; nonlinearity: Nonlinearity; cell?: CellType; out: string }
  | { type: "export"; checkpoint: string; format: ExportFormat; out: string; force: boolean };

export type InteropReply =
  | { type: "inspected"; summary: string; spec: ModelSpec }
  | { type: "imported"; out: string; summary: string }
  | { type: "exported"; out: string; bytes: number; files: string[]; data: string[] | null }
  | { type: "error"; message: string };

/** The host checks every reply before acting on it. */
export function isInteropReply(m: unknown): m is InteropReply {
  if (typeof m !== "object" || m === null) return false;
  const r = m as Record<string, unknown>;
  switch (r.type) {
    case "inspected": return typeof r.summary === "string" && typeof r.spec === "object" && r.spec !== null;
    case "imported": return typeof r.out === "string" && typeof r.summary === "string";
    case "exported": return typeof r.out === "string" && typeof r.bytes === "number" && Array.isArray(r.files);
    case "error": return typeof r.message === "string";
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
    case "export": return str(r.checkpoint) && str(r.format) && str(r.out) && typeof r.force === "boolean";
    default: return false;
  }
}
