// Fuzzed checkpoints (issue 13): bit flips, truncations, header edits, data edits and header-only
// files that claim huge models. Each must either load — and then evaluate to finite numbers or be
// refused as overflowing — or be refused with a CheckpointError naming the file, in under 1 s and
// under 200 MB, never a wasm trap or an internal TypeError. Short form ~1,000 cases (npm test);
// RNN_LAB_FAULTS=full runs 10,000+. The huge-claim cases also run in a child process whose peak
// RSS is measured (process.resourceUsage().maxRSS).

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { CheckpointError, Model, decodeCheckpoint, encodeCheckpoint } from "../../src/engine/files/checkpoint";
import { ModelOverflowError, lossOnText } from "../../src/engine/training/evaluate";
import { ModelSpec } from "../../src/engine/model/modelSpec";
import { DEFAULT_TRAIN_OPTIONS } from "../../src/engine/training/trainOptions";
import { Trainer, splitCorpus } from "../../src/engine/training/trainer";
import { mulberry32 } from "../../src/engine/model/seededRandom";

const FULL = process.env.RNN_LAB_FAULTS === "full";
const CASES = FULL ? 10_000 : 1_000;
const CHILD_CASES = FULL ? 600 : 60;
const NAME = "fuzz.safetensors";

/** A seeded generator, so that a failing case can be replayed by its index. */
const rng = mulberry32;

const TEXT = "the quick brown fox jumps over the lazy dog; THE QUICK BROWN FOX!\n".repeat(40);

/** A few real checkpoints to mutate: training state (LSTM with peepholes, GRU with an embedding), weights only (RNN). */
function bases(): Uint8Array[] {
  const { vocab } = CharVocabulary.fromText(TEXT);
  const ids = vocab.encode(TEXT);
  const specs: ModelSpec[] = [
    { cell: "lstm", nonlinearity: "tanh", layers: 2, hidden: 6, embed: 0, vocabSize: vocab.size, peephole: true, coupled: false, residual: true },
    { cell: "gru", nonlinearity: "tanh", layers: 1, hidden: 5, embed: 4, vocabSize: vocab.size, peephole: false, coupled: false, residual: false },
    { cell: "rnn", nonlinearity: "relu", layers: 2, hidden: 4, embed: 0, vocabSize: vocab.size, peephole: false, coupled: false, residual: false },
  ];
  return specs.map((spec, i) => {
    const split = splitCorpus(ids, 0.1);
    const trainer = new Trainer(spec, vocab, split, { ...DEFAULT_TRAIN_OPTIONS, batch: 4, seq: 8 },
      { files: ["t.txt"], sha256: "ab".repeat(32), chars: ids.length, trainChars: split.train.length });
    trainer.trainStep();
    trainer.trainStep();
    const snap: Model = trainer.snapshot();
    trainer.dispose();
    return encodeCheckpoint(i === 2 ? { ...snap, training: null } : snap);
  });
}

function headerOf(bytes: Uint8Array): { json: Record<string, unknown>; dataStart: number } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { json: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))), dataStart: 8 + n };
}

function withHeader(json: unknown, data: Uint8Array): Uint8Array {
  let text = JSON.stringify(json);
  text += " ".repeat((8 - (text.length % 8)) % 8);
  const head = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + head.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  out.set(data, 8 + head.length);
  return out;
}

const WEIRD: unknown[] = [null, -1, 0, 1, 2, 3, 4, 5, 7, 4096, 4097, 65536, 1e9, 2 ** 31, 2 ** 53, -(2 ** 31), 0.5, 1e308, "x", "", "1", [], [1, 2], {}, true, false, "NaN", "Infinity"];

/** Replaces, deletes or adds one value somewhere in a JSON value (objects and arrays, any depth). */
function mutateJson(v: unknown, r: () => number, depth = 0): unknown {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  if (depth > 0 && (v === null || typeof v !== "object" || r() < 0.25)) return r() < 0.5 ? pick(WEIRD) : typeof v === "number" ? v * pick([-1, 2, 1000, 1e6, 0.5]) + pick([0, 1, -1]) : pick(WEIRD);
  if (Array.isArray(v)) {
    if (v.length === 0 || r() < 0.15) return r() < 0.5 ? [...v, pick(WEIRD)] : v.slice(0, Math.floor(r() * v.length));
    const i = Math.floor(r() * v.length);
    const out = [...v];
    out[i] = mutateJson(v[i], r, depth + 1);
    return out;
  }
  if (v !== null && typeof v === "object") {
    const keys = Object.keys(v);
    const out: Record<string, unknown> = { ...(v as Record<string, unknown>) };
    if (keys.length === 0 || r() < 0.1) { out[pick(["extra", "step", "options", "hidden", "chars", "unk"])] = pick(WEIRD); return out; }
    const k = pick(keys);
    if (r() < 0.15) delete out[k];
    else out[k] = mutateJson(out[k], r, depth + 1);
    return out;
  }
  return pick(WEIRD);
}

type Kind = "bitflip" | "header-bitflip" | "truncate" | "extend" | "metadata" | "tensor-entry" | "data" | "huge-claim";
const KINDS: Kind[] = ["bitflip", "header-bitflip", "truncate", "extend", "metadata", "metadata", "tensor-entry", "data", "huge-claim", "huge-claim"];

function hugeClaim(base: Uint8Array, r: () => number): Uint8Array {
  const { json } = headerOf(base);
  const md = { ...(json.__metadata__ as Record<string, string>) };
  const cell = ["lstm", "gru", "rnn"][Math.floor(r() * 3)];
  const layers = 1 + Math.floor(r() * 4);
  const hidden = [512, 1024, 2048, 3000, 4096, 8192, 6000][Math.floor(r() * 7)];
  const embed = r() < 0.5 ? 0 : [16, 1024, 4096][Math.floor(r() * 3)];
  const vocab = JSON.parse(md.vocab);
  md.model = JSON.stringify({ ...JSON.parse(md.model), cell, layers, hidden, embed, peephole: cell === "lstm" && r() < 0.3, coupled: false });
  if (r() < 0.3) delete md.training;
  const out: Record<string, unknown> = { __metadata__: md };
  const GH = hidden * (cell === "lstm" ? 4 : cell === "gru" ? 3 : 1), V = vocab.chars.length;
  const style = Math.floor(r() * 3);
  if (style > 0) {
    // entries for the tensors such a model has, with their true sizes: offsets that run past the
    // end of the file: no data at all (style 1) or a few bytes of it (style 2)
    let off = 0;
    const entry = (name: string, shape: number[]) => {
      const bytes = 4 * shape.reduce((a, b) => a * b, 1);
      out[name] = { dtype: "F32", shape, data_offsets: [off, off + bytes] };
      off += bytes;
    };
    if (embed > 0) entry("embed.weight", [V, embed]);
    for (let l = 0; l < layers; l++) {
      entry(`rnn.weight_ih_l${l}`, [GH, l === 0 ? (embed || V) : hidden]);
      entry(`rnn.weight_hh_l${l}`, [GH, hidden]);
      entry(`rnn.bias_ih_l${l}`, [GH]);
      entry(`rnn.bias_hh_l${l}`, [GH]);
    }
    entry("head.weight", [V, hidden]);
    entry("head.bias", [V]);
    if (style === 2) return withHeader(out, new Uint8Array(Math.floor(r() * 64)));
  }
  return withHeader(out, new Uint8Array(0));
}

function mutate(bases: Uint8Array[], index: number): { kind: Kind; bytes: Uint8Array } {
  const r = rng(0x5eed + index * 7919);
  const base = bases[index % bases.length];
  const kind = KINDS[Math.floor(r() * KINDS.length)];
  const bytes = Uint8Array.from(base);
  const { json, dataStart } = headerOf(base);
  switch (kind) {
    case "bitflip": case "header-bitflip": {
      const span = kind === "bitflip" ? bytes.length : dataStart;
      const flips = 1 + Math.floor(r() * 12);
      for (let k = 0; k < flips; k++) { const i = Math.floor(r() * span); bytes[i] ^= 1 << Math.floor(r() * 8); }
      return { kind, bytes };
    }
    case "truncate": return { kind, bytes: bytes.subarray(0, Math.floor(r() * bytes.length)) };
    case "extend": {
      const extra = new Uint8Array(1 + Math.floor(r() * 300)).map(() => Math.floor(r() * 256));
      const out = new Uint8Array(bytes.length + extra.length);
      out.set(bytes);
      out.set(extra, bytes.length);
      return { kind, bytes: out };
    }
    case "metadata": {
      const md = { ...(json.__metadata__ as Record<string, string>) };
      const key = ["model", "vocab", "training", "training", "format_version", "model"][Math.floor(r() * 6)];
      if (md[key] === undefined || r() < 0.1) md[key] = String(WEIRD[Math.floor(r() * WEIRD.length)]);
      else md[key] = JSON.stringify(mutateJson(JSON.parse(md[key]), r));
      return { kind, bytes: withHeader({ ...json, __metadata__: md }, base.subarray(dataStart)) };
    }
    case "tensor-entry": {
      const names = Object.keys(json).filter((k) => k !== "__metadata__");
      const name = names[Math.floor(r() * names.length)];
      const edited: Record<string, unknown> = { ...json };
      const roll = r();
      if (roll < 0.2) { edited[name + "_renamed"] = edited[name]; delete edited[name]; }
      else if (roll < 0.3) delete edited[name];
      else edited[name] = mutateJson(edited[name], r);
      return { kind, bytes: withHeader(edited, base.subarray(dataStart)) };
    }
    case "data": {
      const view = new DataView(bytes.buffer, bytes.byteOffset);
      const n = 1 + Math.floor(r() * 40);
      const values = [1e30, -1e30, 3e38, -3e38, Infinity, NaN, 1e-45, 65504, 1e10];
      for (let k = 0; k < n; k++) {
        const at = dataStart + 4 * Math.floor(r() * ((bytes.length - dataStart) / 4));
        view.setFloat32(at, values[Math.floor(r() * values.length)], true);
      }
      return { kind, bytes };
    }
    case "huge-claim": return { kind, bytes: hugeClaim(base, r) };
  }
}

interface Outcome { kind: Kind; outcome: "loaded, finite" | "loaded, refused as overflowing" | "refused" | "FAILED"; ms: number; message: string }

function runCase(bytes: Uint8Array, kind: Kind): Outcome {
  const t0 = performance.now();
  let outcome: Outcome["outcome"];
  let message = "";
  try {
    const model = decodeCheckpoint(bytes, NAME);
    const ids = Int32Array.from({ length: 48 }, (_, i) => (i * 31 + 7) % model.spec.vocabSize);
    try {
      const r = lossOnText(model, ids, 16);
      outcome = Number.isFinite(r.loss) && Number.isFinite(r.bitsPerChar) ? "loaded, finite" : "FAILED";
      if (outcome === "FAILED") message = `non-finite loss ${r.loss} returned`;
    } catch (e) {
      outcome = e instanceof ModelOverflowError ? "loaded, refused as overflowing" : "FAILED";
      message = `${(e as Error).constructor.name}: ${(e as Error).message}`;
    }
  } catch (e) {
    message = `${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`;
    const good = e instanceof CheckpointError && e.message.startsWith(`${NAME}: `) && !/Cannot read|undefined|is not a function|RuntimeError|unreachable/.test(e.message);
    outcome = good ? "refused" : "FAILED";
  }
  return { kind, outcome, ms: performance.now() - t0, message };
}

interface Summary { counts: Record<string, number>; byKind: Record<string, Record<string, number>>; worstMs: number; worstKind: string; failures: string[]; worstRssDeltaMB: number; peakRssMB: number }

function runCases(indices: number[], filter?: Kind): Summary {
  const b = bases();
  const counts: Record<string, number> = {};
  const byKind: Record<string, Record<string, number>> = {};
  const failures: string[] = [];
  let worstMs = 0, worstKind = "", worstRssDelta = 0;
  const rss0 = process.memoryUsage().rss;
  let peakRss = rss0;
  for (const i of indices) {
    let { kind, bytes } = mutate(b, i);
    if (filter && kind !== filter) ({ kind, bytes } = { kind: filter, bytes: hugeClaim(b[i % b.length], rng(i)) });
    const before = process.memoryUsage().rss;
    const o = runCase(bytes, kind);
    const after = process.memoryUsage().rss;
    worstRssDelta = Math.max(worstRssDelta, after - before);
    peakRss = Math.max(peakRss, after);
    counts[o.outcome] = (counts[o.outcome] ?? 0) + 1;
    (byKind[kind] ??= {})[o.outcome] = (byKind[kind][o.outcome] ?? 0) + 1;
    if (o.ms > worstMs) { worstMs = o.ms; worstKind = `${kind} (case ${i}: ${o.outcome}${o.message ? ", " + o.message.slice(0, 120) : ""})`; }
    if (o.outcome === "FAILED" && failures.length < 20) failures.push(`case ${i} (${kind}): ${o.message}`);
  }
  return { counts, byKind, worstMs, worstKind, failures, worstRssDeltaMB: worstRssDelta / 2 ** 20, peakRssMB: (peakRss - rss0) / 2 ** 20 };
}

if (process.env.RNN_LAB_FUZZ_CHILD) {
  // The child: huge-claim cases only; reports its own peak RSS (KiB on Linux) with the counts.
  const n = Number(process.env.RNN_LAB_FUZZ_CHILD);
  const s = runCases(Array.from({ length: n }, (_, i) => 1_000_000 + i), "huge-claim");
  process.stdout.write(JSON.stringify({ ...s, maxRssMB: process.resourceUsage().maxRSS / 1024 }) + "\n");
} else {
  describe(`fuzzed checkpoints (${FULL ? "full" : "short"} form)`, () => {
    test(`${CASES} cases: each loads and evaluates finitely, or is refused with a CheckpointError, in < 1 s, no trap, no TypeError`, () => {
      const s = runCases(Array.from({ length: CASES }, (_, i) => i));
      console.log(`fuzz: ${JSON.stringify(s.counts)}; by kind ${JSON.stringify(s.byKind)}; worst ${s.worstMs.toFixed(1)} ms: ${s.worstKind}; worst RSS growth in one case ${s.worstRssDeltaMB.toFixed(1)} MB, over the run ${s.peakRssMB.toFixed(1)} MB`);
      assert.deepEqual(s.failures, []);
      assert.equal(Object.values(s.counts).reduce((a, b) => a + b, 0), CASES);
      assert.ok(s.counts["refused"] > 0 && s.counts["loaded, finite"] > 0, "both outcomes occur (the fuzzer reaches past the header checks)");
      assert.ok(s.worstMs < 1000, `worst case ${s.worstMs} ms: ${s.worstKind}`);
      assert.ok(s.worstRssDeltaMB < 200, `worst case grew RSS by ${s.worstRssDeltaMB} MB`);
    });

    test(`${CHILD_CASES} header-only files claiming huge models, in a child process: peak RSS < 200 MB`, () => {
      const r = spawnSync(process.execPath, [__filename], { env: { ...process.env, RNN_LAB_FUZZ_CHILD: String(CHILD_CASES) }, encoding: "utf8", timeout: 300_000 });
      assert.equal(r.status, 0, r.stderr);
      const s = JSON.parse(r.stdout.trim().split("\n").pop()!) as Summary & { maxRssMB: number };
      console.log(`huge claims: ${JSON.stringify(s.counts)}; worst ${s.worstMs.toFixed(1)} ms; child's peak RSS ${s.maxRssMB.toFixed(1)} MB`);
      assert.deepEqual(s.failures, []);
      assert.equal(s.counts["refused"], CHILD_CASES, "every huge claim is refused");
      assert.ok(s.worstMs < 1000, `worst ${s.worstMs} ms`);
      assert.ok(s.maxRssMB < 200, `child's peak RSS ${s.maxRssMB} MB`);
    });
  });
}
