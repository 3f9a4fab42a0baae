// A forecaster takes the cells and cell options a language model takes (issue 16: "the same cells
// and options as for text"): each option group trained by the built CLI on the bundled daily-load
// example for a few steps, evaluated, and found in the checkpoint's network (and its tensors);
// --bidirectional and an option on a cell without it are refused in one line, nothing written. The
// forecast run request of the editor carries the same options and is checked on receipt.

import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { readForecastCheckpoint } from "../../src/engine/forecast/forecastCheckpoint";
import type { ModelSpec } from "../../src/engine/model/modelSpec";
import { isToTrainingWorker } from "../../src/protocol/trainingWorker";
import { projectRoot, runCli, tempDir } from "../helpers";

const DATA = join(projectRoot, "media", "examples", "daily-load.csv");
const BASE = ["--task", "forecast", "--target", "load", "--inputs", "temperature", "--time-column", "date", "--lookback", "14", "--horizon", "3",
  "--steps", "12", "--hidden", "6", "--batch", "16", "--seed", "3"];

/** Trains with `flags` into a fresh folder; the checkpoint read back and eval --json's model MAE per step. */
function trainAndEval(flags: string[]): { network: ModelSpec; params: Float32Array; tensors: string[]; modelMae: number[]; description: string; dropout: number | undefined } {
  const dir = tempDir("rnnlab-fccells-");
  const t = runCli(["train", DATA, ...BASE, ...flags, "--out", "m.safetensors"], { cwd: dir });
  assert.equal(t.status, 0, t.stderr);
  const e = runCli(["eval", "m.safetensors", DATA, "--json"], { cwd: dir });
  assert.equal(e.status, 0, e.stderr);
  const r = JSON.parse(e.stdout) as { model: string; models: { model: { per_step: { mae: number }[][] } } };
  const modelMae = r.models.model.per_step[0].map((s) => s.mae);
  assert.equal(modelMae.length, 3);
  assert.ok(modelMae.every((m) => Number.isFinite(m) && m > 0), `finite test MAE per step, not ${modelMae}`);
  const c = readForecastCheckpoint(join(dir, "m.safetensors"));
  return { network: c.network, params: c.params, tensors: tensorNames(join(dir, "m.safetensors")), modelMae, description: r.model, dropout: c.training?.settings?.dropout };
}

function tensorNames(path: string): string[] {
  const b = readFileSync(path);
  const header = JSON.parse(b.subarray(8, 8 + Number(b.readBigUInt64LE(0))).toString("utf8")) as Record<string, unknown>;
  return Object.keys(header).filter((k) => k !== "__metadata__");
}

describe("a forecaster takes the language model's cell options", () => {
  test("--cell gru --gru-reset before: the spec carries it, and the forecasts differ from the reset-after GRU of the same seed", () => {
    const before = trainAndEval(["--cell", "gru", "--gru-reset", "before"]);
    const after = trainAndEval(["--cell", "gru"]);
    assert.equal(before.network.gruReset, "before");
    assert.equal(after.network.gruReset, undefined, "absent = the default, after");
    assert.notDeepEqual(before.modelMae, after.modelMae, "the reset position reached the core");
    assert.match(before.description, /^GRU 1×6, reset before, lookback 14, horizon 3 direct/, "eval names the variant");
    assert.match(after.description, /^GRU 1×6, lookback 14/);
  });

  test("--cell lstm --norm layer --layers 2 --residual: the spec and the layer-norm gains of both layers", () => {
    const r = trainAndEval(["--cell", "lstm", "--norm", "layer", "--layers", "2", "--residual"]);
    assert.equal(r.network.norm, "layer");
    assert.equal(r.network.layers, 2);
    assert.equal(r.network.residual, true);
    assert.match(r.description, /^LSTM 2×6, residual, layer norm, lookback/);
    for (const l of [0, 1]) assert.ok(r.tensors.includes(`rnn.ln_ih_gain_l${l}`) && r.tensors.includes(`rnn.ln_c_gain_l${l}`), r.tensors.join(" "));
    assert.ok(!r.tensors.includes("rnn.bias_ih_l0"), "a normalised LSTM's biases are the norms' shifts");
  });

  test("--cell gru --norm layer: the spec and the GRU's two layer norms", () => {
    const r = trainAndEval(["--cell", "gru", "--norm", "layer"]);
    assert.equal(r.network.norm, "layer");
    assert.ok(r.tensors.includes("rnn.ln_ih_gain_l0") && r.tensors.includes("rnn.ln_hh_gain_l0") && !r.tensors.includes("rnn.ln_c_gain_l0"), r.tensors.join(" "));
  });

  test("--cell ctrnn --tau 2 --learn-tau --dt 0.5: the spec and the learned time constants", () => {
    const r = trainAndEval(["--cell", "ctrnn", "--tau", "2", "--learn-tau", "--dt", "0.5"]);
    assert.deepEqual([r.network.tau, r.network.learnTau, r.network.dt], [2, true, 0.5]);
    assert.ok(r.tensors.includes("rnn.tau_rho_l0"), r.tensors.join(" "));
    const fixed = trainAndEval(["--cell", "ctrnn", "--tau", "2", "--dt", "0.5"]);
    assert.equal(fixed.network.learnTau, undefined);
    assert.ok(!fixed.tensors.includes("rnn.tau_rho_l0"), "a fixed τ is no parameter");
  });

  test("--cell additive --additive-form state: the spec, and a recurrent product the input form has not", () => {
    const state = trainAndEval(["--cell", "additive", "--additive-form", "state"]);
    const input = trainAndEval(["--cell", "additive"]);
    assert.equal(state.network.additiveForm, "state");
    assert.ok(state.tensors.includes("rnn.weight_hh_l0"), state.tensors.join(" "));
    assert.ok(!input.tensors.includes("rnn.weight_hh_l0"), input.tensors.join(" "));
  });

  test("--cell lstm --peephole --coupled: the spec and the peephole weights", () => {
    const r = trainAndEval(["--cell", "lstm", "--peephole", "--coupled"]);
    assert.deepEqual([r.network.peephole, r.network.coupled], [true, true]);
    for (const k of ["ci", "cf", "co"]) assert.ok(r.tensors.includes(`rnn.weight_${k}_l0`), r.tensors.join(" "));
  });

  test("--cell rnn --nonlinearity relu, and --dropout reaching the trainer (other weights from the same seed)", () => {
    const relu = trainAndEval(["--cell", "rnn", "--nonlinearity", "relu"]);
    assert.equal(relu.network.nonlinearity, "relu");
    const plain = trainAndEval(["--cell", "lstm", "--layers", "2"]);
    const dropped = trainAndEval(["--cell", "lstm", "--layers", "2", "--dropout", "0.3"]);
    assert.equal(plain.params.length, dropped.params.length);
    assert.ok(plain.params.some((v, i) => v !== dropped.params[i]), "dropout changed what was learned");
    assert.deepEqual([plain.dropout, dropped.dropout], [0, 0.3], "the checkpoint keeps the dropout it was trained with");
  });

  test("--bidirectional is refused with its reason, an option on a cell without it with the registry's line; nothing written", () => {
    for (const [flags, reason] of [
      [["--cell", "lstm", "--bidirectional"], /--bidirectional: a forecaster is never bidirectional: its regression head reads each step's output.*future/],
      [["--cell", "rnn", "--gru-reset", "before"], /--gru-reset is for --cell gru only/],
      [["--cell", "rnn", "--norm", "layer"], /normalisation \(--norm layer\) is built for LSTM and GRU only/],
      [["--cell", "gru", "--tau", "3"], /--tau is only for CTRNN, not GRU/],
      [["--cell", "gru", "--norm", "batchy"], /--norm must be one of none, layer, batch/],
      [["--cell", "lstm", "--norm", "batch"], /a forecaster has no batch normalisation \(--norm batch\) yet: its checkpoint does not keep the per-step running statistics/],
    ] as const) {
      const dir = tempDir("rnnlab-fccells-bad-");
      const r = runCli(["train", DATA, ...BASE, ...flags, "--out", "m.safetensors"], { cwd: dir });
      assert.notEqual(r.status, 0, flags.join(" "));
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, reason);
      assert.deepEqual(readdirSync(dir), [], "nothing written");
    }
  });
});

describe("the editor's forecast run request carries the cell options, checked on receipt", () => {
  const request = (network: unknown) => ({ type: "forecast", request: { data: "d.csv", out: "m.safetensors", targets: ["y"], lookback: 8, horizon: 2, network } });
  test("a registry variant's options pass; bidirectional, unknown keys and wrong values do not", () => {
    assert.ok(isToTrainingWorker(request({ cell: "gru", gruReset: "before" })));
    assert.ok(isToTrainingWorker(request({ cell: "lstm", norm: "layer" })));
    assert.ok(isToTrainingWorker(request({ cell: "ctrnn", learnTau: true, tau: 3 })));
    assert.ok(isToTrainingWorker(request({ cell: "additive", additiveForm: "state" })));
    assert.ok(isToTrainingWorker(request(undefined)));
    assert.ok(!isToTrainingWorker(request({ cell: "lstm", bidirectional: true })));
    assert.ok(!isToTrainingWorker(request({ cell: "lstm", colour: "red" })));
    assert.ok(!isToTrainingWorker(request({ cell: "gru", gruReset: "sideways" })));
    assert.ok(!isToTrainingWorker(request({ cell: "transformer" })));
    assert.ok(!isToTrainingWorker(request({ cell: "ctrnn", tau: "3" })));
    assert.ok(!isToTrainingWorker(request("lstm")));
  });
});
