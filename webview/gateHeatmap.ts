// Gate heatmap: characters along the horizontal axis, hidden units down the vertical, one pixel block
// per (character, unit) drawn into one canvas (1,000 × 512 cells is one 0.5-megapixel image, not
// half a million DOM nodes). "Fit width" spreads the characters over exactly the box's width; the
// character strip above writes every k-th character when columns are narrow. Hover reads a cell;
// clicking a unit (or Enter on the focused cell; ctrl/shift-click or the list for several) colours the
// text by that unit's activation; a colour bar gives the scale, which for unbounded quantities (the
// cell state) is robust (1st–99th percentile) or per unit; units sort by mean or by saturation; the
// saturation plot puts each unit at (fraction of time left-saturated, fraction right-saturated).

import type { QuantityInfo, ToWebview } from "../src/protocol/webview";
import { Chart, chartBox, makeChart, seriesColor } from "./charts";
import { Rgb, divergingColor, gateColor, onThemeChange, parseColor, themeColors } from "./theme";
import { button, dropdown, textArea, textField } from "./toolkit";
import { onMessage, post, ready, reportRendered, saveViewSetting, showStatus, viewSetting } from "./vscodeBridge";
import { t } from "./l10n";

type Data = Extract<ToWebview, { type: "heatmap.data" }>;
type SortMode = "unit" | "mean" | "saturation";
/** fixed: the quantity's own bounds ([0, 1] gates, [−1, 1] tanh); robust: ± the larger of |1st| and |99th| percentile; unit: each unit its own largest |value|; max: the largest |value| of all. */
type ScaleMode = "fixed" | "robust" | "unit" | "max";
const MAX_SHOWN_UNITS = 8;

let data: Data | null = null;
let quantity = viewSetting<string>("quantity", "");
let sort = viewSetting<SortMode>("sort", "unit");
/** Pixels per character column; 0 = fit the panel's width (between 2 and 24). */
let cellSetting = viewSetting<number>("cellWidth", 0);
let cellW = 6;
let selectedUnits: number[] = [];
let scaleSetting = viewSetting<Record<string, ScaleMode>>("scale", {}); // per quantity name
let focus = { col: 0, row: 0 };
let order: Int32Array = new Int32Array(0);

const app = document.getElementById("app")!;
const title = document.createElement("h1");
const controls = document.createElement("div");
controls.className = "controls";
const layerPick = dropdown("layer", t("Layer"), [{ value: "0", label: "1" }], "0", (v) => {
  showStatus(t("Reading the text…"));
  post({ type: "heatmap.request", layer: Number(v), direction: data?.direction ?? 0 });
});
// a bidirectional layer: which direction's units are drawn (the other is one pick away)
const directionPick = dropdown("direction", t("Direction"), directionOptions(), "0", (v) => {
  showStatus(t("Reading the text…"));
  post({ type: "heatmap.request", layer: Number(layerPick.control.value || 0), direction: Number(v) });
});
directionPick.element.hidden = true;
function directionOptions(): { value: string; label: string }[] {
  return [{ value: "0", label: t("→ forward (reads left to right)") }, { value: "1", label: t("← backward (reads right to left)") }];
}
const quantityPick = dropdown("quantity", t("Quantity"), [], "", (v) => { quantity = v; saveViewSetting("quantity", v); draw(); });
const sortPick = dropdown("sort", t("Sort units by"), [
  { value: "unit", label: t("unit number") }, { value: "mean", label: t("mean activation") }, { value: "saturation", label: t("saturation") },
], sort, (v) => { sort = v as SortMode; saveViewSetting("sort", v); draw(); });
const zoomPick = dropdown("cell-width", t("Cell width"), [{ value: "0", label: t("fit width") }, ...["2", "4", "6", "10", "14"].map((v) => ({ value: v, label: t("{0} px", v) }))], String(cellSetting), (v) => {
  cellSetting = Number(v); saveViewSetting("cellWidth", cellSetting); draw();
});
const scalePick = dropdown("scale", t("Colour scale"), [], "", (v) => { scaleSetting = { ...scaleSetting, [current()!.info.name]: v as ScaleMode }; saveViewSetting("scale", scaleSetting); draw(); });
// several units from the keyboard: their numbers (the heatmap's ctrl/shift-click does the same with the pointer)
const unitPick = textField("units", t("Units over the text (e.g. 3, 5, 9)"), "", { size: 14, onChange: (v) => {
  const H = data?.hidden ?? 0;
  selectedUnits = [...new Set(v.split(/[\s,，]+/).filter(Boolean).map(Number))].filter((u) => Number.isInteger(u) && u >= 0 && u < H).slice(0, MAX_SHOWN_UNITS);
  unitPick.control.value = selectedUnits.join(", "); // what was understood
  drawUnitText();
  reportSelection();
} });
controls.append(layerPick.element, directionPick.element, quantityPick.element, scalePick.element, sortPick.element, zoomPick.element, unitPick.element);

const typed = textArea("typed-text", t("Text to read (or leave the selection's)"), "", 2);
const readTyped = button(t("Show for This Text"), () => {
  const text = typed.value;
  if (!text) return;
  showStatus(t("Reading the text…"));
  post({ type: "heatmap.request", layer: Number(layerPick.control.value || 0), direction: data?.direction ?? 0, text });
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
const strip = document.createElement("canvas"); // the characters above the columns (every k-th where they are narrow)
strip.id = "heatmap-chars";
strip.setAttribute("aria-hidden", "true");
scroller.append(strip, canvas); // the characters stay above the columns while the units scroll
const frame = document.createElement("div");
frame.className = "heatmap-frame";
const axisY = document.createElement("div");
axisY.className = "axis-y";
axisY.id = "axis-units";
const axisX = document.createElement("div");
axisX.className = "axis-x";
axisX.id = "axis-chars";
frame.append(axisY, scroller, axisX);
const colorbar = document.createElement("div");
colorbar.className = "colorbar";
colorbar.id = "colorbar";
const barCanvas = document.createElement("canvas");
barCanvas.width = 256;
barCanvas.height = 1;
barCanvas.setAttribute("aria-hidden", "true");
const barTicks = document.createElement("div");
barTicks.className = "colorbar-ticks";
const barScale = document.createElement("div");
barScale.className = "colorbar-scale";
barScale.append(barCanvas, barTicks);
const barCaption = document.createElement("span");
barCaption.className = "muted";
colorbar.append(barScale, barCaption);
const readout = document.createElement("div");
readout.id = "readout";
readout.className = "readout";
readout.setAttribute("aria-live", "polite");
const legend = document.createElement("div");
legend.className = "legend";
/** What the shown direction has read at each character (the strip shades it at the hovered column). */
const readCaption = document.createElement("div");
readCaption.id = "heatmap-read";
readCaption.className = "muted";

const unitHeading = document.createElement("h2");
const unitText = document.createElement("div");
unitText.id = "unit-text";
unitText.className = "unit-text";
const saturation = chartBox("saturation-chart", t("Saturation plot: each unit at (fraction left-saturated, fraction right-saturated)"), 320);
const satHeading = document.createElement("h2");
satHeading.textContent = t("Saturation");
app.append(title, controls, typedRow, legend, readCaption, colorbar, frame, readout, unitHeading, unitText, satHeading, saturation.box);

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

function scaleModes(info: QuantityInfo): { value: ScaleMode; label: string }[] {
  if (info.range === "gate") return [{ value: "fixed", label: t("fixed [0, 1]") }];
  const robust = { value: "robust" as const, label: t("robust (1st–99th percentile)") }, unit = { value: "unit" as const, label: t("per unit") }, max = { value: "max" as const, label: t("largest magnitude") };
  return info.range === "tanh" ? [{ value: "fixed", label: t("fixed [−1, 1]") }, robust, unit] : [robust, unit, max];
}

function scaleOf(info: QuantityInfo): ScaleMode {
  const modes = scaleModes(info).map((m) => m.value);
  const chosen = scaleSetting[info.name];
  return chosen && modes.includes(chosen) ? chosen : modes[0];
}

/** ± the larger of |1st| and |99th| percentile: a few extreme values do not wash out the rest. */
const robustCache = new WeakMap<Float32Array, number>();
function robustLimit(values: Float32Array): number {
  let v = robustCache.get(values);
  if (v === undefined) {
    const sorted = Float32Array.from(values).sort();
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.round(q * (sorted.length - 1)))];
    v = Math.max(Math.abs(at(0.01)), Math.abs(at(0.99))) || limitOf({ name: "", range: "unbounded" }, values);
    robustCache.set(values, v);
  }
  return v;
}

/** Each unit's largest |value| along the text. */
function unitLimits(values: Float32Array, T: number, H: number): Float32Array {
  const out = new Float32Array(H);
  for (let col = 0; col < T; col++) for (let u = 0; u < H; u++) { const a = Math.abs(values[col * H + u]); if (a > out[u]) out[u] = a; }
  for (let u = 0; u < H; u++) out[u] ||= 1;
  return out;
}

/** The colour limit for each unit under the chosen scale (gates ignore it). */
function limitsFor(info: QuantityInfo, values: Float32Array, T: number, H: number): { mode: ScaleMode; global: number; perUnit: Float32Array } {
  const mode = scaleOf(info);
  const global = info.range === "gate" ? 1 : mode === "fixed" ? 1 : mode === "robust" ? robustLimit(values) : limitOf({ name: "", range: "unbounded" }, values);
  return { mode, global, perUnit: mode === "unit" ? unitLimits(values, T, H) : new Float32Array(H).fill(global) };
}

function drawColorbar(info: QuantityInfo, mode: ScaleMode, limit: number, bg: Rgb): void {
  const ctx = barCanvas.getContext("2d")!;
  const img = ctx.createImageData(256, 1);
  for (let i = 0; i < 256; i++) {
    const f = i / 255;
    const [r, g, b] = info.range === "gate" ? gateColor(f) : divergingColor(2 * f - 1, 1, bg);
    img.data.set([r, g, b, 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
  const ticks = info.range === "gate" ? ["0", "0.25", "0.5", "0.75", "1"]
    : mode === "unit" ? ["−1", "−0.5", "0", "+0.5", "+1"]
    : [-limit, -limit / 2, 0, limit / 2, limit].map((v) => (v > 0 ? "+" : v < 0 ? "−" : "") + String(Number(Math.abs(v).toPrecision(3))));
  barTicks.replaceChildren(...ticks.map((x) => { const s = document.createElement("span"); s.textContent = x; return s; }));
  barCaption.textContent = info.range === "gate" ? t("gate value: 0 closed, 1 open")
    : mode === "unit" ? t("× each unit's own largest |value| along the text")
    : mode === "robust" ? t("beyond ±{0} (the 1st–99th percentile) the colour saturates", fmt(limit))
    : mode === "fixed" ? t("tanh output, bounded by ±1") : t("± the largest |value| of all units");
  colorbar.setAttribute("aria-label", `${t("Colour scale")}: ${ticks[0]} … ${ticks[ticks.length - 1]}. ${barCaption.textContent}`);
  colorbar.setAttribute("role", "img");
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
  const scale = limitsFor(info, values, T, H);
  order = sortUnits(info, values, T, H, limit);
  const cellH = Math.max(2, Math.min(12, Math.floor(768 / H)));
  // fit: the box's inner width (its scrollbar gutter is always reserved) divided evenly, fractions of a pixel and all
  // measured after the rows' height is set, so a vertical scrollbar it brings is already accounted for
  canvas.width = T;
  canvas.height = H;
  canvas.style.height = `${H * cellH}px`;
  let boxWidth = scroller.clientWidth || 800;
  canvas.style.width = cellSetting ? `${T * cellSetting}px` : `${boxWidth}px`;
  cellW = cellSetting || boxWidth / T;
  const ctx = canvas.getContext("2d")!;
  const img = ctx.createImageData(T, H);
  for (let row = 0; row < H; row++) {
    const u = order[row];
    const unitLimit = scale.perUnit[u];
    for (let col = 0; col < T; col++) {
      const [r, g, b] = colorOf(info, values[col * H + u], unitLimit, bg);
      const p = (row * T + col) * 4;
      img.data[p] = r; img.data[p + 1] = g; img.data[p + 2] = b; img.data[p + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  let every = drawStrip(T, cellW);
  legend.textContent = info.range === "gate" ? t("0 (closed) dark violet → 1 (open) yellow")
    : scale.mode === "unit" ? t("each unit: −its largest |value| blue → 0 background → + red")
    : t("−{0} blue → 0 background → +{0} red", fmt(scale.global));
  scalePick.setOptions(scaleModes(info), scale.mode);
  drawColorbar(info, scale.mode, scale.global, bg);
  axisX.textContent = every > 1
    ? t("characters of the text in reading order (time →), positions 0 to {0}; one character in {1} written above", T - 1, every)
    : t("characters of the text in reading order (time →), positions 0 to {0}", T - 1);
  axisY.textContent = t("hidden units of layer {0} ({1}), sorted by {2}", data.layer + 1, H, sort === "unit" ? t("unit number") : sort === "mean" ? t("mean activation") : t("saturation"));
  drawUnitText();
  drawSaturation();
  // the box can narrow once the page below is laid out (its vertical scrollbar arrives late): fit again
  if (!cellSetting && scroller.clientWidth && scroller.clientWidth !== boxWidth) {
    boxWidth = scroller.clientWidth;
    cellW = boxWidth / T;
    canvas.style.width = `${boxWidth}px`;
    every = drawStrip(T, cellW);
  }
  const rect = canvas.getBoundingClientRect();
  reportRendered({
    chars: T, units: H, layer: data.layer, directions: data.directions, direction: data.direction, quantity: info.name, quantities: data.quantities.map((q) => q.name).join("|"), ranges: quantityRanges, finite: allFinite, sort, firstUnit: order[0], selectedUnit: selectedUnits[0] ?? -1, selectedUnits: selectedUnits.join(","),
    cellWidth: +cellW.toFixed(4), canvasWidth: +rect.width.toFixed(2), boxWidth, overflowX: scroller.scrollWidth - scroller.clientWidth, stripEvery: every,
    scale: scale.mode, limit: scale.global, drawMs: Math.round(performance.now() - started),
  });
}

/** The characters the shown direction's state at column `col` has read: forward 0 … col, backward col … T−1. */
function readSpan(col: number): [number, number] {
  return data!.direction === 1 ? [col, data!.chars.length - 1] : [0, col];
}

/** The column whose read span the strip shades (the hovered or focused one), −1 for none. */
let readAt = -1;

function readText(): string {
  if (!data) return "";
  const dir = data.direction === 1 ? t("← backward direction") : t("→ forward direction");
  if (readAt < 0) {
    return data.direction === 1
      ? t("{0}: the state at each character has read it and every character after it (the strip shades them for the hovered column)", dir)
      : t("{0}: the state at each character has read it and every character before it (the strip shades them for the hovered column)", dir);
  }
  const [a, b] = readSpan(readAt);
  return t("{0}: at position {1} it has read positions {2} to {3} ({4} characters)", dir, readAt, a, b, b - a + 1);
}

function markRead(col: number): void {
  if (!data || data.directions < 2 || col === readAt) return;
  readAt = col;
  readCaption.textContent = readText();
  drawStrip(data.chars.length, cellW);
  reportRendered({ readAt, readFrom: readSpan(col)[0], readTo: readSpan(col)[1] });
}

/** The characters above their columns: every one where a column is at least MIN_LABEL_PX wide, else every k-th (marked with a tick); returns k. */
const MIN_LABEL_PX = 9;
function drawStrip(T: number, w: number): number {
  const every = Math.max(1, Math.ceil(MIN_LABEL_PX / w));
  const cssWidth = T * w, dpr = window.devicePixelRatio || 1;
  strip.width = Math.ceil(cssWidth * dpr);
  strip.height = 16 * dpr;
  strip.style.width = `${cssWidth}px`;
  strip.style.height = "16px";
  const ctx = strip.getContext("2d")!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssWidth, 16);
  if (data!.directions > 1 && readAt >= 0 && readAt < T) {
    // what the shown direction has read at the hovered column: a band over those characters, the column itself solid below
    const [a, b] = readSpan(readAt);
    ctx.fillStyle = themeColors().series[0];
    ctx.globalAlpha = 0.35;
    ctx.fillRect(a * w, 0, (b - a + 1) * w, 16);
    ctx.globalAlpha = 1;
    ctx.fillRect(readAt * w, 13, Math.max(1, w), 3);
  }
  ctx.fillStyle = themeColors().foreground;
  ctx.font = `${Math.min(12, Math.max(9, w * every * 0.9))}px ${getComputedStyle(document.body).fontFamily}`;
  ctx.textAlign = "center";
  for (let col = 0; col < T; col += every) {
    const x = col * w + w / 2;
    ctx.fillText(visible(data!.chars[col]), x, 11);
    if (every > 1) ctx.fillRect(x - 0.5, 13, 1, 3);
  }
  return every;
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

canvas.addEventListener("mousemove", (e) => { const c = cellAt(e); if (c) { readout.textContent = describe(c.col, c.row); markRead(c.col); } });
canvas.addEventListener("click", (e) => { const c = cellAt(e); if (c) selectUnit(order[c.row], c, e.ctrlKey || e.metaKey || e.shiftKey); });
canvas.addEventListener("keydown", (e) => {
  if (!data) return;
  const T = data.chars.length, H = data.hidden;
  const moves: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  if (moves[e.key]) {
    e.preventDefault();
    focus = { col: Math.max(0, Math.min(T - 1, focus.col + moves[e.key][0])), row: Math.max(0, Math.min(H - 1, focus.row + moves[e.key][1])) };
    readout.textContent = describe(focus.col, focus.row);
    markRead(focus.col);
  } else if (e.key === "Enter" || e.key === " ") {
    e.preventDefault();
    selectUnit(order[focus.row], focus, e.shiftKey || e.ctrlKey || e.metaKey);
  }
});

/** `add`: ctrl/shift-click or Shift+Enter toggles the unit among those shown; otherwise it alone is shown. */
function selectUnit(u: number, at: { col: number; row: number }, add = false): void {
  if (!add) selectedUnits = [u];
  else if (selectedUnits.includes(u)) selectedUnits = selectedUnits.filter((x) => x !== u);
  else selectedUnits = [...selectedUnits, u].slice(-MAX_SHOWN_UNITS);
  focus = at;
  readout.textContent = describe(at.col, at.row);
  drawUnitText();
  unitPick.control.value = selectedUnits.join(", ");
  reportSelection();
}

function reportSelection(): void {
  reportRendered({ selectedUnit: selectedUnits[0] ?? -1, selectedUnits: selectedUnits.join(","), unitRows: unitText.childElementCount, unitChars: unitText.querySelector(".unit-row")?.querySelectorAll("span").length ?? 0 });
}

/** The text once per selected unit, each character's background coloured by that unit's value there (on the heatmap's scale). */
function drawUnitText(): void {
  const cur = current();
  if (data) selectedUnits = selectedUnits.filter((u) => u >= 0 && u < data!.hidden);
  if (!data || !cur || !selectedUnits.length) {
    unitHeading.textContent = t("Click a unit to see it over the text (ctrl- or shift-click for several)");
    unitText.replaceChildren();
    return;
  }
  const { info, values } = cur, H = data.hidden;
  const scale = limitsFor(info, values, data.chars.length, H), bg = parseColor(themeColors().background);
  unitHeading.textContent = selectedUnits.length === 1 ? t("Unit {0}: {1} over the text", selectedUnits[0], t(info.name)) : t("{0} units: {1} over the text", selectedUnits.length, t(info.name));
  unitText.replaceChildren(...selectedUnits.map((u) => unitRow(u, info, values, H, scale.perUnit[u], bg)));
}

function unitRow(unit: number, info: QuantityInfo, values: Float32Array, H: number, limit: number, bg: Rgb): HTMLElement {
  const row = document.createElement("div");
  row.className = "unit-row";
  const h = document.createElement("h3");
  h.textContent = t("unit {0}", unit);
  const text = document.createElement("div");
  const frag = document.createDocumentFragment();
  data!.chars.forEach((c, col) => {
    const span = document.createElement("span");
    const v = values[col * H + unit];
    const [r, g, b] = colorOf(info, v, limit, bg);
    span.style.backgroundColor = `rgb(${r}, ${g}, ${b})`;
    // dark text on light cells and the reverse, so every character stays readable
    span.style.color = 0.299 * r + 0.587 * g + 0.114 * b > 140 ? "#000" : "#fff";
    span.textContent = c;
    span.title = `${t(info.name)} ${v.toFixed(3)}`;
    frag.append(span);
  });
  text.append(frag);
  row.append(h, text);
  return row;
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

/** Whether every value of the layer shown is finite (a cell whose state blew up shows NaN / ∞ as holes). */
let allFinite = true;
/** Each quantity's smallest and largest value on the layer shown, "name:min:max|…" (for the rendered summary). */
let quantityRanges = "";

onMessage((m) => {
  if (m.type === "heatmap.data") {
    data = m;
    allFinite = m.values.every((v) => v.every(Number.isFinite));
    const least = (v: Float32Array) => v.reduce((a, x) => Math.min(a, x), Infinity).toPrecision(6);
    const most = (v: Float32Array) => v.reduce((a, x) => Math.max(a, x), -Infinity).toPrecision(6);
    quantityRanges = m.quantities.map((q, k) => `${q.name}:${least(m.values[k])}:${most(m.values[k])}`).join("|");
    title.textContent = m.directions > 1
      ? t("{0}: layer {1} of {2}, {3}, {4} characters × {5} units", m.model, m.layer + 1, m.layers, m.direction === 1 ? t("← backward direction") : t("→ forward direction"), m.chars.length, m.hidden)
      : t("{0}: layer {1} of {2}, {3} characters × {4} units", m.model, m.layer + 1, m.layers, m.chars.length, m.hidden);
    directionPick.element.hidden = m.directions < 2;
    directionPick.setOptions(directionOptions(), String(m.direction));
    readAt = -1;
    readCaption.hidden = m.directions < 2;
    readCaption.textContent = readText();
    layerPick.setOptions(Array.from({ length: m.layers }, (_, l) => ({ value: String(l), label: String(l + 1) })), String(m.layer));
    if (!m.quantities.some((q) => q.name === quantity)) quantity = m.quantities[0].name;
    quantityPick.setOptions(m.quantities.map((q) => ({ value: q.name, label: t(q.name) })), quantity);
    selectedUnits = selectedUnits.filter((u) => u < m.hidden);
    unitPick.control.value = selectedUnits.join(", ");
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
// "fit width" follows the panel's width
let fittedWidth = 0;
new ResizeObserver(() => {
  if (cellSetting === 0 && data && scroller.clientWidth !== fittedWidth) { fittedWidth = scroller.clientWidth; draw(); }
}).observe(scroller);
ready();
