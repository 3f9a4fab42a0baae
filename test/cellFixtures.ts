// What the newer cells' tests share. The PyTorch fixtures (test/fixtures/generate*Fixtures.py, their
// case_record): one model case loaded into a core and checked against it — logits, loss, final states
// and every gradient — on every core build. And the seams around a cell option: a random model, the
// exported PyTorch project run on it (training/evaluate.ts's windowLogits gives the core's side), the
// memory estimate, the CLI round trip, the gate heatmap's normalised quantities, training on a small
// corpus (threads, exact resume).

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Core } from "../src/engine/core/core";
import { KERNEL_VARIANTS, KernelVariant, Precision, variantAvailable } from "../src/engine/core/coreLoader";
import type { TensorSlot } from "../src/engine/core/coreAbi";
import { coreMemoryBytes } from "../src/engine/core/limits";
import { Model, decodeCheckpoint } from "../src/engine/files/checkpoint";
import type { Activations } from "../src/engine/insight/activations";
import { pytorchProject } from "../src/engine/interop/modelExport";
import { CharVocabulary } from "../src/engine/model/charVocabulary";
import { initialiseParameters } from "../src/engine/model/initialise";
import { ModelSpec, coreShape, fromTorchLayout, isTransposedInTorch, torchName } from "../src/engine/model/modelSpec";
import { DEFAULT_TRAIN_OPTIONS, TrainOptions } from "../src/engine/training/trainOptions";
import { Trainer, splitCorpus } from "../src/engine/training/trainer";
import { expectClose, projectRoot, runCli, tempDir } from "./helpers";

export const PYTHON = "/usr/bin/python3";

export interface CellFixture {
  name: string; spec: ModelSpec; batch: number; steps: number; inputs: number[]; targets: number[]; h0: number[];
  params: Record<string, { shape: number[]; data: number[] }>; logits: number[]; loss: number; hn: number[]; grads: Record<string, number[]>;
  /** The LSTM's c [L, B, H], initial and final, in the fixtures that carry it (empty for their GRU cases). */
  c0?: number[]; cn?: number[];
}

/** The model cases of test/fixtures/<file>. */
export function readCellFixtures<F extends CellFixture = CellFixture>(file: string): F[] {
  return (JSON.parse(readFileSync(join(projectRoot, "test", "fixtures", file), "utf8")) as { models: F[] }).models;
}

/** The case's initial state h0 (and c0) into the core. */
export function setCellFixtureState(core: Core, f: CellFixture): void {
  const n = f.batch * f.spec.hidden;
  for (let l = 0; l < f.spec.layers; l++) {
    core.hiddenStates(l).set(f.h0.slice(l * n, (l + 1) * n));
    if (f.c0?.length) core.cellStates(l).set(f.c0.slice(l * n, (l + 1) * n));
  }
}

/** A core holding the case's weights, inputs, targets and initial state. */
export function loadCellFixture(f: CellFixture, precision: Precision, variant?: KernelVariant): Core {
  const core = new Core(coreShape(f.spec), precision, variant);
  core.setShape(f.batch, f.steps);
  assert.deepEqual(core.tensors.map(torchName).sort(), Object.keys(f.params).sort(), "the core's tensors are the reference module's, no more, no fewer");
  for (const slot of core.tensors) fromTorchLayout(slot, f.params[torchName(slot)].data, core.tensor(slot));
  core.inputs().set(f.inputs);
  core.targets().set(f.targets);
  setCellFixtureState(core, f);
  return core;
}

/** Core layout → PyTorch layout in f64 (modelSpec's toTorchLayout writes f32, which would hide the f64 core's precision). */
export function torchLayout64(slot: TensorSlot, data: ArrayLike<number>): Float64Array {
  const out = new Float64Array(slot.rows * slot.cols);
  for (let r = 0; r < slot.rows; r++) for (let c = 0; c < slot.cols; c++) out[isTransposedInTorch(slot) ? c * slot.rows + r : r * slot.cols + c] = data[r * slot.cols + c];
  return out;
}

/** Forward (in training mode if `training`: batch norm's batch statistics) and backward on the loaded core
 *  against the case; the worst difference (the assertions have passed). */
export function checkCellFixture(f: CellFixture, core: Core, tol: { atol: number; rtol: number }, training = false): number {
  const loss = core.forward(training, 0, true);
  let worst = Math.max(expectClose(core.logits(), f.logits, tol, "logits"), expectClose([loss], [f.loss], tol, "loss"));
  const n = f.batch * f.spec.hidden;
  for (let l = 0; l < f.spec.layers; l++) {
    worst = Math.max(worst, expectClose(core.finalHidden(l), f.hn.slice(l * n, (l + 1) * n), tol, `h_n of layer ${l}`));
    if (f.cn?.length) worst = Math.max(worst, expectClose(core.finalCell(l), f.cn.slice(l * n, (l + 1) * n), tol, `c_n of layer ${l}`));
  }
  core.zeroGrads();
  core.backward();
  for (const slot of core.tensors) {
    const name = torchName(slot);
    worst = Math.max(worst, expectClose(torchLayout64(slot, core.tensor(slot, core.grads())), f.grads[name], tol, `gradient of ${name}`));
  }
  return worst;
}

/** One test per case and core: every f32 kernel build to 1e-5, then the f64 core to 1e-12; each prints its worst difference. */
export function testCellFixturesOnEveryCore<F extends CellFixture>(fixtures: F[], check: (f: F, core: Core, tol: { atol: number; rtol: number }) => number = checkCellFixture): void {
  for (const variant of KERNEL_VARIANTS) {
    for (const f of fixtures) {
      test(`f32 ${variant}: ${f.name} (1e-5)`, () => {
        assert.ok(variantAvailable(variant), `${variant} does not validate here`);
        const worst = check(f, loadCellFixture(f, "f32", variant), { atol: 1e-5, rtol: 1e-5 });
        process.stdout.write(`# ${variant} ${f.name}: worst |Δ| ${worst.toExponential(2)}\n`);
      });
    }
  }
  for (const f of fixtures) {
    test(`f64: ${f.name} (1e-12)`, () => {
      const worst = check(f, loadCellFixture(f, "f64"), { atol: 1e-12, rtol: 1e-12 });
      process.stdout.write(`# f64 ${f.name}: worst |Δ| ${worst.toExponential(2)}\n`);
    });
  }
}

/** A model of spec (its vocabulary that of a small mixed text) with the seeded "scaled" initialisation
 *  moved by 0.05·sin(i), so that biases, gains and their offsets are away from 0 and 1. */
export function randomCharModel(spec: ModelSpec, seed = 3): Model {
  const { vocab } = CharVocabulary.fromText("abc defg, 中文!\n");
  const full: ModelSpec = { ...spec, vocabSize: vocab.size };
  const core = new Core(coreShape(full));
  initialiseParameters(core, full, "scaled", 1, seed);
  const params = Float32Array.from(core.params(), (v, i) => v + 0.05 * Math.sin(i));
  return { spec: full, vocab, params, training: null };
}

export function pythonHasTorch(): boolean {
  return spawnSync(PYTHON, ["-c", "import torch"]).status === 0;
}

/** The exported PyTorch project of a model (and corpus) written to a new folder, and its CharModel run there
 *  in evaluation mode on one stream of ids from a zero state, then `more` (Python, the model as m). The
 *  folder, the class of the model's recurrent module, its logits [T·V], and the lines `more` printed. */
export function runExportedProject(model: Model, corpus: string | null, ids: Int32Array, more = ""): { dir: string; moduleName: string; logits: number[]; printed: string[] } {
  const dir = tempDir();
  for (const [name, bytes] of pytorchProject(model, corpus)) writeFileSync(join(dir, name), bytes);
  const script = `
import json, torch
from model import CharModel, load_checkpoint
spec, vocab, _, state = load_checkpoint("model.safetensors")
m = CharModel(spec)
m.load_state_dict(state)
m.eval()
print(type(m.rnn).__name__)
logits, _ = m(torch.tensor(${JSON.stringify(Array.from(ids))}).unsqueeze(1))
print(json.dumps(logits.reshape(-1).tolist()))
${more}`;
  const r = spawnSync(PYTHON, ["-c", script], { cwd: dir, encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: "1" } });
  assert.equal(r.status, 0, r.stderr);
  const [moduleName, logits, ...printed] = r.stdout.trim().split("\n");
  return { dir, moduleName, logits: JSON.parse(logits) as number[], printed };
}

/** A core of spec at batch × window, once limits.ts's estimate of its memory is found to be at least what it grew to, and at most 64 KiB more. */
export function coreWithinMemoryEstimate(spec: ModelSpec, batch: number, window: number, precision: Precision): Core {
  const core = new Core(coreShape(spec), precision);
  core.setShape(batch, window);
  const predicted = coreMemoryBytes(spec, batch, window, precision === "f64" ? 8 : 4), grown = core.memoryBytes();
  assert.ok(predicted >= grown && predicted - grown <= 65536, `${JSON.stringify(spec)} ${batch}×${window} ${precision}: ${predicted} vs ${grown}`);
  return core;
}

/** rnn-lab train with `trainArgs` for 4 steps on a small text, then sample, eval, and train resumed to step 6,
 *  each exiting 0: the checkpoint as trained and as resumed, and the folder, text and checkpoint for more calls. */
export function trainSampleEvalResume(trainArgs: string[]): { dir: string; text: string; ckpt: string; trained: Model; resumed: Model } {
  const dir = tempDir();
  const text = join(dir, "text.txt");
  writeFileSync(text, "the quick brown fox jumps over the lazy dog. ".repeat(40));
  const ckpt = join(dir, "m.safetensors");
  const t = runCli(["train", text, ...trainArgs, "--steps", "4", "--out", ckpt]);
  assert.equal(t.status, 0, t.stderr);
  const trained = decodeCheckpoint(readFileSync(ckpt));
  const s = runCli(["sample", ckpt, "--length", "20", "--json"]);
  assert.equal(s.status, 0, s.stderr);
  const e = runCli(["eval", ckpt, text, "--json"]);
  assert.equal(e.status, 0, e.stderr);
  const r = runCli(["train", text, "--resume", ckpt, "--steps", "6", "--json", "--threads", "1"]);
  assert.equal(r.status, 0, r.stderr);
  return { dir, text, ckpt, trained, resumed: decodeCheckpoint(readFileSync(ckpt)) };
}

/** The gate heatmap's normalised pre-activations (insight/normalisedActivations.ts, recomputed on the TS side)
 *  against the core's own gates: LSTM g = tanh(a'_g + p'_g) and h = o ∘ tanh(c'); GRU n = tanh(a'_n + r ∘ p'_n).
 *  The worst difference over every layer, step and unit. */
export function normalisedGateResidual(a: Activations, cell: "lstm" | "gru"): number {
  const names = a.quantities.map((q) => q.name);
  const at = (name: string) => names.indexOf(name);
  assert.ok(at("normalised input (candidate)") >= 0 && at("normalised recurrent (candidate)") >= 0);
  assert.equal(at("normalised cell state") >= 0, cell === "lstm");
  let worst = 0;
  for (const layer of a.perLayer) {
    const v = (name: string) => layer.values[at(name)];
    const x = v("normalised input (candidate)"), p = v("normalised recurrent (candidate)");
    for (let k = 0; k < x.length; k++) {
      const expected = cell === "lstm" ? Math.tanh(x[k] + p[k]) : Math.tanh(x[k] + v("reset gate")[k] * p[k]);
      worst = Math.max(worst, Math.abs(expected - v("candidate")[k]));
      if (cell === "lstm") worst = Math.max(worst, Math.abs(v("output gate")[k] * Math.tanh(v("normalised cell state")[k]) - v("hidden state")[k]));
    }
  }
  return worst;
}

/** A small mixed-script corpus (validation fraction 0.1) and options (batch 6, window 10, dropout 0.2) for
 *  the thread and exact-resume tests: trainer(spec, …) is a new Trainer on it, trainFor that Trainer after
 *  `steps` steps, disposed. A spec's vocabSize must be vocab.size. */
export function smallTrainingCorpus() {
  const text = "It was the best of times, it was the worst of times; 最好的时代，最坏的时代。 ".repeat(30);
  const { vocab } = CharVocabulary.fromText(text);
  const data = vocab.encode(text);
  const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, batch: 6, seq: 10, lr: 5e-3, dropout: 0.2, valFraction: 0.1 };
  const trainer = (spec: ModelSpec, from: Model | null = null, threads = 1, trainOptions = options): Trainer =>
    new Trainer(spec, vocab, splitCorpus(data, 0.1), trainOptions, { files: [], sha256: "", chars: data.length, trainChars: 0 }, from, undefined, threads);
  const trainFor = (spec: ModelSpec, steps: number, from: Model | null = null, threads = 1): Trainer => {
    const t = trainer(spec, from, threads);
    try {
      for (let k = 0; k < steps; k++) t.trainStep();
    } finally {
      t.dispose();
    }
    return t;
  };
  return { vocab, options, trainer, trainFor };
}
