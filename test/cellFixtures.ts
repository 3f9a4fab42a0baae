// The PyTorch fixtures of the newer cells (test/fixtures/generate*Fixtures.py, their case_record):
// one model case loaded into a core and checked against it — logits, loss, final states and every
// gradient — shared by the cells' parity tests.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Core } from "../src/engine/core/core";
import type { KernelVariant, Precision } from "../src/engine/core/coreLoader";
import type { TensorSlot } from "../src/engine/core/coreAbi";
import { ModelSpec, coreShape, fromTorchLayout, isTransposedInTorch, torchName } from "../src/engine/model/modelSpec";
import { expectClose, projectRoot } from "./helpers";

export interface CellFixture {
  name: string; spec: ModelSpec; batch: number; steps: number; inputs: number[]; targets: number[]; h0: number[];
  params: Record<string, { shape: number[]; data: number[] }>; logits: number[]; loss: number; hn: number[]; grads: Record<string, number[]>;
}

/** The model cases of test/fixtures/<file>. */
export function readCellFixtures(file: string): CellFixture[] {
  return (JSON.parse(readFileSync(join(projectRoot, "test", "fixtures", file), "utf8")) as { models: CellFixture[] }).models;
}

/** A core holding the case's weights, inputs, targets and initial state. */
export function loadCellFixture(f: CellFixture, precision: Precision, variant?: KernelVariant): Core {
  const core = new Core(coreShape(f.spec), precision, variant);
  core.setShape(f.batch, f.steps);
  assert.deepEqual(core.tensors.map(torchName).sort(), Object.keys(f.params).sort(), "the core's tensors are the reference module's, no more, no fewer");
  for (const slot of core.tensors) fromTorchLayout(slot, f.params[torchName(slot)].data, core.tensor(slot));
  core.inputs().set(f.inputs);
  core.targets().set(f.targets);
  const n = f.batch * f.spec.hidden;
  for (let l = 0; l < f.spec.layers; l++) core.hiddenStates(l).set(f.h0.slice(l * n, (l + 1) * n));
  return core;
}

/** Core layout → PyTorch layout in f64 (modelSpec's toTorchLayout writes f32, which would hide the f64 core's precision). */
export function torchLayout64(slot: TensorSlot, data: ArrayLike<number>): Float64Array {
  const out = new Float64Array(slot.rows * slot.cols);
  for (let r = 0; r < slot.rows; r++) for (let c = 0; c < slot.cols; c++) out[isTransposedInTorch(slot) ? c * slot.rows + r : r * slot.cols + c] = data[r * slot.cols + c];
  return out;
}

/** Forward and backward on the loaded core against the case; the worst difference (the assertions have passed). */
export function checkCellFixture(f: CellFixture, core: Core, tol: { atol: number; rtol: number }): number {
  const loss = core.forward(false, 0, true);
  let worst = Math.max(expectClose(core.logits(), f.logits, tol, "logits"), expectClose([loss], [f.loss], tol, "loss"));
  const n = f.batch * f.spec.hidden;
  for (let l = 0; l < f.spec.layers; l++) worst = Math.max(worst, expectClose(core.finalHidden(l), f.hn.slice(l * n, (l + 1) * n), tol, `h_n of layer ${l}`));
  core.zeroGrads();
  core.backward();
  for (const slot of core.tensors) {
    const name = torchName(slot);
    worst = Math.max(worst, expectClose(torchLayout64(slot, core.tensor(slot, core.grads())), f.grads[name], tol, `gradient of ${name}`));
  }
  return worst;
}
