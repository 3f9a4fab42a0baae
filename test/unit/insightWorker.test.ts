// The worker behind the panels (dist/insightWorker.js), driven as a panel's client drives it:
// activations as typed arrays, gradient flow for several checkpoints, generation streamed in
// chunks that equals the sampler's own text for the seed, cancelled mid-way, and errors as replies.

import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { saveCheckpoint } from "../../src/engine/files/checkpointFile";
import { Core } from "../../src/engine/core/core";
import { initialiseParameters } from "../../src/engine/model/initialise";
import { ModelSpec, coreShape } from "../../src/engine/model/modelSpec";
import { runHistograms } from "../../src/engine/insight/histograms";
import { Sampler } from "../../src/engine/insight/sampler";
import { GeneratedChunk, InsightReply, isInsightReply } from "../../src/protocol/insightWorker";
import { projectRoot, tempDir } from "../helpers";

const TEXT = "to be or not to be, that is the question\n春眠不觉晓\n".repeat(8);

function checkpoint(cell: ModelSpec["cell"], seed: number): { path: string; model: { spec: ModelSpec; vocab: CharVocabulary; params: Float32Array; training: null } } {
  const { vocab } = CharVocabulary.fromText(TEXT);
  const spec: ModelSpec = { cell, nonlinearity: "tanh", layers: 2, hidden: 12, embed: 0, vocabSize: vocab.size, peephole: false, coupled: false, residual: false };
  const core = new Core(coreShape(spec));
  initialiseParameters(core, spec, "scaled", 1, seed);
  const model = { spec, vocab, params: Float32Array.from(core.params()), training: null };
  const path = join(tempDir(), `${cell}.safetensors`);
  saveCheckpoint(path, model);
  return { path, model };
}

/** Sends requests to one worker; collects every reply by id. */
function session() {
  const worker = new Worker(join(projectRoot, "dist", "insightWorker.js"));
  const replies = new Map<number, InsightReply[]>();
  const waiting = new Map<number, (r: InsightReply) => void>();
  worker.on("message", (m: unknown) => {
    assert.ok(isInsightReply(m), `a well-formed reply: ${JSON.stringify(m)?.slice(0, 200)}`);
    const list = replies.get(m.id) ?? [];
    list.push(m);
    replies.set(m.id, list);
    if (!("partial" in m)) waiting.get(m.id)?.(m);
  });
  return {
    ask: (request: { id: number; [k: string]: unknown }) => new Promise<InsightReply>((resolve) => { waiting.set(request.id, resolve); worker.postMessage(request); }),
    post: (request: unknown) => worker.postMessage(request),
    partials: (id: number) => (replies.get(id) ?? []).filter((r): r is { id: number; partial: GeneratedChunk } => "partial" in r).map((r) => r.partial),
    end: () => worker.terminate(),
  };
}

test("activations come back as one Float32Array per quantity and layer", async (t) => {
  const { path } = checkpoint("lstm", 3);
  const s = session();
  t.after(() => s.end());
  const r = await s.ask({ type: "activations", id: 1, checkpoint: path, text: "to be 春眠" });
  assert.ok("ok" in r && r.ok && r.result.type === "activations");
  const a = r.result.activations;
  assert.equal(a.chars.length, 8);
  assert.equal(a.perLayer.length, 2);
  for (const layer of a.perLayer) for (const v of layer.values) assert.ok(v instanceof Float32Array && v.length === 8 * 12);
});

test("generation streams in chunks whose text is the sampler's for the seed; cancel stops it", async (t) => {
  const { path, model } = checkpoint("gru", 4);
  const s = session();
  t.after(() => s.end());
  const request = { type: "generate", id: 2, checkpoint: path, prime: "to be", length: 100, temperature: 0.9, topK: 0, topP: 1, seed: 77, alternatives: 3 };
  const done = await s.ask(request);
  assert.ok("ok" in done && done.ok && done.result.type === "generate" && !done.result.stopped);
  const chunks = s.partials(2);
  assert.ok(chunks.length > 1, "more than one chunk");
  const text = chunks.flatMap((c) => c.chars).join("");
  const reference = new Sampler(model, 77);
  reference.prime("to be");
  assert.equal(text, reference.generate(100, { temperature: 0.9, topK: 0, topP: 1 }));
  for (const c of chunks) {
    assert.equal(c.alternatives.length, c.chars.length * 3);
    for (let j = 0; j < c.chars.length; j++) assert.ok(c.alternativeProbs[j * 3] >= c.alternativeProbs[j * 3 + 1]);
  }
  const long = s.ask({ ...request, id: 3, length: 100_000 });
  s.post({ type: "cancel", id: 3 });
  const stopped = await long;
  assert.ok("ok" in stopped && stopped.ok && stopped.result.type === "generate" && stopped.result.stopped);
  assert.ok(s.partials(3).flatMap((c) => c.chars).length < 100_000);
});

test("gradient flow for several checkpoints at once, and errors as replies", async (t) => {
  const a = checkpoint("rnn", 5), b = checkpoint("lstm", 6);
  const s = session();
  t.after(() => s.end());
  const r = await s.ask({ type: "gradientFlow", id: 4, checkpoints: [a.path, b.path], text: TEXT, window: 30, clip: 5 });
  assert.ok("ok" in r && r.ok && r.result.type === "gradientFlow");
  assert.equal(r.result.flows.length, 2);
  assert.deepEqual(r.result.models.map((m) => m.spec.cell), ["rnn", "lstm"]);
  assert.equal(r.result.flows[0].norms[1].length, 30);
  const missing = await s.ask({ type: "activations", id: 5, checkpoint: join(tempDir(), "gone.safetensors"), text: "abc" });
  assert.ok("ok" in missing && !missing.ok && /no such file|ENOENT|cannot/i.test(missing.message), JSON.stringify(missing));
  const unknown = await s.ask({ type: "generate.start", id: 6 });
  assert.ok("ok" in unknown && !unknown.ok && /unknown request/.test(unknown.message));
});

test("histograms of a run's checkpoints are computed in the worker, the same as in the engine, as typed arrays", async (t) => {
  const a = checkpoint("gru", 4), b = checkpoint("gru", 5);
  const s = session();
  t.after(() => s.end());
  const r = await s.ask({ type: "histograms", id: 9, checkpoints: [{ step: 20, path: b.path }, { step: 10, path: a.path }], text: TEXT });
  assert.ok("ok" in r && r.ok && r.result.type === "histograms");
  const h = r.result.histograms;
  const expected = runHistograms([{ step: 20, model: b.model }, { step: 10, model: a.model }], TEXT);
  assert.deepEqual(h.steps, [10, 20]);
  assert.equal(h.series.length, expected.series.length);
  for (const [k, series] of h.series.entries()) {
    assert.ok(series.counts instanceof Float32Array && series.edges instanceof Float64Array && series.quantiles instanceof Float32Array);
    assert.deepEqual(series, expected.series[k], series.name);
  }
  const missing = await s.ask({ type: "histograms", id: 10, checkpoints: [{ step: 1, path: join(tempDir(), "gone.safetensors") }], text: TEXT });
  assert.ok("ok" in missing && !missing.ok, "a missing checkpoint is an error reply, not a crash");
});
