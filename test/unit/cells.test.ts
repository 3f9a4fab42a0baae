// The cell registry (src/engine/model/cells.ts) against the core and the package: the closed-form tensor
// table and parameter count equal what the core lays out for every cell and option; the settings'
// cell list is the registry's; torch import refuses to guess between cells of one gate count; and
// the extension host's paths (parameter counts, experiments) never instantiate wasm.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { CELLS, CELL_TYPES, NONLINEARITIES, cellEntry, coreShape, hasRecurrentWeights, parameterCount, tensorTable } from "../../src/engine/model/cells";
import { paramCount, tensorSlots } from "../../src/engine/files/checkpoint";
import { Core } from "../../src/engine/core/core";
import { experimentVariants } from "../../src/engine/runs/experiments";
import { ModelSpec, validateSpec } from "../../src/engine/model/modelSpec";
import { chooseCell } from "../../src/engine/interop/torchImport";
import { projectRoot } from "../helpers";

/** Every spec the registry allows over a small grid: each cell × its options × residual × embedding × layers. */
function everySpec(): ModelSpec[] {
  const specs: ModelSpec[] = [];
  for (const c of CELLS) {
    const nonlinearities = c.options.includes("nonlinearity") ? NONLINEARITIES : (["tanh"] as const);
    const peepholes = c.options.includes("peephole") ? [false, true] : [false];
    const coupled = c.options.includes("coupled") ? [false, true] : [false];
    for (const nonlinearity of nonlinearities) for (const peephole of peepholes) for (const cp of coupled) for (const residual of [false, true])
      for (const embed of [0, 5]) for (const layers of [1, 3]) {
        specs.push({ cell: c.type, nonlinearity, peephole, coupled: cp, residual, embed, layers, hidden: 6, vocabSize: 9 });
      }
  }
  return specs;
}

describe("the closed form equals the core", () => {
  test("tensor table and parameter count for every cell and option", () => {
    const specs = everySpec();
    assert.ok(specs.length >= 3 * 8, `${specs.length} specs`);
    for (const spec of specs) {
      validateSpec(spec);
      const core = new Core(coreShape(spec));
      const what = JSON.stringify(spec);
      assert.deepEqual(tensorTable(spec), core.tensors, what);
      assert.equal(parameterCount(spec), core.paramCount, what);
      assert.deepEqual(tensorSlots(spec), core.tensors, what);
      assert.equal(paramCount(spec), core.paramCount, what);
      // the core reports the shape it was given back through its getters
      assert.deepEqual([core.layers, core.hidden, core.vocab], [spec.layers, spec.hidden, spec.vocabSize], what);
      // gate rows, in W_ih and (where the cell has one) W_hh: the additive input form has no recurrent weight
      assert.equal(core.tensors.find((s) => s.layer === 0 && s.kind === 1)!.cols, spec.hidden * cellEntry(spec.cell).gates.length, `${what}: gate rows`);
      const whh = core.tensors.find((s) => s.layer === 0 && s.kind === 2);
      assert.equal(whh?.cols, hasRecurrentWeights(spec) ? spec.hidden * cellEntry(spec.cell).gates.length : undefined, `${what}: gate rows of W_hh`);
    }
  });
});

describe("the registry is the one list", () => {
  const pkg = JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")) as { contributes: { configuration: { properties: Record<string, { enum?: string[]; default?: unknown }> } } };
  const settings = pkg.contributes.configuration.properties;

  test("package.json's rnnLab.cell enum is the registry's cells, in order", () => {
    assert.deepEqual(settings["rnnLab.cell"].enum, [...CELL_TYPES]);
  });

  test("validation names every registered cell and refuses others", () => {
    const base: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 1, hidden: 4, embed: 0, vocabSize: 5, peephole: false, coupled: false, residual: false };
    for (const cell of CELL_TYPES) validateSpec({ ...base, cell });
    assert.throws(() => validateSpec({ ...base, cell: "tfgru" as never }), new RegExp(`cell must be one of ${CELL_TYPES.join(", ")}`));
    assert.throws(() => validateSpec({ ...base, cell: "gru", peephole: true }), /peepholes are only for LSTM, not GRU/);
  });

  test("the cells experiment compares every registered cell", () => {
    const base: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 1, hidden: 32, embed: 0, vocabSize: 20, peephole: false, coupled: false, residual: false };
    assert.deepEqual(experimentVariants("cells", base, 5).map((v) => v.spec.cell), [...CELL_TYPES]);
  });
});

describe("importing PyTorch weights does not guess the cell", () => {
  const gru = cellEntry("gru");
  const twoThreeGateCells = [...CELLS, { ...gru, type: "tfgru" as never, label: "TF-GRU" }];
  const note = "rnn.weight_hh_l0 has shape [12, 4]: 12 rows";

  test("one cell with the gate count: that cell; a named cell: checked against the count", () => {
    assert.equal(chooseCell(3, 4, {}, note), "gru");
    assert.equal(chooseCell(4, 4, {}, note), "lstm");
    assert.equal(chooseCell(3, 4, { metadata: "gru" }, note), "gru");
    assert.throws(() => chooseCell(3, 4, { option: "lstm" }, note), /3 gate block\(s\) per unit, but LSTM has 4/);
    assert.throws(() => chooseCell(2, 4, {}, note), /12 rows is not 1, 3 or 4 times the hidden size 4/);
    assert.throws(() => chooseCell(3, 4, { option: "nope" }, note), /--cell names cell "nope"/);
  });

  test("two cells with the same gate count and no name: refused, naming both", () => {
    assert.throws(() => chooseCell(3, 4, {}, note, twoThreeGateCells), /fit GRU and TF-GRU; say which with --cell gru\|tfgru/);
    assert.equal(chooseCell(3, 4, { option: "tfgru" }, note, twoThreeGateCells), "tfgru");
    assert.equal(chooseCell(3, 4, { metadata: "gru" }, note, twoThreeGateCells), "gru");
  });
});

describe("the extension host's paths never instantiate wasm", () => {
  test("parameter counts, tensor tables and experiments run with WebAssembly instantiation forbidden", () => {
    const real = { Instance: WebAssembly.Instance, Module: WebAssembly.Module, instantiate: WebAssembly.instantiate };
    let attempts = 0;
    const forbid = function () { attempts++; throw new Error("wasm instantiated on the host path"); };
    Object.assign(WebAssembly, { Instance: forbid, Module: forbid, instantiate: forbid });
    try {
      for (const spec of everySpec()) {
        paramCount(spec);
        tensorSlots(spec);
      }
      experimentVariants("cells", { cell: "lstm", nonlinearity: "tanh", layers: 2, hidden: 64, embed: 0, vocabSize: 30, peephole: false, coupled: false, residual: false }, 5);
      // the spy itself works: a Core does try to instantiate
      assert.throws(() => new Core(coreShape(everySpec()[0])), /wasm instantiated on the host path/);
    } finally {
      Object.assign(WebAssembly, real);
    }
    assert.equal(attempts, 1, "only the deliberate Core tried");
  });

  test("the extension's bundle holds neither the core loader nor the Core class", () => {
    const map = JSON.parse(readFileSync(join(projectRoot, "dist", "extension.js.map"), "utf8")) as { sources: string[] };
    const engine = map.sources.filter((s) => s.includes("src/engine/"));
    assert.ok(engine.some((s) => s.endsWith("src/engine/model/cells.ts")), "the bundle's sources are listed");
    for (const forbidden of ["src/engine/core/coreLoader.ts", "src/engine/core/core.ts"]) {
      assert.ok(!map.sources.some((s) => s.endsWith(forbidden)), `dist/extension.js includes ${forbidden}`);
    }
    assert.ok(!readFileSync(join(projectRoot, "dist", "extension.js"), "utf8").includes("WebAssembly.Instance"), "dist/extension.js names WebAssembly.Instance");
  });
});
