// Hover latency: what a person moving the mouse over a 100 KB text file waits for, through the
// model worker and its message protocol exactly as the extension uses them (LSTM 1×256). Sweeps
// along 60 random lines, character by character; the first hover of each line is a cold start
// (between W and 2W characters to read). The reference in the same run: the same predictions with
// no state cache, reading the whole context every time.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { encodeCheckpoint } from "../../src/engine/files/checkpoint";
import { writeFileAtomic } from "../../src/engine/files/checkpointFile";
import { Core } from "../../src/engine/core/core";
import { initialiseParameters } from "../../src/engine/model/initialise";
import { ModelSpec, coreShape } from "../../src/engine/model/modelSpec";
import { TextPredictor } from "../../src/engine/insight/textPredictor";
import { ModelReply, ModelRequestBody, isModelReply } from "../../src/protocol/modelWorker";
import { tmpdir } from "node:os";

const root = join(__dirname, "..");

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export async function hoverBenchmark(): Promise<void> {
  const text = readFileSync(join(root, "media", "corpus", "tinyshakespeare.txt"), "utf8").slice(0, 100_000);
  const { vocab } = CharVocabulary.fromText(text);
  const spec: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 1, hidden: 256, embed: 0, vocabSize: vocab.size, peephole: false, coupled: false, residual: false };
  const core = new Core(coreShape(spec));
  initialiseParameters(core, spec, "scaled", 1, 1);
  const model = { spec, vocab: vocab as CharVocabulary, params: Float32Array.from(core.params()), training: null };
  const checkpoint = join(tmpdir(), `rnnlab-hover-bench-${process.pid}.safetensors`);
  writeFileAtomic(checkpoint, encodeCheckpoint(model));

  const worker = new Worker(join(root, "dist", "modelWorker.js"));
  let nextId = 1;
  const ask = (r: ModelRequestBody) => new Promise<ModelReply>((resolve) => {
    const id = nextId++;
    const on = (m: unknown) => { if (isModelReply(m) && m.id === id) { worker.off("message", on); resolve(m); } };
    worker.on("message", on);
    worker.postMessage({ ...r, id });
  });
  const loaded = await ask({ type: "load", checkpoint, contextChars: 256 });
  if (!loaded.ok) throw new Error(loaded.message);
  const first = await ask({ type: "predict", doc: "doc", version: 1, offset: 0, k: 5, text: { doc: "doc", version: 1, text } });
  if (!first.ok) throw new Error(first.message);

  // 60 lines spread over the document, fixed seed
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") lineStarts.push(i + 1);
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const lines: [number, number][] = [];
  while (lines.length < 60) {
    const k = Math.floor(rand() * (lineStarts.length - 1));
    const s = lineStarts[k], e = lineStarts[k + 1] - 1;
    if (e - s >= 10) lines.push([s, e]);
  }
  const all: number[] = [], cold: number[] = [];
  for (const [s, e] of lines) {
    for (let p = s; p <= e; p++) {
      const t0 = performance.now();
      const r = await ask({ type: "predict", doc: "doc", version: 1, offset: p, k: 5 });
      const ms = performance.now() - t0;
      if (!r.ok) throw new Error(r.message);
      all.push(ms);
      if (p === s) cold.push(ms);
    }
  }
  // surprisal of a screenful (50 lines) and the loss of the whole file
  const t1 = performance.now();
  await ask({ type: "surprisal", doc: "doc", version: 1, start: 50_000, end: 52_000 });
  const screenful = performance.now() - t1;
  const t2 = performance.now();
  await ask({ type: "fileLoss", text });
  const fileLoss = performance.now() - t2;
  await worker.terminate();

  // the reference: the same hovers with no cache (a fresh read of the context each time), in this thread
  const plain = new TextPredictor(model, 256);
  const uncached: number[] = [];
  for (const [s, e] of lines.slice(0, 10)) {
    for (let p = s; p <= e; p++) {
      plain.setText("doc", 1, text); // drops every cached state
      const t0 = performance.now();
      plain.predict("doc", p, 5);
      uncached.push(performance.now() - t0);
    }
  }
  all.sort((a, b) => a - b);
  cold.sort((a, b) => a - b);
  uncached.sort((a, b) => a - b);
  const f = (x: number) => x.toFixed(2);
  process.stdout.write(`\nhover latency, LSTM 1×256, 100 KB document, ${all.length} hovers along ${lines.length} lines (through the model worker):\n`);
  process.stdout.write(`| | median ms | p95 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|\n`);
  process.stdout.write(`| all hovers | ${f(percentile(all, 0.5))} | **${f(percentile(all, 0.95))}** (target < 10) | ${f(percentile(all, 0.99))} | ${f(all[all.length - 1])} |\n`);
  process.stdout.write(`| first hover of a line (cold) | ${f(percentile(cold, 0.5))} | ${f(percentile(cold, 0.95))} | – | ${f(cold[cold.length - 1])} |\n`);
  process.stdout.write(`| reference: no state cache, same thread | ${f(percentile(uncached, 0.5))} | ${f(percentile(uncached, 0.95))} | – | ${f(uncached[uncached.length - 1])} |\n`);
  process.stdout.write(`p95 with the cache is ${(percentile(uncached, 0.95) / percentile(all, 0.95)).toFixed(1)}× lower than without; surprisal of 2,000 characters ${screenful.toFixed(1)} ms; mean loss of the 100 KB file ${fileLoss.toFixed(0)} ms\n`);
}
