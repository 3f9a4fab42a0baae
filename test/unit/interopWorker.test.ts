// The worker behind "RNN Lab: Import PyTorch Weights…" and "RNN Lab: Export Model…", driven as the
// extension drives it: one request, one reply, refusals as error replies with nothing written.

import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { loadCheckpoint, saveCheckpoint } from "../../src/engine/files/checkpointFile";
import { Core } from "../../src/engine/core/core";
import { initialiseParameters } from "../../src/engine/model/initialise";
import { ModelSpec, coreShape } from "../../src/engine/model/modelSpec";
import { decodeSafetensors, encodeSafetensors } from "../../src/engine/interop/safetensors";
import { InteropReply, isInteropReply } from "../../src/protocol/interopWorker";
import { projectRoot, tempDir } from "../helpers";

function ask(request: unknown): Promise<InteropReply> {
  const worker = new Worker(join(projectRoot, "dist", "interopWorker.js"));
  return new Promise((resolve, reject) => {
    worker.on("error", reject);
    worker.on("message", (m: unknown) => {
      assert.ok(isInteropReply(m), `a well-formed reply: ${JSON.stringify(m)}`);
      void worker.terminate().then(() => resolve(m));
    });
    worker.postMessage(request);
  });
}

function modelFiles(dir: string) {
  const { vocab } = CharVocabulary.fromText("to be or not to be, 是否\n");
  const spec: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 1, hidden: 5, embed: 3, vocabSize: vocab.size, peephole: false, coupled: false, residual: false };
  const core = new Core(coreShape(spec));
  initialiseParameters(core, spec, "scaled", 1, 9);
  const model = { spec, vocab, params: Float32Array.from(core.params()), training: null };
  const ckpt = join(dir, "model.safetensors");
  saveCheckpoint(ckpt, model);
  // the same weights as PyTorch would name them in a word_language_model-style module
  const file = decodeSafetensors(readFileSync(ckpt));
  const weights = join(dir, "torch.safetensors");
  writeFileSync(weights, encodeSafetensors([...file.tensors.values()].map((t) => ({ ...t, name: t.name.replace("embed.", "encoder.").replace("head.", "decoder.").replace("rnn.", "lstm.") })), {}));
  const vocabPath = join(dir, "vocab.json");
  writeFileSync(vocabPath, JSON.stringify(vocab.chars));
  return { model, ckpt, weights, vocabPath };
}

test("inspect names the architecture; import writes a checkpoint with the same weights", async () => {
  const dir = tempDir();
  const { model, weights, vocabPath } = modelFiles(dir);
  const request = { weights, vocab: vocabPath, map: [], nonlinearity: "tanh" };
  const inspected = await ask({ type: "inspect", ...request });
  assert.equal(inspected.type, "inspected", JSON.stringify(inspected));
  assert.match((inspected as { summary: string }).summary, /^LSTM 1×5, embedding 3, vocabulary \d+, \d+ parameters\n {2}encoder\.weight → embed\.weight/);
  const out = join(dir, "imported", "model.safetensors");
  const imported = await ask({ type: "import", ...request, out });
  assert.equal(imported.type, "imported");
  assert.deepEqual(Array.from(loadCheckpoint(out).params), Array.from(model.params));
});

test("export writes ONNX and the PyTorch project; refusals leave nothing behind", async () => {
  const dir = tempDir();
  const { ckpt, weights } = modelFiles(dir);
  const onnx = await ask({ type: "export", checkpoint: ckpt, format: "onnx", out: join(dir, "m.onnx"), force: false });
  assert.equal(onnx.type, "exported");
  assert.ok(readFileSync(join(dir, "m.onnx")).length > 1000);
  const project = await ask({ type: "export", checkpoint: ckpt, format: "pytorch", out: join(dir, "proj"), force: false });
  assert.equal(project.type, "exported");
  assert.ok(existsSync(join(dir, "proj", "train.py")) && !existsSync(join(dir, "proj", "data.txt")), "no corpus recorded: no data.txt");
  const wrongVocab = join(dir, "short.json");
  writeFileSync(wrongVocab, JSON.stringify(["a", "b"]));
  const refused = await ask({ type: "import", weights, vocab: wrongVocab, map: [], nonlinearity: "tanh", out: join(dir, "never.safetensors") });
  assert.equal(refused.type, "error");
  assert.match((refused as { message: string }).message, /vocabulary has 2 characters but embed\.weight has shape/);
  assert.ok(!existsSync(join(dir, "never.safetensors")));
  const notThere = await ask({ type: "export", checkpoint: join(dir, "missing.safetensors"), format: "onnx", out: join(dir, "x.onnx"), force: false });
  assert.match((notThere as { message: string }).message, /does not exist/);
  assert.deepEqual(await ask({ type: "nonsense" }), { type: "error", message: "unknown request" });
});

test("an export or import over one of its inputs is refused with a reason the extension can translate; nothing changes", async () => {
  const dir = tempDir();
  const { ckpt, weights, vocabPath } = modelFiles(dir);
  const before = readFileSync(ckpt), vocabBefore = readFileSync(vocabPath);
  // the save dialog asked about replacing, so the extension sends force: true; the inputs stay protected
  const overItself = await ask({ type: "export", checkpoint: ckpt, format: "safetensors", out: ckpt, force: true });
  assert.equal(overItself.type, "error");
  assert.deepEqual((overItself as { refusal?: unknown }).refusal, { reason: "input", out: ckpt, input: ckpt });
  const intoItsFolder = await ask({ type: "export", checkpoint: ckpt, format: "pytorch", out: dir, force: true });
  assert.deepEqual((intoItsFolder as { refusal?: unknown }).refusal, { reason: "holds-input", out: dir, input: ckpt });
  const device = await ask({ type: "export", checkpoint: ckpt, format: "onnx", out: "/dev/null", force: true });
  assert.deepEqual((device as { refusal?: unknown }).refusal, { reason: "not-regular", out: "/dev/null" });
  const overVocab = await ask({ type: "import", weights, vocab: vocabPath, map: [], nonlinearity: "tanh", out: vocabPath });
  assert.deepEqual((overVocab as { refusal?: unknown }).refusal, { reason: "input", out: vocabPath, input: vocabPath });
  assert.ok(readFileSync(ckpt).equals(before) && readFileSync(vocabPath).equals(vocabBefore), "the inputs are untouched");
  // a reply whose refusal is malformed is not trusted
  assert.equal(isInteropReply({ type: "error", message: "x", refusal: { reason: "input", out: "a" } }), false);
  assert.equal(isInteropReply({ type: "error", message: "x", refusal: { reason: "whatever", out: "a" } }), false);
});
