// One panel's heavy work off the extension host's thread: reading activations along a text, the
// gradient flow through time, and generation streamed in chunks (between chunks the worker reads
// its messages, so a "cancel" stops a long generation).

import { parentPort } from "node:worker_threads";
import { translatableOf } from "../engine/messages/inputError";
import { statSync } from "node:fs";
import { recordActivations } from "../engine/insight/activations";
import { Model, paramCount } from "../engine/files/checkpoint";
import { loadCheckpoint } from "../engine/files/checkpointFile";
import { clippingEffect, gradientFlow } from "../engine/insight/gradientFlow";
import { runHistograms } from "../engine/insight/histograms";
import { Sampler } from "../engine/insight/sampler";
import { GeneratedChunk, InsightRequest, InsightResult, isInsightRequest } from "../protocol/insightWorker";
import { Replier, buffersOf, serveRequests } from "../protocol/messageChannel";
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

const CHUNK_CHARS = 16;

/** Generates `length` characters in chunks, yielding to the message loop between them. */
function generate(r: Extract<InsightRequest, { type: "generate" }>, reply: Replier<InsightResult, GeneratedChunk>): void {
  const { model, info } = load(r.checkpoint);
  const sampler = new Sampler(model, r.seed);
  if (r.prime) sampler.prime(r.prime);
  const k = r.alternatives, options = { temperature: r.temperature, topK: r.topK, topP: r.topP };
  let made = 0;
  const next = () => {
    try {
      if (cancelled.delete(r.id)) return reply.ok({ type: "generate", model: info, vocab: model.vocab.chars, stopped: true });
      const n = Math.min(CHUNK_CHARS, r.length - made);
      const chunk = { chars: [] as string[], probs: new Float32Array(n), alternatives: new Int32Array(n * k).fill(-1), alternativeProbs: new Float32Array(n * k) };
      for (let j = 0; j < n; j++) {
        const c = sampler.next(options, k);
        chunk.chars.push(c.char);
        chunk.probs[j] = c.probability;
        c.alternatives?.forEach((a, q) => { chunk.alternatives[j * k + q] = a.index; chunk.alternativeProbs[j * k + q] = a.probability; });
      }
      made += n;
      reply.partial(chunk, buffersOf(chunk.probs, chunk.alternatives, chunk.alternativeProbs));
      if (made < r.length) setImmediate(next);
      else reply.ok({ type: "generate", model: info, vocab: model.vocab.chars, stopped: false });
    } catch (e) {
      reply.fail(e instanceof Error ? e.message : String(e), { ...translatableOf(e) });
    }
  };
  next();
}

serveRequests<InsightRequest, InsightResult, GeneratedChunk>(port, isInsightRequest, (r, reply) => {
  try {
    switch (r.type) {
      case "cancel":
        cancelled.add(r.id);
        return; // answered by the generation it stops
      case "activations": {
        const { model, info } = load(r.checkpoint);
        const activations = recordActivations(model, r.text);
        return reply.ok({ type: "activations", model: info, activations }, buffersOf(...activations.perLayer.flatMap((l) => [...l.values, ...(l.reverse ?? [])])));
      }
      case "gradientFlow": {
        const loaded = r.checkpoints.map(load);
        const flows = loaded.map(({ model }) => gradientFlow(model, r.text, r.window));
        const clipping = clippingEffect(loaded[0].model, r.text, r.clip);
        return reply.ok({ type: "gradientFlow", models: loaded.map((l) => l.info), flows, clipping });
      }
      case "generate":
        return generate(r, reply);
      case "describe": {
        const { model, info } = load(r.checkpoint);
        return reply.ok({ type: "describe", model: info, vocab: model.vocab.chars });
      }
      case "histograms": {
        // each checkpoint read once here, not cached: a run's checkpoints together can be large
        const histograms = runHistograms(r.checkpoints.map((c) => ({ step: c.step, model: loadCheckpoint(c.path) })), r.text);
        return reply.ok({ type: "histograms", histograms }, buffersOf(...histograms.series.flatMap((s) => [s.edges, s.counts, s.quantiles])));
      }
    }
  } catch (e) {
    // an engine error made for translation keeps its template and arguments (inputError.ts)
    reply.fail(e instanceof Error ? e.message : String(e), { ...translatableOf(e) });
  }
});
