// torch-rnn's check: a text processed in windows with carried state equals it processed whole, both
// the outputs and (passing the state gradient back across windows) the parameter gradients.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Core } from "../../src/engine/core/core";
import { KERNEL_VARIANTS, KernelVariant, Precision } from "../../src/engine/core/coreLoader";
import { ModelSpec, coreShape } from "../../src/engine/model/modelSpec";
import { expectClose } from "../helpers";

const B = 2, T = 5, K = 4; // 4 windows of 5 steps = 20 steps whole

function spec(cell: ModelSpec["cell"], extra: Partial<ModelSpec> = {}): ModelSpec {
  return { cell, nonlinearity: "tanh", layers: 2, hidden: 6, embed: 0, vocabSize: 7, peephole: false, coupled: false, residual: false, ...extra };
}

function makeCore(s: ModelSpec, precision: Precision, steps: number, params: Float64Array, variant?: KernelVariant): Core {
  const core = new Core(coreShape(s), precision, variant);
  core.setShape(B, steps);
  core.params().set(params);
  return core;
}

function compare(s: ModelSpec, precision: Precision, tol: { atol: number; rtol: number }, variant?: KernelVariant): void {
  const probe = new Core(coreShape(s), "f64");
  probe.seed(11);
  probe.fillRandom(probe.params(), 0.4);
  const params = Float64Array.from(probe.params());
  const xs: number[] = [], ys: number[] = [];
  for (let k = 0; k < K * T * B; k++) { xs.push(probe.nextU32() % s.vocabSize); ys.push(probe.nextU32() % s.vocabSize); }

  const whole = makeCore(s, precision, K * T, params, variant);
  whole.inputs().set(xs);
  whole.targets().set(ys);
  whole.zeroGrads();
  const wholeLoss = whole.forward(false, 0, true);
  whole.backward();
  const wholeLogits = whole.logits();

  const win = makeCore(s, precision, T, params, variant);
  const n = T * B;
  const logits: number[] = [];
  const startStates: Float64Array[][] = [];
  let lossSum = 0;
  for (let k = 0; k < K; k++) {
    startStates.push(stateOf(win, s));
    win.inputs().set(xs.slice(k * n, (k + 1) * n));
    win.targets().set(ys.slice(k * n, (k + 1) * n));
    lossSum += win.forward(false, 0, true);
    logits.push(...win.logits());
    win.carryState();
  }
  expectClose(logits, wholeLogits, tol, "logits, windows vs whole");
  expectClose([lossSum / K], [wholeLoss], tol, "mean loss");

  // Backward window by window from the last, each starting from its saved initial state and
  // receiving the gradient of the state it handed to the next window.
  win.zeroGrads();
  for (let k = K - 1; k >= 0; k--) {
    setState(win, s, startStates[k]);
    win.inputs().set(xs.slice(k * n, (k + 1) * n));
    win.targets().set(ys.slice(k * n, (k + 1) * n));
    win.forward(false, 0, true);
    if (k === K - 1) for (let l = 0; l < s.layers; l++) { win.stateGrad(l).fill(0); win.cellGrad(l).fill(0); }
    win.backward(false, true);
  }
  // Each window's loss is a mean over its T·B predictions; the whole loss is the mean of those.
  const summed = Array.from(win.grads(), (g) => g / K);
  expectClose(summed, whole.grads(), tol, "parameter gradients, windows (full BPTT) vs whole");
}

function stateOf(core: Core, s: ModelSpec): Float64Array[] {
  const out: Float64Array[] = [];
  for (let l = 0; l < s.layers; l++) {
    out.push(Float64Array.from(core.hiddenStates(l).subarray(0, B * s.hidden)));
    if (s.cell === "lstm") out.push(Float64Array.from(core.cellStates(l).subarray(0, B * s.hidden)));
  }
  return out;
}

function setState(core: Core, s: ModelSpec, st: Float64Array[]): void {
  let i = 0;
  for (let l = 0; l < s.layers; l++) {
    core.hiddenStates(l).set(st[i++]);
    if (s.cell === "lstm") core.cellStates(l).set(st[i++]);
  }
}

describe("windows with carried state equal the whole sequence", () => {
  for (const cell of ["rnn", "lstm", "gru"] as const) {
    test(`${cell}, f64 core (to 1e-12)`, () => compare(spec(cell), "f64", { atol: 1e-12, rtol: 1e-10 }));
    for (const v of KERNEL_VARIANTS) test(`${cell}, f32 ${v} core (to 1e-6)`, () => compare(spec(cell), "f32", { atol: 1e-6, rtol: 1e-5 }, v));
  }
  test("LSTM with peepholes, residual layers and an embedding, f64", () => compare(spec("lstm", { peephole: true, residual: true, embed: 3 }), "f64", { atol: 1e-12, rtol: 1e-10 }));
  test("truncated BPTT (no state gradient) differs from full BPTT", () => {
    const s = spec("lstm");
    const core = new Core(coreShape(s), "f64");
    core.setShape(B, T);
    core.seed(3);
    core.fillRandom(core.params(), 0.4);
    for (let k = 0; k < T * B; k++) { core.inputs()[k] = k % 7; core.targets()[k] = (k * 3) % 7; }
    core.forward(false, 0, true);
    core.zeroGrads();
    core.backward();
    const truncated = Float64Array.from(core.grads());
    for (let l = 0; l < s.layers; l++) core.stateGrad(l).fill(0.5);
    core.forward(false, 0, true);
    core.zeroGrads();
    core.backward(false, true);
    assert.notDeepEqual(Array.from(core.grads()), Array.from(truncated));
  });
});
