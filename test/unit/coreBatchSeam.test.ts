// The core's task seam: per-row loss weights (a mask), per-stream lengths and a head width that is
// not the vocabulary's. Tested on the wasm exports themselves (every f32 kernel build and the f64
// core), each against a reference computed another way:
//   (a) a stream alone (its own core, window = its length) and the same stream inside a padded
//       batch with lengths give the same logits, final state, loss and gradients;
//   (b) the analytic gradient of a masked, ragged batch equals central finite differences (f64);
//   (c) every weight 1 and every length ≥ T is exactly the default (bit for bit), and a weight of 0
//       is exactly a negative target (the older way to ignore a row).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CellType, Nonlinearity, cellEntry } from "../../src/engine/model/cells";
import { CoreFlag } from "../../src/engine/core/coreAbi";
import { KERNEL_VARIANTS, KernelVariant, instantiateCore, variantAvailable } from "../../src/engine/core/coreLoader";
import { relativeError } from "../../src/engine/insight/gradientCheck";
import { expectClose } from "../helpers";

/** The exports this test calls (a subset of coreAbi.ts's CoreExports, the same signatures). */
interface Exports {
  memory: WebAssembly.Memory;
  configureModel(cell: number, layers: number, vocab: number, embed: number, hidden: number, flags: number, outputs: number): number;
  configure(cell: number, layers: number, vocab: number, embed: number, hidden: number, flags: number): number;
  setShape(batch: number, steps: number): void;
  forward(training: number, dropout: number, withLoss: number): number;
  backward(flags: number): void;
  carryState(): void;
  zeroGrads(): void;
  fillRandom(ptr: number, n: number, std: number): void;
  rngSeed(seed: number): void;
  getParamCount(): number;
  paramsPtr(): number;
  gradsPtr(): number;
  inputsPtr(): number;
  targetsPtr(): number;
  lossWeightsPtr(): number;
  lengthsPtr(): number;
  lossWeightTotal(): number;
  logitsPtr(): number;
  outputSize(): number;
  hiddenPtr(layer: number): number;
  cellPtr(layer: number): number;
  finalHiddenPtr(layer: number): number;
  stateGradPtr(layer: number): number;
  cellGradPtr(layer: number): number;
  finalCellPtr(layer: number): number;
  stateCount(): number;
  getTensorCount(): number;
  tensorField(index: number, field: number): number;
}

type Build = KernelVariant | "f64";

/** configure()'s cell code, from the registry. */
const codeOf = (cell: CellType, nonlinearity: Nonlinearity = "tanh") =>
  cellEntry(cell).coreCode({ cell, nonlinearity, layers: 1, hidden: 1, embed: 0, vocabSize: 2, peephole: false, coupled: false, residual: false });

interface Model { cell: number; layers: number; vocab: number; embed: number; hidden: number; flags: number; outputs: number }

/** One core instance with typed views (made fresh: memory.grow detaches old buffers). */
class RawCore {
  readonly x: Exports;
  readonly f64: boolean;
  batch = 1;
  steps = 1;
  constructor(build: Build, readonly m: Model) {
    if (build !== "f64") assert.ok(variantAvailable(build), `${build} build does not validate here`); // also enables relaxed SIMD
    this.x = instantiateCore(build) as unknown as Exports;
    this.f64 = build === "f64";
    assert.ok(this.x.configureModel(m.cell, m.layers, m.vocab, m.embed, m.hidden, m.flags, m.outputs) > 0);
  }
  real(ptr: number, n: number): Float32Array | Float64Array {
    return this.f64 ? new Float64Array(this.x.memory.buffer, ptr, n) : new Float32Array(this.x.memory.buffer, ptr, n);
  }
  i32(ptr: number, n: number): Int32Array { return new Int32Array(this.x.memory.buffer, ptr, n); }
  setShape(batch: number, steps: number): void { this.x.setShape(batch, steps); this.batch = batch; this.steps = steps; }
  params() { return this.real(this.x.paramsPtr(), this.x.getParamCount()); }
  grads() { return this.real(this.x.gradsPtr(), this.x.getParamCount()); }
  inputs() { return this.i32(this.x.inputsPtr(), this.batch * this.steps); }
  targets() { return this.i32(this.x.targetsPtr(), this.batch * this.steps); }
  weights() { return this.real(this.x.lossWeightsPtr(), this.batch * this.steps); }
  lengths() { return this.i32(this.x.lengthsPtr(), this.batch); }
  logits() { return this.real(this.x.logitsPtr(), this.batch * this.steps * this.m.outputs); }
  /** State slot k (0 = h, 1 = LSTM c), all (steps + 1)·batch rows. */
  states(layer: number, k: number) { return this.real(k === 0 ? this.x.hiddenPtr(layer) : this.x.cellPtr(layer), (this.steps + 1) * this.batch * this.m.hidden); }
  stateGrad(layer: number) { return this.real(this.x.stateGradPtr(layer), this.batch * this.m.hidden); }
  /** loss, then gradients (zeroed first) of the last forward pass. */
  lossAndGrads(): number {
    this.x.zeroGrads();
    const loss = this.x.forward(0, 0, 1);
    this.x.backward(0);
    return loss;
  }
}

/** A deterministic generator for the test's data (independent of the core's). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
}

const models: [string, Model][] = [
  ["RNN tanh", { cell: codeOf("rnn"), layers: 1, vocab: 9, embed: 0, hidden: 5, flags: 0, outputs: 4 }],
  ["RNN ReLU, 2 layers, embedding", { cell: codeOf("rnn", "relu"), layers: 2, vocab: 9, embed: 3, hidden: 5, flags: 0, outputs: 9 }],
  ["LSTM, 2 layers, residual", { cell: codeOf("lstm"), layers: 2, vocab: 9, embed: 0, hidden: 6, flags: CoreFlag.Residual, outputs: 4 }],
  ["LSTM with peepholes and coupled gate, embedding", { cell: codeOf("lstm"), layers: 1, vocab: 9, embed: 4, hidden: 5, flags: CoreFlag.Peephole | CoreFlag.Coupled, outputs: 3 }],
  ["GRU, 2 layers", { cell: codeOf("gru"), layers: 2, vocab: 9, embed: 0, hidden: 6, flags: 0, outputs: 5 }],
  ["minGRU, 2 layers, embedding", { cell: codeOf("mingru"), layers: 2, vocab: 9, embed: 3, hidden: 5, flags: 0, outputs: 4 }],
  ["minLSTM, 2 layers, residual", { cell: codeOf("minlstm"), layers: 2, vocab: 9, embed: 0, hidden: 6, flags: CoreFlag.Residual, outputs: 5 }],
];

const B = 4, T = 6;
const LENGTHS = [6, 2, 4, 0]; // full, short, middle, empty (its state is only carried)

interface Batch { inputs: number[]; targets: number[]; weights: number[]; h0: number[][][] } // h0[layer][slot] [B·H]

function makeBatch(m: Model, S: number, seed: number): Batch {
  const r = lcg(seed);
  const inputs: number[] = [], targets: number[] = [], weights: number[] = [];
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const real = t < LENGTHS[b];
      inputs.push(real ? Math.floor(r() * m.vocab) : b % 2 ? -3 : 99999); // past a length: ids that must never be read
      // a few ignored targets and a loss mask with weights 0, 0.5, 1, 2; past a length, junk targets
      targets.push(!real ? 1000 : r() < 0.1 ? -1 : Math.floor(r() * m.outputs));
      weights.push([0, 0.5, 1, 1, 2][Math.floor(r() * 5)]);
    }
  }
  const h0 = Array.from({ length: m.layers }, () => Array.from({ length: S }, () => Array.from({ length: B * m.hidden }, () => r() - 0.5)));
  return { inputs, targets, weights, h0 };
}

function loadBatch(core: RawCore, batch: Batch): void {
  core.setShape(B, T);
  core.inputs().set(batch.inputs);
  core.targets().set(batch.targets);
  core.weights().set(batch.weights);
  core.lengths().set(LENGTHS);
  const H = core.m.hidden;
  for (let l = 0; l < core.m.layers; l++) for (let k = 0; k < batch.h0[l].length; k++) core.states(l, k).set(batch.h0[l][k].slice(0, B * H));
}

/** Stream b of the batch as a batch of one, window = its length (at least 1 step, fully masked if 0). */
function loadAlone(core: RawCore, batch: Batch, b: number): void {
  const n = Math.max(LENGTHS[b], 1);
  core.setShape(1, n);
  const pick = <X>(a: X[]) => Array.from({ length: n }, (_, t) => a[t * B + b]);
  core.inputs().set(pick(batch.inputs));
  core.targets().set(LENGTHS[b] === 0 ? [-1] : pick(batch.targets));
  core.weights().set(pick(batch.weights));
  const H = core.m.hidden;
  for (let l = 0; l < core.m.layers; l++) for (let k = 0; k < batch.h0[l].length; k++) core.states(l, k).set(batch.h0[l][k].slice(b * H, (b + 1) * H));
}

const builds: Build[] = [...KERNEL_VARIANTS, "f64"];

for (const build of builds) {
  const tol = build === "f64" ? { atol: 1e-12, rtol: 1e-12 } : { atol: 1e-6, rtol: 1e-6 };
  describe(`(a) a stream alone = the same stream in a padded batch with lengths (${build} core, ${tol.atol})`, () => {
    for (const [name, m] of models) {
      test(name, () => {
        const padded = new RawCore(build, m);
        padded.x.rngSeed(3);
        padded.x.fillRandom(padded.x.paramsPtr(), padded.x.getParamCount(), 0.5);
        const weightsNow = Float64Array.from(padded.params());
        const S = padded.x.stateCount();
        const batch = makeBatch(m, S, 11);
        loadBatch(padded, batch);
        const loss = padded.lossAndGrads();
        const total = padded.x.lossWeightTotal();
        // the denominator, counted independently: rows before their length, target ≥ 0, weight ≠ 0
        let expectedTotal = 0;
        for (let r = 0; r < B * T; r++) if (Math.floor(r / B) < LENGTHS[r % B] && batch.targets[r] >= 0) expectedTotal += batch.weights[r];
        assert.equal(total, expectedTotal);
        const grads = Float64Array.from(padded.grads());
        const logits = Float64Array.from(padded.logits());
        const H = m.hidden, O = m.outputs;
        const finals = Array.from({ length: m.layers }, (_, l) => Array.from({ length: S }, (_, k) => Float64Array.from(padded.states(l, k).subarray(T * B * H))));
        const dh0 = Array.from({ length: m.layers }, (_, l) => Float64Array.from(padded.stateGrad(l)));

        const alone = new RawCore(build, m);
        alone.params().set(weightsNow);
        const expectedGrad = new Float64Array(grads.length); // Σ_b W_b·(stream b's mean gradient) / W
        let lossSum = 0;
        for (let b = 0; b < B; b++) {
          loadAlone(alone, batch, b);
          const lossB = alone.lossAndGrads();
          const wB = alone.x.lossWeightTotal();
          lossSum += lossB * wB;
          alone.grads().forEach((g, i) => { expectedGrad[i] += (g * wB) / total; });
          for (let t = 0; t < LENGTHS[b]; t++) {
            expectClose(logits.subarray((t * B + b) * O, (t * B + b + 1) * O), alone.logits().subarray(t * O, (t + 1) * O), tol, `logits of stream ${b} step ${t}`);
          }
          for (let l = 0; l < m.layers; l++) {
            for (let k = 0; k < S; k++) {
              // the final state of a stream is the state after its last real step (the initial one if empty)
              const own = LENGTHS[b] === 0 ? alone.states(l, k).subarray(0, H) : alone.states(l, k).subarray(LENGTHS[b] * H);
              expectClose(finals[l][k].subarray(b * H, (b + 1) * H), own, tol, `final state slot ${k} of layer ${l}, stream ${b}`);
            }
            expectClose(dh0[l].subarray(b * H, (b + 1) * H), Float64Array.from(alone.stateGrad(l), (g) => (g * wB) / total), tol, `∂L/∂h0 of layer ${l}, stream ${b}`);
          }
        }
        expectClose([loss], [lossSum / total], tol, "loss (the weighted mean over the streams' rows)");
        expectClose(grads, expectedGrad, tol, "gradients");

        // carryState carries each stream's own final state into the next window
        padded.x.carryState();
        for (let l = 0; l < m.layers; l++) for (let k = 0; k < S; k++) expectClose(padded.states(l, k).subarray(0, B * H), finals[l][k], { atol: 0, rtol: 0 }, `carried state slot ${k}, layer ${l}`);
      });
    }
  });
}

describe("(b) finite differences agree with the gradient of a masked batch of mixed lengths (f64, < 1e-6 relative)", () => {
  // The objective is J = loss + Σ_l ⟨g_l, state_T,l⟩: a gradient g arriving at the window's final
  // state from a later window (backward with STATE_GRAD_IN), which must pass through the steps a
  // stream holds after its end to the state after its last real step.
  for (const [name, m] of models) {
    test(name, () => {
      const core = new RawCore("f64", m);
      core.x.rngSeed(5);
      core.x.fillRandom(core.x.paramsPtr(), core.x.getParamCount(), 0.5);
      const S = core.x.stateCount();
      loadBatch(core, makeBatch(m, S, 23));
      const r = lcg(41);
      const n = B * m.hidden;
      const gFinal = Array.from({ length: m.layers }, () => Array.from({ length: S }, () => Array.from({ length: n }, () => r() - 0.5)));
      const finalState = (l: number, k: number) => core.real(k === 0 ? core.x.finalHiddenPtr(l) : core.x.finalCellPtr(l), n);
      const loss = () => {
        let j = core.x.forward(0, 0, 1);
        for (let l = 0; l < m.layers; l++) for (let k = 0; k < S; k++) finalState(l, k).forEach((v, i) => { j += v * gFinal[l][k][i]; });
        return j;
      };
      core.x.zeroGrads();
      core.x.forward(0, 0, 1);
      for (let l = 0; l < m.layers; l++) {
        core.stateGrad(l).set(gFinal[l][0]);
        if (S > 1) core.real(core.x.cellGradPtr(l), n).set(gFinal[l][1]);
      }
      core.x.backward(2); // STATE_GRAD_IN
      const analytic = Float64Array.from(core.grads());
      const dh0 = Array.from({ length: m.layers }, (_, l) => Float64Array.from(core.stateGrad(l)));
      const step = m.cell === codeOf("rnn", "relu") ? 1e-3 : 1e-2; // as gradientCheck.ts: no kink inside the stencil
      const stencil = (buf: Float64Array | Float32Array, k: number): number => {
        const saved = buf[k];
        const f = (d: number) => { buf[k] = saved + d; return loss(); };
        const v = (45 * (f(step) - f(-step)) - 9 * (f(2 * step) - f(-2 * step)) + (f(3 * step) - f(-3 * step))) / (60 * step);
        buf[k] = saved;
        return v;
      };
      let worst = 0, nonzero = 0;
      const params = core.params();
      for (let k = 0; k < params.length; k++) {
        const numeric = stencil(params, k);
        const rel = relativeError(analytic[k], numeric);
        assert.ok(rel < 1e-6, `parameter ${k}: analytic ${analytic[k]}, numeric ${numeric}`);
        worst = Math.max(worst, rel);
        if (Math.abs(numeric) > 1e-8) nonzero++;
      }
      // and ∂J/∂h0 of every stream (the empty stream's is g itself: it holds its state throughout)
      for (let l = 0; l < m.layers; l++) {
        const h0 = core.states(l, 0);
        for (let k = 0; k < B * m.hidden; k++) {
          const numeric = stencil(h0, k);
          assert.ok(relativeError(dh0[l][k], numeric) < 1e-6, `∂L/∂h0[${l}][${k}]: analytic ${dh0[l][k]}, numeric ${numeric}`);
        }
        for (let k = 3 * m.hidden; k < 4 * m.hidden; k++) assert.equal(dh0[l][k], gFinal[l][0][k], "the empty stream passes g through unchanged");
      }
      // not a vacuous check (ReLU units off and unused embedding rows leave some gradients at 0)
      assert.ok(nonzero > params.length / 4, `many parameters get a gradient (${nonzero} of ${params.length})`);
    });
  }
});

describe("(c) every weight 1 and every length ≥ T is the default, exactly; weight 0 is a negative target, exactly", () => {
  for (const build of builds) {
    test(`${build} core, every cell`, () => {
      for (const [, m] of models) {
        const run = (prepare: (c: RawCore) => void) => {
          const core = new RawCore(build, m);
          core.x.rngSeed(9);
          core.x.fillRandom(core.x.paramsPtr(), core.x.getParamCount(), 0.5);
          core.setShape(B, T);
          const r = lcg(31);
          core.inputs().set(Array.from({ length: B * T }, () => Math.floor(r() * m.vocab)));
          core.targets().set(Array.from({ length: B * T }, (_, i) => (i % 5 === 2 ? -1 : Math.floor(r() * m.outputs))));
          prepare(core);
          const loss = core.lossAndGrads();
          return { loss, grads: Float64Array.from(core.grads()), logits: Float64Array.from(core.logits()), h: Float64Array.from(core.states(m.layers - 1, 0)) };
        };
        const same = (a: ReturnType<typeof run>, b: ReturnType<typeof run>, what: string) => {
          assert.ok(Object.is(a.loss, b.loss), `${what}: loss ${a.loss} vs ${b.loss}`);
          for (const k of ["grads", "logits", "h"] as const) assert.deepEqual(a[k], b[k], `${what}: ${k}`);
        };
        const plain = run(() => {});
        same(plain, run((c) => { c.weights().fill(1); c.lengths().fill(T); }), "weights 1, lengths T");
        same(plain, run((c) => { c.lengths().fill(T + 100); }), "lengths past the window");
        // a negative target and a weight of 0 ignore a row the same way, to the bit
        const ignoredByTarget = run((c) => { c.targets()[7] = -1; c.targets()[13] = -1; });
        const ignoredByWeight = run((c) => { c.weights()[7] = 0; c.weights()[13] = 0; });
        same(ignoredByTarget, ignoredByWeight, "weight 0 vs target −1");
        assert.ok(!Object.is(plain.loss, ignoredByWeight.loss), "ignoring rows changes the loss");
      }
    });
  }
});

describe("the head's width is its own", () => {
  test("outputs ≠ vocabulary: the head tensors are [H, O] and [1, O]; configure() keeps O = vocabulary", () => {
    const m: Model = { cell: codeOf("gru"), layers: 1, vocab: 9, embed: 0, hidden: 5, flags: 0, outputs: 4 };
    const core = new RawCore("f64", m);
    const shapes = Array.from({ length: core.x.getTensorCount() }, (_, i) => [core.x.tensorField(i, 1), core.x.tensorField(i, 2)]);
    assert.deepEqual(shapes, [[9, 15], [5, 15], [1, 15], [1, 15], [5, 4], [1, 4]]);
    assert.equal(core.x.getParamCount(), 9 * 15 + 5 * 15 + 15 + 15 + 5 * 4 + 4);
    assert.equal(core.x.outputSize(), 4);
    assert.equal(core.x.configure(m.cell, 1, 9, 0, 5, 0), 9 * 15 + 5 * 15 + 15 + 15 + 5 * 9 + 9);
    assert.equal(core.x.outputSize(), 9);
    assert.equal(core.x.configureModel(m.cell, 1, 9, 0, 5, 0, 0), -1, "a head of no outputs is refused");
  });
});
