// Messages between the extension host and an insight worker (dist/insightWorker.js): the heavy
// work of one webview panel (activations, gradient flow, streamed generation). Each panel owns one
// worker; closing the panel ends it. Requests carry an id; a generation answers with any number of
// partial replies before its final one, and stops early on a "cancel" with its id.

import type { Activations } from "../engine/insight/activations";
import type { ClippingEffect, GradientFlow } from "../engine/insight/gradientFlow";
import type { RunHistograms } from "../engine/insight/histograms";
import type { LoadedModel } from "./modelWorker";
import { requestFields } from "./messageChannel";

export type InsightRequest =
  | { type: "activations"; id: number; checkpoint: string; text: string }
  | { type: "gradientFlow"; id: number; checkpoints: string[]; text: string; window: number; clip: number }
  | { type: "generate"; id: number; checkpoint: string; prime: string; length: number; temperature: number; topK: number; topP: number; seed: number; alternatives: number }
  | { type: "describe"; id: number; checkpoint: string }
  /** Weight, gradient and activation histograms at each checkpoint of a run; `text`: the corpus stretch the gradients and states are read on. */
  | { type: "histograms"; id: number; checkpoints: { step: number; path: string }[]; text: string }
  | { type: "cancel"; id: number };

export type InsightRequestBody = InsightRequest extends infer R ? R extends { id: number } ? Omit<R, "id"> : never : never;

export interface GeneratedChunk {
  chars: string[];
  probs: Float32Array; // the probability each was drawn with
  alternatives: Int32Array; // [chars, k] vocabulary indices, likeliest first (−1: fewer than k)
  alternativeProbs: Float32Array; // [chars, k]
}

export type InsightResult =
  | { type: "activations"; model: LoadedModel; activations: Activations }
  | { type: "gradientFlow"; models: LoadedModel[]; flows: GradientFlow[]; clipping: ClippingEffect }
  | { type: "generate"; model: LoadedModel; vocab: string[]; stopped: boolean }
  | { type: "describe"; model: LoadedModel; vocab: string[] }
  | { type: "histograms"; histograms: RunHistograms };

export type InsightReply =
  | { id: number; ok: true; result: InsightResult }
  | { id: number; partial: GeneratedChunk }
  | { id: number; ok: false; message: string; template?: string; args?: (string | number)[] }; // template/args: an engine message to translate (errorText.ts)

export function isInsightReply(m: unknown): m is InsightReply {
  if (typeof m !== "object" || m === null) return false;
  const r = m as Record<string, unknown>;
  if (typeof r.id !== "number") return false;
  if ("partial" in r) {
    const p = r.partial as Record<string, unknown> | null;
    return !!p && Array.isArray(p.chars) && p.probs instanceof Float32Array && p.alternatives instanceof Int32Array && p.alternativeProbs instanceof Float32Array;
  }
  if (r.ok === false) return typeof r.message === "string";
  const x = r.result as Record<string, unknown> | null;
  if (r.ok !== true || !x) return false;
  switch (x.type) {
    case "activations": return typeof x.activations === "object" && x.activations !== null;
    case "gradientFlow": return Array.isArray(x.flows) && Array.isArray(x.models);
    case "generate": return Array.isArray(x.vocab) && typeof x.stopped === "boolean";
    case "describe": return Array.isArray(x.vocab) && typeof x.model === "object";
    case "histograms": return typeof x.histograms === "object" && x.histograms !== null && Array.isArray((x.histograms as { series?: unknown }).series);
    default: return false;
  }
}

const num = (v: unknown) => typeof v === "number" && Number.isFinite(v);
const str = (v: unknown) => typeof v === "string";

/** The worker checks every request before acting on it. */
export function isInsightRequest(m: unknown): m is InsightRequest {
  const r = requestFields(m);
  if (!r) return false;
  switch (r.type) {
    case "activations": return str(r.checkpoint) && str(r.text);
    case "gradientFlow": return Array.isArray(r.checkpoints) && r.checkpoints.length > 0 && r.checkpoints.every(str) && str(r.text) && num(r.window) && num(r.clip);
    case "generate": return str(r.checkpoint) && str(r.prime) && [r.length, r.temperature, r.topK, r.topP, r.seed, r.alternatives].every(num);
    case "describe": return str(r.checkpoint);
    case "histograms": return Array.isArray(r.checkpoints) && r.checkpoints.every((c) => typeof c === "object" && c !== null && num((c as { step: unknown }).step) && str((c as { path: unknown }).path)) && str(r.text);
    case "cancel": return true;
    default: return false;
  }
}
