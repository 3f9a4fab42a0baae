// The .safetensors checkpoint: layout rules of the format, round trips, and refusal of every kind
// of damaged or foreign file with a message that says what is wrong.

import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { CHECKPOINT_VERSION, CheckpointError, Model, decodeCheckpoint, encodeCheckpoint } from "../../src/engine/files/checkpoint";
import { CELLS } from "../../src/engine/model/cells";
import { loadCheckpoint, saveCheckpoint } from "../../src/engine/files/checkpointFile";
import { Core } from "../../src/engine/core/core";
import { initialiseParameters } from "../../src/engine/model/initialise";
import { ModelSpec, coreShape } from "../../src/engine/model/modelSpec";
import { SafetensorsError, decodeSafetensors, encodeSafetensors } from "../../src/engine/interop/safetensors";
import { DEFAULT_TRAIN_OPTIONS } from "../../src/engine/training/trainOptions";
import { Trainer, splitCorpus } from "../../src/engine/training/trainer";
import { tempDir } from "../helpers";
import { snapshotNormStats } from "../../src/engine/model/batchNormStats";

function header(bytes: Uint8Array): { length: number; text: string } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { length, text: new TextDecoder().decode(bytes.subarray(8, 8 + length)) };
}

/** A file with a hand-written header, to build malformed cases. */
function rawFile(headerObj: unknown, dataBytes: number, headerText?: string): Uint8Array {
  const h = new TextEncoder().encode(headerText ?? JSON.stringify(headerObj));
  const out = new Uint8Array(8 + h.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  return out;
}

function trainedModel(spec: Partial<ModelSpec> = {}): Model {
  const text = "中文也可以：字符就是码位。English too. 🙂 ".repeat(20);
  const { vocab } = CharVocabulary.fromText(text);
  const full: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 2, hidden: 8, embed: 0, vocabSize: vocab.size, peephole: true, coupled: false, residual: false, ...spec };
  const data = vocab.encode(text);
  const t = new Trainer(full, vocab, splitCorpus(data, 0.1), { ...DEFAULT_TRAIN_OPTIONS, batch: 4, seq: 8 }, { files: ["t.txt"], sha256: "abc", chars: data.length, trainChars: 0 });
  for (let k = 0; k < 5; k++) t.trainStep();
  return t.snapshot();
}

describe("safetensors layout", () => {
  test("header starts with '{', is space-padded to a multiple of 8, offsets tile the data", () => {
    const bytes = encodeSafetensors([
      { name: "a", shape: [3], data: Float32Array.of(1, 2, 3) },
      { name: "b", shape: [2, 2], data: Float32Array.of(4, 5, 6, 7) },
    ], { note: "x" });
    const { length, text } = header(bytes);
    assert.equal(length % 8, 0);
    assert.equal(text[0], "{");
    assert.match(text, / +$/);
    assert.ok(!text.includes("\0"));
    const h = JSON.parse(text);
    assert.deepEqual(h.a.data_offsets, [0, 12]);
    assert.deepEqual(h.b.data_offsets, [12, 28]);
    assert.equal(bytes.length, 8 + length + 28);
    const back = decodeSafetensors(bytes);
    assert.deepEqual(Array.from(back.tensors.get("b")!.data), [4, 5, 6, 7]);
    assert.deepEqual(back.metadata, { note: "x" });
  });

  const bad: [string, Uint8Array, RegExp][] = [
    ["shorter than 8 bytes", new Uint8Array(5), /too short/],
    ["header length past the end", (() => { const b = new Uint8Array(16); new DataView(b.buffer).setBigUint64(0, 1000n, true); return b; })(), /runs past the end/],
    ["header over 100 MB", (() => { const b = new Uint8Array(16); new DataView(b.buffer).setBigUint64(0, 200_000_000n, true); return b; })(), /over the .* limit/],
    ["not JSON", rawFile(null, 0, "{not json"), /not valid JSON/],
    ["not starting with {", rawFile(null, 0, "[1, 2]  "), /start with '\{'/],
    ["unknown dtype", rawFile({ a: { dtype: "F31", shape: [1], data_offsets: [0, 4] } }, 4), /unknown dtype "F31"/],
    ["shape and offsets disagree", rawFile({ a: { dtype: "F32", shape: [2], data_offsets: [0, 4] } }, 4), /needs 8 bytes, offsets give 4/],
    ["offsets out of range", rawFile({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, 4), /go past the 4 bytes/],
    ["overlapping tensors", rawFile({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, 8), /overlap/],
    ["a hole between tensors", rawFile({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] }, b: { dtype: "F32", shape: [1], data_offsets: [8, 12] } }, 12), /hole of 4 bytes/],
    ["bytes after the last tensor", rawFile({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, 12), /8 bytes after the last tensor/],
    ["metadata not strings", rawFile({ __metadata__: { a: 1 } }, 0), /__metadata__.a is not a string/],
    ["negative shape", rawFile({ a: { dtype: "F32", shape: [-1], data_offsets: [0, 0] } }, 0), /shape is not a list/],
  ];
  for (const [name, bytes, message] of bad) {
    test(`refuses: ${name}`, () => assert.throws(() => decodeSafetensors(bytes), (e: Error) => e instanceof SafetensorsError && message.test(e.message)));
  }
});

describe("checkpoints", () => {
  test("PyTorch names and shapes; round trip keeps every value", () => {
    const m = trainedModel();
    const bytes = encodeCheckpoint(m);
    const h = JSON.parse(header(bytes).text);
    const V = m.spec.vocabSize;
    assert.deepEqual(h["rnn.weight_ih_l0"].shape, [32, V]);
    assert.deepEqual(h["rnn.weight_hh_l1"].shape, [32, 8]);
    assert.deepEqual(h["rnn.bias_ih_l0"].shape, [32]);
    assert.deepEqual(h["head.weight"].shape, [V, 8]);
    assert.deepEqual(h["rnn.weight_ci_l1"].shape, [8]);
    assert.deepEqual(h["state.h"].shape, [2, 4, 8]);
    assert.ok(h["optimizer.exp_avg.head.bias"]);
    assert.equal(h.__metadata__.format, "rnn-lab");
    const back = decodeCheckpoint(bytes);
    assert.deepEqual(back.spec, m.spec);
    assert.deepEqual(back.vocab.chars, m.vocab.chars);
    assert.ok(Buffer.from(back.params.buffer).equals(Buffer.from(m.params.buffer)));
    assert.ok(Buffer.from(back.training!.moment2.buffer).equals(Buffer.from(m.training!.moment2.buffer)));
    assert.deepEqual(back.training!.rng, m.training!.rng);
  });

  test("the PyTorch layout is the transpose of the core's for weight matrices", () => {
    const spec: ModelSpec = { cell: "gru", nonlinearity: "tanh", layers: 1, hidden: 3, embed: 0, vocabSize: 4, peephole: false, coupled: false, residual: false };
    const core = new Core(coreShape(spec));
    initialiseParameters(core, spec, "scaled", 0, 1);
    const m: Model = { spec, vocab: new CharVocabulary({ chars: [..."abcd"], unk: -1 }), params: Float32Array.from(core.params()), training: null };
    const t = decodeSafetensors(encodeCheckpoint(m)).tensors.get("rnn.weight_hh_l0")!;
    const slot = core.tensors[1];
    const internal = core.tensor(slot);
    // PyTorch W_hh[out=r·H.., in] = core[in, out]
    for (let o = 0; o < 9; o++) for (let i = 0; i < 3; i++) assert.equal(t.data[o * 3 + i], internal[i * 9 + o]);
  });

  test("written atomically: no temporary file remains; a model that cannot be written leaves the old file", () => {
    const dir = tempDir();
    const path = join(dir, "m.safetensors");
    const m = trainedModel();
    saveCheckpoint(path, m);
    const first = readFileSync(path);
    assert.deepEqual(readdirSync(dir), ["m.safetensors"]);
    assert.throws(() => saveCheckpoint(path, { ...m, params: new Float32Array(3) }));
    assert.ok(readFileSync(path).equals(first), "the previous checkpoint is untouched");
    assert.deepEqual(readdirSync(dir), ["m.safetensors"]);
  });

  test("refuses damaged and foreign checkpoints with a reason", () => {
    const dir = tempDir();
    const good = encodeCheckpoint(trainedModel());
    const write = (name: string, bytes: Uint8Array) => { const p = join(dir, name); writeFileSync(p, bytes); return p; };
    const cases: [string, Uint8Array, RegExp][] = [
      ["truncated", good.subarray(0, good.length - 100), /truncated/],
      ["corrupted header", (() => { const b = Uint8Array.from(good); b[20] = 0x7d; return b; })(), /not a valid safetensors file/],
      ["foreign safetensors", encodeSafetensors([{ name: "w", shape: [1], data: Float32Array.of(1) }], {}), /not an RNN Lab checkpoint/],
      ["newer format", (() => {
        const f = decodeSafetensors(good);
        return encodeSafetensors([...f.tensors.values()], { ...f.metadata, format_version: "99" });
      })(), /newer RNN Lab .* format 99/],
      ["wrong tensor shape", (() => {
        const f = decodeSafetensors(good);
        const ts = [...f.tensors.values()].map((t) => t.name === "head.bias" ? { ...t, shape: [t.data.length - 1], data: t.data.subarray(1) } : t);
        return encodeSafetensors(ts, f.metadata);
      })(), /head.bias has shape/],
      ["vocabulary size mismatch", (() => {
        const f = decodeSafetensors(good);
        const v = JSON.parse(f.metadata.vocab);
        v.chars = v.chars.slice(1);
        return encodeSafetensors([...f.tensors.values()], { ...f.metadata, vocab: JSON.stringify(v) });
      })(), /vocabulary has \d+ characters, the model expects/],
      ["non-finite weights", (() => {
        const f = decodeSafetensors(good);
        f.tensors.get("head.bias")!.data[0] = NaN;
        return encodeSafetensors([...f.tensors.values()], f.metadata);
      })(), /non-finite/],
    ];
    for (const [name, bytes, re] of cases) {
      const p = write(`${name}.safetensors`, bytes);
      assert.throws(() => loadCheckpoint(p), (e: Error) => e instanceof CheckpointError && re.test(e.message) && e.message.includes(p), name);
    }
    assert.throws(() => loadCheckpoint(join(dir, "missing.safetensors")), /does not exist/);
    assert.ok(!existsSync(join(dir, "missing.safetensors")));
  });

  // A reader from before the newer cells (format 1, e.g. commit 6183d04~1) ignores spec fields it does
  // not know and refuses any format above 1 as "written by a newer RNN Lab". So what it would misread
  // must be written as format 2, and what it reads right must stay format 1.
  test("checkpoints with options a format-1 reader does not know are format 2; plain LSTM, GRU and RNN stay format 1", () => {
    const readByFormat1 = new Set(["LSTM", "LSTM with peepholes", "GRU", "RNN"]); // the cells and options RNN Lab had before issue 17
    const variants = CELLS.flatMap((c) => [
      ...(c.variants ?? [{ label: c.label, options: {} }]).map((v) => ({ label: v.label, spec: { cell: c.type, ...v.options } })),
      ...(c.options.includes("peephole") ? [{ label: `${c.label} with peepholes`, spec: { cell: c.type, peephole: true } }] : []),
    ]);
    assert.ok(variants.length >= 11, variants.map((v) => v.label).join(", "));
    for (const { label, spec } of variants) {
      const text = "abcabd".repeat(10);
      const { vocab } = CharVocabulary.fromText(text);
      const full: ModelSpec = { nonlinearity: "tanh", layers: 1, hidden: 4, embed: 0, vocabSize: vocab.size, peephole: false, coupled: false, residual: false, ...spec } as ModelSpec;
      const core = new Core(coreShape(full));
      initialiseParameters(core, full, "scaled", 0, 1);
      const bytes = encodeCheckpoint({ spec: full, vocab, params: Float32Array.from(core.params()), normStats: snapshotNormStats(core), training: null }); // batch norm's running statistics
      const version = decodeSafetensors(bytes).metadata.format_version;
      assert.equal(version, readByFormat1.has(label) ? "1" : "2", label);
      assert.deepEqual(decodeCheckpoint(bytes, label).spec, full, `${label}: this reader reads its own format ${version}`);
    }
    // the refusal a format-1 reader gives a format-2 file, here one format above this reader's own
    const f = decodeSafetensors(encodeCheckpoint(trainedModel({ cell: "gru", peephole: false, gruReset: "before" })));
    assert.equal(f.metadata.format_version, "2");
    const newer = encodeSafetensors([...f.tensors.values()], { ...f.metadata, format_version: String(CHECKPOINT_VERSION + 1) });
    assert.throws(() => decodeCheckpoint(newer, "m.safetensors"), new RegExp(`m.safetensors: written by a newer RNN Lab \\(checkpoint format ${CHECKPOINT_VERSION + 1}; this version reads up to ${CHECKPOINT_VERSION}\\)`));
    // a training checkpoint of a plain model is format 1 too (the training state is format 1's)
    assert.equal(decodeSafetensors(encodeCheckpoint(trainedModel())).metadata.format_version, "1");
  });
});
