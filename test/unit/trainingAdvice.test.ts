// What the extension tells a user before and during a run, computed by the engine: a batch that fits
// a short text, and the warning that the validation loss has stopped improving.

import assert from "node:assert/strict";
import { test } from "node:test";
import { StreamBatches, batchThatFits, charactersForOneBatch } from "../../src/engine/training/streamBatches";
import { PATIENCE, ValidationTrend } from "../../src/engine/training/validationTrend";

test("a batch that fits a short text really fits (StreamBatches accepts it), and none is offered below 1 × 2", () => {
  assert.equal(charactersForOneBatch(50, 50), 2501);
  assert.deepEqual(batchThatFits(5000, 50, 50), { batch: 50, steps: 50 }, "enough text: the settings as they are");
  // 305 characters (321 with 5 % held out): a window of 50, and ⌊304 / 50⌋ = 6 streams
  assert.deepEqual(batchThatFits(305, 50, 50), { batch: 6, steps: 50 });
  // 100 characters: the window shrinks to ⌊99 / 4⌋ = 24 so that 4 streams fit
  assert.deepEqual(batchThatFits(100, 50, 50), { batch: 4, steps: 24 });
  for (const n of [3, 7, 40, 100, 305, 1000, 2500]) {
    const fit = batchThatFits(n, 50, 50)!;
    assert.ok(fit, `${n} characters`);
    assert.doesNotThrow(() => new StreamBatches(new Int32Array(n), fit.batch, fit.steps), `${n}: ${JSON.stringify(fit)}`);
    assert.throws(() => new StreamBatches(new Int32Array(n), fit.batch + 1, fit.steps), /fewer than one batch needs/, `${n}: the largest batch for that window`);
  }
  assert.equal(batchThatFits(2, 50, 50), null);
});

test("the validation trend warns once when the loss stays above its best for PATIENCE evaluations, and again only after a new best", () => {
  assert.equal(PATIENCE, 3);
  const t = new ValidationTrend();
  assert.equal(t.add(100, 2.5), null);
  assert.equal(t.add(200, 2.2), null, "improving");
  assert.equal(t.add(300, 2.3), null);
  assert.equal(t.add(400, 2.25), null, "two above the best");
  assert.deepEqual(t.add(500, 2.4), { best: 2.2, bestStep: 200, latest: 2.4, step: 500, evaluations: 3 });
  assert.equal(t.add(600, 2.5), null, "said once");
  assert.equal(t.add(700, 2.1), null, "a new best resets it");
  for (const [step, v] of [[800, 2.2], [900, 2.2]] as const) assert.equal(t.add(step, v), null);
  assert.equal(t.add(1000, 2.15)?.bestStep, 700, "equal to or above the best counts as not improving");
});
