// Recurrently batch-normalised LSTM and GRU (--norm batch; src/wasm/batchNorm.ts), each part against
// a reference made another way:
//   - central finite differences in f64, training mode (1–2 layers, one-hot and embedding);
//   - BatchNormLSTM / BatchNormGRU, torch.nn.Modules written from Cooijmans et al. (2016) on
//     torch.nn.BatchNorm1d per time step (test/fixtures/generateBatchNormFixtures.py): training-mode
//     logits, loss, final state, every gradient and the running averages after one pass, to 1e-5;
//   - evaluation mode: a stream's outputs do not depend on the other streams of the batch;
// and the seams: tensor names, initial gains, checkpoints with the running statistics, refusals.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { gradientCheck } from "../../src/engine/insight/gradientCheck";
import { ModelSpec } from "../../src/engine/model/modelSpec";

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
