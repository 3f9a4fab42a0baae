// Gate heatmap: characters along the horizontal axis, hidden units down the vertical, one pixel block
// per (character, unit) drawn into one canvas (1,000 × 512 cells is one 0.5-megapixel image, not
// half a million DOM nodes). Hover reads a cell; clicking a unit (or Enter on the focused cell)
// colours the text by that unit's activation; units sort by mean or by saturation; the saturation
// plot puts each unit at (fraction of time left-saturated, fraction right-saturated).

import type { QuantityInfo, ToWebview } from "../src/protocol/webview";
import { Chart, chartBox, makeChart, seriesColor } from "./charts";
import { Rgb, divergingColor, gateColor, onThemeChange, parseColor, themeColors } from "./theme";
import { button, dropdown, textArea } from "./toolkit";
import { onMessage, post, ready, reportRendered, saveViewSetting, showStatus, viewSetting } from "./vscodeBridge";
import { t } from "./l10n";

type Data = Extract<ToWebview, { type: "heatmap.data" }>;
type SortMode = "unit" | "mean" | "saturation";

let data: Data | null = null;
let quantity = viewSetting<string>("quantity", "");
let sort = viewSetting<SortMode>("sort", "unit");
/** Pixels per character column; 0 = fit the panel's width (between 2 and 24). */
let cellSetting = viewSetting<number>("cellWidth", 0);
let cellW = 6;
let selectedUnit = -1;
let focus = { col: 0, row: 0 };
let order: Int32Array = new Int32Array(0);

const app = document.getElementById("app")!;
const title = document.createElement("h1");
const controls = document.createElement("div");
controls.className = "controls";
const layerPick = dropdown("layer", t("Layer"), [{ value: "0", label: "1" }], "0", (v) => {
  showStatus(t("Reading the text…"));
  post({ type: "heatmap.request", layer: Number(v) });
});
const quantityPick = dropdown("quantity", t("Quantity"), [], "", (v) => { quantity = v; saveViewSetting("quantity", v); draw(); });
const sortPick = dropdown("sort", t("Sort units by"), [
  { value: "unit", label: t("unit number") }, { value: "mean", label: t("mean activation") }, { value: "saturation", label: t("saturation") },
], sort, (v) => { sort = v as SortMode; saveViewSetting("sort", v); draw(); });
const zoomPick = dropdown("cell-width", t("Cell width"), [{ value: "0", label: t("fit width") }, ...["2", "4", "6", "10", "14"].map((v) => ({ value: v, label: t("{0} px", v) }))], String(cellSetting), (v) => {
  cellSetting = Number(v); saveViewSetting("cellWidth", cellSetting); draw();
});
controls.append(layerPick.element, quantityPick.element, sortPick.element, zoomPick.element);

const typed = textArea("typed-text", t("Text to read (or leave the selection's)"), "", 2);
const readTyped = button(t("Show for This Text"), () => {
  const text = typed.value;
  if (!text) return;
  showStatus(t("Reading the text…"));
  post({ type: "heatmap.request", layer: Number(layerPick.control.value || 0), text });
});
const typedRow = document.createElement("div");
typedRow.className = "controls";
typedRow.append(typed, readTyped);

const scroller = document.createElement("div");
scroller.className = "heatmap-scroller";
const canvas = document.createElement("canvas");
canvas.id = "heatmap";
canvas.tabIndex = 0;
canvas.setAttribute("role", "img");
canvas.setAttribute("aria-label", t("Heatmap of unit activations: arrow keys move, Enter shows the unit over the text"));
const strip = document.createElement("canvas"); // the characters under the columns, when they are wide enough to read
strip.id = "heatmap-chars";
scroller.append(strip, canvas); // the characters stay above the columns while the units scroll
const readout = document.createElement("div");
readout.id = "readout";
readout.className = "readout";
readout.setAttribute("aria-live", "polite");
const legend = document.createElement("div");
legend.className = "legend";

const unitHeading = document.createElement("h2");
const unitText = document.createElement("div");
unitText.id = "unit-text";
unitText.className = "unit-text";
const saturation = chartBox("saturation-chart", t("Saturation plot: each unit at (fraction left-saturated, fraction right-saturated)"), 320);
const satHeading = document.createElement("h2");
satHeading.textContent = t("Saturation");
app.append(title, controls, typedRow, legend, scroller, readout, unitHeading, unitText, satHeading, saturation.box);

function current(): { info: QuantityInfo; values: Float32Array } | null {
  if (!data) return null;
  const q = Math.max(0, data.quantities.findIndex((x) => x.name === quantity));
  return { info: data.quantities[q], values: data.values[q] };
}

/** Thresholds of saturation: gates near 0 or 1; tanh outputs near −1 or 1; unbounded values scaled by their largest magnitude. */
function saturationOf(info: QuantityInfo, values: Float32Array, T: number, H: number, unit: number, limit: number): { left: number; right: number } {
  let left = 0, right = 0;
  for (let col = 0; col < T; col++) {
    const v = values[col * H + unit];
    if (info.range === "gate") { if (v < 0.1) left++; else if (v > 0.9) right++; }
    else { const x = v / limit; if (x < -0.9) left++; else if (x > 0.9) right++; }
  }
  return { left: left / T, right: right / T };
}

function limitOf(info: QuantityInfo, values: Float32Array): number {
  if (info.range === "gate" || info.range === "tanh") return 1;
  let m = 0;
  for (const v of values) m = Math.max(m, Math.abs(v));
  return m || 1;
}

function colorOf(info: QuantityInfo, v: number, limit: number, bg: Rgb): Rgb {
  return info.range === "gate" ? gateColor(v) : divergingColor(v, limit, bg);
}

function sortUnits(info: QuantityInfo, values: Float32Array, T: number, H: number, limit: number): Int32Array {
  const units = Array.from({ length: H }, (_, u) => u);
  if (sort === "unit") return Int32Array.from(units);
  const key = new Float64Array(H);
  for (let u = 0; u < H; u++) {
    if (sort === "mean") { let s = 0; for (let col = 0; col < T; col++) s += values[col * H + u]; key[u] = s / T; }
    else { const s = saturationOf(info, values, T, H, u, limit); key[u] = s.left + s.right; }
  }
  return Int32Array.from(units.sort((a, b) => key[b] - key[a] || a - b));
}

let satChart: Chart | null = null;

function draw(): void {
  const cur = current();
  if (!data || !cur) return;
  const started = performance.now();
  const T = data.chars.length, H = data.hidden;
  const { info, values } = cur;
  const limit = limitOf(info, values);
  const bg = parseColor(themeColors().background);
  order = sortUnits(info, values, T, H, limit);
  const cellH = Math.max(2, Math.min(12, Math.floor(768 / H)));
  cellW = cellSetting || Math.max(2, Math.min(24, Math.floor((scroller.clientWidth || 800) / T)));
  canvas.width = T;
  canvas.height = H;
  canvas.style.width = `${T * cellW}px`;
  canvas.style.height = `${H * cellH}px`;
  const ctx = canvas.getContext("2d")!;
  const img = ctx.createImageData(T, H);
  for (let row = 0; row < H; row++) {
    const u = order[row];
    for (let col = 0; col < T; col++) {
      const [r, g, b] = colorOf(info, values[col * H + u], limit, bg);
      const p = (row * T + col) * 4;
      img.data[p] = r; img.data[p + 1] = g; img.data[p + 2] = b; img.data[p + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  drawStrip(T, cellW);
  legend.textContent = info.range === "gate" ? t("0 (closed) dark violet → 1 (open) yellow")
    : t("−{0} blue → 0 background → +{0} red", fmt(limit));
  drawUnitText();
  drawSaturation();
  reportRendered({ chars: T, units: H, layer: data.layer, quantity: info.name, sort, firstUnit: order[0], selectedUnit, cellWidth: cellW, limit, drawMs: Math.round(performance.now() - started) });
}

function drawStrip(T: number, w: number): void {
  const readable = w >= 10;
  strip.hidden = !readable;
  if (!readable) return;
  strip.width = T * w;
  strip.height = 16;
  strip.style.width = `${T * w}px`;
  const ctx = strip.getContext("2d")!;
  ctx.clearRect(0, 0, strip.width, strip.height);
  ctx.fillStyle = themeColors().foreground;
  ctx.font = `12px ${getComputedStyle(document.body).fontFamily}`;
  ctx.textAlign = "center";
  data!.chars.forEach((c, col) => ctx.fillText(visible(c), col * w + w / 2, 12));
}

function visible(c: string): string {
  return c === "\n" ? "↵" : c === " " ? "·" : c === "\t" ? "→" : c;
}

function fmt(v: number): string { return Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3); }

function cellAt(e: MouseEvent): { col: number; row: number } | null {
  if (!data) return null;
  const rect = canvas.getBoundingClientRect();
  const col = Math.floor(((e.clientX - rect.left) / rect.width) * data.chars.length);
  const row = Math.floor(((e.clientY - rect.top) / rect.height) * data.hidden);
  return col >= 0 && col < data.chars.length && row >= 0 && row < data.hidden ? { col, row } : null;
}

function describe(col: number, row: number): string {
  const cur = current()!;
  const u = order[row];
  return t("unit {0} · character {1} (position {2}) · {3} {4}", u, JSON.stringify(data!.chars[col]), col, t(cur.info.name), cur.values[col * data!.hidden + u].toFixed(4));
}

canvas.addEventListener("mousemove", (e) => { const c = cellAt(e); if (c) readout.textContent = describe(c.col, c.row); });
canvas.addEventListener("click", (e) => { const c = cellAt(e); if (c) selectUnit(order[c.row], c); });
canvas.addEventListener("keydown", (e) => {
  if (!data) return;
  const T = data.chars.length, H = data.hidden;
  const moves: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  if (moves[e.key]) {
    e.preventDefault();
    focus = { col: Math.max(0, Math.min(T - 1, focus.col + moves[e.key][0])), row: Math.max(0, Math.min(H - 1, focus.row + moves[e.key][1])) };
    readout.textContent = describe(focus.col, focus.row);
  } else if (e.key === "Enter" || e.key === " ") {
    e.preventDefault();
    selectUnit(order[focus.row], focus);
  }
});

function selectUnit(u: number, at: { col: number; row: number }): void {
  selectedUnit = u;
  focus = at;
  readout.textContent = describe(at.col, at.row);
  drawUnitText();
  reportRendered({ selectedUnit: u, unitChars: unitText.childElementCount });
}

/** The text with each character's background coloured by the selected unit's value there. */
function drawUnitText(): void {
  const cur = current();
  if (!data || !cur || selectedUnit < 0 || selectedUnit >= data.hidden) {
    unitHeading.textContent = t("Click a unit to see it over the text");
    unitText.replaceChildren();
    return;
  }
  const { info, values } = cur, H = data.hidden;
  const limit = limitOf(info, values), bg = parseColor(themeColors().background);
  unitHeading.textContent = t("Unit {0}: {1} over the text", selectedUnit, t(info.name));
  const frag = document.createDocumentFragment();
  data.chars.forEach((c, col) => {
    const span = document.createElement("span");
    const v = values[col * H + selectedUnit];
    const [r, g, b] = colorOf(info, v, limit, bg);
    span.style.backgroundColor = `rgb(${r}, ${g}, ${b})`;
    // dark text on light cells and the reverse, so every character stays readable
    span.style.color = 0.299 * r + 0.587 * g + 0.114 * b > 140 ? "#000" : "#fff";
    span.textContent = c;
    span.title = `${t(info.name)} ${v.toFixed(3)}`;
    frag.append(span);
  });
  unitText.replaceChildren(frag);
}

function drawSaturation(): void {
  satChart?.destroy();
  if (!data) return;
  const T = data.chars.length, H = data.hidden;
  const shown = data.quantities.map((q, k) => ({ q, k })).filter(({ q }) => q.range === "gate");
  const plotted = shown.length ? shown : data.quantities.map((q, k) => ({ q, k })).filter(({ q }) => q.name === "hidden state");
  const datasets = plotted.map(({ q, k }, i) => {
    const limit = limitOf(q, data!.values[k]);
    return {
      label: t(q.name), backgroundColor: seriesColor(i), borderColor: seriesColor(i), pointRadius: 2.5,
      data: Array.from({ length: H }, (_, u) => { const s = saturationOf(q, data!.values[k], T, H, u, limit); return { x: s.left, y: s.right }; }),
    };
  });
  const gates = shown.length > 0;
  satChart = makeChart(saturation.canvas, {
    type: "scatter",
    data: { datasets },
    options: {
      scales: {
        x: { min: 0, max: 1, title: { display: true, text: gates ? t("fraction of time left-saturated (< 0.1)") : t("fraction of time < −0.9") } },
        y: { min: 0, max: 1, title: { display: true, text: gates ? t("fraction of time right-saturated (> 0.9)") : t("fraction of time > 0.9") } },
      },
      plugins: { legend: { position: "bottom" } },
    },
  });
}

onMessage((m) => {
  if (m.type === "heatmap.data") {
    data = m;
    title.textContent = t("{0}: layer {1} of {2}, {3} characters × {4} units", m.model, m.layer + 1, m.layers, m.chars.length, m.hidden);
    layerPick.setOptions(Array.from({ length: m.layers }, (_, l) => ({ value: String(l), label: String(l + 1) })), String(m.layer));
    if (!m.quantities.some((q) => q.name === quantity)) quantity = m.quantities[0].name;
    quantityPick.setOptions(m.quantities.map((q) => ({ value: q.name, label: t(q.name) })), quantity);
    if (selectedUnit >= m.hidden) selectedUnit = -1;
    focus = { col: Math.min(focus.col, m.chars.length - 1), row: Math.min(focus.row, m.hidden - 1) };
    showStatus("");
    draw();
  } else if (m.type === "failed") {
    showStatus(m.message);
  } else if (m.type === "busy") {
    showStatus(m.message);
  }
});
onThemeChange(draw);
ready();
