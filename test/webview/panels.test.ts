// Each panel's bundle in headless Chromium, fed the messages the host sends, in light and dark
// themes: assertions on the DOM and on canvas pixels (a unit fed constant 1.0 is drawn in the
// saturated colour, a chart's lines are drawn in its series colour), on what the page posts back,
// and on the absence of CSP violations and page errors. Screenshots go to .test-output/webview/.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { PanelKind, StepColumns, ToWebview } from "../../src/protocol/webview";
import { THEMES, ThemeName, canvasPixel, chromiumAvailable, countColor, hex, openPanel, startHarness, stopHarness } from "./panelHarness";

const themes: ThemeName[] = ["light", "dark"];

before(async () => {
  if (!chromiumAvailable) throw new Error("the panel tests need Debian's chromium at /usr/bin/chromium: run test/vscode/installCodeServer.sh (npm test does)");
  await startHarness();
});
after(async () => { if (chromiumAvailable) await stopHarness(); });

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
    type: "heatmap.data", model: "shakespeare (LSTM 1×512)", cell: "lstm", layers: 2, hidden: H, layer: 0, chars,
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
      // columns of 1 px are too narrow for characters: no strip above them, the map starts at the top
      const gap = await p.page.evaluate(() => document.querySelector("#heatmap")!.getBoundingClientRect().top - document.querySelector(".heatmap-scroller")!.getBoundingClientRect().top);
      assert.ok(gap <= 1, `the heatmap starts at the top of its box (${gap} px below)`);
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
      await p.send({ type: "dashboard.run", run: { label: "shakespeare · run-1", model: "LSTM 1×128, 100,000 parameters", state: "training", clip: 5, tensorNames: names, budget: "budget 60 s", live: true } });
      await p.send({ type: "dashboard.history", steps: steps(1, 500, 6), evals: { step: Float64Array.of(100, 200, 300, 400, 500), valLoss: Float32Array.of(3.5, 2.9, 2.5, 2.3, 2.2), chars: Float64Array.of(1, 2, 3, 4, 5).map((x) => x * 250000), seconds: Float32Array.of(5, 10, 15, 20, 25) }, samples: [{ step: 500, text: "ROMEO: what light" }] });
      const r = await p.rendered(0, (s) => s.steps === 500);
      assert.equal(r.evals, 5);
      assert.equal(r.clippedSteps, 10, "steps 50, 100, …, 500 had a norm of 12 > 5");
      assert.equal(r.tensorsShown, 1, "the first layer's recurrent weights by default");
      assert.match(await p.page.locator(".facts").textContent() ?? "", /step 500 · loss \d\.\d{3} · validation 2\.200/);
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
      assert.match(await p.page.locator(".facts").textContent() ?? "", /51,234 chars\/s · ETA 1:15/);
      // Pause is enabled while training and posts the control message; Resume is not
      assert.equal(await p.page.locator("vscode-button", { hasText: "Resume" }).evaluate((b) => (b as HTMLElement & { disabled: boolean }).disabled), true);
      n = (await p.posted()).length;
      await p.page.locator("vscode-button", { hasText: "Pause" }).click();
      assert.deepEqual((await p.posted()).slice(n).filter((m) => m.type === "dashboard.control"), [{ type: "dashboard.control", action: "pause" }]);
      // characters seen on the horizontal axis
      n = (await p.posted()).length;
      await p.page.evaluate(() => { const d = document.querySelector("#x-axis") as HTMLElement & { value: string }; d.value = "chars"; d.dispatchEvent(new Event("change")); });
      assert.equal((await p.rendered(n, (s) => s.xAxis === "chars")).steps, 510);
      await p.screenshot(`dashboard-${theme}`);
      noProblems(p, await p.posted());
      await p.page.close();
    });
  }

  test("a finished run that is not live: Pause, Resume and Stop are disabled; throughput is charted", async () => {
    const p = await openPanel("dashboard", "light");
    await p.send({ type: "dashboard.run", run: { label: "old · run-1", model: "GRU", state: "done", clip: 0, tensorNames: ["head.bias"], budget: "budget 100 steps", live: false } });
    // 2,500 characters a step; steps 1–50 take 0.05 s each (50,000 chars/s), steps 51–100 take 0.1 s (25,000)
    const history = steps(1, 100, 1);
    history.seconds = Float32Array.from(history.step, (s) => (s <= 50 ? s * 0.05 : 2.5 + (s - 50) * 0.1));
    await p.send({ type: "dashboard.history", steps: history, evals: { step: new Float64Array(0), valLoss: new Float32Array(0), chars: new Float64Array(0), seconds: new Float32Array(0) }, samples: [] });
    const r = await p.rendered(0, (s) => s.steps === 100);
    assert.deepEqual([r.speedPoints, r.speedFirst, r.speedLast], [99, 50000, 25000], "throughput over the last ten steps, from the second step on");
    for (const label of ["Pause", "Resume", "Stop"]) {
      assert.equal(await p.page.locator("vscode-button", { hasText: label }).evaluate((b) => (b as HTMLElement & { disabled: boolean }).disabled), true, label);
    }
    await p.page.close();
  });
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
      const blue = hex(THEMES[theme].vars["--vscode-charts-blue"]), orange = hex(THEMES[theme].vars["--vscode-charts-orange"]);
      assert.ok((await countColor(p.page, "#flow-chart", blue)) > 100 && (await countColor(p.page, "#flow-chart", orange)) > 100, "both models' lines drawn");
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
      let n = (await p.posted()).length;
      await p.page.locator("vscode-button", { hasText: "Generate" }).click();
      assert.deepEqual((await p.posted()).slice(n).find((m) => m.type === "generate.start"), { type: "generate.start", prime: "ab", length: 40, temperature: 0.5, topK: 3, topP: 0.9, seed: 7 });
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
      assert.match(await rare.getAttribute("title") ?? "", /drew "e" with p = 0\.5%\n"c" 60\.0%\n"d" 30\.0%\n"e" 10\.0%/);
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
    label: `notes · ${cell}`, state: "done" as const,
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
      assert.equal(await p.page.locator("#hyperparameters tr").count(), 7);
      for (const color of ["--vscode-charts-blue", "--vscode-charts-orange", "--vscode-charts-green"] as const) {
        assert.ok((await countColor(p.page, "#val-chart", hex(THEMES[theme].vars[color]))) > 50, `${color} line`);
      }
      const n = (await p.posted()).length;
      await p.page.evaluate(() => { const d = document.querySelector("#axis") as HTMLElement & { value: string }; d.value = "seconds"; d.dispatchEvent(new Event("change")); });
      assert.equal((await p.rendered(n, (s) => s.axis === "seconds")).runs, 3);
      await p.screenshot(`compareRuns-${theme}`);
      noProblems(p, await p.posted());
      await p.page.close();
    });
  }
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
      assert.match(await p.page.locator("#summary").textContent() ?? "", /FAILED: 2 model\(s\), worst relative error 4\.00e-5/);
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

describe("readable at 200 % zoom in a high-contrast theme", () => {
  const vocab = [..."abcdefgh \n"];
  // `reaches`: what a screen reader must find in the page (the report has a table, not controls)
  const feeds: Record<PanelKind, { messages: () => ToWebview[]; drawn: (s: Record<string, unknown>) => boolean; reaches?: RegExp }> = {
    dashboard: {
      messages: () => [
        { type: "dashboard.run", run: { label: "zoomed · run-1", model: "LSTM 2×128, 240,321 parameters", state: "done", clip: 5, tensorNames: ["rnn.weight_hh_l0", "head.bias"], budget: "budget 1 s", live: false } },
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
});
