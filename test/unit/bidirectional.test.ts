// Bidirectional layers and the pooled (sequence) head of the core: f64 finite-difference gradient
// checks for RNN/LSTM/GRU, 1–2 layers, every pooling and the per-step head on a batch of mixed
// lengths; padding never changes a result (a stream alone and inside a padded batch); PyTorch's
// bidirectional modules on packed sequences (test/fixtures/generateBidirectionalFixtures.py); the
// closed-form tensor table, names and memory figure; backward from an external ∂L/∂logits; the
// input gradients behind attributions.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Core } from "../../src/engine/core/core";
import { CoreFlag, SequencePool, TensorKind } from "../../src/engine/core/coreAbi";
import { coreMemoryBytes } from "../../src/engine/core/limits";
import { cellOptionProblem, parameterCount, tensorTable } from "../../src/engine/model/cells";
import { ModelSpec, coreShape, describeModel, describeSpec, fromTorchLayout, toTorchLayout, torchName } from "../../src/engine/model/modelSpec";
import { GRADIENT_CHECK_THRESHOLD, finiteDifferenceCheck, gradientCheck, sequenceLengths } from "../../src/engine/insight/gradientCheck";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { decodeCheckpoint, encodeCheckpoint } from "../../src/engine/files/checkpoint";
import { exportSafetensors, pytorchProject } from "../../src/engine/interop/modelExport";
import { decodeSafetensors } from "../../src/engine/interop/safetensors";
import { initialiseParameters } from "../../src/engine/model/initialise";
import { DEFAULT_TRAIN_OPTIONS } from "../../src/engine/training/trainOptions";
import { Trainer, splitCorpus } from "../../src/engine/training/trainer";
import { decodeSafetensors as readSafetensors, encodeSafetensors } from "../../src/engine/interop/safetensors";
import { importTorchWeights, importedTaskHead } from "../../src/engine/interop/torchImport";
import { writeFileSync } from "node:fs";
import * as ort from "onnxruntime-web";
import { exportOnnx } from "../../src/engine/interop/onnxExport";
import { expectClose, jsonLines, projectRoot, runCli, tempDir } from "../helpers";

const base: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 1, hidden: 3, embed: 3, vocabSize: 5, peephole: false, coupled: false, residual: false, outputs: 4, bidirectional: true };
const POOLS: [string, SequencePool][] = [["steps", SequencePool.Steps], ["last", SequencePool.Last], ["mean", SequencePool.Mean], ["max", SequencePool.Max]];
const CELLS: Partial<ModelSpec>[] = [{ cell: "rnn", nonlinearity: "tanh" }, { cell: "rnn", nonlinearity: "relu" }, { cell: "lstm" }, { cell: "gru" }];
const label = (s: ModelSpec) => `${s.cell}${s.cell === "rnn" ? "-" + s.nonlinearity : ""} ${s.layers}L${s.embed ? "" : " one-hot"}${s.residual ? " residual" : ""}`;

/** A bidirectional f64 core with random weights, ids (padding too: it must not matter), lengths and targets. */
function randomCore(spec: ModelSpec, pool: SequencePool, lengths: number[], steps: number, seed = 11): Core {
  const core = new Core(coreShape(spec), "f64");
  core.setShape(lengths.length, steps);
  core.setSequenceHead(pool);
  core.seed(seed);
  core.fillRandom(core.params(), 0.5);
  const draw = (n: number) => core.nextU32() % n;
  const ids = core.inputs();
  for (let k = 0; k < ids.length; k++) ids[k] = draw(spec.vocabSize);
  const O = spec.outputs ?? spec.vocabSize;
  const targets = core.targets();
  for (let k = 0; k < targets.length; k++) targets[k] = draw(O);
  core.lengths().set(lengths);
  const classes = core.classTargets();
  for (let b = 0; b < classes.length; b++) classes[b] = draw(O);
  const w = core.streamWeights();
  for (let b = 0; b < w.length; b++) w[b] = 0.5 + b * 0.75;
  return core;
}

function checkGradients(spec: ModelSpec, pool: SequencePool, lengths: number[], steps: number, dropout = 0): void {
  const core = randomCore(spec, pool, lengths, steps);
  core.setDropoutKey(12345);
  const loss = () => core.forward(dropout > 0, dropout, true);
  core.zeroGrads();
  loss();
  core.backward();
  // ReLU is piecewise linear and max pooling picks an arg max: a stencil spanning ±3ε must not
  // straddle a kink (ReLU's pre-activations here come within 3e-3 of one), and there is no
  // truncation error to lose; max pooling's smooth pieces take 2e-3 (at 5e-4 and below the rounding
  // of the loss, ~1e-16/ε, is 1e-6 relative on the smallest recurrent gradients)
  const h = spec.nonlinearity === "relu" ? 1e-4 : pool === SequencePool.Max ? 2e-3 : 1e-2;
  const checks = finiteDifferenceCheck(core, loss, h);
  assert.equal(checks.length, core.tensors.length);
  for (const c of checks) assert.ok(c.maxRelError < GRADIENT_CHECK_THRESHOLD, `${label(spec)} pool ${pool}: ${c.name} max relative error ${c.maxRelError}`);
  assert.ok(checks.some((c) => c.name.endsWith("_reverse")), "the reverse direction's tensors are checked");
}

describe("bidirectional gradient checks (f64, relative error < 1e-6 per tensor)", () => {
  for (const cell of CELLS) {
    for (const layers of [1, 2]) {
      test(`${label({ ...base, ...cell, layers } as ModelSpec)}: every pooling and the per-step head, lengths 5, 2, 4, 0`, () => {
        for (const [, pool] of POOLS) checkGradients({ ...base, ...cell, layers } as ModelSpec, pool, [5, 2, 4, 0], 5);
      });
    }
  }
  test("one-hot input, residual layers and dropout", () => {
    checkGradients({ ...base, embed: 0, layers: 2 }, SequencePool.Last, [4, 1, 3], 4);
    checkGradients({ ...base, cell: "gru", residual: true, layers: 3 }, SequencePool.Mean, [4, 2, 3], 4);
    checkGradients({ ...base, layers: 2 }, SequencePool.Steps, [4, 3, 2], 4, 0.3);
  });
  test("the other step-by-step cells work bidirectionally: peepholes, CTRNN, additive, reset-before GRU", () => {
    for (const extra of [{ cell: "lstm", peephole: true }, { cell: "ctrnn" }, { cell: "ctrnn", learnTau: true }, { cell: "additive", additiveForm: "state" }, { cell: "gru", gruReset: "before" }] as Partial<ModelSpec>[]) {
      const spec = { ...base, ...extra } as ModelSpec;
      assert.equal(cellOptionProblem(spec), null);
      checkGradients(spec, SequencePool.Mean, [4, 2, 3], 4);
      checkGradients(spec, SequencePool.Steps, [4, 2, 3], 4);
    }
  });
  test("the linear-recurrence cells refuse it, with the reason, in the registry and in the core", () => {
    for (const cell of ["mingru", "minlstm"] as const) {
      assert.match(cellOptionProblem({ ...base, cell }) ?? "", /cannot be bidirectional: its whole-window solver runs forwards only/);
      assert.throws(() => new Core(coreShape({ ...base, cell }), "f64"), /refused the model shape/);
    }
  });
  test("the engine's gradientCheck (the CLI's and the extension's) checks a bidirectional model on mixed lengths, every head", () => {
    assert.deepEqual(sequenceLengths(3, 5), [5, 3, 1]);
    for (const [name, pool] of POOLS) {
      const checks = gradientCheck({ ...base, cell: "gru", layers: 2 }, { pool });
      for (const c of checks) assert.ok(c.maxRelError < GRADIENT_CHECK_THRESHOLD, `pool ${name}: ${c.name} ${c.maxRelError}`);
      assert.ok(checks.some((c) => c.name === "rnn.weight_hh_l1_reverse"), `pool ${name}: the reverse tensors are checked`);
    }
  });
  test("rnn-lab gradcheck --bidirectional [--pool last|mean|max]: passes, says the head; --pool alone or a bad one is refused", () => {
    const r = runCli(["gradcheck", "--bidirectional", "--pool", "max", "--cell", "lstm", "--layers", "1", "--hidden", "3", "--json"]);
    assert.equal(r.status, 0, r.stderr);
    const lines = jsonLines(r.stdout);
    const summary = lines.at(-1)!;
    assert.equal(summary.pool, "max");
    assert.equal((summary.model as ModelSpec).bidirectional, true);
    assert.equal(summary.pass, true);
    assert.ok(lines.some((l) => l.name === "rnn.weight_ih_l0_reverse" && l.pass === true));
    const text = runCli(["gradcheck", "--bidirectional", "--cell", "rnn", "--layers", "1", "--hidden", "3"]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /gradient check of RNN \(tanh\) 1×3, bidirectional, one-hot input, vocabulary 7, per-step head/);
    const alone = runCli(["gradcheck", "--pool", "mean"]);
    assert.notEqual(alone.status, 0);
    assert.match(alone.stderr, /--pool goes with --bidirectional/);
    const bad = runCli(["gradcheck", "--bidirectional", "--pool", "median"]);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /--pool must be last, mean or max, not "median"/);
  });
  test("describeModel names the two directions", () => {
    assert.equal(describeSpec({ ...base, embed: 0 }), "LSTM 1×3, bidirectional, one-hot input, vocabulary 5");
    assert.deepEqual(describeModel({ ...base, bidirectional: false }).options.map((o) => o.kind), ["embedding", "vocabulary"]);
  });
});

describe("padding never changes a result", () => {
  for (const cell of CELLS) {
    for (const [name, pool] of POOLS) {
      test(`${label({ ...base, ...cell } as ModelSpec)} 2 layers, pool ${name}: each stream alone equals its row of a padded batch (logits and gradients)`, () => {
        const spec = { ...base, ...cell, layers: 2 } as ModelSpec;
        const lengths = [6, 3, 5], T = 6, O = spec.outputs!;
        const batch = randomCore(spec, pool, lengths, T);
        const params = Float64Array.from(batch.params());
        for (let b = 0; b < lengths.length; b++) {
          const n = lengths[b];
          // the batch: only stream b carries loss
          if (pool === SequencePool.Steps) batch.lossWeights().forEach((_, r, w) => { w[r] = r % lengths.length === b ? 1 : 0; });
          else batch.streamWeights().forEach((_, s, w) => { w[s] = s === b ? 1 : 0; });
          batch.zeroGrads();
          const lossInBatch = batch.forward(false, 0, true);
          batch.backward();
          const alone = new Core(coreShape(spec), "f64");
          alone.setShape(1, n);
          alone.setSequenceHead(pool);
          alone.params().set(params);
          for (let t = 0; t < n; t++) {
            alone.inputs()[t] = batch.inputs()[t * lengths.length + b];
            alone.targets()[t] = batch.targets()[t * lengths.length + b];
          }
          alone.classTargets()[0] = batch.classTargets()[b];
          alone.zeroGrads();
          const lossAlone = alone.forward(false, 0, true);
          alone.backward();
          assert.ok(Math.abs(lossAlone - lossInBatch) < 1e-12, `stream ${b}: loss ${lossAlone} alone, ${lossInBatch} in the batch`);
          const rowsAlone = pool === SequencePool.Steps ? n : 1;
          const mine = (core: Core, streams: number) => {
            const out: number[] = [];
            for (let r = 0; r < rowsAlone; r++) {
              const row = pool === SequencePool.Steps ? r * streams + (streams === 1 ? 0 : b) : streams === 1 ? 0 : b;
              for (let j = 0; j < O; j++) out.push(core.logits()[row * O + j]);
            }
            return out;
          };
          expectClose(mine(alone, 1), mine(batch, lengths.length), { atol: 1e-12, rtol: 1e-6 }, `stream ${b} logits`);
          expectClose(alone.grads(), batch.grads(), { atol: 1e-12, rtol: 1e-6 }, `stream ${b} gradients`);
        }
      });
    }
  }
});

interface BidirectionalFixture {
  name: string;
  spec: ModelSpec;
  pool: "last" | "mean" | "max" | "steps";
  batch: number;
  steps: number;
  lengths: number[];
  inputs: number[];
  targets: number[];
  weights: number[] | null;
  params: Record<string, { shape: number[]; data: number[] }>;
  output: number[];
  hn: number[];
  logits: number[];
  loss: number;
  grads: Record<string, number[]>;
}

const fixtures: BidirectionalFixture[] = JSON.parse(readFileSync(join(projectRoot, "test", "fixtures", "bidirectionalFixtures.json"), "utf8")).cases;
const POOL_CODE = { last: SequencePool.Last, mean: SequencePool.Mean, max: SequencePool.Max, steps: SequencePool.Steps };

/** The core loaded with a fixture's weights and batch, after one forward and backward pass. */
function fixtureCore(f: BidirectionalFixture, precision: "f32" | "f64"): { core: Core; loss: number } {
  const core = new Core(coreShape(f.spec), precision);
  core.setShape(f.batch, f.steps);
  core.setSequenceHead(POOL_CODE[f.pool]);
  const params = core.params();
  for (const slot of core.tensors) fromTorchLayout(slot, f.params[torchName(slot)].data, core.tensor(slot, params));
  core.inputs().set(f.inputs);
  core.lengths().set(f.lengths);
  if (f.pool === "steps") core.targets().set(f.targets);
  else { core.classTargets().set(f.targets); core.streamWeights().set(f.weights!); }
  core.zeroGrads();
  const loss = core.forward(false, 0, true);
  core.backward();
  return { core, loss };
}

describe("PyTorch parity: nn.RNN/LSTM/GRU(bidirectional=True) on packed padded batches", () => {
  test("the fixtures cover every cell, 1 and 2 layers, every pooling and tagging", () => {
    assert.equal(fixtures.length, 32);
    assert.deepEqual([...new Set(fixtures.map((f) => f.pool))].sort(), ["last", "max", "mean", "steps"]);
  });
  for (const f of fixtures) {
    test(`${f.name}: outputs, h_n, logits, loss and every gradient to 1e-5 (f64), 1e-4 (f32)`, () => {
      for (const [precision, tol] of [["f64", 1e-5], ["f32", 1e-4]] as const) {
        const { core, loss } = fixtureCore(f, precision);
        const B = f.batch, H = f.spec.hidden, L = f.spec.layers, W = 2 * H;
        assert.ok(Math.abs(loss - f.loss) < tol * Math.max(1, Math.abs(f.loss)), `${precision} loss ${loss}, PyTorch ${f.loss}`);
        // outputs of the top layer on the real steps (pad_packed_sequence writes zeros past each length)
        const top = core.layerOutput(L - 1), mine: number[] = [], theirs: number[] = [];
        for (let t = 0; t < f.steps; t++) for (let b = 0; b < B; b++) {
          if (t >= f.lengths[b]) continue;
          for (let j = 0; j < W; j++) { mine.push(top[(t * B + b) * W + j]); theirs.push(f.output[(t * B + b) * W + j]); }
        }
        expectClose(mine, theirs, { atol: tol, rtol: tol }, `${precision} output`);
        // h_n [layers·2, B, H]: forward after each stream's last step (held through the padding), backward after step 0
        const hn: number[] = [];
        for (let l = 0; l < L; l++) {
          hn.push(...core.directionHidden(l, 0).subarray(f.steps * B * H, (f.steps + 1) * B * H));
          hn.push(...core.directionHidden(l, 1).subarray(0, B * H));
        }
        expectClose(hn, f.hn, { atol: tol, rtol: tol }, `${precision} h_n`);
        const rows = f.pool === "steps" ? f.steps * B : B;
        const logits = Array.from(core.logits().subarray(0, rows * 4));
        if (f.pool === "steps") {
          const real = (_: number, k: number) => Math.floor(k / 4) / B < f.lengths[Math.floor(k / 4) % B];
          expectClose(logits.filter(real), f.logits.filter(real), { atol: tol, rtol: tol }, `${precision} logits`);
        } else {
          expectClose(logits, f.logits, { atol: tol, rtol: tol }, `${precision} logits`);
        }
        const grads = core.grads();
        for (const slot of core.tensors) {
          expectClose(toTorchLayout(slot, core.tensor(slot, grads)), f.grads[torchName(slot)], { atol: tol, rtol: tol }, `${precision} ∂L/∂${torchName(slot)}`);
        }
      }
    });
  }
});

describe("the bidirectional model's layout", () => {
  const specs: ModelSpec[] = [
    base, { ...base, layers: 3, embed: 0, cell: "gru" }, { ...base, cell: "lstm", peephole: true, layers: 2, residual: true },
    { ...base, crf: true, outputs: 5 }, { ...base, cell: "ctrnn", learnTau: true, layers: 2 }, { ...base, bidirectional: false, crf: true },
  ];
  test("the closed-form tensor table, parameter count and memory figure are the core's", () => {
    for (const spec of specs) {
      const core = new Core(coreShape(spec));
      assert.deepEqual(tensorTable(spec), core.tensors, JSON.stringify(spec));
      assert.equal(parameterCount(spec), core.paramCount);
      for (const [batch, steps] of [[1, 1], [7, 13], [32, 50]]) {
        core.setShape(batch, steps);
        const predicted = coreMemoryBytes(spec, batch, steps), grown = core.memoryBytes();
        assert.ok(predicted >= grown && predicted - grown <= 65536, `${JSON.stringify(spec)} at ${batch}×${steps}: predicted ${predicted}, grown ${grown}`);
      }
    }
  });
  test("PyTorch's names: rnn.*_l{k}_reverse for the second direction, crf.* after the head", () => {
    const names = tensorTable({ ...base, layers: 2, crf: true }).map(torchName);
    assert.deepEqual(names, [
      "embed.weight",
      "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
      "rnn.weight_ih_l0_reverse", "rnn.weight_hh_l0_reverse", "rnn.bias_ih_l0_reverse", "rnn.bias_hh_l0_reverse",
      "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1",
      "rnn.weight_ih_l1_reverse", "rnn.weight_hh_l1_reverse", "rnn.bias_ih_l1_reverse", "rnn.bias_hh_l1_reverse",
      "head.weight", "head.bias", "crf.transitions", "crf.start_transitions", "crf.end_transitions",
    ]);
    const slots = tensorTable({ ...base, layers: 2, crf: true });
    assert.deepEqual(slots.find((s) => s.kind === TensorKind.WeightIh && s.layer === 1)?.rows, 6, "layer 1 reads both directions: 2H");
    assert.deepEqual(slots.find((s) => s.kind === TensorKind.HeadWeight)?.rows, 6, "the head reads 2H");
    assert.equal(coreShape({ ...base, crf: true }).flags & (CoreFlag.Bidirectional | CoreFlag.CrfTensors), CoreFlag.Bidirectional | CoreFlag.CrfTensors);
  });
});

describe("backward from the engine's ∂L/∂logits, and input gradients", () => {
  test("a stream of length 0 (an unused slot of a batch) carries no loss in the pooled head", () => {
    for (const pool of [SequencePool.Last, SequencePool.Mean, SequencePool.Max]) {
      const core = randomCore(base, pool, [3, 0, 2], 3);
      const withEmpty = core.forward(false, 0, true);
      const total = core.lossWeightTotal();
      core.streamWeights()[1] = 0;
      assert.equal(core.forward(false, 0, true), withEmpty);
      assert.equal(total, core.streamWeights()[0] + core.streamWeights()[2]);
    }
  });

  test("the gradient-flow record and the gate views are per direction: with pool last, the reverse direction's gradient enters at step 0", () => {
    const core = randomCore({ ...base, layers: 2 }, SequencePool.Last, [4], 4);
    core.zeroGrads();
    core.forward(false, 0, true);
    const reverseGates = Array.from(core.directionGates(1, 1).subarray(0, 4 * 12));
    assert.notDeepEqual(reverseGates, Array.from(core.directionGates(1, 0).subarray(0, 4 * 12)));
    core.backward(true);
    const flow = core.gradFlow(); // [layers·2, T]: row l·2 + d
    assert.equal(flow.length, 2 * 2 * 4);
    const top = (d: number) => Array.from(flow.subarray((2 + d) * 4, (3 + d) * 4));
    assert.ok(top(0)[3] > 0 && top(1)[0] > 0, JSON.stringify([top(0), top(1)]));
    // ∂L/∂(top layer's output) is only at the last step forwards and step 0 backwards: what each half read first gets the head's gradient alone
    assert.ok(top(0).every((x) => x > 0) && top(1).every((x) => x > 0), "and flows back through time in each direction");
  });

  test("dLogits written by the engine after a forward pass without loss gives the softmax loss's gradients", () => {
    for (const [, pool] of POOLS) {
      const spec = { ...base, crf: true };
      const core = randomCore(spec, pool, [5, 2, 4], 5);
      core.zeroGrads();
      core.forward(false, 0, true);
      const expected = Float64Array.from(core.dLogits());
      core.backward();
      const reference = Float64Array.from(core.grads());
      core.forward(false, 0, false);
      core.dLogits().fill(0);
      core.dLogits().set(expected);
      core.zeroGrads();
      core.backward();
      expectClose(core.grads(), reference, { atol: 0, rtol: 0 }, `pool ${pool}`);
      const crf = core.tensors.filter((s) => s.kind >= TensorKind.CrfTransitions).map((s) => Array.from(core.tensor(s, core.grads())));
      assert.equal(crf.length, 3);
      assert.ok(crf.every((g) => g.every((x) => x === 0)), "the core leaves the CRF's gradients to the engine");
    }
  });

  for (const embed of [3, 0]) {
    test(`${embed ? "embedding" : "one-hot"} input: Σ_r x_r·∂logit/∂x_r at α·x equals d logit(α·x)/dα (finite differences)`, () => {
      const spec = { ...base, embed, layers: 2 };
      const core = randomCore(spec, SequencePool.Mean, [5, 2, 4], 5);
      const logitAt = (alpha: number, b: number, c: number) => {
        core.setInputScale(alpha);
        core.forward(false, 0, false);
        return core.logits()[b * 4 + c];
      };
      for (const alpha of [0.3, 1]) {
        const b = 2, c = 1;
        logitAt(alpha, b, c);
        core.dLogits().fill(0);
        core.dLogits()[b * 4 + c] = 1;
        core.zeroGrads();
        core.backwardWithInputGrad();
        const g = core.inputGradient();
        let directional = 0;
        if (embed) {
          const table = core.tensor(core.tensors[0]);
          for (let r = 0; r < 5 * 3; r++) {
            const id = core.inputs()[r];
            for (let j = 0; j < embed; j++) directional += g[r * embed + j] * table[id * embed + j];
          }
        } else {
          for (let r = 0; r < 5 * 3; r++) directional += g[r];
        }
        const e = 1e-3;
        const numeric = (45 * (logitAt(alpha + e, b, c) - logitAt(alpha - e, b, c)) - 9 * (logitAt(alpha + 2 * e, b, c) - logitAt(alpha - 2 * e, b, c))
          + (logitAt(alpha + 3 * e, b, c) - logitAt(alpha - 3 * e, b, c))) / (60 * e);
        assert.ok(Math.abs(directional - numeric) < 1e-8 * Math.max(1, Math.abs(numeric)), `α ${alpha}: ${directional} vs ${numeric}`);
        assert.ok(Math.abs(numeric) > 1e-3, "a gradient that can fail");
      }
    });
  }
});

describe("bidirectional models in files", () => {
  const vocab = new CharVocabulary({ chars: [..."abcde"], unk: -1 });
  test("initialisation fills the reverse tensors as the forward ones, and a checkpoint round trip keeps every tensor", () => {
    const spec: ModelSpec = { ...base, layers: 2, crf: true };
    const core = new Core(coreShape(spec));
    initialiseParameters(core, spec, "xavier", 1, 5);
    const params = Float32Array.from(core.params());
    const reverse = core.tensors.filter((s) => s.direction === 1);
    assert.equal(reverse.length, 8);
    for (const slot of reverse) {
      const t = core.tensor(slot, params);
      const forward = core.tensors.find((s) => s.kind === slot.kind && s.layer === slot.layer && s.direction === undefined)!;
      if (slot.kind === TensorKind.WeightIh || slot.kind === TensorKind.WeightHh) assert.ok(t.some((x) => x !== 0), torchName(slot));
      if (slot.kind === TensorKind.BiasIh) assert.deepEqual(Array.from(t), Array.from(core.tensor(forward, params)), "the forget bias in both directions");
    }
    const model = { spec, vocab, params, training: null };
    const back = decodeCheckpoint(encodeCheckpoint(model), "bi.safetensors");
    assert.deepEqual(back.spec, spec);
    assert.deepEqual(Array.from(back.params), Array.from(params));
  });

  test("the exported safetensors has exactly PyTorch's state_dict keys and shapes for nn.LSTM(bidirectional=True) (what load_state_dict(strict=True) checks)", () => {
    for (const f of fixtures.filter((x) => x.pool === "last")) {
      const spec = f.spec;
      const core = new Core(coreShape(spec));
      const file = decodeSafetensors(exportSafetensors({ spec, vocab: new CharVocabulary({ chars: [..."abcdef"], unk: -1 }), params: Float32Array.from(core.params()), training: null }));
      const mine = Object.fromEntries([...file.tensors.values()].map((t) => [t.name, t.shape]));
      const theirs = Object.fromEntries(Object.entries(f.params).map(([k, v]) => [k, v.shape]));
      assert.deepEqual(mine, theirs, f.name);
    }
  });

  test("the PyTorch project export refuses a bidirectional character model with the formats that work", () => {
    const spec: ModelSpec = { ...base, vocabSize: vocab.size };
    assert.throws(() => pytorchProject({ spec, vocab, params: new Float32Array(parameterCount(spec)), training: null }, null),
      /a bidirectional character model has no next-character training in the project; export it as safetensors \(PyTorch loads it strictly\) or onnx/);
  });

  test("a language model refuses bidirectional layers, with the reason", () => {
    const spec: ModelSpec = { ...base, outputs: undefined, vocabSize: vocab.size };
    const data = vocab.encode("abcdeabcdeabcdeabcdeabcdeabcdeabcdeabcdeabcde");
    assert.throws(() => new Trainer(spec, vocab, splitCorpus(data, 0.1), { ...DEFAULT_TRAIN_OPTIONS, batch: 2, seq: 4 }, { files: [], sha256: "", chars: data.length, trainChars: 0 }),
      /a language model cannot be bidirectional: its backward direction would read the very characters it is asked to predict/);
  });
});

describe("importing PyTorch classifiers and taggers (--task classify|tag)", () => {
  const vocab = new CharVocabulary({ chars: [..."abcdef"], unk: -1 });
  /** A fixture's state_dict under another program's module names (nn.LSTM as "lstm", nn.Linear as "classifier"/"hidden2tag"). */
  const stateDict = (f: BidirectionalFixture, head: string) => Object.entries(f.params).map(([name, p]) => ({
    name: name.replace(/^rnn\./, f.spec.cell === "gru" ? "gru." : "lstm.").replace(/^head\./, head), shape: p.shape, data: Float32Array.from(p.data),
  }));
  /** The imported model's logits on the fixture's batch (f32 core, the pooled head the task names). */
  const logitsOf = (f: BidirectionalFixture, model: { spec: ModelSpec; params: Float32Array }): number[] => {
    const core = new Core(coreShape(model.spec));
    core.setShape(f.batch, f.steps);
    core.setSequenceHead(POOL_CODE[f.pool]);
    core.params().set(model.params);
    core.inputs().set(f.inputs);
    core.lengths().set(f.lengths);
    core.forward(false, 0, false);
    const rows = f.pool === "steps" ? f.steps * f.batch : f.batch;
    return Array.from(core.logits().subarray(0, rows * 4));
  };
  for (const f of fixtures.filter((x) => x.spec.layers === 2 || x.spec.cell === "gru")) {
    test(`${f.name}: imported with its labels gives PyTorch's logits to 1e-4`, () => {
      const file = { tensors: new Map(stateDict(f, f.pool === "steps" ? "hidden2tag." : "classifier.").map((t) => [t.name, t])), metadata: {} };
      const head = f.pool === "steps" ? importedTaskHead("tag", ["B-X", "I-X", "O", "B-Y"], undefined, "tags.json") : importedTaskHead("classify", ["neg", "neu", "pos", "spam"], f.pool, "labels.json");
      const { model } = importTorchWeights(file, vocab, { head, nonlinearity: f.spec.nonlinearity }); // shapes cannot tell tanh from relu
      assert.equal(model.spec.bidirectional, true);
      assert.equal(model.spec.outputs, 4);
      assert.equal(model.task?.name, f.pool === "steps" ? "tag" : "classify");
      const mine = logitsOf(f, model);
      const real = (_: number, k: number) => f.pool !== "steps" || Math.floor(k / 4) / f.batch < f.lengths[Math.floor(k / 4) % f.batch];
      expectClose(mine.filter(real), f.logits.filter(real), { atol: 1e-4, rtol: 1e-4 }, "logits");
    });
  }
  test("refusals name the file and the reason: a char model with _reverse tensors, a label list that does not fit the head, bad lists", () => {
    const f = fixtures.find((x) => x.pool === "last")!;
    const file = { tensors: new Map(stateDict(f, "head.").map((t) => [t.name, t])), metadata: {} };
    assert.throws(() => importTorchWeights(file, vocab), /bidirectional layers read the text backwards too.*--task classify\|tag/);
    assert.throws(() => importTorchWeights(file, vocab, { head: importedTaskHead("classify", ["a", "b", "c"], "last", "labels.json") }), /the label list has 3 entries but head.weight has shape \[4, 6\] \(it must be \[3, 6\]: both directions/);
    assert.throws(() => importedTaskHead("classify", ["a"], "last", "labels.json"), /labels.json must be a JSON list of at least two/);
    assert.throws(() => importedTaskHead("classify", ["a", "a"], "last", "labels.json"), /names "a" twice/);
    assert.throws(() => importedTaskHead("classify", ["a", "b"], "median", "labels.json"), /--pool must be last, mean, max/);
    assert.throws(() => importedTaskHead("tag", ["a", "b"], "last", "tags.json"), /--pool is for --task classify/);
  });
  test("rnn-lab import … --task classify --labels LABELS.json --pool mean writes the classifier (the reverse tensors and the task entry)", () => {
    const f = fixtures.find((x) => x.pool === "mean" && x.spec.cell === "lstm" && x.spec.layers === 2)!;
    const dir = tempDir();
    writeFileSync(join(dir, "clf.safetensors"), encodeSafetensors(stateDict(f, "classifier."), {}));
    writeFileSync(join(dir, "vocab.json"), JSON.stringify([..."abcdef"]));
    writeFileSync(join(dir, "labels.json"), JSON.stringify(["neg", "neu", "pos", "spam"]));
    const r = runCli(["import", "clf.safetensors", "--vocab", "vocab.json", "--task", "classify", "--labels", "labels.json", "--pool", "mean", "--out", "clf.ckpt", "--json"], { cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    const written = readSafetensors(readFileSync(join(dir, "clf.ckpt")));
    assert.ok(written.tensors.has("rnn.weight_hh_l1_reverse"));
    assert.deepEqual(JSON.parse(written.metadata.task), { name: "classify", metadata: { classes: ["neg", "neu", "pos", "spam"], pool: "mean", classWeights: null, maxLength: 4096, seed: 0 } });
    assert.equal(JSON.parse(written.metadata.model).bidirectional, true);
    const bad = runCli(["import", "clf.safetensors", "--vocab", "vocab.json", "--task", "classify", "--out", "x.ckpt"], { cwd: dir });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--task classify needs --labels LABELS.json/);
  });
});

describe("ONNX export of classifiers and taggers: direction=\"bidirectional\" with sequence_lens, in onnxruntime-web", () => {
  const vocab = new CharVocabulary({ chars: [..."abcdef"], unk: -1 });
  for (const f of fixtures.filter((x) => x.spec.layers === 2 || x.spec.cell === "rnn")) {
    test(`${f.name}: onnxruntime's logits equal PyTorch's to 1e-4`, async () => {
      const params = new Float32Array(parameterCount(f.spec));
      for (const slot of tensorTable(f.spec)) fromTorchLayout(slot, f.params[torchName(slot)].data, params.subarray(slot.offset, slot.offset + slot.rows * slot.cols));
      const task = f.pool === "steps" ? { name: "tag", metadata: { tags: ["a", "b", "c", "d"], scheme: "none" } } : { name: "classify", metadata: { classes: ["a", "b", "c", "d"], pool: f.pool } };
      const bytes = exportOnnx({ spec: f.spec, vocab, params, training: null, task });
      const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
      const out = await session.run({
        input_ids: new ort.Tensor("int64", BigInt64Array.from(f.inputs, (v) => BigInt(v)), [f.steps, f.batch]),
        sequence_lens: new ort.Tensor("int32", Int32Array.from(f.lengths), [f.batch]),
      });
      const logits = Array.from(out.logits.data as Float32Array);
      assert.deepEqual(out.logits.dims, f.pool === "steps" ? [f.steps, f.batch, 4] : [f.batch, 4]);
      const real = (_: number, k: number) => f.pool !== "steps" || Math.floor(k / 4) / f.batch < f.lengths[Math.floor(k / 4) % f.batch];
      expectClose(logits.filter(real), f.logits.filter(real), { atol: 1e-4, rtol: 1e-4 }, "logits");
    });
  }
});
