// The Explain Prediction page in headless Chromium: each character's background is its attribution
// (red for the class, blue against, the strongest the most opaque: the colour read back from the
// page), the table of numbers, the completeness sentence (sum and logit difference computed here),
// the switch between integrated gradients and gradient × input, and the steps message it posts
// (checked by the protocol's own parser).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseFromWebview } from "../../src/protocol/webview";
import { explainFixture, trainingFixture } from "./explainData";
import { ThemeName, openPanel, useHarness } from "./panelHarness";

useHarness();

const themes: ThemeName[] = ["light", "dark"];

describe("Explain Prediction in Chromium", () => {
  for (const theme of themes) {
    test(`${theme}: characters coloured by attribution, the numbers, completeness, the method switch and steps`, async () => {
      const a = explainFixture();
      const p = await openPanel("explainPrediction", theme);
      await p.send({ type: "explain.data", model: "mood (GRU 1×16)", attribution: a });
      const r = await p.rendered(0, (s) => s.chars === 10);
      assert.deepEqual([r.method, r.steps, r.positive, r.negative, r.target, r.complete], ["ig", 32, 6, 3, "positive", true]);
      const sum = a.integratedGradients.reduce((x, y) => x + y, 0);
      assert.ok(Math.abs((r.sum as number) - sum) < 1e-12 && Math.abs((r.difference as number) - sum) < 1e-12);
      // backgrounds: red channel high for the class, blue for against; the largest |value| most opaque
      const bg = await p.page.locator("#strip span").evaluateAll((spans) => spans.map((s) => getComputedStyle(s).backgroundColor));
      const rgba = bg.map((c) => (c.match(/[\d.]+/g) ?? []).map(Number));
      a.integratedGradients.forEach((v, i) => {
        if (v > 0) assert.ok(rgba[i][0] > rgba[i][2], `char ${i} (${v}) is red: ${bg[i]}`);
        if (v < 0) assert.ok(rgba[i][2] > rgba[i][0], `char ${i} (${v}) is blue: ${bg[i]}`);
      });
      const alpha = rgba.map((c) => (c.length > 3 ? c[3] : 1));
      assert.equal(alpha.indexOf(Math.max(...alpha)), 0, "the strongest character (0.5) is the most opaque");
      assert.equal(await p.page.locator("#numbers tr").count(), 11);
      assert.match(await p.page.locator("#completeness").textContent() ?? "", /add up to 0\.8000; the logit of positive is 1\.0000 at the text and 0\.2000 at the zero input, a difference of 0\.8000 \(0\.00 % apart, 32 steps\)/);
      await p.screenshot(`explainPrediction-${theme}`);
      // gradient × input: the same strip from the other numbers
      const before = (await p.posted()).length;
      await p.page.evaluate(() => { const d = document.querySelector("#method") as HTMLElement & { value: string }; d.value = "gradxinput"; d.dispatchEvent(new Event("change")); });
      const g = await p.rendered(before, (s) => s.method === "gradxinput");
      assert.deepEqual([g.positive, g.negative], [5, 2]);
      // more steps: a message the host accepts
      await p.page.evaluate(() => { const d = document.querySelector("#steps") as HTMLElement & { value: string }; d.value = "128"; d.dispatchEvent(new Event("change")); });
      const asked = (await p.posted()).filter((m) => m.type === "explain.steps");
      assert.deepEqual(asked, [{ type: "explain.steps", steps: 128 }]);
      assert.deepEqual(parseFromWebview("explainPrediction", asked[0]), asked[0]);
      assert.equal(parseFromWebview("explainPrediction", { type: "explain.steps", steps: 5000 }), null);
      assert.deepEqual(p.problems, []);
      await p.page.close();
    });
  }
});

describe("text task training panel in Chromium", () => {
  test("validation accuracy and F1, the loss, the best validation named, Stop while training", async () => {
    const d = trainingFixture();
    const p = await openPanel("textTaskTraining", "dark");
    await p.send({ type: "textTask.data", data: d });
    const r = await p.rendered(0, (s) => s.validations === 5);
    const bestAt = d.validations.reduce((b, v, i) => (v.valF1 > d.validations[b].valF1 ? i : b), 0);
    assert.deepEqual([r.bestStep, r.bestF1, r.datasets, r.names, r.stopShown], [d.validations[bestAt].step, d.validations[bestAt].valF1, 3, 3, true]);
    assert.match(await p.page.locator("#state").textContent() ?? "", /^training · 5 validations · best F1 0\.610 \(accuracy 71\.0 %\) at step 400$/);
    assert.equal(await p.page.locator("#labels").textContent(), "negative 40 · neutral 30 · positive 50");
    await p.screenshot("textTaskTraining-dark");
    await p.page.getByRole("button", { name: "Stop Training" }).click();
    assert.deepEqual((await p.posted()).filter((m) => m.type === "textTask.stop"), [{ type: "textTask.stop" }]);
    assert.deepEqual(parseFromWebview("textTaskTraining", { type: "textTask.stop" }), { type: "textTask.stop" });
    await p.send({ type: "textTask.data", data: { ...d, state: "done" } });
    const done = await p.rendered(0, (s) => s.state === "done");
    assert.equal(done.stopShown, false, "no Stop once it has ended");
    assert.deepEqual(p.problems, []);
    await p.page.close();
  });
});
