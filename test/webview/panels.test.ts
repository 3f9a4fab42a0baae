// Each panel's bundle in headless Chromium, fed the messages the host sends, in light and dark
// themes: assertions on the DOM and on canvas pixels (a unit fed constant 1.0 is drawn in the
// saturated colour, a chart's lines are drawn in its series colour), on what the page posts back,
// and on the absence of CSP violations and page errors. Screenshots go to .test-output/webview/.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { HistogramSeriesData, PanelKind, StepColumns, ToWebview } from "../../src/protocol/webview";
import { THEMES, ThemeName, canvasPixel, countColor, hex, openPanel, useHarness } from "./panelHarness";
import { FORECAST_STEPS, forecastMessages } from "./forecastData";
import { reportFixture } from "./reportData";
import { explainFixture, trainingFixture } from "./explainData";

const themes: ThemeName[] = ["light", "dark"];
const allThemes: ThemeName[] = ["light", "dark", "highContrast"];

/** TensorBoard's smoothing, written out here from its definition (EMA from 0, divided by 1 − w^n). */
function tensorBoardSmoothed(y: ArrayLike<number>, w: number): number[] {
  const out: number[] = [];
  let last = 0;
  for (let i = 0; i < y.length; i++) { last = last * w + (1 - w) * y[i]; out.push(last / (1 - w ** (i + 1))); }
  return out;
}

/** WCAG 2 contrast ratio of two "rgb(r, g, b)" colours. */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = (c.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number).map((v) => { const x = v / 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** Width and height from a PNG data URL's IHDR chunk. */
function pngSize(dataUrl: string): [number, number] {
  const b = Buffer.from(dataUrl.slice(dataUrl.indexOf(",") + 1), "base64");
  assert.equal(b.subarray(1, 4).toString("latin1"), "PNG", "a PNG signature");
  return [b.readUInt32BE(16), b.readUInt32BE(20)];
}

async function setDropdown(p: { page: import("playwright-core").Page }, id: string, value: string): Promise<void> {
  await p.page.evaluate(({ id, value }) => { const d = document.querySelector(id) as HTMLElement & { value: string }; d.value = value; d.dispatchEvent(new Event("change")); }, { id, value });
}

useHarness();

function noProblems(p: { problems: string[] }, posted: { type: string }[]): void {
  assert.deepEqual(p.problems, [], "no page errors");
  assert.deepEqual(posted.filter((m) => m.type === "__csp"), [], "no Content-Security-Policy violations");
}

// ---- gate heatmap: 1,000 characters × 512 units ----
const T = 1000, H = 512;
function heatmapData(): Extract<ToWebview, { type: "heatmap.data" }> {
  const chars = Array.from({ length: T }, (_, t) => "the quick brown fox\n"[t % 20]);
  const gate = new Float32Array(T * H), hidden = new Float32Array(T * H);
  for (let t = 0; t < T; t++) {
    for (let u = 0; u < H; u++) {
      gate[t * H + u] = u === 3 ? 1 : u === 5 ? 0 : 0.2 + 0.6 * (((t * 31 + u * 17) % 97) / 97);
      hidden[t * H + u] = u === 7 ? 1 : u === 8 ? -1 : u === 9 ? 0 : Math.sin(t / 10 + u);
    }
  }
  return {
    type: "heatmap.data", model: "shakespeare (LSTM 1×512)", cell: "lstm", layers: 2, hidden: H, layer: 0, directions: 1, direction: 0, chars,
    quantities: [{ name: "input gate", range: "gate" }, { name: "hidden state", range: "tanh" }], values: [gate, hidden],
  };
}

describe("gate heatmap in Chromium", () => {
  for (const theme of themes) {
    test(`${theme}: 1,000 × 512 cells on one canvas, saturated units in the saturated colour, hover, click, sort, saturation plot`, async () => {
      const p = await openPanel("gateHeatmap", theme);
      const t0 = Date.now();
      await p.send(heatmapData());
      const r = await p.rendered(0, (s) => s.chars === T);
      const drawMs = Date.now() - t0;
      assert.equal(r.units, H);
      assert.equal(r.quantity, "input gate");
      const size = await p.page.evaluate(() => { const c = document.querySelector("#heatmap") as HTMLCanvasElement; return [c.width, c.height, document.querySelectorAll("#app *").length]; });
      assert.deepEqual(size.slice(0, 2), [T, H], "one canvas pixel per (character, unit)");
      assert.ok(size[2] < 400, `a canvas, not a DOM node per cell (${size[2]} elements)`);
      // "fit width": the 1,000 columns fill the box's width exactly, no horizontal scrollbar; the strip
      // stays, writing every k-th character (columns about 1 px wide: every 9th)
      assert.ok(Math.abs((r.canvasWidth as number) - (r.boxWidth as number)) < 0.5, `canvas ${r.canvasWidth} px in a ${r.boxWidth} px box`);
      assert.equal(r.overflowX, 0, "no horizontal scrolling at fit width");
      assert.equal(r.stripEvery, Math.ceil(9 / ((r.boxWidth as number) / T)));
      assert.equal((await p.page.locator("#heatmap-chars").boundingBox())?.height, 16);
      assert.ok((await countColor(p.page, "#heatmap-chars", hex(THEMES[theme].vars["--vscode-foreground"]))) > 50, "every k-th character written");
      assert.match(await p.page.locator("#axis-chars").textContent() ?? "", /characters of the text in reading order \(time →\), positions 0 to 999; one character in \d+ written above/);
      assert.match(await p.page.locator("#axis-units").textContent() ?? "", /hidden units of layer 1 \(512\), sorted by unit number/);
      // the colour bar of a gate: viridis from 0 to 1, with its numbers
      assert.deepEqual(await p.page.locator("#colorbar .colorbar-ticks span").allTextContents(), ["0", "0.25", "0.5", "0.75", "1"]);
      assert.deepEqual(await canvasPixel(p.page, "#colorbar canvas", 255, 0), [253, 231, 37, 255]);
      // viridis end points: 1.0 → yellow (253, 231, 37), 0.0 → violet (68, 1, 84), whatever the theme
      assert.deepEqual(await canvasPixel(p.page, "#heatmap", 123, 3), [253, 231, 37, 255]);
      assert.deepEqual(await canvasPixel(p.page, "#heatmap", 877, 5), [68, 1, 84, 255]);
      // hover reads a cell
      const box = (await p.page.locator("#heatmap").boundingBox())!;
      await p.page.mouse.move(box.x + (10.5 / T) * box.width, box.y + (3.5 / H) * box.height);
      assert.match(await p.page.locator("#readout").textContent() ?? "", /unit 3 · character "\\n"|unit 3 · character ".*" \(position 10\) · input gate 1\.0000/);
      // clicking the unit colours the text by it: every character in the saturated colour
      let n = (await p.posted()).length;
      await p.page.mouse.click(box.x + (10.5 / T) * box.width, box.y + (3.5 / H) * box.height);
      const clicked = await p.rendered(n, (s) => s.selectedUnit === 3);
      assert.equal(clicked.unitChars, T);
      assert.equal(await p.page.locator("#unit-text span").first().evaluate((e) => (e as HTMLElement).style.backgroundColor), "rgb(253, 231, 37)");
      // ctrl-click adds the always-closed unit 5: two rows over the text, the second all violet
      n = (await p.posted()).length;
      await p.page.keyboard.down("Control");
      await p.page.mouse.click(box.x + (10.5 / T) * box.width, box.y + (5.5 / H) * box.height);
      await p.page.keyboard.up("Control");
      const multi = await p.rendered(n, (s) => s.selectedUnits === "3,5");
      assert.equal(multi.unitRows, 2);
      assert.equal(await p.page.locator("#unit-text .unit-row").nth(1).locator("span").first().evaluate((e) => (e as HTMLElement).style.backgroundColor), "rgb(68, 1, 84)");
      // or type their numbers (the field shows the ones picked)
      assert.equal(await p.page.locator("#units").evaluate((f) => (f as HTMLElement & { value: string }).value), "3, 5");
      n = (await p.posted()).length;
      await p.page.evaluate(() => { const f = document.querySelector("#units") as HTMLElement & { value: string }; f.value = "3, 5, 9, 9999"; f.dispatchEvent(new Event("change")); });
      assert.equal((await p.rendered(n, (s) => s.selectedUnits === "3,5,9")).unitRows, 3);
      // sorting by mean puts the always-open unit first (its mean is 1.0; the others' at most 0.8)
      n = (await p.posted()).length;
      await p.page.evaluate(() => { const d = document.querySelector("#sort") as HTMLElement & { value: string }; d.value = "mean"; d.dispatchEvent(new Event("change")); });
      const sorted = await p.rendered(n, (s) => s.sort === "mean");
      assert.equal(sorted.firstUnit, 3);
      assert.deepEqual(await canvasPixel(p.page, "#heatmap", 500, 0), [253, 231, 37, 255], "row 0 is now unit 3");
      // the hidden state is drawn on a diverging scale: +1 red, −1 blue, 0 the editor background
      n = (await p.posted()).length;
      await p.page.evaluate(() => { const d = document.querySelector("#quantity") as HTMLElement & { value: string }; d.value = "hidden state"; d.dispatchEvent(new Event("change")); });
      await p.rendered(n, (s) => s.quantity === "hidden state");
      const bg = hex(THEMES[theme].vars["--vscode-editor-background"]);
      const pixels = await p.page.evaluate(() => { const c = document.querySelector("#heatmap") as HTMLCanvasElement; const d = c.getContext("2d")!.getImageData(0, 0, 1, c.height).data; return Array.from(d); });
      const rows = Array.from({ length: H }, (_, r) => pixels.slice(r * 4, r * 4 + 3).join(","));
      assert.ok(rows.includes("214,47,39"), "a red row (+1)");
      assert.ok(rows.includes("33,102,172"), "a blue row (−1)");
      assert.ok(rows.includes(bg.join(",")), `a row in the ${theme} background (0)`);
      // keyboard: focus the canvas, move down and select with Enter
      await p.page.focus("#heatmap");
      await p.page.keyboard.press("ArrowDown");
      assert.match(await p.page.locator("#readout").textContent() ?? "", /^unit \d+ · character/);
      // 14-pixel columns are wide enough to read: the characters are written above them
      n = (await p.posted()).length;
      await p.page.evaluate(() => { const d = document.querySelector("#cell-width") as HTMLElement & { value: string }; d.value = "14"; d.dispatchEvent(new Event("change")); });
      await p.rendered(n, (s) => s.cellWidth === 14);
      assert.equal((await p.page.locator("#heatmap-chars").boundingBox())?.height, 16);
      assert.ok((await countColor(p.page, "#heatmap-chars", hex(THEMES[theme].vars["--vscode-foreground"]))) > 200, "characters written in the foreground colour");
      // saturation plot: the always-open and always-closed units sit in its corners
      const sat = await p.page.evaluate(() => {
        const c = document.querySelector("#saturation-chart") as HTMLCanvasElement;
        return c.width > 0 && c.height > 0;
      });
      assert.ok(sat);
      await p.screenshot(`gateHeatmap-${theme}`);
      noProblems(p, await p.posted());
      console.log(`# heatmap ${T}×${H} (${theme}): draw() took ${r.drawMs} ms in the page (${drawMs} ms from sending, most of it the test's own transfer of 1M numbers)`);
      await p.page.close();
    });
  }

  // the case: 328 characters in a box about 534 px wide drew 656 px and hid 60 characters
  const N = 328, U = 16;
  function cellStateData(): Extract<ToWebview, { type: "heatmap.data" }> {
    const c = new Float32Array(N * U);
    for (let t = 0; t < N; t++) {
      for (let u = 0; u < U; u++) {
        // unit 0 has two outliers of ±19.6 (the global range of the issue); unit 1 is small (±0.05); the rest within ±1.2
        c[t * U + u] = u === 0 ? (t === 0 ? 19.6 : t === 1 ? -19.6 : 0.5) : u === 1 ? 0.05 * Math.sin(t / 5) : 1.2 * Math.sin(t / 7 + u);
      }
    }
    return {
      type: "heatmap.data", model: "notes (LSTM 1×16)", cell: "lstm", layers: 1, hidden: U, layer: 0, directions: 1, direction: 0, chars: Array.from({ length: N }, (_, t) => "ab cd\n"[t % 6]),
      quantities: [{ name: "cell state", range: "unbounded" }, { name: "hidden state", range: "tanh" }], values: [c, c.map((v) => Math.tanh(v))],
    };
  }

  for (const theme of themes) {
    test(`${theme}: 328 characters fit a 534-pixel box exactly; the cell state on a robust scale with its colour bar, or per unit`, async () => {
      const p = await openPanel("gateHeatmap", theme);
      // a viewport whose heatmap box is 534 px wide inside (the page's margins and the axis title take the rest)
      await p.page.setViewportSize({ width: 620, height: 900 });
      await p.send(cellStateData());
      let r = await p.rendered(0, (s) => s.chars === N);
      await p.page.waitForTimeout(300); // the page's own scrollbar may appear after the first draw
      const inner = await p.page.evaluate(() => document.querySelector(".heatmap-scroller")!.clientWidth);
      await p.page.setViewportSize({ width: 620 + (534 - inner), height: 900 });
      r = await p.rendered(0, (s) => s.chars === N && s.boxWidth === 534);
      assert.ok(Math.abs((r.canvasWidth as number) - 534) < 0.5, `${r.canvasWidth} px drawn in the 534 px box`);
      assert.equal(r.overflowX, 0, "no scrollbar under a wider canvas");
      // the last character's column ends inside the box: none hidden
      const edges = await p.page.evaluate(() => [document.querySelector("#heatmap")!.getBoundingClientRect().right, document.querySelector(".heatmap-scroller")!.getBoundingClientRect().right]);
      assert.ok(edges[0] <= edges[1], `the last column (right edge ${edges[0]}) is inside the box (${edges[1]})`);
      assert.equal(r.stripEvery, Math.ceil(9 / (534 / N)), "past 100 characters the strip writes every k-th character");
      assert.equal(await p.page.locator("#heatmap-chars").isVisible(), true);
      assert.match(await p.page.locator("#axis-chars").textContent() ?? "", /positions 0 to 327/);
      // robust scale by default for the (unbounded) cell state: ± the larger of |1st| and |99th| percentile
      assert.equal(r.scale, "robust");
      const sorted = Float32Array.from(cellStateData().values[0]).sort();
      const at = (q: number) => sorted[Math.round(q * (sorted.length - 1))];
      const limit = Math.max(Math.abs(at(0.01)), Math.abs(at(0.99)));
      assert.ok(limit > 1 && limit < 1.3, `robust limit ${limit}, not the outliers' 19.6`);
      assert.equal(r.limit, limit);
      const bg = hex(THEMES[theme].vars["--vscode-editor-background"]);
      const expected = (v: number, lim: number) => {
        const f = Math.min(1, Math.abs(v) / lim), end = v < 0 ? [33, 102, 172] : [214, 47, 39];
        return [0, 1, 2].map((i) => Math.round(bg[i] + (end[i] - bg[i]) * f));
      };
      const v = cellStateData().values[0][40 * U + 4]; // unit 4 at character 40
      assert.deepEqual((await canvasPixel(p.page, "#heatmap", 40, 4)).slice(0, 3), expected(v, limit), "a typical unit is coloured on the robust scale (on the global ±19.6 it would be near white)");
      // the colour bar: blue at −limit, red at +limit, with the numbers
      const ticks = await p.page.locator("#colorbar .colorbar-ticks span").allTextContents();
      assert.equal(ticks.length, 5);
      assert.equal(ticks[0], `−${Number(limit.toPrecision(3))}`);
      assert.equal(ticks[4], `+${Number(limit.toPrecision(3))}`);
      assert.deepEqual(await canvasPixel(p.page, "#colorbar canvas", 0, 0), [33, 102, 172, 255]);
      assert.deepEqual(await canvasPixel(p.page, "#colorbar canvas", 255, 0), [214, 47, 39, 255]);
      // per unit: the small unit 1 reaches full colour at its own largest |value|
      let n = (await p.posted()).length;
      await setDropdown(p, "#scale", "unit");
      r = await p.rendered(n, (s) => s.scale === "unit");
      const small = cellStateData().values[0].filter((_, k) => k % U === 1);
      const peak = small.reduce((m, x, k) => (Math.abs(x) > Math.abs(small[m]) ? k : m), 0);
      assert.deepEqual((await canvasPixel(p.page, "#heatmap", peak, 1)).slice(0, 3), small[peak] > 0 ? [214, 47, 39] : [33, 102, 172]);
      assert.deepEqual(await p.page.locator("#colorbar .colorbar-ticks span").allTextContents(), ["−1", "−0.5", "0", "+0.5", "+1"]);
      // the hidden state (tanh) keeps its fixed [−1, 1]
      n = (await p.posted()).length;
      await setDropdown(p, "#quantity", "hidden state");
      r = await p.rendered(n, (s) => s.quantity === "hidden state");
      assert.deepEqual([r.scale, r.limit], ["fixed", 1]);
      await setDropdown(p, "#quantity", "cell state");
      await p.rendered(n, (s) => s.quantity === "cell state");
      await p.screenshot(`gateHeatmap-328chars-${theme}`);
      noProblems(p, await p.posted());
      await p.page.close();
    });
  }

  test("a bidirectional layer: a direction pick, and the strip shades what the shown direction has read at the hovered character", async () => {
    const p = await openPanel("gateHeatmap", "dark");
    const N = 100, U = 8;
    const values = [new Float32Array(N * U).map((_, k) => (k % 7) / 7)];
    const base = { type: "heatmap.data" as const, model: "names (BiLSTM 1×8)", cell: "lstm", layers: 1, hidden: U, layer: 0, directions: 2, chars: Array.from({ length: N }, (_, t) => "abcde"[t % 5]), quantities: [{ name: "input gate", range: "gate" as const }], values };
    await p.send({ ...base, direction: 1 });
    await p.rendered(0, (s) => s.chars === N && s.direction === 1);
    assert.equal(await p.page.locator("#direction").isVisible(), true);
    assert.match(await p.page.locator("h1").textContent() ?? "", /← backward direction/);
    assert.match(await p.page.locator("#heatmap-read").textContent() ?? "", /every character after it/);
    // hovering character 30: the backward state there has read 30 … 99
    const box = (await p.page.locator("#heatmap").boundingBox())!;
    let n = (await p.posted()).length;
    await p.page.mouse.move(box.x + (30.5 / N) * box.width, box.y + box.height / 2);
    let read = await p.rendered(n, (s) => s.readAt === 30);
    assert.deepEqual([read.readFrom, read.readTo], [30, 99]);
    assert.match(await p.page.locator("#heatmap-read").textContent() ?? "", /at position 30 it has read positions 30 to 99 \(70 characters\)/);
    const stripPixel = async (col: number) => (await canvasPixel(p.page, "#heatmap-chars", Math.round((col + 0.5) * (box.width / N)), 0))[3]; // the strip is transparent where nothing is drawn
    assert.ok((await stripPixel(80)) > 0, "a character read is shaded");
    assert.equal(await stripPixel(10), 0, "a character not yet read is not");
    // choosing the forward direction asks the host for it; its data shades 0 … 30 instead
    n = (await p.posted()).length;
    await p.page.evaluate(() => { const d = document.querySelector("#direction") as HTMLElement & { value: string }; d.value = "0"; d.dispatchEvent(new Event("change")); });
    const asked = (await p.posted()).slice(n).find((m) => m.type === "heatmap.request");
    assert.deepEqual(asked, { type: "heatmap.request", layer: 0, direction: 0 });
    n = (await p.posted()).length;
    await p.send({ ...base, direction: 0 });
    await p.rendered(n, (s) => s.direction === 0);
    await p.page.mouse.move(box.x + (31.5 / N) * box.width, box.y + box.height / 2);
    read = await p.rendered(n, (s) => s.readAt === 31);
    assert.deepEqual([read.readFrom, read.readTo], [0, 31]);
    assert.ok((await stripPixel(10)) > 0);
    assert.equal(await stripPixel(80), 0);
    await p.screenshot("gateHeatmap-bidirectional");
    await p.page.close();
  });
});

// ---- training dashboard ----
function steps(from: number, n: number, k: number): StepColumns {
  const c: StepColumns = { step: new Float64Array(n), loss: new Float32Array(n), gradNorm: new Float32Array(n), clipped: new Uint8Array(n), lr: new Float32Array(n), chars: new Float64Array(n), seconds: new Float32Array(n), tensorNorms: new Float32Array(n * k), tensorCount: k };
  for (let i = 0; i < n; i++) {
    const s = from + i;
    c.step[i] = s; c.loss[i] = 4.2 * Math.exp(-s / 300) + 1.4; c.gradNorm[i] = s % 50 === 0 ? 12 : 1 + (s % 7) / 7; c.clipped[i] = c.gradNorm[i] > 5 ? 1 : 0;
    c.lr[i] = 0.002; c.chars[i] = s * 2500; c.seconds[i] = s * 0.05;
    for (let t = 0; t < k; t++) c.tensorNorms[i * k + t] = (t + 1) * 0.1;
  }
  return c;
}

describe("training dashboard in Chromium", () => {
  for (const theme of themes) {
    test(`${theme}: the whole history, live points, clip threshold, samples and the Pause button`, async () => {
      const p = await openPanel("dashboard", theme);
      const names = ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "head.weight", "head.bias"];
      await p.send({ type: "dashboard.run", run: { label: "shakespeare · run-1", model: "LSTM 1×128, 100,000 parameters", state: "training", clip: 5, tensorNames: names, budget: "budget 60 s", live: true, charsPerEpoch: 250_000 } });
      await p.send({ type: "dashboard.history", steps: steps(1, 500, 6), evals: { step: Float64Array.of(100, 200, 300, 400, 500), valLoss: Float32Array.of(3.5, 2.9, 2.5, 2.3, 2.2), chars: Float64Array.of(1, 2, 3, 4, 5).map((x) => x * 250000), seconds: Float32Array.of(5, 10, 15, 20, 25) }, samples: [{ step: 500, text: "ROMEO: what light" }] });
      const r = await p.rendered(0, (s) => s.steps === 500);
      assert.equal(r.evals, 5);
      assert.equal(r.clippedSteps, 10, "steps 50, 100, …, 500 had a norm of 12 > 5");
      assert.equal(r.tensorsShown, 6, "every tensor from the start");
      assert.match(await p.page.locator(".facts").textContent() ?? "", /step 500 · loss \d\.\d{3} nats\/char · validation 2\.200 nats\/char/);
      // every chart's axes have titles, with units
      assert.equal(r.xTitle, "optimizer step");
      assert.deepEqual((r.yTitles as string).split("|"), ["loss (nats/char)", "global gradient norm ‖g‖₂", "learning rate", "characters/s", "gradient norm ‖g‖₂ of the tensor"]);
      // TensorBoard's smoothing at its default 0.6, the raw line behind: the smoothed line's last point as computed here
      const history = steps(1, 500, 6);
      assert.equal(r.smoothing, 0.6);
      assert.ok(Math.abs((r.lossSmoothedLast as number) - tensorBoardSmoothed(history.loss, 0.6).at(-1)!) < 1e-6, `smoothed ${r.lossSmoothedLast}`);
      assert.equal(await p.page.locator(".samples pre").first().textContent(), "ROMEO: what light");
      // the loss line is drawn in the theme's first series colour, the clip threshold in its fourth
      const blue = hex(THEMES[theme].vars["--vscode-charts-blue"]), red = hex(THEMES[theme].vars["--vscode-charts-red"]);
      assert.ok((await countColor(p.page, "#loss-chart", blue)) > 200, "training loss line drawn");
      assert.ok((await countColor(p.page, "#grad-chart", red)) > 100, "clip threshold drawn");
      // live: ten more steps arrive
      let n = (await p.posted()).length;
      await p.send({ type: "dashboard.append", steps: steps(501, 10, 6) });
      await p.send({ type: "dashboard.status", state: "training", step: 510, charsPerSecond: 51234, etaSeconds: 75, fraction: 0.5 });
      await p.rendered(n, (s) => s.steps === 510);
      // the status may land in the next animation frame's draw
      await p.page.waitForFunction(() => document.querySelector(".facts")?.textContent?.includes("ETA"), undefined, { timeout: 5000 });
      assert.match(await p.page.locator(".facts").textContent() ?? "", /51,234 characters\/s · ETA 1:15/);
      // Pause is enabled while training and posts the control message; Resume is not
      assert.equal(await p.page.locator("vscode-button", { hasText: "Resume" }).evaluate((b) => (b as HTMLElement & { disabled: boolean }).disabled), true);
      n = (await p.posted()).length;
      await p.page.locator("vscode-button", { hasText: "Pause" }).click();
      assert.deepEqual((await p.posted()).slice(n).filter((m) => m.type === "dashboard.control"), [{ type: "dashboard.control", action: "pause" }]);
      // characters seen on the horizontal axis
      n = (await p.posted()).length;
      await p.page.evaluate(() => { const d = document.querySelector("#x-axis") as HTMLElement & { value: string }; d.value = "chars"; d.dispatchEvent(new Event("change")); });
      assert.equal((await p.rendered(n, (s) => s.xAxis === "chars")).steps, 510);
      // the epoch axis: 510 steps × 2,500 characters over 250,000 characters an epoch = 5.1 epochs
      n = (await p.posted()).length;
      await setDropdown(p, "#x-axis", "epoch");
      const epochs = await p.rendered(n, (s) => s.xAxis === "epoch");
      assert.equal(epochs.xLast, 5.1);
      assert.equal(epochs.xTitle, "epoch (passes over the training text)");
      // a heavier smoothing from the slider, computed here again
      n = (await p.posted()).length;
      await p.page.locator("#smoothing").fill("0.9");
      const heavy = await p.rendered(n, (s) => s.smoothing === 0.9);
      const all = steps(1, 510, 6);
      assert.ok(Math.abs((heavy.lossSmoothedLast as number) - tensorBoardSmoothed(all.loss, 0.9).at(-1)!) < 1e-6);
      // log scale for the loss
      n = (await p.posted()).length;
      await p.page.locator("#loss-chart-log").click();
      assert.equal((await p.rendered(n, (s) => s.lossLog === true)).lossScale, "logarithmic");
      // zoom with the keyboard: + narrows the x range to 80 %, 0 resets it
      await p.page.focus("#loss-chart");
      await p.page.keyboard.press("+");
      const zoom = (await p.page.locator("#loss-chart").getAttribute("data-zoom"))!.split(",").map(Number);
      assert.ok(Math.abs((zoom[1] - zoom[0]) / 5.1 - 0.8) < 0.02, `zoomed to ${zoom}`);
      assert.equal(await p.page.locator("vscode-button[aria-label='Reset zoom of Loss (nats/char)']").evaluate((b) => (b as HTMLElement & { disabled: boolean }).disabled), false);
      await p.page.keyboard.press("0");
      assert.equal(await p.page.locator("#loss-chart").getAttribute("data-zoom"), "");
      // and with Ctrl + wheel over the chart, around the pointer
      const lossBox = (await p.page.locator("#loss-chart").boundingBox())!;
      await p.page.mouse.move(lossBox.x + lossBox.width / 2, lossBox.y + lossBox.height / 2);
      await p.page.keyboard.down("Control");
      await p.page.mouse.wheel(0, -100);
      await p.page.keyboard.up("Control");
      await p.page.waitForFunction(() => document.querySelector("#loss-chart")?.getAttribute("data-zoom"), undefined, { timeout: 5000 });
      await p.page.dblclick("#loss-chart");
      assert.equal(await p.page.locator("#loss-chart").getAttribute("data-zoom"), "");
      // Save as PNG posts the chart's image; Save Metrics as CSV asks the host (which reads its own file)
      n = (await p.posted()).length;
      await p.page.locator("vscode-button[aria-label='Save Loss (nats/char) as PNG']").click();
      const png = (await p.posted()).slice(n).find((m) => m.type === "export.png") as { name: string; dataUrl: string } | undefined;
      assert.equal(png?.name, "loss");
      const canvasSize = await p.page.evaluate(() => { const c = document.querySelector("#loss-chart") as HTMLCanvasElement; return [c.width, c.height]; });
      assert.deepEqual(pngSize(png!.dataUrl), canvasSize);
      n = (await p.posted()).length;
      await p.page.locator("vscode-button", { hasText: "Save Metrics as CSV" }).click();
      assert.deepEqual((await p.posted()).slice(n).filter((m) => m.type === "dashboard.exportCsv"), [{ type: "dashboard.exportCsv" }]);
      await p.screenshot(`dashboard-${theme}`);
      noProblems(p, await p.posted());
      await p.page.close();
    });
  }

  test("the host's overfitting warning is shown under the header, and goes when an evaluation comes without one", async () => {
    const p = await openPanel("dashboard", "light");
    await p.send({ type: "dashboard.run", run: { label: "w · run-1", model: "LSTM 1×16", state: "training", clip: 5, tensorNames: ["head.bias"], budget: "budget 60 s", live: true, charsPerEpoch: 0 } });
    await p.send({ type: "dashboard.history", steps: steps(1, 40, 1), evals: { step: Float64Array.of(10, 20), valLoss: Float32Array.of(2, 2.1), chars: Float64Array.of(1, 2), seconds: Float32Array.of(1, 2) }, samples: [] });
    const warning = p.page.locator("#warning");
    assert.equal(await warning.isVisible(), false, "no warning before the host sends one");
    const text = "Validation loss has not improved for 3 evaluations (best 2.000 nats/char at step 10, now 2.200): the model may be overfitting. best.safetensors keeps the best checkpoint.";
    await p.send({ type: "dashboard.eval", step: 30, valLoss: 2.2, chars: 3, seconds: 3, warning: text });
    await p.page.waitForFunction(() => !(document.getElementById("warning") as HTMLElement).hidden);
    assert.equal(await warning.textContent(), text);
    assert.equal(await warning.getAttribute("role"), "status", "read out by screen readers");
    await p.screenshot("dashboard-overfitting-warning-light");
    await p.send({ type: "dashboard.eval", step: 40, valLoss: 1.9, chars: 4, seconds: 4 });
    await p.page.waitForFunction(() => (document.getElementById("warning") as HTMLElement).hidden);
    await p.page.close();
  });

  test("a finished run that is not live: Pause, Resume and Stop are disabled; throughput is charted", async () => {
    const p = await openPanel("dashboard", "light");
    await p.send({ type: "dashboard.run", run: { label: "old · run-1", model: "GRU", state: "done", clip: 0, tensorNames: ["head.bias"], budget: "budget 100 steps", live: false, charsPerEpoch: 0 } });
    // 2,500 characters a step; steps 1–50 take 0.05 s each (50,000 chars/s), steps 51–100 take 0.1 s (25,000)
    const history = steps(1, 100, 1);
    history.seconds = Float32Array.from(history.step, (s) => (s <= 50 ? s * 0.05 : 2.5 + (s - 50) * 0.1));
    await p.send({ type: "dashboard.history", steps: history, evals: { step: new Float64Array(0), valLoss: new Float32Array(0), chars: new Float64Array(0), seconds: new Float32Array(0) }, samples: [] });
    const r = await p.rendered(0, (s) => s.steps === 100);
    assert.deepEqual([r.speedPoints, r.speedFirst, r.speedLast], [99, 50000, 25000], "throughput over the last ten steps, from the second step on");
    // the host's last status of a finished run carries ETA 0: the page says it finished, and in how long (7.5 s)
    const n = (await p.posted()).length;
    await p.send({ type: "dashboard.status", state: "done", step: 100, charsPerSecond: 33000, etaSeconds: 0, fraction: 1 });
    const done = await p.rendered(n, (s) => s.steps === 100);
    assert.doesNotMatch(done.facts as string, /ETA/);
    assert.match(done.facts as string, /· finished · .* · trained for 0:08$/);
    assert.equal(await p.page.locator("#samples-note").textContent(), "This run wrote no samples.");
    for (const label of ["Pause", "Resume", "Stop"]) {
      assert.equal(await p.page.locator("vscode-button", { hasText: label }).evaluate((b) => (b as HTMLElement & { disabled: boolean }).disabled), true, label);
    }
    await p.page.close();
  });
});

function histogramData(): Extract<ToWebview, { type: "histograms.data" }> {
  const steps = [100, 200, 300], bins = 10, Q = [0, 0.0668, 0.1587, 0.3085, 0.5, 0.6915, 0.8413, 0.9332, 1];
  const series = (name: string, kind: HistogramSeriesData["kind"], spread: number): HistogramSeriesData => ({
    name, kind, edges: Float64Array.from({ length: bins + 1 }, (_, i) => -1 + (2 * i) / bins),
    // a bump that widens with the step; 100 values a step
    counts: Float32Array.from({ length: steps.length * bins }, (_, k) => { const b = k % bins; return [0, 2, 6, 12, 30, 30, 12, 6, 2, 0][b]; }),
    quantiles: Float32Array.from({ length: steps.length * Q.length }, (_, k) => { const s = Math.floor(k / Q.length), q = Q[k % Q.length]; return (q - 0.5) * spread * (s + 1); }),
  });
  return { type: "histograms.data", steps, quantiles: Q, series: [series("rnn.weight_hh_l0", "weight", 0.4), series("rnn.weight_hh_l0", "gradient", 0.01), series("hidden state · layer 1", "activation", 0.6)] };
}

describe("histograms on the dashboard in Chromium", () => {
  for (const theme of allThemes) {
    test(`${theme}: asked for on a button; quantile bands over the steps and each checkpoint's histogram drawn`, async () => {
      const p = await openPanel("dashboard", theme);
      await p.send({ type: "dashboard.run", run: { label: "h · run-1", model: "LSTM 1×16", state: "done", clip: 5, tensorNames: ["rnn.weight_hh_l0"], budget: "budget 300 steps", live: false, charsPerEpoch: 0 } });
      await p.send({ type: "dashboard.history", steps: steps(1, 300, 1), evals: { step: new Float64Array(0), valLoss: new Float32Array(0), chars: new Float64Array(0), seconds: new Float32Array(0) }, samples: [] });
      await p.rendered(0, (s) => s.steps === 300);
      assert.equal(await p.page.locator("#hist-distribution-chart").isVisible(), false, "no charts before there is data");
      let n = (await p.posted()).length;
      await p.page.locator("vscode-button", { hasText: "Compute Histograms" }).click();
      assert.deepEqual((await p.posted()).slice(n).filter((m) => m.type === "histograms.request"), [{ type: "histograms.request" }]);
      n = (await p.posted()).length;
      await p.send(histogramData());
      const r = await p.rendered(n, (s) => s.histSteps === 3);
      assert.deepEqual([r.histSeries, r.histBins, r.histKind, r.histName, r.histLastTotal, r.histMedianLast], [3, 10, "weight", "rnn.weight_hh_l0", 100, 0]);
      const blue = hex(THEMES[theme].vars["--vscode-charts-blue"]);
      assert.ok((await countColor(p.page, "#hist-distribution-chart", blue)) > 100, "the median line drawn in the series colour");
      assert.ok((await countColor(p.page, "#hist-overlay-chart", blue)) > 100, "the newest histogram drawn in the series colour");
      assert.match(await p.page.locator("#histograms-note").textContent() ?? "", /3 checkpoints, steps 100 to 300; 10 bins from -?1\.00 to 1\.00/);
      // the activations: the list of names follows the kind
      n = (await p.posted()).length;
      await setDropdown(p, "#hist-kind", "activation");
      assert.equal((await p.rendered(n, (s) => s.histKind === "activation")).histName, "hidden state · layer 1");
      await p.screenshot(`dashboard-histograms-${theme}`);
      noProblems(p, await p.posted());
      await p.page.close();
    });
  }
});

function flowData(): ToWebview {
  const decay = (rate: number) => Float32Array.from({ length: 100 }, (_, d) => Math.exp(-rate * d));
  return {
    type: "flow.data", model: "RNN", window: 100, windows: 16,
    series: [{ label: "RNN", cell: "rnn", layers: 2, norms: [decay(0.3), decay(0.2)] }, { label: "LSTM", cell: "lstm", layers: 2, norms: [decay(0.05), decay(0.03)] }],
    clipping: {
      threshold: 5, globalNorm: 20, scale: 0.25, tensors: [{ name: "rnn.weight_hh_l0", before: 16, after: 4 }, { name: "head.weight", before: 12, after: 3 }],
      update: { optimizer: "adam", step: 101, lr: 0.002, unclipped: 0.05, clipped: 0.04, tensors: [{ name: "rnn.weight_hh_l0", unclipped: 0.04, clipped: 0.032 }, { name: "head.weight", unclipped: 0.03, clipped: 0.024 }] },
    },
    candidates: [{ label: "LSTM", cell: "lstm" }, { label: "GRU", cell: "gru" }], selected: [0],
  };
}

describe("gradient flow in Chromium", () => {
  for (const theme of themes) {
    test(`${theme}: one line per model and layer on a log scale, and what clipping did`, async () => {
      const p = await openPanel("gradientFlow", theme);
      await p.send(flowData());
      const r = await p.rendered(0, (s) => s.series === 2);
      assert.equal(r.lines, 4);
      // the 100-fold fall: ln(100)/0.2 ≈ 23 steps for the RNN's top layer, ln(100)/0.03 ≈ 154 > 100 for the LSTM's
      assert.equal(r.reach100, "24,100");
      assert.match(await p.page.locator("#clip-text").textContent() ?? "", /multiplies every gradient by 0\.250/);
      assert.match(await p.page.locator("#update-text").textContent() ?? "", /^Adam step 101 at learning rate 0\.00200: ‖Δθ‖ = 0\.05000 without clipping, 0\.04000 with it \(×0\.800; the gradient was multiplied by 0\.250\)\. Adam and RMSprop divide/);
      assert.equal(r.updateRatio, 0.8);
      const green = hex(THEMES[theme].vars["--vscode-charts-green"]);
      assert.ok((await countColor(p.page, "#update-chart", green)) > 100, "the clipped step's bars drawn");
      // one colour per (model, layer) line, none of them green: green means "after clipping" below
      assert.equal(r.colors, 4, "four lines, four colours");
      const v = THEMES[theme].vars;
      for (const c of ["--vscode-charts-blue", "--vscode-charts-orange", "--vscode-charts-purple", "--vscode-charts-red"] as const) assert.ok((await countColor(p.page, "#flow-chart", hex(v[c]), 30)) > 60, `${c} line`);
      assert.equal(await countColor(p.page, "#flow-chart", green, 30), 0, "no green line in the flow chart");
      assert.ok((await countColor(p.page, "#clip-chart", hex(v["--vscode-descriptionForeground"]), 30)) > 100, "before clipping in the muted grey");
      // short legends; the models' full descriptions in a key that wraps
      assert.equal(r.legend, "RNN · layer 1|RNN · layer 2|LSTM · layer 1|LSTM · layer 2");
      assert.deepEqual(await p.page.locator("#flow-key li").allTextContents(), ["RNN: RNN", "LSTM: LSTM"]);
      // real subscripts on the vertical axis, titles on the bar charts' axes
      assert.equal(await p.page.locator("#flow-axis").evaluate((e) => e.innerHTML), "‖∂L<sub>T</sub>/∂h<sub>t</sub>‖ (log scale)");
      assert.equal(r.barTitles, "gradient norm ‖g‖₂ of the tensor|size of the step ‖Δθ‖₂ of the tensor");
      assert.equal(await p.page.locator("#compare-0").evaluate((c) => (c as HTMLElement & { checked: boolean }).checked), true);
      // ask for another window and both comparisons
      await p.page.locator("#compare-1").click();
      await p.page.evaluate(() => { const f = document.querySelector("#window") as HTMLElement & { value: string }; f.value = "60"; });
      const n = (await p.posted()).length;
      await p.page.locator("vscode-button", { hasText: "Compute" }).click();
      const req = (await p.posted()).slice(n).find((m) => m.type === "flow.request");
      assert.deepEqual(req, { type: "flow.request", window: 60, compare: [0, 1] });
      await p.screenshot(`gradientFlow-${theme}`);
      // an imported checkpoint has weights only: no step to show, and the page says why
      const weightsOnly = flowData() as Extract<ToWebview, { type: "flow.data" }>;
      weightsOnly.clipping!.update = null;
      const m = (await p.posted()).length;
      await p.send(weightsOnly);
      assert.equal((await p.rendered(m)).updateRatio, "none");
      assert.match(await p.page.locator("#update-text").textContent() ?? "", /weights only/);
      assert.equal(await p.page.locator("#update-chart").isVisible(), false);
      noProblems(p, await p.posted());
      await p.page.close();
    });
  }
});

describe("generated text in Chromium", () => {
  for (const theme of themes) {
    test(`${theme}: settings posted, text streams in tinted by probability, alternatives on hover, Copy`, async () => {
      const p = await openPanel("generateText", theme);
      const vocab = [..."abcdefgh \n"];
      await p.send({ type: "generate.model", model: "tiny (LSTM 1×8)", vocab, k: 3 });
      await p.rendered(0, (s) => s.vocab === 10);
      await p.page.evaluate(() => {
        const set = (id: string, v: string) => { (document.querySelector(id) as HTMLElement & { value: string }).value = v; };
        set("#prime", "ab"); set("#temperature", "0.5"); set("#top-k", "3"); set("#top-p", "0.9"); set("#length", "40"); set("#seed", "7");
      });
      // by default every press draws a new seed, shown in the field and said in words
      const seeds: number[] = [];
      for (let press = 0; press < 2; press++) {
        const before = (await p.posted()).length;
        await p.page.locator("vscode-button", { hasText: "Generate" }).click();
        const start = (await p.posted()).slice(before).find((m) => m.type === "generate.start") as unknown as { seed: number } & Record<string, unknown>;
        assert.deepEqual({ ...start, seed: 0 }, { type: "generate.start", prime: "ab", length: 40, temperature: 0.5, topK: 3, topP: 0.9, seed: 0 });
        seeds.push(start.seed);
        assert.equal(await p.page.locator("#seed").evaluate((f) => (f as HTMLElement & { value: string }).value), String(start.seed), "the seed used is shown");
        assert.match(await p.page.locator("#seed-note").textContent() ?? "", new RegExp(`^Seed ${start.seed} \\(a new one each time`));
        await p.send({ type: "generate.done", stopped: true });
      }
      assert.notEqual(seeds[0], seeds[1], "two presses, two seeds");
      // locked: the seed in the field is used again, press after press
      await p.page.locator("#seed-lock").click();
      await p.page.evaluate(() => { (document.querySelector("#seed") as HTMLElement & { value: string }).value = "7"; });
      for (let press = 0; press < 2; press++) {
        const before = (await p.posted()).length;
        await p.page.locator("vscode-button", { hasText: "Generate" }).click();
        assert.equal(((await p.posted()).slice(before).find((m) => m.type === "generate.start") as unknown as { seed: number }).seed, 7);
        if (press === 0) await p.send({ type: "generate.done", stopped: true });
      }
      assert.match(await p.page.locator("#seed-note").textContent() ?? "", /^Seed 7 \(locked/);
      let n = (await p.posted()).length;
      for (let c = 0; c < 4; c++) {
        const chars = Array.from({ length: 10 }, (_, j) => vocab[(c * 10 + j) % 10]);
        const probs = Float32Array.from(chars, (_, j) => (j === 4 ? 0.005 : 0.9));
        await p.send({ type: "generate.chunk", chars, probs, alternatives: Int32Array.from({ length: 30 }, (_, q) => q % 10), alternativeProbs: Float32Array.from({ length: 30 }, (_, q) => [0.6, 0.3, 0.1][q % 3]) });
      }
      n = (await p.posted()).length;
      await p.send({ type: "generate.done", stopped: false });
      const r = await p.rendered(n, (s) => s.chars === 40);
      assert.equal(r.lowProbability, 4);
      assert.equal(await p.page.locator("#generated span.drawn").count(), 40);
      const rare = p.page.locator("#generated span.drawn").nth(4), sure = p.page.locator("#generated span.drawn").nth(3);
      assert.match(await rare.evaluate((e) => (e as HTMLElement).style.backgroundColor), /^rgba\(\d+, \d+, \d+, 0\.[5-9]\d*\)$/, "a 0.5 % draw is tinted strongly");
      assert.equal(await sure.evaluate((e) => (e as HTMLElement).style.backgroundColor), "", "a 90 % draw is not tinted");
      // the alternatives in a box below the text, not a native tooltip: on pointing, and from the keyboard
      assert.equal(await p.page.locator("#generated span[title]").count(), 0, "no native tooltips");
      await rare.hover();
      assert.equal(await p.page.locator("#alternatives").textContent(), 'Character 5: drew "e" with p = 0.5% · alternatives: "c" 60.0%, "d" 30.0%, "e" 10.0%');
      await p.page.focus("#generated");
      await p.page.keyboard.press("ArrowRight");
      assert.match(await p.page.locator("#alternatives").textContent() ?? "", /^Character 6: drew "f" with p = 90\.0%/);
      assert.equal(await p.page.locator("#alternatives").getAttribute("aria-live"), "polite", "a screen reader hears it");
      n = (await p.posted()).length;
      await p.page.locator("vscode-button", { hasText: "Copy" }).click();
      const copy = (await p.posted()).slice(n).find((m) => m.type === "generate.copy");
      assert.equal(copy?.text, "abcdefgh \n".repeat(4));
      await p.screenshot(`generateText-${theme}`);
      noProblems(p, await p.posted());
      await p.page.close();
    });
  }
});

function compareData(): ToWebview {
  const run = (cell: string, hidden: number, rate: number) => ({
    label: `notes · ${cell}`, state: "done" as const, ...(cell === "lstm" ? { name: "baseline", notes: "first try, default settings", tags: ["lstm", "small"] } : {}),
    hyper: { cell, hidden: String(hidden), "learning rate": "0.002", seed: "1", steps: "300", "best validation": "2.0" },
    step: Float64Array.from({ length: 300 }, (_, i) => i + 1), chars: Float64Array.from({ length: 300 }, (_, i) => (i + 1) * 2500),
    seconds: Float32Array.from({ length: 300 }, (_, i) => (i + 1) * 0.1), loss: Float32Array.from({ length: 300 }, (_, i) => 4 * Math.exp(-i * rate) + 1.5),
    eval: { step: Float64Array.of(100, 200, 300), valLoss: Float32Array.of(3, 2.5, 2 + rate), chars: Float64Array.of(1, 2, 3), seconds: Float32Array.of(10, 20, 30) },
  });
  return { type: "compare.data", title: "Cells on notes.txt", runs: [run("lstm", 128, 0.01), run("gru", 148, 0.012), run("rnn", 285, 0.004)], differing: ["cell", "hidden"] };
}

describe("run comparison in Chromium", () => {
  for (const theme of themes) {
    test(`${theme}: three runs overlaid, differing hyperparameters highlighted`, async () => {
      const p = await openPanel("compareRuns", theme);
      await p.send(compareData());
      const r = await p.rendered(0, (s) => s.runs === 3);
      assert.equal(r.highlighted, 6, "2 differing settings × 3 runs");
      assert.equal(r.best, "2.010,2.012,2.004");
      // the best run by validation loss is marked: the RNN's 2.004
      assert.equal(r.bestRun, 2);
      assert.match(await p.page.locator("#hyperparameters th.best").textContent() ?? "", /^notes · rnn best$/);
      assert.equal(await p.page.locator("#best-run").textContent(), "Best by validation loss: notes · rnn, 2.004 nats/char.");
      // the run's own name, note and tags: a header, then rows for run id, notes and tags, then the 6 settings
      assert.equal(await p.page.locator("#hyperparameters tr").count(), 10);
      assert.deepEqual(await p.page.locator("#hyperparameters tr").first().locator("th").allTextContents(), ["", "baseline", "notes · gru", "notes · rnn best"]);
      assert.deepEqual(await p.page.locator("#hyperparameters tr.own").allInnerTexts(), ["run\tnotes · lstm\t—\t—", "notes\tfirst try, default settings\t—\t—", "tags\tlstm, small\t—\t—"]);
      // smoothing and log scale as on the dashboard: three validation lines, three smoothed training lines and their raw ones
      assert.equal(r.datasets, 9);
      assert.equal(r.smoothing, 0.6);
      for (const color of ["--vscode-charts-blue", "--vscode-charts-orange", "--vscode-charts-green"] as const) {
        assert.ok((await countColor(p.page, "#val-chart", hex(THEMES[theme].vars[color]))) > 50, `${color} line`);
      }
      const n = (await p.posted()).length;
      await p.page.evaluate(() => { const d = document.querySelector("#axis") as HTMLElement & { value: string }; d.value = "seconds"; d.dispatchEvent(new Event("change")); });
      assert.equal((await p.rendered(n, (s) => s.axis === "seconds")).runs, 3);
      const m = (await p.posted()).length;
      await p.page.locator("#val-chart-log").click();
      assert.equal((await p.rendered(m, (s) => s.valLog === true)).runs, 3);
      await p.screenshot(`compareRuns-${theme}`);
      noProblems(p, await p.posted());
      await p.page.close();
    });
  }

  test("classifiers by their own metrics: macro F1 (highest best) by default, accuracy and loss on the pick; no training-loss chart; a forecaster by MAE (lowest best)", async () => {
    const p = await openPanel("compareRuns", "light");
    const steps = Float64Array.of(10, 20, 30), none = new Float32Array(0);
    const classifier = (name: string, f1: number[], acc: number[], loss: number[]) => ({
      label: name, state: "done" as const, task: "classify" as const, hyper: { task: "classifier", cell: name, "best validation F1": Math.max(...f1).toFixed(3) },
      metrics: [{ name: "validation macro F1", higherIsBetter: true, values: Float32Array.from(f1) }, { name: "validation accuracy", higherIsBetter: true, values: Float32Array.from(acc) }, { name: "validation loss", higherIsBetter: false, values: Float32Array.from(loss) }],
      step: new Float64Array(0), chars: new Float64Array(0), seconds: none, loss: none,
      eval: { step: steps, valLoss: Float32Array.from(loss), chars: Float64Array.of(NaN, NaN, NaN), seconds: Float32Array.of(NaN, NaN, NaN) },
    });
    // GRU has the best F1 (0.8) but LSTM the best accuracy (0.9) and the lowest loss (0.3)
    await p.send({ type: "compare.data", title: "mood", differing: ["cell"], runs: [
      classifier("LSTM", [0.5, 0.7, 0.6], [0.6, 0.9, 0.8], [0.9, 0.3, 0.5]), classifier("GRU", [0.4, 0.8, 0.75], [0.5, 0.7, 0.85], [1, 0.6, 0.4]),
    ] });
    let r = await p.rendered(0, (s) => s.runs === 2);
    assert.equal(r.metric, "validation macro F1");
    assert.equal(r.metrics, "validation macro F1|validation accuracy|validation loss");
    assert.equal(r.bestRun, 1);
    assert.equal(r.best, "0.700,0.800");
    assert.equal(await p.page.locator("#best-run").textContent(), "Best by validation macro F1 (the highest): GRU, 0.800.");
    assert.equal(await p.page.locator("#val-chart").locator("xpath=ancestor::section//h2").textContent(), "validation macro F1");
    assert.equal(r.datasets, 2, "the two runs' validation curves and no training-loss chart");
    assert.equal(await p.page.locator("#axis").isVisible(), false, "validations are by step only");
    for (const [metric, best, bestRun] of [["validation accuracy", "0.900,0.850", 0], ["validation loss", "0.300,0.400", 0]] as const) {
      const n = (await p.posted()).length;
      await p.page.evaluate((v) => { const d = document.querySelector("#metric") as HTMLElement & { value: string }; d.value = v; d.dispatchEvent(new Event("change")); }, metric);
      r = await p.rendered(n, (s) => s.metric === metric);
      assert.deepEqual([r.best, r.bestRun], [best, bestRun], metric);
    }
    assert.match(await p.page.locator("#best-run").textContent() ?? "", /^Best by validation loss \(the lowest\): LSTM, 0\.3000?\.$/);
    await p.screenshot("compareRuns-classifiers");
    // forecasters: MAE, the lowest the best
    const forecaster = (name: string, mae: number[]) => ({
      label: name, state: "done" as const, task: "forecast" as const, hyper: { task: "forecaster" },
      metrics: [{ name: "validation MAE", higherIsBetter: false, values: Float32Array.from(mae) }, { name: "validation RMSE", higherIsBetter: false, values: Float32Array.from(mae, (x) => 1.3 * x) }],
      step: new Float64Array(0), chars: new Float64Array(0), seconds: none, loss: none,
      eval: { step: steps, valLoss: Float32Array.of(NaN, NaN, NaN), chars: Float64Array.of(NaN, NaN, NaN), seconds: Float32Array.of(NaN, NaN, NaN) },
    });
    const n = (await p.posted()).length;
    await p.send({ type: "compare.data", title: "load", differing: [], runs: [forecaster("LSTM", [5, 4, 4.5]), forecaster("TDNN", [6, 3.5, 3.8])] });
    r = await p.rendered(n, (s) => s.metric === "validation MAE");
    assert.deepEqual([r.best, r.bestRun], ["4.000,3.500", 1]);
    noProblems(p, await p.posted());
    await p.page.close();
  });
});

function checkMessages(): ToWebview[] {
  return [
    { type: "check.start", settings: { precision: "f64 core", batch: 3 }, threshold: 1e-6, models: 2 },
    { type: "check.result", model: "LSTM, 1 layer", tensors: [{ name: "rnn.weight_ih_l0", size: 96, maxRelError: 3e-9, meanRelError: 1e-10, maxAbsError: 1e-12 }, { name: "head.weight", size: 24, maxRelError: 2e-8, meanRelError: 1e-9, maxAbsError: 1e-12 }] },
    { type: "check.result", model: "GRU, 1 layer", tensors: [{ name: "rnn.weight_hh_l0", size: 48, maxRelError: 4e-5, meanRelError: 1e-6, maxAbsError: 1e-9 }] },
    { type: "check.done", passed: false, worst: 4e-5 },
  ];
}

describe("gradient check report in Chromium", () => {
  for (const theme of themes) {
    test(`${theme}: per-tensor errors with pass and fail, kept in the page's state for a reload`, async () => {
      const p = await openPanel("gradientCheck", theme);
      for (const m of checkMessages()) await p.send(m);
      const r = await p.rendered(0, (s) => s.done === true);
      assert.deepEqual([r.models, r.tensors, r.failedTensors, r.passed], [2, 3, 1, false]);
      assert.deepEqual(await p.page.locator("td.fail").allTextContents(), ["FAIL"]);
      assert.equal(await p.page.locator("td.pass").count(), 2);
      assert.match(await p.page.locator("#summary").textContent() ?? "", /FAILED: 2 model\(s\), worst relative error 4\.00e-5 against a threshold of 1e-6\./);
      // the formula is the seven-point stencil src/engine/insight/gradientCheck.ts uses, and the page says why it matters
      assert.equal(await p.page.locator("#formula").textContent(), "n = [45 (L(θ+ε) − L(θ−ε)) − 9 (L(θ+2ε) − L(θ−2ε)) + (L(θ+3ε) − L(θ−3ε))] / (60 ε)");
      assert.match(await p.page.locator("#why").textContent() ?? "", /Why check gradients\?.*backward pass is right/);
      const state = await p.page.evaluate(() => (window as unknown as { __state: { view: { report: { results: unknown[] } } } }).__state);
      await p.screenshot(`gradientCheck-${theme}`);
      noProblems(p, await p.posted());
      await p.page.close();
      // a reloaded window: the page starts from its saved state and shows the report without the host
      const again = await openPanel("gradientCheck", theme, state);
      assert.equal(await again.page.locator("td.pass").count(), 2);
      await again.page.close();
    });
  }
});

describe("gradient check verdict is readable", () => {
  for (const theme of allThemes) {
    test(`${theme}: "Passed" and "pass" at a contrast of at least 4.5:1 (WCAG AA)`, async () => {
      const p = await openPanel("gradientCheck", theme);
      const messages = checkMessages().slice(0, 2);
      for (const m of [...messages, { type: "check.done", passed: true, worst: 2e-8 } as ToWebview]) await p.send(m);
      await p.rendered(0, (s) => s.done === true && s.passed === true);
      const bg = await p.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      for (const sel of ["#summary", "td.pass"]) {
        const color = await p.page.locator(sel).first().evaluate((e) => getComputedStyle(e).color);
        const ratio = contrast(color, bg);
        assert.ok(ratio >= 4.5, `${sel} in ${color} on ${bg}: ${ratio.toFixed(2)}:1`);
      }
      assert.match(await p.page.locator("#summary").textContent() ?? "", /^Passed: 1 model\(s\)/);
      await p.screenshot(`gradientCheck-passed-${theme}`);
      await p.page.close();
    });
  }
});

describe("readable at 200 % zoom in a high-contrast theme", () => {
  const vocab = [..."abcdefgh \n"];
  // `reaches`: what a screen reader must find in the page (the report has a table, not controls)
  const feeds: Record<PanelKind, { messages: () => ToWebview[]; drawn: (s: Record<string, unknown>) => boolean; reaches?: RegExp }> = {
    dashboard: {
      messages: () => [
        { type: "dashboard.run", run: { label: "zoomed · run-1", model: "LSTM 2×128, 240,321 parameters", state: "done", clip: 5, tensorNames: ["rnn.weight_hh_l0", "head.bias"], budget: "budget 1 s", live: false, charsPerEpoch: 1000 } },
        { type: "dashboard.history", steps: steps(1, 50, 2), evals: { step: Float64Array.of(25, 50), valLoss: Float32Array.of(3, 2.5), chars: Float64Array.of(1, 2), seconds: Float32Array.of(1, 2) }, samples: [{ step: 50, text: "ROMEO: a sample long enough to wrap at two hundred per cent zoom" }] },
      ],
      drawn: (s) => s.steps === 50,
    },
    gateHeatmap: { messages: () => [heatmapData()], drawn: (s) => s.chars === T },
    gradientFlow: { messages: () => [flowData()], drawn: (s) => s.series === 2 },
    generateText: {
      messages: () => [
        { type: "generate.model", model: "tiny (LSTM 1×8)", vocab, k: 3 },
        { type: "generate.chunk", chars: [..."abcdefgh a"], probs: new Float32Array(10).fill(0.5), alternatives: Int32Array.from({ length: 30 }, (_, q) => q % 10), alternativeProbs: new Float32Array(30).fill(0.3) },
        { type: "generate.done", stopped: false },
      ],
      drawn: (s) => s.chars === 10,
    },
    compareRuns: { messages: () => [compareData()], drawn: (s) => s.runs === 3 },
    gradientCheck: { messages: checkMessages, drawn: (s) => s.done === true, reaches: /- table[\s\S]*- cell "rnn\.weight_hh_l0"/ },
    forecast: { messages: () => forecastMessages(), drawn: (s) => s.values === FORECAST_STEPS },
    classificationReport: { messages: () => [{ type: "report.data", data: reportFixture().data }], drawn: (s) => s.records === 30 },
    explainPrediction: { messages: () => [{ type: "explain.data", model: "mood (GRU 1×16)", attribution: explainFixture() }], drawn: (s) => s.chars === 10 },
    textTaskTraining: { messages: () => [{ type: "textTask.data", data: trainingFixture() }], drawn: (s) => s.validations === 5 },
  };
  for (const [kind, feed] of Object.entries(feeds) as [PanelKind, (typeof feeds)[PanelKind]][]) {
    test(`${kind}: no horizontal scrolling at 550 CSS pixels, every control named, drawn in the theme's colours`, async () => {
      const p = await openPanel(kind, "highContrast", undefined, 2);
      await p.page.setViewportSize({ width: 550, height: 900 }); // 1100 device pixels at 2×: what 200 % zoom leaves of a 1100-pixel panel
      for (const m of feed.messages()) await p.send(m);
      await p.rendered(0, feed.drawn);
      const overflow = await p.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `no horizontal scrolling (${overflow} px too wide)`);
      // Chromium's accessibility tree: every control a screen reader reaches has a name
      const tree = await p.page.locator("body").ariaSnapshot();
      const unnamed = tree.split("\n").filter((l) => /^\s*- (button|combobox|textbox|checkbox|spinbutton|slider|listbox)(\s*\[[^\]]*\])*(:.*)?$/.test(l));
      assert.deepEqual(unnamed, [], `unnamed controls in:\n${tree}`);
      assert.match(tree, feed.reaches ?? /- (button|combobox|textbox|checkbox)/, "what the panel shows is in the accessibility tree");
      if (process.env.SHOW_ARIA) console.log(tree);
      // text in the theme's foreground on its background; outlined boxes in its contrast border
      const colors = await p.page.evaluate(() => [getComputedStyle(document.body).color, getComputedStyle(document.body).backgroundColor]);
      assert.deepEqual(colors, ["rgb(255, 255, 255)", "rgb(0, 0, 0)"]);
      await p.screenshot(`${kind}-highContrast-zoom200`);
      noProblems(p, await p.posted());
      await p.page.close();
    });
  }

  /** Every word in the strings of the messages fed to a page: what the host sent, not the page's own text. */
  const sentWords = (messages: ToWebview[]): Set<string> => {
    const words = new Set<string>();
    const walk = (v: unknown): void => {
      if (typeof v === "string") for (const w of v.match(/[A-Za-z][A-Za-z._0-9]{2,}/g) ?? []) words.add(w);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === "object" && !ArrayBuffer.isView(v)) { for (const [k, x] of Object.entries(v)) { walk(k); walk(x); } }
    };
    walk(messages);
    // generated characters arrive one by one and show joined
    walk(messages.flatMap((m) => (m.type === "generate.chunk" ? [m.chars.join("")] : [])));
    return words;
  };
  for (const [kind, feed] of Object.entries(feeds) as [PanelKind, (typeof feeds)[PanelKind]][]) {
    test(`zh-cn: ${kind} has no English of its own left (only what the host sent, and key names)`, async () => {
      const p = await openPanel(kind, "light", undefined, 1, "zh-cn");
      const messages = feed.messages();
      for (const m of messages) await p.send(m);
      await p.rendered(0, feed.drawn);
      const allowed = new Set([...sentWords(messages), "PNG", "CSV", "Ctrl", "Shift", "Enter", "tanh", "Adam", "RMSprop", "SGD", "AdamW",
        "Top", "max", // terms of the trade: top-k / top-p sampling, max(|a|, |n|) in a formula
        "Alt", "MAE", "RMSE", "MASE", "sMAPE", "AIC"]); // a key name; the forecast errors and Akaike's criterion as the literature writes them
      const text = await p.page.evaluate(() => document.body.innerText);
      const english = [...new Set(text.match(/[A-Za-z][A-Za-z._0-9]{2,}/g) ?? [])].filter((w) => !allowed.has(w));
      assert.deepEqual(english, [], `untranslated words in ${kind}: ${english.join(", ")}`);
      assert.doesNotMatch(text, /nats/);
      await p.screenshot(`${kind}-zh-cn-all`);
      await p.page.close();
    });
  }

  test("high contrast: the dashboard's boxes carry the contrast border, its lines the theme's chart colours", async () => {
    const p = await openPanel("dashboard", "highContrast");
    for (const m of feeds.dashboard.messages()) await p.send(m);
    await p.rendered(0, feeds.dashboard.drawn);
    const border = await p.page.locator(".chart").first().evaluate((e) => getComputedStyle(e).borderTopColor);
    assert.equal(border, "rgb(111, 195, 223)");
    assert.ok((await countColor(p.page, "#loss-chart", hex(THEMES.highContrast.vars["--vscode-charts-blue"]))) > 100, "training loss in charts.blue");
    await p.page.close();
  });

  test("high contrast: differing hyperparameters are outlined, not only filled (fills are transparent there)", async () => {
    const p = await openPanel("compareRuns", "highContrast");
    await p.send(compareData());
    await p.rendered(0, (s) => s.runs === 3);
    const outline = await p.page.locator("td.differs").first().evaluate((e) => [getComputedStyle(e).outlineStyle, getComputedStyle(e).outlineColor]);
    assert.deepEqual(outline, ["dashed", "rgb(243, 133, 24)"]);
    await p.page.close();
  });
});

describe("in Simplified Chinese", () => {
  test("the gate heatmap's controls, legend and readout come from VS Code's zh-cn bundle", async () => {
    const p = await openPanel("gateHeatmap", "light", undefined, 1, "zh-cn");
    const data = heatmapData();
    await p.send({ ...data, chars: data.chars.slice(0, 50), values: data.values.map((v) => v.slice(0, 50 * H)) });
    await p.rendered(0, (s) => s.chars === 50);
    assert.equal(await p.page.locator("label[for=layer]").textContent(), "层");
    assert.equal(await p.page.locator("label[for=sort]").textContent(), "单元排序方式");
    assert.equal(await p.page.locator(".legend").textContent(), "0（关闭）深紫 → 1（打开）黄");
    assert.match(await p.page.locator("h1").textContent() ?? "", /第 1 层（共 2 层），50 个字符 × 512 个单元/);
    const box = (await p.page.locator("#heatmap").boundingBox())!;
    await p.page.mouse.move(box.x + 2, box.y + (3.5 / H) * box.height);
    assert.match(await p.page.locator("#readout").textContent() ?? "", /^单元 3 · 字符 "t"（位置 0）· 输入门 1\.0000$/);
    await p.screenshot("gateHeatmap-zh-cn");
    noProblems(p, await p.posted());
    await p.page.close();
  });

  test("the dashboard: one term per unit (奈特/字符), and no English left in the page's own text", async () => {
    const p = await openPanel("dashboard", "light", undefined, 1, "zh-cn");
    const names = ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "head.weight"];
    await p.send({ type: "dashboard.run", run: { label: "笔记 · run-1", model: "LSTM 1×16", state: "done", clip: 5, tensorNames: names, budget: "预算 60 秒", live: false, charsPerEpoch: 10000 } });
    await p.send({ type: "dashboard.history", steps: steps(1, 50, 3), evals: { step: Float64Array.of(25, 50), valLoss: Float32Array.of(3, 2.5), chars: Float64Array.of(1, 2), seconds: Float32Array.of(1, 2) }, samples: [] });
    const r = await p.rendered(0, (s) => s.steps === 50);
    await p.send(histogramData());
    await p.rendered(0, (s) => s.histSteps === 3);
    assert.equal((r.yTitles as string).split("|")[0], "损失（奈特/字符）");
    assert.equal(r.xTitle, "优化器步数");
    const text = await p.page.evaluate(() => document.body.innerText);
    assert.match(text, /损失（奈特\/字符）/);
    assert.doesNotMatch(text, /nats/);
    // what is left in Latin letters is what the host sent (names of tensors and runs) and file formats
    const allowed = new Set(["run", "LSTM", "PNG", "CSV", "rnn.weight_ih_l0", "rnn.weight_hh_l0", "head.weight", "Ctrl"]);
    const english = [...new Set(text.match(/[A-Za-z][A-Za-z._0-9]{2,}/g) ?? [])].filter((w) => !allowed.has(w));
    assert.deepEqual(english, [], `untranslated words: ${english.join(", ")}`);
    await p.screenshot("dashboard-zh-cn");
    noProblems(p, await p.posted());
    await p.page.close();
  });
});
