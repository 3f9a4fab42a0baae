// The classification report's page in headless Chromium, fed the report the engine makes: the
// confusion matrix's cells (counted here from the truth and predictions by plain loops), the
// per-class scores, the records of a clicked cell, and the message a clicked record posts (checked
// by the protocol's own parser). Screenshots go to .test-output/webview/classificationReport-*.png.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseFromWebview } from "../../src/protocol/webview";
import { REPORT_CLASSES, reportFixture } from "./reportData";
import { ThemeName, openPanel, useHarness } from "./panelHarness";

useHarness();

const themes: ThemeName[] = ["light", "dark"];

describe("classification report in Chromium", () => {
  for (const theme of themes) {
    test(`${theme}: confusion matrix, per-class scores, a cell's records, a record opens its line`, async () => {
      const f = reportFixture();
      const k = REPORT_CLASSES.length;
      const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0));
      f.truth.forEach((t, i) => counts[t][f.predicted[i]]++);
      const wrongLines = f.lines.filter((_, i) => f.truth[i] !== f.predicted[i]);
      const p = await openPanel("classificationReport", theme);
      await p.send({ type: "report.data", data: f.data });
      const r = await p.rendered(0, (s) => s.records === 30);
      assert.deepEqual([r.classes, r.cells, r.matrixTotal, r.selected], [3, 9, 30, ""]);
      assert.equal(r.diagonal, counts.reduce((a, row, i) => a + row[i], 0));
      // every cell shows its count, row by row
      const shown = await p.page.locator("#confusion button.cell").allTextContents();
      assert.deepEqual(shown.map(Number), counts.flat());
      // nothing selected: the misclassified records, in file order
      assert.equal(r.listed, wrongLines.length);
      assert.equal(r.listedLines, wrongLines.join(","));
      // per class: recall is the diagonal over the row, precision over the column (three decimals)
      for (let c = 0; c < k; c++) {
        const row = counts[c].reduce((a, b) => a + b, 0), col = counts.reduce((a, x) => a + x[c], 0);
        const cells = await p.page.locator(`#scores tr[data-class="${REPORT_CLASSES[c]}"] td`).allTextContents();
        assert.deepEqual(cells, [(counts[c][c] / col).toFixed(3), (counts[c][c] / row).toFixed(3), ((2 * counts[c][c]) / (row + col)).toFixed(3), String(row)], REPORT_CLASSES[c]);
      }
      // a click on the cell negative → neutral lists exactly those records
      const before = (await p.posted()).length;
      await p.page.locator('#confusion button.cell[data-truth="0"][data-predicted="1"]').click();
      const sel = await p.rendered(before, (s) => s.selected === "0,1");
      const expected = f.lines.filter((_, i) => f.truth[i] === 0 && f.predicted[i] === 1);
      assert.ok(expected.length > 0, "the fixture has records in that cell");
      assert.equal(sel.listedLines, expected.join(","));
      assert.match(await p.page.locator("#listHeading").textContent() ?? "", new RegExp(`^${expected.length} records of negative predicted as neutral$`));
      await p.screenshot(`classificationReport-${theme}`);
      // a click on a record asks the host to open the file at its line, in a message the host accepts
      await p.page.locator("#records button.record").first().click();
      const reveal = (await p.posted()).filter((m) => m.type === "report.reveal");
      assert.deepEqual(reveal, [{ type: "report.reveal", line: expected[0] }]);
      assert.deepEqual(parseFromWebview("classificationReport", reveal[0]), { type: "report.reveal", line: expected[0] });
      assert.equal(parseFromWebview("classificationReport", { type: "report.reveal", line: 0 }), null, "line 0 is refused");
      assert.equal(parseFromWebview("classificationReport", { type: "report.reveal", line: "3" }), null, "a line must be a number");
      // a reload keeps the report and the selected cell
      const state = await p.page.evaluate(() => (window as unknown as { __state: unknown }).__state);
      assert.deepEqual(p.problems, []);
      await p.page.close();
      const again = await openPanel("classificationReport", theme, state);
      const r2 = await again.rendered(0, (s) => s.records === 30);
      assert.equal(r2.selected, "0,1");
      await again.page.close();
    });
  }
});
