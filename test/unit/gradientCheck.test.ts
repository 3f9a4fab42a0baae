// Analytic gradients of every cell type and option against finite differences (f64 core).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { gradientCheck, relativeError } from "../../src/engine/insight/gradientCheck";
import { ModelSpec } from "../../src/engine/model/modelSpec";

const THRESHOLD = 1e-6;
const base: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 1, hidden: 4, embed: 0, vocabSize: 6, peephole: false, coupled: false, residual: false };

const variants: [string, Partial<ModelSpec>][] = [
  ["RNN tanh", { cell: "rnn" }],
  ["RNN ReLU", { cell: "rnn", nonlinearity: "relu" }],
  ["LSTM", { cell: "lstm" }],
  ["LSTM with peepholes", { cell: "lstm", peephole: true }],
  ["LSTM with coupled input-forget gate", { cell: "lstm", coupled: true }],
  ["LSTM with peepholes and coupled gate", { cell: "lstm", peephole: true, coupled: true }],
  ["GRU", { cell: "gru" }],
];

describe(`gradient check: max relative error < ${THRESHOLD} for every tensor`, () => {
  for (const layers of [1, 2]) {
    for (const embed of [0, 5]) {
      for (const [name, v] of variants) {
        const spec = { ...base, ...v, layers, embed };
        test(`${name}, ${layers} layer(s), ${embed ? "embedding" : "one-hot"}`, () => {
          const results = gradientCheck(spec);
          assert.equal(results.length > 0, true);
          for (const r of results) assert.ok(r.maxRelError < THRESHOLD, `${r.name}: max relative error ${r.maxRelError}`);
        });
      }
    }
  }
  const withDropout: [string, Partial<ModelSpec>, number][] = [
    ["LSTM 3 layers, residual, dropout 0.3, embedding", { cell: "lstm", layers: 3, embed: 4, residual: true }, 0.3],
    ["GRU 2 layers, residual, dropout 0.5", { cell: "gru", layers: 2, residual: true }, 0.5],
    ["RNN 2 layers, residual, dropout 0.4", { cell: "rnn", layers: 2, residual: true }, 0.4],
    ["LSTM 4 layers, peepholes, dropout 0.2", { cell: "lstm", layers: 4, peephole: true }, 0.2],
  ];
  for (const [name, v, dropout] of withDropout) {
    test(name, () => {
      for (const r of gradientCheck({ ...base, ...v }, { dropout })) assert.ok(r.maxRelError < THRESHOLD, `${r.name}: ${r.maxRelError}`);
    });
  }
  // A head width a few columns past a multiple of the kernel's 16-column panel: those columns are dot
  // products (network.ts headTail), the others the kernel's; 2 outputs are dot products alone.
  const headWidths: [string, Partial<ModelSpec>][] = [
    ["17 outputs, one-hot", { vocabSize: 17 }],
    ["35 outputs, embedding, 2 layers", { vocabSize: 35, embed: 5, layers: 2 }],
    ["2 outputs, GRU", { vocabSize: 2, cell: "gru" }],
  ];
  for (const [name, v] of headWidths) {
    test(`head of ${name}`, () => {
      for (const r of gradientCheck({ ...base, ...v })) assert.ok(r.maxRelError < THRESHOLD, `${r.name}: ${r.maxRelError}`);
    });
  }
  test("the check detects a wrong gradient", () => {
    assert.ok(relativeError(1.0, 1.001) > 1e-4);
    assert.equal(relativeError(0, 0), 0);
    assert.ok(relativeError(1e-3, -1e-3) === 2 / 1);
  });
});
