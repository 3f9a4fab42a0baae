// Recurrently batch-normalised LSTM and GRU (--norm batch; src/wasm/batchNorm.ts), each part against
// a reference made another way:
//   - central finite differences in f64, training mode (1–2 layers, one-hot and embedding);
//   - BatchNormLSTM / BatchNormGRU, torch.nn.Modules written from Cooijmans et al. (2016) on
//     torch.nn.BatchNorm1d per time step (test/fixtures/generateBatchNormFixtures.py): training-mode
//     logits, loss, final state, every gradient and the running averages after one pass, to 1e-5;
//   - evaluation mode: a stream's outputs do not depend on the other streams of the batch;
// and the seams: tensor names, initial gains, checkpoints with the running statistics, refusals.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Core } from "../../src/engine/core/core";
import { coreShape, isNormGain, tensorTable } from "../../src/engine/model/cells";
import { ModelSpec, torchName, validateSpec } from "../../src/engine/model/modelSpec";
import { normStatTensors, restoreNormStats, snapshotNormStats } from "../../src/engine/model/batchNormStats";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { initialiseParameters } from "../../src/engine/model/initialise";
import { Model, decodeCheckpoint, encodeCheckpoint } from "../../src/engine/files/checkpoint";
import { exportOnnx } from "../../src/engine/interop/modelExport";
import { decodeSafetensors } from "../../src/engine/interop/safetensors";
import { importTorchWeights } from "../../src/engine/interop/torchImport";
import { createTextTaskTrainer, prepareTextTask } from "../../src/engine/tasks/textTaskModel";
import { windowLogits } from "../../src/engine/training/evaluate";
import { expectClose, jsonLines, runCli, tempDir } from "../helpers";
import { CellFixture, PYTHON, checkCellFixture, coreWithinMemoryEstimate, normalisedGateResidual, pythonHasTorch, readCellFixtures, runExportedProject, setCellFixtureState, smallTrainingCorpus, testCellFixturesOnEveryCore, trainSampleEvalResume } from "../cellFixtures";
import { gradientCheck } from "../../src/engine/insight/gradientCheck";
import { recordActivations } from "../../src/engine/insight/activations";

const lstm: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 1, hidden: 5, embed: 0, vocabSize: 6, peephole: false, coupled: false, residual: false, norm: "batch" };
const gru: ModelSpec = { ...lstm, cell: "gru" };

describe("batch-normalised LSTM and GRU: finite differences in f64 (training mode)", () => {
  for (const base of [lstm, gru]) {
    for (const layers of [1, 2]) {
      for (const embed of [0, 4]) {
        test(`${base.cell}, ${layers} layer(s), ${embed ? "embedding" : "one-hot"}`, () => {
          const checks = gradientCheck({ ...base, layers, embed }); // batch 8 (gradientCheckBatch)
          for (const c of checks) assert.ok(c.maxRelError < 1e-6, `${c.name}: ${c.maxRelError.toExponential(2)}`);
          const names = checks.map((c) => c.name);
          for (const n of ["rnn.bn_ih_gain_l0", "rnn.bn_hh_bias_l0", ...(base.cell === "lstm" ? ["rnn.bn_c_gain_l0"] : [])]) assert.ok(names.includes(n), `${n} is checked`);
          process.stdout.write(`# ${base.cell} ${layers}L ${embed ? "embed" : "one-hot"}: worst ${Math.max(...checks.map((c) => c.maxRelError)).toExponential(2)}\n`);
        });
      }
    }
  }
});

interface BatchNormFixture extends CellFixture {
  running: Record<string, { mean: number[][]; var: number[][] }>; evalLogits: number[];
}
const fixtures = readCellFixtures<BatchNormFixture>("batchNormFixtures.json");

/** The running averages of one layer and quantity (ih, hh, c) at step t, from the core's buffer (Core.normStats's layout). */
function coreRunning(core: Core, spec: ModelSpec, layer: number, what: "ih" | "hh" | "c", t: number): { mean: number[]; var: number[] } {
  const H = spec.hidden, GH = (spec.cell === "lstm" ? 4 : 3) * H, N = core.normStatSteps;
  const unitStride = N * (4 * GH + (spec.cell === "lstm" ? 2 * H : 0)), base = 1 + layer * unitStride;
  const at = (k: number, width: number, offset: number) => Array.from(core.normStats().subarray(base + offset + k * N * width + t * width, base + offset + k * N * width + (t + 1) * width));
  if (what === "c") return { mean: at(0, H, 4 * N * GH), var: at(1, H, 4 * N * GH) };
  const k = what === "ih" ? 0 : 2;
  return { mean: at(k, GH, 0), var: at(k + 1, GH, 0) };
}

/** checkCellFixture in training mode, then the running averages that pass left and an evaluation-mode pass. */
function checkBatchNormFixture(f: BatchNormFixture, core: Core, tol: { atol: number; rtol: number }): number {
  let worst = checkCellFixture(f, core, tol, true);
  assert.equal(core.normStats()[0], f.steps, "the steps training has reached");
  for (const [key, steps] of Object.entries(f.running)) {
    const [what, layerName] = key.split("_") as ["ih" | "hh" | "c", string];
    const layer = Number(layerName.slice(1));
    for (let t = 0; t < f.steps; t++) {
      const got = coreRunning(core, f.spec, layer, what, t);
      worst = Math.max(worst, expectClose(got.mean, steps.mean[t], tol, `running mean ${key} step ${t}`), expectClose(got.var, steps.var[t], tol, `running variance ${key} step ${t}`));
    }
    const untouched = coreRunning(core, f.spec, layer, what, f.steps);
    assert.ok(untouched.mean.every((v) => v === 0) && untouched.var.every((v) => v === 1), `${key}: a step no pass reached keeps μ̄ = 0, σ̄² = 1`);
  }
  // evaluation: the same batch from the same state, normalised by the running averages
  setCellFixtureState(core, f);
  core.forward(false, 0, false);
  worst = Math.max(worst, expectClose(core.logits(), f.evalLogits, tol, "evaluation-mode logits"));
  return worst;
}

describe("batch-normalised LSTM and GRU against torch.nn.BatchNorm1d per time step (Cooijmans et al. 2016)", () => {
  assert.equal(fixtures.length, 10);
  testCellFixturesOnEveryCore(fixtures, checkBatchNormFixture);
});

/** A model with random weights (gains around 1) and the running statistics of `passes` training passes over random batches. */
function trainedModel(spec: ModelSpec, batch = 6, steps = 5, passes = 3): Model {
  const { vocab } = CharVocabulary.fromText("abcdefghij");
  const full: ModelSpec = { ...spec, vocabSize: vocab.size };
  const core = new Core(coreShape(full));
  initialiseParameters(core, full, "scaled", 1, 5);
  for (const slot of core.tensors) if (isNormGain(slot.kind)) core.tensor(slot).fill(1); // wider than 0.1, so the streams differ visibly
  core.setShape(batch, steps);
  for (let k = 0; k < passes; k++) {
    core.inputs().set(Int32Array.from({ length: batch * steps }, (_, i) => (i * 7 + k * 3) % vocab.size));
    core.forward(true, 0, false);
  }
  return { spec: full, vocab, params: Float32Array.from(core.params()), normStats: snapshotNormStats(core), training: null };
}

/** Evaluation-mode logits [T·B, O] of a model's f32 core for these inputs from a zero state. */
const evalLogits = (model: Model, batch: number, ids: Int32Array): Float32Array => windowLogits(model, ids, batch).logits;

describe("batch norm: the gate heatmap's normalised pre-activations (evaluation mode)", () => {
  // normalisedGateResidual's check, with the running averages normalising. Training reached 5 steps, so the text's steps 5… read step 4's averages.
  for (const [cell, extra] of [["lstm", {}], ["lstm", { embed: 3, layers: 2 }], ["gru", {}], ["gru", { embed: 4, layers: 2 }]] as const) {
    test(`${cell} ${JSON.stringify(extra)}`, (t) => {
      const model = trainedModel({ ...lstm, cell, hidden: 6, ...extra });
      assert.equal(model.normStats![0], 5);
      const a = recordActivations(model, "abcdefghijjihgfedcba");
      const worst = normalisedGateResidual(a, cell);
      assert.ok(worst < 1e-5, `worst ${worst}`);
      t.diagnostic(`worst ${worst.toExponential(1)}`);
      // the averages matter: with the initial ones (μ̄ = 0, σ̄² = 1) the rows differ
      const initial = new Float32Array(model.normStats!.length);
      for (const t of normStatTensors(model.spec)) if (t.name.includes("_running_var_")) initial.fill(1, t.offset, t.offset + t.rows * t.cols);
      const b = recordActivations({ ...model, normStats: initial }, "abcdefghijjihgfedcba");
      const input = a.quantities.findIndex((q) => q.name === "normalised input (candidate)");
      assert.notDeepEqual(Array.from(b.perLayer[0].values[input]), Array.from(a.perLayer[0].values[input]));
    });
  }
});

describe("batch norm: the exported PyTorch project's BatchNormRNN", () => {
  for (const [cell, extra] of [["lstm", { embed: 4 }], ["lstm", { layers: 2 }], ["gru", { embed: 4, layers: 2 }]] as const) {
    test(`${cell} ${JSON.stringify(extra)}: the core's evaluation logits, one training pass's running averages, train.py`, (t) => {
      if (!pythonHasTorch()) return t.skip("/usr/bin/python3 has no torch");
      const model = trainedModel({ ...lstm, cell, hidden: 6, ...extra });
      const V = model.vocab.size, B = 4, T = 7;
      const ids = Int32Array.from({ length: 9 }, (_, i) => (i * 4 + 2) % V); // 9 steps: past the 5 trained, row 4 is read
      const batch = Int32Array.from({ length: T * B }, (_, i) => (i * 3 + Math.floor(i / B)) % V); // [T, B] time-major
      const { dir, moduleName, logits, printed: [buffers] } = runExportedProject(model, "abcdefghij".repeat(20) + "jihgfedcba".repeat(20), ids, `
m.train()
m(torch.tensor(${JSON.stringify(Array.from(batch))}).reshape(${T}, ${B}))
print(json.dumps({k[4:]: v.reshape(-1).tolist() for k, v in m.rnn.named_buffers(prefix="rnn")}))
`);
      assert.equal(moduleName, "BatchNormRNN");
      expectClose(logits, evalLogits(model, 1, ids), { atol: 1e-5, rtol: 1e-5 }, "model.py evaluation logits");
      // one training pass of the core from the same averages
      const core = new Core(coreShape(model.spec));
      core.params().set(model.params);
      restoreNormStats(core, model.normStats);
      core.setShape(B, T);
      core.inputs().set(batch);
      core.forward(true, 0, false);
      const after = snapshotNormStats(core)!;
      const torchBuffers = JSON.parse(buffers) as Record<string, number[]>;
      for (const n of normStatTensors(model.spec)) {
        const name = n.name.replace(/^rnn\./, "");
        assert.ok(torchBuffers[name], `BatchNormRNN has the buffer ${name}`);
        expectClose(torchBuffers[name], after.subarray(n.offset, n.offset + n.rows * n.cols), { atol: 1e-5, rtol: 1e-5 }, name);
      }
      assert.equal(after[0], 7);
      const worst = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, k) => Math.max(m, Math.abs(v - b[k])), 0);
      t.diagnostic(`worst logit ${worst(logits, evalLogits(model, 1, ids)).toExponential(1)}, running average ${Math.max(...normStatTensors(model.spec).map((n) => worst(torchBuffers[n.name.replace(/^rnn\./, "")], after.subarray(n.offset, n.offset + n.rows * n.cols)))).toExponential(1)}`);
      // train.py trains it and writes a checkpoint RNN Lab reads with its running averages moved on
      const train = spawnSync(PYTHON, ["train.py", "--steps", "3", "--batch", "4", "--seq", "8", "--out", "trained.safetensors", "--print-every", "1"], { cwd: dir, encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: "1" } });
      assert.equal(train.status, 0, train.stderr);
      assert.match(train.stdout, /step 3\/3  loss \d/);
      const trained = decodeCheckpoint(readFileSync(join(dir, "trained.safetensors")));
      assert.equal(trained.spec.norm, "batch");
      assert.equal(trained.normStats![0], 8, "training reached the window's 8 steps");
      assert.notDeepEqual(Array.from(trained.normStats!), Array.from(model.normStats!));
      assert.notDeepEqual(Array.from(trained.params), Array.from(model.params));
    });
  }
});

describe("batch norm: evaluation uses the running averages", () => {
  for (const cell of ["lstm", "gru"] as const) {
    test(`${cell}: a stream's outputs do not depend on the other streams of the batch`, () => {
      const model = trainedModel({ ...lstm, cell, layers: 2 });
      const B = 4, T = 5, O = model.spec.vocabSize;
      const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 3) % O);
      const other = Int32Array.from(ids, (v, i) => (i % B === 0 ? v : (v * 5 + 1) % O)); // stream 0 kept, streams 1–3 changed
      const a = evalLogits(model, B, ids), b = evalLogits(model, B, other);
      const stream0 = (x: Float32Array) => Array.from({ length: T * O }, (_, k) => x[Math.floor(k / O) * B * O + (k % O)]);
      assert.deepEqual(stream0(a), stream0(b), "stream 0's logits, bit for bit");
      assert.ok(a.some((v, k) => v !== b[k]), "the changed streams' logits changed");
      // alone (batch 1) too: what sampling and hovers see
      assert.deepEqual(Array.from(evalLogits(model, 1, Int32Array.from({ length: T }, (_, t) => ids[t * B]))), stream0(a));
      // and in training mode the same change does move stream 0 (the batch's statistics)
      const train = (x: Int32Array) => {
        const core = new Core(coreShape(model.spec));
        core.params().set(model.params);
        core.setShape(B, T);
        core.inputs().set(x);
        core.forward(true, 0, false);
        return stream0(Float32Array.from(core.logits()));
      };
      assert.notDeepEqual(train(ids), train(other));
    });

    test(`${cell}: steps beyond those training reached use the last trained step's averages`, () => {
      const model = trainedModel({ ...lstm, cell }, 6, 3); // training reached steps 0–2
      assert.equal(model.normStats![0], 3);
      const ids = Int32Array.from({ length: 7 }, (_, t) => (t * 2 + 1) % model.spec.vocabSize);
      // the same model with step 2's averages copied to steps 3–6 and every step counted as trained
      const copied = Float32Array.from(model.normStats!);
      for (const t of normStatTensors(model.spec).slice(1)) {
        for (let s = 3; s < 7; s++) copied.copyWithin(t.offset + s * t.cols, t.offset + 2 * t.cols, t.offset + 3 * t.cols);
      }
      copied[0] = 7;
      assert.deepEqual(Array.from(evalLogits(model, 1, ids)), Array.from(evalLogits({ ...model, normStats: copied }, 1, ids)));
      const untouched = evalLogits({ ...model, normStats: Float32Array.from(model.normStats!, (v, k) => (k === 0 ? 7 : v)) }, 1, ids);
      assert.notDeepEqual(Array.from(untouched), Array.from(evalLogits(model, 1, ids)), "counting the steps as trained reads their (initial) averages instead");
    });
  }
});

describe("batch norm: the registry, checkpoints and refusals", () => {
  test("tensor names, initial gains 0.1 and the LSTM's forget bias in β_ih", () => {
    assert.deepEqual(tensorTable(lstm).map(torchName), ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bn_ih_gain_l0", "rnn.bn_ih_bias_l0",
      "rnn.bn_hh_gain_l0", "rnn.bn_hh_bias_l0", "rnn.bn_c_gain_l0", "rnn.bn_c_bias_l0", "head.weight", "head.bias"]);
    assert.deepEqual(tensorTable(gru).map(torchName).filter((n) => n.includes("bn_")), ["rnn.bn_ih_gain_l0", "rnn.bn_ih_bias_l0", "rnn.bn_hh_gain_l0", "rnn.bn_hh_bias_l0"]);
    const spec: ModelSpec = { ...lstm, hidden: 3 };
    const core = new Core(coreShape(spec));
    initialiseParameters(core, spec, "scaled", 1, 1);
    const get = (name: string) => Array.from(core.tensor(core.tensors.find((t) => torchName(t) === name)!));
    assert.deepEqual(get("rnn.bn_ih_gain_l0"), new Array(12).fill(Math.fround(0.1)));
    assert.deepEqual(get("rnn.bn_c_gain_l0"), new Array(3).fill(Math.fround(0.1)));
    assert.deepEqual(get("rnn.bn_ih_bias_l0"), [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(normStatTensors({ ...lstm, layers: 2 }).map((t) => `${t.name} [${t.rows}, ${t.cols}]`).slice(0, 8), ["rnn.bn_steps_seen [1, 1]",
      "rnn.bn_ih_running_mean_l0 [256, 20]", "rnn.bn_ih_running_var_l0 [256, 20]", "rnn.bn_hh_running_mean_l0 [256, 20]", "rnn.bn_hh_running_var_l0 [256, 20]",
      "rnn.bn_c_running_mean_l0 [256, 5]", "rnn.bn_c_running_var_l0 [256, 5]", "rnn.bn_ih_running_mean_l1 [256, 20]"]);
  });

  test("limits.ts's memory estimate includes the running statistics", () => {
    for (const spec of [lstm, gru, { ...lstm, layers: 3, hidden: 50, embed: 16, vocabSize: 65 }]) {
      for (const precision of ["f32", "f64"] as const) coreWithinMemoryEstimate(spec, 7, 13, precision);
    }
  });

  for (const cell of ["lstm", "gru"] as const) {
    test(`${cell}: a checkpoint holds the running statistics; the loaded model evaluates as the saved one`, () => {
      const model = trainedModel({ ...lstm, cell, layers: 2 });
      const bytes = encodeCheckpoint(model);
      const file = decodeSafetensors(bytes);
      assert.deepEqual(file.tensors.get("rnn.bn_ih_running_var_l1")!.shape, [256, cell === "lstm" ? 20 : 15]);
      const back = decodeCheckpoint(bytes);
      assert.deepEqual(Array.from(back.normStats!), Array.from(model.normStats!));
      assert.ok(back.normStats![0] === 5 && back.normStats!.some((v, k) => k > 0 && v !== 0 && v !== 1), "trained averages, not the initial ones");
      const ids = Int32Array.from({ length: 8 }, (_, t) => t % model.spec.vocabSize);
      assert.deepEqual(Array.from(evalLogits(back, 1, ids)), Array.from(evalLogits(model, 1, ids)));
      assert.throws(() => encodeCheckpoint({ ...model, normStats: undefined }), /needs its \d+ running statistics/);
      const negative = Float32Array.from(model.normStats!);
      negative[normStatTensors(model.spec)[2].offset] = -1;
      assert.throws(() => decodeCheckpoint(encodeCheckpoint({ ...model, normStats: negative })), /rnn\.bn_ih_running_var_l0 holds a negative variance/);
    });
  }

  test("refused with a reason: bidirectional, peepholes, ONNX, importing", () => {
    assert.throws(() => validateSpec({ ...lstm, bidirectional: true }), /built for one direction/);
    assert.throws(() => validateSpec({ ...lstm, peephole: true }), /batch normalisation \(--norm batch\) is built for the plain LSTM/);
    const model = trainedModel(lstm);
    assert.throws(() => exportOnnx(model), /running statistics per time step, which no ONNX operator indexes by step/);
    const file = decodeSafetensors(encodeCheckpoint(model));
    assert.throws(() => importTorchWeights(file, model.vocab), /importing a batch-normalised model is not built/);
  });

  test("the CLI: train, sample, eval and resume keep the running statistics; --threads 2 is refused in one line; gradcheck", () => {
    const common = ["--cell", "lstm", "--norm", "batch", "--hidden", "12", "--batch", "4", "--seq", "16", "--json", "--threads", "1", "--val-frac", "0.1"];
    const { dir, text, trained: saved, resumed } = trainSampleEvalResume(common);
    assert.equal(saved.spec.norm, "batch");
    assert.equal(saved.normStats![0], 16, "training reached the window's 16 steps");
    assert.equal(resumed.spec.norm, "batch");
    assert.notDeepEqual(Array.from(resumed.normStats!), Array.from(saved.normStats!), "the resumed run moved the averages on");
    const threads = runCli(["train", text, ...common.filter((a, i, all) => a !== "--threads" && all[i - 1] !== "--threads"), "--threads", "2", "--steps", "2", "--out", join(dir, "t.safetensors")]);
    assert.notEqual(threads.status, 0);
    assert.match(threads.stderr, /trains on one thread/);
    assert.equal(threads.stderr.trim().split("\n").length, 1, threads.stderr);
    for (const cell of ["lstm", "gru"]) {
      const g = runCli(["gradcheck", "--cell", cell, "--norm", "batch", "--layers", "2", "--hidden", "8", "--json"]);
      assert.equal(g.status, 0, g.stdout + g.stderr);
      const summary = jsonLines(g.stdout).find((l) => l.type === "summary")!;
      assert.equal(summary.pass, true);
      assert.ok((summary.max_rel_error as number) < 1e-6);
    }
  });
});

describe("batch norm: exact resume", () => {
  const { vocab, options, trainer, trainFor } = smallTrainingCorpus();
  for (const cell of ["lstm", "gru"] as const) {
    const spec: ModelSpec = { ...lstm, cell, layers: 2, hidden: 12, vocabSize: vocab.size };
    test(`${cell}: stopping, saving and resuming continues bit for bit, running averages included; validation reads them`, () => {
      const whole = trainFor(spec, 8);
      const half = decodeCheckpoint(encodeCheckpoint(trainFor(spec, 4).snapshot()));
      const resumed = trainFor(spec, 4, half);
      assert.equal(resumed.step, 8);
      const bits = (x: ArrayLike<number>) => Buffer.from(Float32Array.from(x).buffer);
      assert.ok(bits(resumed.core.params()).equals(bits(whole.core.params())), "parameters");
      assert.ok(bits(resumed.core.normStats()).equals(bits(whole.core.normStats())), "running statistics");
      assert.ok(bits(half.normStats!).equals(bits(trainFor(spec, 4).core.normStats())), "the checkpoint holds the core's statistics");
      // validation: the same loss as an evaluation-mode pass of a core given those weights and averages
      const v = whole.validate()!;
      const fresh = trainFor(spec, 8);
      const zeroed = { ...fresh.snapshot(), normStats: new Float32Array(fresh.core.normStats().length) };
      const w = trainer(spec, zeroed);
      assert.equal(w.validate()!.loss === v.loss, false, "other running averages give another validation loss");
      w.dispose();
    });
  }
  test("a text task is refused with the reason (its padded streams would enter the statistics)", () => {
    const file = join(tempDir(), "mood.csv");
    writeFileSync(file, ["text,label", ...Array.from({ length: 30 }, (_, i) => (i % 2 ? `why so ${i},question` : `it is so ${i},statement`))].join("\n") + "\n");
    const { vocabSize, ...network } = { ...lstm, embed: 4 };
    void vocabSize;
    const prepared = prepareTextTask({ kind: "classify", data: file, valFraction: 0.2, network });
    assert.throws(() => createTextTaskTrainer(prepared), /built for the language model \(--task lm\).*padding would enter each step's batch statistics/);
  });
  test("a batch of one stream is refused with the reason", () => {
    assert.throws(() => trainer({ ...lstm, vocabSize: vocab.size }, null, 1, { ...options, batch: 1 }), /needs a batch of at least 2 streams, not 1/);
  });
  test("a batch-normalised model trains on one thread whatever the thread count", () => {
    const t = trainer({ ...lstm, vocabSize: vocab.size }, null, 3);
    assert.equal(t.threads, 1);
    t.dispose();
    const plain = trainer({ ...lstm, norm: "layer", vocabSize: vocab.size }, null, 3);
    assert.equal(plain.threads, 3, "the rule is batch norm's");
    plain.dispose();
  });
});
