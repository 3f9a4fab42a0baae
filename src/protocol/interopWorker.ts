// Messages between the extension host and the import/export worker (dist/interopWorker.js).

import type { ExportFormat } from "../engine/modelExport";
import type { ModelSpec, Nonlinearity } from "../engine/modelSpec";

export type InteropRequest =
  | { type: "inspect"; weights: string; vocab: string; map: string[]; nonlinearity: Nonlinearity }
  | { type: "import"; weights: string; vocab: string; map: string[]; nonlinearity: Nonlinearity; out: string }
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
