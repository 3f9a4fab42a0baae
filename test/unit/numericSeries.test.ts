// Numeric series read from CSV/TSV text: columns chosen by name, RFC 4180 quoting, time order,
// missing values refused or filled, one clear line (file:line, column) for everything that does not fit.

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { denormalise, fitScaling, normalise, parseNumericSeries, readNumericSeries, splitByTime } from "../../src/engine/forecast/numericSeries";
import { InputError } from "../../src/engine/messages/inputError";
import { expectClose, tempDir } from "../helpers";

const refuses = (text: string, options: Parameters<typeof parseNumericSeries>[2], pattern: RegExp) =>
  assert.throws(() => parseNumericSeries(text, "data.csv", options), (e: unknown) => e instanceof InputError && pattern.test(e.message) && !e.message.includes("\n"));

describe("numeric series from CSV", () => {
  test("quoted fields with commas, quotes and newlines in other columns do not shift the numbers (RFC 4180)", () => {
    const text = 'note,temp,load\n"a, b",1.5,10\n"say ""hi""\nthere",2.5,20\nplain,-3e-1,30\n';
    const s = parseNumericSeries(text, "data.csv", { target: ["temp"], inputs: ["load"] });
    assert.deepEqual(s.columns, ["temp", "load"]);
    assert.deepEqual(Array.from(s.values), [1.5, 10, 2.5, 20, -0.3, 30]);
    assert.deepEqual(s.lines, [2, 3, 5], "the record spanning lines 3–4 starts at line 3");
  });

  test("a .tsv file is read with tabs", () => {
    const dir = tempDir();
    const path = join(dir, "s.tsv");
    writeFileSync(path, "t\ty\n1\t4\n2\t5\n");
    assert.deepEqual(Array.from(readNumericSeries(path, { target: ["y"], timeColumn: "t" }).values), [4, 5]);
  });

  test("rows are put in time order by an ISO 8601 time column; monthly steps are regular", () => {
    const text = "month,y\n2020-03,3\n2020-01,1\n2020-02,2\n2020-04,4\n";
    const s = parseNumericSeries(text, "data.csv", { target: ["y"], timeColumn: "month" });
    assert.equal(s.sorted, true);
    assert.deepEqual(Array.from(s.values), [1, 2, 3, 4]);
    assert.deepEqual(s.lines, [3, 4, 2, 5]);
    assert.deepEqual(s.spacing, { step: "1 month", irregular: 0 });
  });

  test("irregular spacing is counted against the usual step", () => {
    const text = "t,y\n2021-01-01T00:00Z,1\n2021-01-01T01:00Z,2\n2021-01-01T02:00Z,3\n2021-01-01T05:00Z,4\n2021-01-01T06:00Z,5\n";
    assert.deepEqual(parseNumericSeries(text, "data.csv", { target: ["y"], timeColumn: "t" }).spacing, { step: "1 hour", irregular: 1 });
  });

  test("missing values are refused by line and column, or filled: previous carries forward, linear interpolates", () => {
    const text = "y,x\n1,10\n,20\nNA,\n4,40\n";
    refuses(text, { target: ["y"], inputs: ["x"] }, /^data\.csv:3: column "y" is empty; fill gaps with --fill previous or --fill linear/);
    const prev = parseNumericSeries(text, "data.csv", { target: ["y"], inputs: ["x"], fill: "previous" });
    assert.deepEqual(Array.from(prev.values), [1, 10, 1, 20, 1, 20, 4, 40]);
    assert.deepEqual(prev.filled, [2, 1]);
    const lin = parseNumericSeries(text, "data.csv", { target: ["y"], inputs: ["x"], fill: "linear" });
    // y: 1, _, _, 4 → 2, 3; x: 20, _, 40 → 30
    assert.deepEqual(Array.from(lin.values), [1, 10, 2, 20, 3, 30, 4, 40]);
  });

  test("bad input: one line naming the file, the line and the column", () => {
    refuses("y\n1\nabc\n", { target: ["y"] }, /^data\.csv:3: column "y" holds "abc", not a number$/);
    refuses("a,b\n1,2\n", { target: ["y"] }, /^data\.csv:1: no column "y" \(target\); the columns are "a", "b"$/);
    refuses("t,y\n1,1\n1,2\n", { target: ["y"], timeColumn: "t" }, /^data\.csv:3: the same time as line 2/);
    refuses("t,y\n2020-01-01,1\nyesterday,2\n", { target: ["y"], timeColumn: "t" }, /^data\.csv:3: the time column "t" holds "yesterday"/);
    refuses("y,y\n1,2\n", { target: ["y"] }, /appears twice in the header/);
    refuses("y\n", { target: ["y"] }, /needs a header row and at least one row/);
    refuses("a,b\n1,2,3\n", { target: ["a"] }, /^data\.csv:2: not a CSV table/);
    refuses("y,x\n1,2\n", { target: ["y"], inputs: ["y"] }, /given twice/);
  });

  test("spans are cut by time, never shuffled; scaling comes from the training span alone and round-trips", () => {
    const values = Array.from({ length: 100 }, (_, i) => i);
    const text = "y\n" + values.join("\n") + "\n";
    const s = parseNumericSeries(text, "data.csv", { target: ["y"] });
    const { trainEnd, valEnd } = splitByTime(s.steps, { valFraction: 0.1, testFraction: 0.2 });
    assert.deepEqual([trainEnd, valEnd], [70, 80]);
    const scaling = fitScaling(s, trainEnd);
    // mean and population std of 0..69, computed in closed form: 34.5 and √((70² − 1)/12)
    expectClose([scaling.mean[0], scaling.std[0]], [34.5, Math.sqrt((70 * 70 - 1) / 12)], { atol: 1e-12, rtol: 0 }, "scaling");
    const spiked = parseNumericSeries("y\n" + values.map((v, i) => (i === 95 ? 1e6 : v)).join("\n") + "\n", "data.csv", { target: ["y"] });
    assert.deepEqual(fitScaling(spiked, trainEnd), scaling, "a spike in the test span changes nothing fitted on training");
    expectClose(denormalise(normalise(s.values, 1, scaling), 1, scaling), s.values, { atol: 1e-12, rtol: 0 }, "round trip");
  });
});
