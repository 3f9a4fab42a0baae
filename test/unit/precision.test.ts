// The f32 builds (whose SIMD paths differ from the plain loops) against the f64 build (plain loops,
// itself verified by finite differences) for every cell option, including those PyTorch lacks.

import { describe, test } from "node:test";
import { Core } from "../../src/engine/core/core";
import { KERNEL_VARIANTS } from "../../src/engine/core/coreLoader";
import { ModelSpec, coreShape } from "../../src/engine/model/modelSpec";
import { expectClose } from "../helpers";

const base: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 2, hidden: 13, embed: 0, vocabSize: 9, peephole: false, coupled: false, residual: false };
const variants: [string, Partial<ModelSpec>, number][] = [
  ["LSTM", {}, 0],
  ["LSTM, peepholes", { peephole: true }, 0],
  ["LSTM, coupled gate", { coupled: true }, 0],
  ["LSTM, peepholes and coupled, residual, dropout", { peephole: true, coupled: true, residual: true, embed: 6 }, 0.3],
  ["GRU, residual, dropout", { cell: "gru", residual: true }, 0.2],
  ["RNN tanh", { cell: "rnn" }, 0],
  ["RNN ReLU, dropout", { cell: "rnn", nonlinearity: "relu" }, 0.25],
  ["LSTM, 65 outputs (the head's 65th column a dot product)", { vocabSize: 65 }, 0],
  ["GRU, 34 outputs, embedding", { cell: "gru", vocabSize: 34, embed: 6 }, 0],
];
const B = 6, T = 7; // hidden 13 and batch 6 leave SIMD tails and remainder rows

describe("f32 builds agree with the f64 build", () => {
  for (const [name, extra, dropout] of variants) {
    for (const variant of KERNEL_VARIANTS) {
      test(`${name} (${variant})`, () => {
        const spec = { ...base, ...extra };
        const ref = new Core(coreShape(spec), "f64");
        ref.setShape(B, T);
        ref.seed(4);
        ref.fillRandom(ref.params(), 0.5);
        for (let k = 0; k < B * T; k++) { ref.inputs()[k] = ref.nextU32() % spec.vocabSize; ref.targets()[k] = ref.nextU32() % spec.vocabSize; }
        const f32 = new Core(coreShape(spec), "f32", variant);
        f32.setShape(B, T);
        f32.params().set(ref.params());
        f32.inputs().set(ref.inputs());
        f32.targets().set(ref.targets());
        for (const c of [ref, f32]) {
          c.setDropoutKey(99);
          c.zeroGrads();
          c.forward(true, dropout, true);
          c.backward();
        }
        expectClose(f32.logits(), ref.logits(), { atol: 2e-5, rtol: 1e-4 }, "logits");
        expectClose(f32.grads(), ref.grads(), { atol: 2e-6, rtol: 1e-3 }, "gradients");
      });
    }
  }
});
