// npm run compare-cells (test/benchmarks/cellGradientFlow.ts) on a short setting: one row per
// registered cell variant, each at the hidden size whose parameter count is nearest the target,
// trained, evaluated and with its gradient flow at d = 0, 50, 100; the markdown table has them all.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { CELLS } from "../../src/engine/model/cells";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { ModelSpec } from "../../src/engine/model/modelSpec";
import { parameterCount } from "../../src/engine/runs/experiments";
import { cellVariants, compareCells, comparisonTable } from "../benchmarks/cellGradientFlow";
import { projectRoot } from "../helpers";

test("compare-cells: every registered variant at the nearest parameter count, trained for the same time, with its loss and gradient flow", () => {
  const text = readFileSync(join(projectRoot, "media", "corpus", "tinyshakespeare.txt"), "utf8").slice(0, 40_000);
  const o = { seconds: 0.05, threads: 1, layers: 1, targetHidden: 8 };
  const result = compareCells(text, o);
  const labels = CELLS.flatMap((c) => (c.variants ?? [{ label: c.label }]).map((v) => v.label));
  assert.deepEqual(result.rows.map((r) => r.label), labels, "one row per registry variant, in the registry's order");
  assert.equal(cellVariants().length, labels.length);
  const V = CharVocabulary.fromText(text).vocab.size;
  const base: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 1, hidden: 8, embed: 0, vocabSize: V, peephole: false, coupled: false, residual: false };
  assert.equal(result.target, parameterCount(base));
  for (const [k, r] of result.rows.entries()) {
    const v = cellVariants()[k];
    const spec = { ...base, cell: v.entry.type, ...v.options };
    const off = (h: number) => Math.abs(parameterCount({ ...spec, hidden: h }) - result.target);
    assert.equal(r.parameters, parameterCount({ ...spec, hidden: r.hidden }));
    assert.ok(off(r.hidden) <= off(r.hidden + 1) && (r.hidden === 1 || off(r.hidden) <= off(r.hidden - 1)), `${r.label}: hidden ${r.hidden} is the nearest to ${result.target} parameters`);
    assert.equal(r.failure, undefined, `${r.label}: ${r.failure}`);
    assert.ok(r.steps >= 1, `${r.label} trained`);
    assert.ok(Number.isFinite(r.valLoss) && r.valLoss > 0, `${r.label}: validation loss ${r.valLoss}`);
    for (const g of [...r.init, ...r.trained]) assert.ok(Number.isFinite(g) && g >= 0, `${r.label}: gradient norms ${r.init} / ${r.trained}`);
    assert.equal(r.init.length, 3);
    assert.equal(r.trained.length, 3);
  }
  const table = comparisonTable(o, result).split("\n");
  const rows = table.filter((l) => l.startsWith("| ") && !l.startsWith("| cell"));
  assert.equal(rows.length, labels.length);
  assert.ok(rows.every((l) => l.split("|").length === 11), "10 columns in every row");
});
