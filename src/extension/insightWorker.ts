// One panel's heavy work off the extension host's thread: reading activations along a text, the
// gradient flow through time, and generation streamed in chunks (between chunks the worker reads
// its messages, so a "cancel" stops a long generation).

import { parentPort } from "node:worker_threads";
import { translatableOf } from "../engine/inputError";
import { statSync } from "node:fs";
import { recordActivations } from "../engine/activations";
import { Model, paramCount } from "../engine/checkpoint";
import { loadCheckpoint } from "../engine/checkpointFile";
import { clippingEffect, gradientFlow } from "../engine/gradientFlow";
import { Sampler } from "../engine/sampler";
import type { InsightReply, InsightRequest } from "../protocol/insightWorker";
import type { LoadedModel } from "../protocol/modelWorker";

const port = parentPort;
if (!port) throw new Error("insightWorker runs only as a worker thread");

const models = new Map<string, { mtimeMs: number; model: Model }>();
const cancelled = new Set<number>();

/** A checkpoint read once and again only when its file changes (a training run rewrites best.safetensors). */
function load(checkpoint: string): { model: Model; info: LoadedModel } {
  const mtimeMs = statSync(checkpoint).mtimeMs;
  let entry = models.get(checkpoint);
  if (!entry || entry.mtimeMs !== mtimeMs) {
    entry = { mtimeMs, model: loadCheckpoint(checkpoint) };
    models.set(checkpoint, entry);
  }
  const m = entry.model;
  return { model: m, info: { checkpoint, spec: m.spec, params: paramCount(m.spec), step: m.training?.step ?? null, valLoss: m.training?.bestValLoss ?? null } };
}

const send = (r: InsightReply, transfer: ArrayBuffer[] = []) => port.postMessage(r, transfer);

function fail(id: number, e: unknown): void {
  send({ id, ok: false, message: e instanceof Error ? e.message : String(e), ...translatableOf(e) });
}

const CHUNK_CHARS = 16;

/** Generates `length` characters in chunks, yielding to the message loop between them. */
function generate(r: Extract<InsightRequest, { type: "generate" }>): void {
  const { model, info } = load(r.checkpoint);
  const sampler = new Sampler(model, r.seed);
  if (r.prime) sampler.prime(r.prime);
  const k = r.alternatives, options = { temperature: r.temperature, topK: r.topK, topP: r.topP };
  let made = 0;
  const next = () => {
    try {
      if (cancelled.delete(r.id)) return send({ id: r.id, ok: true, result: { type: "generate", model: info, vocab: model.vocab.chars, stopped: true } });
      const n = Math.min(CHUNK_CHARS, r.length - made);
      const chunk = { chars: [] as string[], probs: new Float32Array(n), alternatives: new Int32Array(n * k).fill(-1), alternativeProbs: new Float32Array(n * k) };
      for (let j = 0; j < n; j++) {
        const c = sampler.next(options, k);
        chunk.chars.push(c.char);
        chunk.probs[j] = c.probability;
        c.alternatives?.forEach((a, q) => { chunk.alternatives[j * k + q] = a.index; chunk.alternativeProbs[j * k + q] = a.probability; });
      }
      made += n;
      send({ id: r.id, partial: chunk }, [chunk.probs.buffer, chunk.alternatives.buffer, chunk.alternativeProbs.buffer]);
      if (made < r.length) setImmediate(next);
      else send({ id: r.id, ok: true, result: { type: "generate", model: info, vocab: model.vocab.chars, stopped: false } });
    } catch (e) {
      fail(r.id, e);
    }
  };
  next();
}

port.on("message", (r: InsightRequest) => {
  try {
    switch (r.type) {
      case "cancel":
        cancelled.add(r.id);
        return;
      case "activations": {
        const { model, info } = load(r.checkpoint);
        const activations = recordActivations(model, r.text);
        return send({ id: r.id, ok: true, result: { type: "activations", model: info, activations } }, activations.perLayer.flatMap((l) => l.values.map((v) => v.buffer as ArrayBuffer)));
      }
      case "gradientFlow": {
        const loaded = r.checkpoints.map(load);
        const flows = loaded.map(({ model }) => gradientFlow(model, r.text, r.window));
        const clipping = clippingEffect(loaded[0].model, r.text, r.clip);
        return send({ id: r.id, ok: true, result: { type: "gradientFlow", models: loaded.map((l) => l.info), flows, clipping } });
      }
      case "generate":
        return generate(r);
      case "describe": {
        const { model, info } = load(r.checkpoint);
        return send({ id: r.id, ok: true, result: { type: "describe", model: info, vocab: model.vocab.chars } });
      }
      default:
        return fail((r as { id: number }).id, `unknown request ${JSON.stringify((r as { type: unknown }).type)}`);
    }
  } catch (e) {
    fail(r.id, e);
  }
});
