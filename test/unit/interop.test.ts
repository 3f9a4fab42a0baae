// Models moving between RNN Lab and PyTorch / ONNX: PyTorch-trained weights import and give PyTorch's
// logits; exports load in PyTorch and in onnxruntime with the same logits; the exported PyTorch
// project trains (plainly and under torchrun with Gloo) and its checkpoint evaluates in RNN Lab to
// the loss it printed. PyTorch's side is test/interop/torchCharModels.py and the exported train.py.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import * as ort from "onnxruntime-web";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { Model, decodeCheckpoint } from "../../src/engine/files/checkpoint";
import { loadCheckpoint, saveCheckpoint } from "../../src/engine/files/checkpointFile";
import { windowLogits } from "../../src/engine/training/evaluate";
import { ModelSpec } from "../../src/engine/model/modelSpec";
import { exportOnnx, exportSafetensors } from "../../src/engine/interop/modelExport";
import { SafetensorsError, decodeSafetensors, encodeSafetensors } from "../../src/engine/interop/safetensors";
import { InputError } from "../../src/engine/messages/inputError";
import { importTorchWeights } from "../../src/engine/interop/torchImport";
import { readTorchWeights } from "../../src/engine/interop/interopFiles";
import { expectClose, jsonLines, projectRoot, runCli, tempDir, torchrunTwoProcesses } from "../helpers";
import { randomCharModel } from "../cellFixtures";

const PYTHON = "/usr/bin/python3";
const torchScript = join(projectRoot, "test", "interop", "torchCharModels.py");

function torchMissing(): string | null {
  if (spawnSync(PYTHON, ["-c", "import torch"]).status === 0) return null;
  if (process.env.CI) assert.fail("CI must have /usr/bin/python3 with torch (.ci/run installs python3-torch)");
  return "no PyTorch in /usr/bin/python3 (apt-get install python3-torch); CI runs these";
}

function python(args: string[], cwd?: string): string {
  const r = spawnSync(PYTHON, args, { cwd, encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: "1" } });
  assert.equal(r.status, 0, `python ${args.join(" ")} failed:\n${r.stderr}`);
  return r.stdout;
}

const randomModel = (spec: Partial<ModelSpec>, seed = 3): Model =>
  randomCharModel({ cell: "lstm", nonlinearity: "tanh", layers: 2, hidden: 6, embed: 0, vocabSize: 0, peephole: false, coupled: false, residual: false, ...spec }, seed);

/** ids[T][B] as the time-major flat array the core takes. */
function flatIds(ids: number[][]): Int32Array {
  return Int32Array.from(ids.flat());
}

const ONNX_CASES: [string, Partial<ModelSpec>][] = [
  ["LSTM 2 layers, one-hot", { cell: "lstm" }],
  ["LSTM 1 layer, embedding", { cell: "lstm", layers: 1, embed: 4 }],
  ["LSTM with peepholes, residual", { cell: "lstm", peephole: true, residual: true, embed: 5 }],
  ["LSTM with coupled gates", { cell: "lstm", coupled: true }],
  ["GRU 2 layers", { cell: "gru" }],
  ["GRU 1 layer, embedding", { cell: "gru", layers: 1, embed: 3 }],
  ["RNN tanh", { cell: "rnn" }],
  ["RNN relu, 1 layer", { cell: "rnn", nonlinearity: "relu", layers: 1 }],
];

describe("ONNX export runs in onnxruntime with the same numbers", () => {
  for (const [name, spec] of ONNX_CASES) {
    test(name, async () => {
      const model = randomModel(spec);
      const { layers, hidden } = model.spec;
      const B = 3, T = 6;
      const ids = Int32Array.from({ length: T * B }, (_, i) => (i * 5 + 1) % model.vocab.size);
      const h0 = Float32Array.from({ length: layers * B * hidden }, (_, i) => 0.4 * Math.sin(i + 1));
      const c0 = Float32Array.from({ length: layers * B * hidden }, (_, i) => 0.4 * Math.cos(i));
      const lstm = model.spec.cell === "lstm";
      const session = await ort.InferenceSession.create(exportOnnx(model), { logSeverityLevel: 3 });
      const feed = (idsPart: Int32Array, steps: number, h: Float32Array, c: Float32Array | null) => session.run({
        input_ids: new ort.Tensor("int64", BigInt64Array.from(idsPart, (v) => BigInt(v)), [steps, B]),
        h0: new ort.Tensor("float32", h, [layers, B, hidden]),
        ...(c ? { c0: new ort.Tensor("float32", c, [layers, B, hidden]) } : {}),
      });
      const ref = windowLogits(model, ids, B, h0, c0);
      const whole = await feed(ids, T, h0, lstm ? c0 : null);
      const tol = { atol: 1e-4, rtol: 1e-4 };
      expectClose(whole.logits.data as Float32Array, ref.logits, tol, "logits");
      expectClose(whole.hn.data as Float32Array, ref.h, tol, "hn");
      if (lstm) expectClose(whole.cn.data as Float32Array, ref.c!, tol, "cn");
      // stepping: the first 2 steps, then the rest from the returned state, equals one pass
      const first = await feed(ids.subarray(0, 2 * B), 2, h0, lstm ? c0 : null);
      const rest = await feed(ids.subarray(2 * B), T - 2, first.hn.data as Float32Array, lstm ? first.cn.data as Float32Array : null);
      expectClose(rest.logits.data as Float32Array, ref.logits.subarray(2 * B * model.vocab.size), tol, "stepped logits");
      await session.release();
    });
  }
});

describe("PyTorch weights in and out", () => {
  test("PyTorch-trained RNN/LSTM/GRU models (1–2 layers, one-hot or embedding, common prefixes) import and give PyTorch's logits", (t) => {
    const missing = torchMissing();
    if (missing) return t.skip(missing);
    const dir = tempDir("rnnlab-torch-");
    python([torchScript, "make", dir]);
    const cases = readdirSync(dir).filter((f) => f.endsWith(".json") && f !== "vocab.json");
    assert.equal(cases.length, 6);
    for (const c of cases) {
      const ref = JSON.parse(readFileSync(join(dir, c), "utf8")) as { spec: Record<string, unknown>; ids: number[][]; logits: number[] };
      const weights = join(dir, c.replace(".json", ".safetensors"));
      const { model, summary } = readTorchWeights(weights, join(dir, "vocab.json"), { nonlinearity: ref.spec.nonlinearity as "tanh" | "relu" });
      for (const k of ["cell", "layers", "hidden", "embed", "vocabSize", "nonlinearity"] as const) assert.equal(model.spec[k], ref.spec[k], `${c}: ${k} (${summary})`);
      const ours = windowLogits(model, flatIds(ref.ids), ref.ids[0].length);
      expectClose(ours.logits, ref.logits, { atol: 1e-4, rtol: 1e-4 }, `${c} logits`);
    }
  });

  test("RNN Lab → safetensors → PyTorch → safetensors (renamed) → RNN Lab leaves the logits equal", (t) => {
    const missing = torchMissing();
    if (missing) return t.skip(missing);
    const dir = tempDir("rnnlab-roundtrip-");
    for (const spec of [{ cell: "lstm" }, { cell: "gru", embed: 4 }, { cell: "rnn", layers: 1, nonlinearity: "relu" }] as Partial<ModelSpec>[]) {
      const model = randomModel(spec);
      const exported = join(dir, `${model.spec.cell}.safetensors`);
      writeFileSync(exported, exportSafetensors(model));
      const ids = [[1, 2], [3, 4], [5, 6], [0, 7]];
      writeFileSync(join(dir, "ids.json"), JSON.stringify(ids));
      const back = join(dir, `${model.spec.cell}.back.safetensors`);
      const out = JSON.parse(python([torchScript, "roundtrip", exported, back, join(dir, "ids.json")])) as { logits: number[]; hyperparameters: { batch: number } };
      assert.equal(out.hyperparameters.batch, 50, "hyperparameters travel in __metadata__");
      const ours = windowLogits(model, flatIds(ids), 2).logits;
      expectClose(out.logits, ours, { atol: 1e-5, rtol: 1e-5 }, "PyTorch's logits of our export");
      writeFileSync(join(dir, "vocab.json"), JSON.stringify(model.vocab.chars));
      const { model: again, renamed } = readTorchWeights(back, join(dir, "vocab.json"), { nonlinearity: model.spec.nonlinearity });
      assert.ok(renamed.some((r) => r.from.startsWith("lstm.") && r.to.startsWith("rnn.")), "lstm./decoder. prefixes recognised");
      assert.deepEqual(again.spec, model.spec);
      assert.deepEqual(Array.from(again.params), Array.from(model.params), "parameters survive the round trip bit for bit");
    }
  });

  test("rnn-lab import and rnn-lab export through the CLI; the export is itself an RNN Lab checkpoint", () => {
    const dir = tempDir("rnnlab-cli-interop-");
    const model = randomModel({ cell: "gru", embed: 3 });
    const ckpt = join(dir, "m.safetensors");
    saveCheckpoint(ckpt, model);
    const exported = join(dir, "export.safetensors");
    const r = runCli(["export", ckpt, "--format", "safetensors", "--out", exported, "--json"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(jsonLines(r.stdout)[0].format, "safetensors");
    const names = [...decodeSafetensors(readFileSync(exported)).tensors.keys()];
    assert.ok(names.every((n) => /^(embed|rnn|head)\./.test(n)), `only model tensors: ${names}`);
    assert.deepEqual(Array.from(loadCheckpoint(exported).params), Array.from(model.params));
    // the same weights under PyTorch-style names, imported back through the CLI
    const renamed = new Map([...decodeSafetensors(readFileSync(exported)).tensors].map(([n, t]) => [n.replace("embed.", "my_emb.").replace("head.", "fc."), t]));
    writeFileSync(join(dir, "torch.safetensors"), encodeSafetensors([...renamed].map(([name, t]) => ({ ...t, name })), {}));
    writeFileSync(join(dir, "vocab.json"), JSON.stringify(model.vocab.chars));
    const noMap = runCli(["import", join(dir, "torch.safetensors"), "--vocab", join(dir, "vocab.json"), "--out", join(dir, "x.safetensors")]);
    assert.notEqual(noMap.status, 0);
    assert.match(noMap.stderr, /my_emb\.weight \[\d+, 3\].*--map/);
    assert.ok(!existsSync(join(dir, "x.safetensors")), "nothing written when refused");
    const ok = runCli(["import", join(dir, "torch.safetensors"), "--vocab", join(dir, "vocab.json"), "--out", join(dir, "x.safetensors"), "--map", "my_emb.=embed.", "--json"]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal((jsonLines(ok.stdout)[0].model as ModelSpec).cell, "gru");
    assert.deepEqual(Array.from(loadCheckpoint(join(dir, "x.safetensors")).params), Array.from(model.params));
    // an imported model trains further: a new run from its weights (Adam moves each by ≤ lr per step)
    writeFileSync(join(dir, "text.txt"), "abc defg, 中文!\n".repeat(30));
    const more = runCli(["train", join(dir, "text.txt"), "--init-from", join(dir, "x.safetensors"), "--steps", "3", "--batch", "2", "--seq", "8", "--out", join(dir, "more.safetensors"), "--json"]);
    assert.equal(more.status, 0, more.stderr);
    const after = loadCheckpoint(join(dir, "more.safetensors"));
    assert.equal(after.training!.step, 3);
    const moved = Math.max(...Array.from(after.params, (v, i) => Math.abs(v - model.params[i])));
    assert.ok(moved > 0 && moved < 3 * 0.002 * 1.01, `parameters moved by ${moved} from the imported ones`);
    const refused = runCli(["train", join(dir, "text.txt"), "--init-from", join(dir, "x.safetensors"), "--hidden", "9"]);
    assert.match(refused.stderr, /--hidden cannot be given with --init-from/);
  });
});

describe("the exported PyTorch project", () => {
  test("trains with python and with torchrun --nproc_per_node 2 (Gloo); its checkpoints evaluate in RNN Lab to the loss it printed", (t) => {
    const missing = torchMissing();
    if (missing) return t.skip(missing);
    const dir = tempDir("rnnlab-pyproject-");
    const text = "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife. 中文也一样。\n".repeat(12);
    const corpus = join(dir, "corpus.txt");
    writeFileSync(corpus, text);
    const ckpt = join(dir, "run.safetensors");
    const train = runCli(["train", corpus, "--cell", "lstm", "--layers", "2", "--hidden", "16", "--batch", "4", "--seq", "16", "--steps", "5", "--out", ckpt, "--json"]);
    assert.equal(train.status, 0, train.stderr);
    const project = join(dir, "project");
    const exp = runCli(["export", ckpt, "--format", "pytorch", "--out", project, "--json"]);
    assert.equal(exp.status, 0, exp.stderr);
    for (const f of ["model.py", "train.py", "training_loop.py", "README.md", "config.json", "model.safetensors", "data.txt"]) assert.ok(existsSync(join(project, f)), f);
    assert.equal(readFileSync(join(project, "data.txt"), "utf8"), text, "the run's corpus travels as data.txt");
    const again = runCli(["export", ckpt, "--format", "pytorch", "--out", project]);
    assert.notEqual(again.status, 0, "an existing project is not overwritten without --force");

    const lossOf = (stdout: string) => Number(/eval loss ([\d.]+)/.exec(stdout)?.[1]);
    const single = python(["train.py", "--steps", "6", "--print-every", "3", "--out", join(dir, "single.safetensors")], project);
    assert.match(single, /step 6\/6 {2}loss \d/);
    const distributed = torchrunTwoProcesses(project, "train.py", 29517, join(dir, "ddp.safetensors"));
    for (const [name, stdout] of [["single", single], ["ddp", distributed]] as const) {
      const printed = lossOf(stdout);
      assert.ok(Number.isFinite(printed), `${name}: ${stdout}`);
      const ev = runCli(["eval", join(dir, `${name}.safetensors`), join(project, "data.txt"), "--json"]);
      assert.equal(ev.status, 0, ev.stderr);
      assert.ok(Math.abs((jsonLines(ev.stdout)[0].loss as number) - printed) < 1e-4, `${name}: RNN Lab eval ${jsonLines(ev.stdout)[0].loss} vs printed ${printed}`);
    }
    // two processes with half the streams each take the same steps as one with all of them
    assert.ok(Math.abs(lossOf(single) - lossOf(distributed)) < 1e-3, `1 process ${lossOf(single)} vs 2 processes ${lossOf(distributed)}`);
    // and it did train: the loss moved from the exported weights'
    const before = runCli(["eval", ckpt, join(project, "data.txt"), "--json"]);
    assert.ok((jsonLines(before.stdout)[0].loss as number) - lossOf(single) > 0.01, "six more steps lower the loss");
  });
});

describe("import refuses what does not fit, precisely", () => {
  const model = randomModel({ cell: "lstm", embed: 4 });
  const file = () => decodeSafetensors(exportSafetensors(model));
  const vocab = model.vocab;

  test("a vocabulary that does not match the embedding", () => {
    const small = new CharVocabulary({ chars: vocab.chars.slice(0, -1), unk: -1 });
    assert.throws(() => importTorchWeights(file(), small), { message: new RegExp(`vocabulary has ${vocab.size - 1} characters but embed.weight has shape \\[${vocab.size}, 4\\]`) });
  });

  test("a tensor of the wrong shape names the tensor and the shape it needs", () => {
    const f = file();
    const t = f.tensors.get("rnn.weight_hh_l1")!;
    f.tensors.set("rnn.weight_hh_l1", { ...t, shape: [24, 5], data: t.data.subarray(0, 120) });
    assert.throws(() => importTorchWeights(f, vocab), { message: /rnn\.weight_hh_l1 has shape \[24, 5\], a LSTM 2×6.* needs \[24, 6\]/ });
  });

  test("unknown tensors, bidirectional layers and missing layers", () => {
    const f = file();
    f.tensors.set("attention.weight", { name: "attention.weight", shape: [2], data: new Float32Array(2) });
    assert.throws(() => importTorchWeights(f, vocab), { message: /attention\.weight \[2\]/ });
    const g = file();
    g.tensors.set("rnn.weight_hh_l0_reverse", { ...g.tensors.get("rnn.weight_hh_l0")!, name: "rnn.weight_hh_l0_reverse" });
    assert.throws(() => importTorchWeights(g, vocab), { message: /bidirectional/ });
    const h = file();
    h.tensors.delete("rnn.weight_ih_l1");
    assert.throws(() => importTorchWeights(h, vocab), { message: /rnn\.weight_ih_l1 is missing/ });
  });

  test("nn.LSTM(bias=False) imports with zero biases", () => {
    const f = file();
    for (const n of [...f.tensors.keys()]) if (n.startsWith("rnn.bias")) f.tensors.delete(n);
    const { model: m, summary } = importTorchWeights(f, vocab);
    assert.match(summary, /rnn\.bias_ih_l0: absent \(bias=False\), zeros/);
    assert.equal(m.spec.layers, 2);
  });
});

describe("safetensors parser under fuzzing", () => {
  test("10,000 mutated files: each parses or is refused with a format error; none crashes or hangs", { timeout: 120_000 }, () => {
    const models = [randomModel({ cell: "lstm", embed: 3, layers: 1, hidden: 3 }), randomModel({ cell: "gru", layers: 1, hidden: 2 })];
    const seeds = models.map(exportSafetensors);
    const vocab = models[0].vocab;
    let state = 12345;
    const rand = (n: number) => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state % n;
    };
    const digits = "0123456789";
    let parsed = 0, refused = 0;
    const t0 = performance.now();
    for (let k = 0; k < 10_000; k++) {
      const src = seeds[k % seeds.length];
      let bytes = Uint8Array.from(src);
      const headerLen = Number(new DataView(src.buffer).getBigUint64(0, true));
      const mutations = 1 + rand(4);
      for (let m = 0; m < mutations; m++) {
        const kind = rand(6);
        if (kind === 0) bytes[rand(bytes.length)] = rand(256); // any byte
        else if (kind === 1) bytes[rand(8)] = rand(256); // the length prefix
        else if (kind === 2) bytes = bytes.subarray(0, rand(bytes.length)); // truncation
        else if (kind === 3) { // a digit in the header (shapes, offsets)
          const at = 8 + rand(headerLen);
          if (digits.includes(String.fromCharCode(bytes[at]))) bytes[at] = digits.charCodeAt(rand(10));
        } else if (kind === 4) { // bytes inserted
          const at = rand(bytes.length), extra = Uint8Array.from({ length: 1 + rand(9) }, () => rand(256));
          bytes = Uint8Array.from([...bytes.subarray(0, at), ...extra, ...bytes.subarray(at)]);
        } else bytes[8 + rand(headerLen)] = "{}[],:\"".charCodeAt(rand(7)); // JSON structure
      }
      try {
        decodeCheckpoint(bytes, "fuzzed");
        parsed++;
      } catch (e) {
        assert.ok(e instanceof Error && /^fuzzed: /.test(e.message), `mutation ${k} threw something other than a checkpoint error: ${e instanceof Error ? e.stack : e}`);
        refused++;
      }
      try {
        const file = decodeSafetensors(bytes);
        importTorchWeights(file, vocab);
      } catch (e) {
        assert.ok(e instanceof SafetensorsError || e instanceof InputError, `mutation ${k} (import): ${e instanceof Error ? e.stack : e}`);
      }
    }
    assert.equal(parsed + refused, 10_000);
    assert.ok(refused > 5000, `most mutations are refused (${refused})`);
    assert.ok(performance.now() - t0 < 100_000);
  });
});
