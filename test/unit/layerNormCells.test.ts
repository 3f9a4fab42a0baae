// Layer-normalised LSTM and GRU (--norm layer; src/wasm/layerNorm.ts), each part against a reference
// made another way:
//   - central finite differences in f64 (1–2 layers, one-hot and embedding, residual, ragged lengths);
//   - LayerNormLSTM / LayerNormGRU, torch.nn.Modules written from Ba, Kiros & Hinton (2016) in
//     test/fixtures/generateNormCellFixtures.py: logits, loss, final state and every gradient, f64
//     core to 1e-9 and every f32 kernel to 1e-5;
// and the seams: the closed-form tensor table and parameter count, checkpoints, refusals, the CLI.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Core } from "../../src/engine/core/core";
import { KERNEL_VARIANTS, variantAvailable } from "../../src/engine/core/coreLoader";
import { gradientCheck } from "../../src/engine/insight/gradientCheck";
import { coreShape, parameterCount, tensorTable } from "../../src/engine/model/cells";
import { ModelSpec, fromTorchLayout, torchName, validateSpec } from "../../src/engine/model/modelSpec";
import { projectRoot } from "../helpers";

const lstm: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 1, hidden: 5, embed: 0, vocabSize: 6, peephole: false, coupled: false, residual: false, norm: "layer" };
const gru: ModelSpec = { ...lstm, cell: "gru" };

function worst(spec: ModelSpec, options = {}): number {
  const checks = gradientCheck(spec, options);
  return Math.max(...checks.map((c) => c.maxRelError));
}

describe("layer-normalised LSTM and GRU: finite differences in f64", () => {
  for (const base of [lstm, gru]) {
    for (const layers of [1, 2]) {
      for (const embed of [0, 4]) {
        test(`${base.cell}, ${layers} layer(s), ${embed ? "embedding" : "one-hot"}`, () => {
          const spec = { ...base, layers, embed };
          const checks = gradientCheck(spec);
          for (const c of checks) assert.ok(c.maxRelError < 1e-6, `${c.name}: ${c.maxRelError.toExponential(2)}`);
          assert.ok(checks.some((c) => c.name.startsWith("rnn.ln_ih_gain")), "the gains are checked");
        });
      }
    }
    test(`${base.cell}, 2 layers, residual, dropout`, () => {
      assert.ok(worst({ ...base, layers: 2, embed: 4, residual: true }, { dropout: 0.3 }) < 1e-6);
    });
  }
});
