// Forecast panel: one CSV column with the backtest forecasts of the trained model (when there is one)
// and of every baseline (naive, seasonal naive, mean, AR(p)), each switchable, with prediction
// intervals (90 %), the validation and test spans shaded, zoom and pan along time; the metrics per model and
// per step ahead with the winner marked; the one-step residuals and their autocorrelation; open-loop
// (fed the actual values) against closed-loop (fed its own forecasts) errors per step; AR(p)'s
// coefficients; and the training span's autocorrelation that suggested the season and the window.

import type { ForecastErrorsData, ForecastModelData, ForecastPanelData, ForecastTrainingData, ToWebview } from "../src/protocol/webview";
import { Chart, chartBox, chartPng, faded, makeChart, seriesColor, wireZoom, zoomOf, zoomTo } from "./charts";
import { themeColors, onThemeChange } from "./theme";
import { button, checkbox, dropdown, textField } from "./toolkit";
import { onMessage, post, ready, reportRendered, saveViewSetting, showStatus, viewSetting } from "./vscodeBridge";
import { t } from "./l10n";
import type { ChartConfiguration, Plugin } from "chart.js";

type Metric = "mae" | "rmse" | "mase" | "smape";
const METRICS: Metric[] = ["mae", "rmse", "mase", "smape"];
const METRIC_NAMES: Record<Metric, string> = { mae: "MAE", rmse: "RMSE", mase: "MASE", smape: "sMAPE" };
/** A fixed colour per model, so a switched-off model leaves the others' colours alone. */
const COLOR_INDEX: Record<string, number> = { model: 0, naive: 1, seasonal_naive: 2, ar: 3, mean: 4, tdnn: 5 };

let data: ForecastPanelData | null = null;
let training: ForecastTrainingData | null = null;
let hidden = new Set<string>(viewSetting<string[]>("hidden", []));
let view = viewSetting<"paths" | "step">("view", "paths");
let step = viewSetting<number>("step", 1);
let loop = viewSetting<"closed" | "open">("loop", "closed");
/** Whose interval band is drawn: a model's name, "" for the default (the trained model, else the lowest MAE), "none". */
let intervalsOf = viewSetting<string>("intervalsOf", "");
let perStepMetric = viewSetting<Metric>("perStepMetric", "mae");
let residualModel = viewSetting<string>("residualModel", "");

function displayName(name: string): string {
  switch (name) {
    case "model": return data?.model ? t("model: {0}", data.model) : t("model");
    case "naive": return t("naive");
    case "seasonal_naive": return data ? t("seasonal naive (S = {0})", data.season) : t("seasonal naive");
    case "mean": return t("mean");
    case "ar": return data ? t("AR({0})", data.ar.order) : t("AR(p)");
    case "tdnn": return data ? t("time-delay network ({0} lags)", Math.max(1, data.ar.order)) : t("time-delay network");
    default: return name;
  }
}
const colorOf = (name: string) => seriesColor(COLOR_INDEX[name] ?? 5);

// ---- page structure ----
const app = document.getElementById("app")!;
const title = document.createElement("h1");
const facts = document.createElement("p");
facts.className = "facts";
facts.id = "facts";
const notes = document.createElement("ul");
notes.className = "key";
notes.id = "notes";
const modelNote = document.createElement("p");
modelNote.id = "model-note";
const train = button(t("Train Forecaster on This File…"), () => post({ type: "forecast.train" }));
train.id = "train";
const modelRow = document.createElement("div");
modelRow.className = "controls";
modelRow.append(modelNote, train);

const shownBox = document.createElement("div");
shownBox.className = "checks";
shownBox.id = "shown";
shownBox.setAttribute("role", "group");
shownBox.setAttribute("aria-label", t("Models shown"));
const controls = document.createElement("div");
controls.className = "controls";
const viewPick = dropdown("view", t("Forecasts drawn"), [
  { value: "paths", label: t("Every origin's path") }, { value: "step", label: t("One step ahead of each origin") },
], view, (v) => { view = v as typeof view; saveViewSetting("view", v); drawSeries(); report(); });
const stepPick = dropdown("step", t("Steps ahead"), [{ value: "1", label: "1" }], String(step), (v) => { step = Number(v); saveViewSetting("step", step); drawSeries(); report(); });
const loopPick = dropdown("loop", t("Loop"), [
  { value: "closed", label: t("Closed loop (fed its own forecasts)") }, { value: "open", label: t("Open loop (fed the actual values)") },
], loop, (v) => { loop = v as typeof loop; saveViewSetting("loop", v); drawSeries(); report(); });
const intervalPick = dropdown("intervals", t("Prediction interval of"), [], intervalsOf, (v) => { intervalsOf = v; saveViewSetting("intervalsOf", v); drawSeries(); report(); });
const horizonField = textField("horizon", t("Horizon"), "", { type: "number", size: 5 });
const originsField = textField("origins", t("Forecast origins"), "", { type: "number", size: 5 });
const apply = button(t("Backtest Again"), () => {
  const horizon = Number(horizonField.control.value), origins = Number(originsField.control.value);
  if (!(Number.isInteger(horizon) && horizon >= 1 && horizon <= 1000 && Number.isInteger(origins) && origins >= 1 && origins <= 2000)) {
    return showStatus(t("The horizon is a whole number from 1 to 1,000 and the origins from 1 to 2,000."));
  }
  post({ type: "forecast.options", horizon, origins });
}, { secondary: true });
apply.id = "apply";
controls.append(viewPick.element, stepPick.element, loopPick.element, intervalPick.element, horizonField.element, originsField.element, apply);

/** A chart section: heading, Reset Zoom (zoomable charts) and Save as PNG. */
function section(id: string, name: string, label: string, height: number, zoomable: boolean): { section: HTMLElement; canvas: HTMLCanvasElement; head: HTMLElement } {
  const { box, canvas } = chartBox(id, label, height);
  const s = document.createElement("section");
  const head = document.createElement("div");
  head.className = "chart-head";
  const h = document.createElement("h2");
  h.textContent = name;
  const tools = document.createElement("div");
  tools.className = "chart-tools";
  if (zoomable) {
    const reset = button(t("Reset Zoom"), () => zoomTo(canvas, null), { secondary: true });
    reset.setAttribute("aria-label", t("Reset zoom of {0}", name));
    const sync = () => { reset.disabled = !zoomOf(canvas); };
    canvas.addEventListener("rnnlab-zoom", sync);
    sync();
    tools.append(reset);
  }
  const png = button(t("Save as PNG"), () => post({ type: "export.png", name: id.replace(/-chart$/, ""), dataUrl: chartPng(canvas) }), { secondary: true });
  png.setAttribute("aria-label", t("Save {0} as PNG", name));
  tools.append(png);
  head.append(h, tools);
  s.append(head, box);
  return { section: s, canvas, head };
}

// the forecaster's training: validation MAE and RMSE at each validation, the best baseline's MAE as the line to beat
const trainingPart = section("training-chart", t("Training: validation error against the best baseline"), t("Validation MAE and RMSE of the forecaster during training, with the best baseline's validation MAE"), 220, false);
trainingPart.section.hidden = true;
const trainingNote = document.createElement("p");
trainingNote.id = "training-note";
trainingNote.setAttribute("aria-live", "polite");
const stopTraining = button(t("Stop Training"), () => post({ type: "forecast.stop" }), { secondary: true });
stopTraining.id = "stop-training";
const openDashboard = button(t("Open Training Dashboard"), () => post({ type: "forecast.dashboard" }), { secondary: true });
openDashboard.id = "open-dashboard";
trainingPart.section.append(trainingNote, stopTraining, openDashboard);

const series = section("series-chart", t("Series and backtest forecasts"), t("The series with each model's backtest forecasts; the test span is shaded"), 340, true);
const spanKey = document.createElement("p");
spanKey.className = "muted";
spanKey.id = "span-key";
series.section.append(spanKey);
const metricsHeading = document.createElement("h2");
metricsHeading.textContent = t("Errors on the test span (lower is better; ★ the best)");
const overallTable = document.createElement("table");
overallTable.id = "overall";
const perStepHead = document.createElement("div");
perStepHead.className = "chart-head";
const perStepTitle = document.createElement("h2");
perStepTitle.textContent = t("Per step ahead");
const metricPick = dropdown("per-step-metric", t("Metric"), METRICS.map((m) => ({ value: m, label: METRIC_NAMES[m] })), perStepMetric, (v) => { perStepMetric = v as Metric; saveViewSetting("perStepMetric", v); drawPerStep(); report(); });
perStepHead.append(perStepTitle, metricPick.element);
const perStepTable = document.createElement("table");
perStepTable.id = "per-step";
// one column per step ahead: a long horizon scrolls inside its box, not the page
const perStepBox = document.createElement("div");
perStepBox.style.overflowX = "auto";
perStepBox.append(perStepTable);
const loopChart = section("loop-chart", t("Open loop against closed loop"), t("Mean absolute error per step ahead, open and closed loop"), 240, false);
const loopKey = document.createElement("p");
loopKey.className = "muted";
loopKey.textContent = t("Closed loop: each forecast fed back as the next input, as in real use. Open loop: each step forecast from the actual values before it. The gap between them is the drift that feeding back its own forecasts adds.");
loopChart.section.append(loopKey);
const residuals = section("residual-chart", t("One-step residuals on the test span"), t("Residuals of the chosen model over time"), 220, true);
const residualPick = dropdown("residual-model", t("Model"), [], residualModel, (v) => { residualModel = v; saveViewSetting("residualModel", v); drawResiduals(); report(); });
residuals.head.insertBefore(residualPick.element, residuals.head.lastChild);
const residualAcf = section("residual-acf-chart", t("Autocorrelation of the residuals"), t("Autocorrelation of the residuals by lag, with the white-noise band"), 200, false);
const residualNote = document.createElement("p");
residualNote.id = "residual-note";
residualNote.className = "muted";
residualAcf.section.append(residualNote);
const arHeading = document.createElement("h2");
arHeading.textContent = t("AR(p) fitted on the training span");
const arText = document.createElement("p");
arText.id = "ar-text";
const arTable = document.createElement("table");
arTable.id = "ar-coefficients";
const acf = section("acf-chart", t("Autocorrelation of the training span"), t("Autocorrelation of the training span by lag, with the white-noise band"), 200, false);
const acfNote = document.createElement("p");
acfNote.id = "acf-note";
acfNote.className = "muted";
acf.section.append(acfNote);
app.append(title, facts, notes, modelRow, trainingPart.section, shownBox, controls, series.section, metricsHeading, overallTable, perStepHead, perStepBox, loopChart.section,
  residuals.section, residualAcf.section, arHeading, arText, arTable, acf.section);

// ---- drawing ----
const charts = new Map<string, Chart>();
function replace(id: string, canvas: HTMLCanvasElement, config: ChartConfiguration): Chart {
  charts.get(id)?.destroy();
  const c = makeChart(canvas, config);
  charts.set(id, c);
  return c;
}

/** x of step i: the time column's value, else the row number (1-based). */
function xOf(i: number): number {
  return data!.time ? data!.time[Math.min(i, data!.time.length - 1)] : i + 1;
}

/** A time as the data's resolution writes it: months as 2024-03, days as 2024-03-15, else with the time of day. */
function formatX(v: number): string {
  if (data?.timeKind !== "date") return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  const d = data.time!, step = d.length > 1 ? (d[d.length - 1] - d[0]) / (d.length - 1) : 0;
  if (step >= 27 * 86_400_000) {
    const at = new Date(v + 15 * 86_400_000); // to the nearest month
    return `${at.getUTCFullYear()}-${String(at.getUTCMonth() + 1).padStart(2, "0")}`;
  }
  const iso = new Date(v).toISOString();
  return step >= 86_400_000 ? iso.slice(0, 10) : iso.slice(0, 16).replace("T", " ");
}

/** The validation and test spans as shaded bands behind the lines, with their names at the top. */
const spanShading: Plugin = {
  id: "rnnLabSpans",
  beforeDatasetsDraw(chart) {
    if (!data || chart.canvas.id !== "series-chart") return;
    const x = chart.scales.x, area = chart.chartArea, ctx = chart.ctx;
    const band = (from: number, to: number, alpha: number, label: string) => {
      const a = Math.max(area.left, x.getPixelForValue(from)), b = Math.min(area.right, x.getPixelForValue(to));
      if (b <= a) return;
      ctx.save();
      ctx.fillStyle = faded(themeColors().muted, alpha);
      ctx.fillRect(a, area.top, b - a, area.bottom - area.top);
      ctx.fillStyle = themeColors().muted;
      ctx.font = `11px ${getComputedStyle(document.body).fontFamily}`;
      if (ctx.measureText(label).width + 8 <= b - a) ctx.fillText(label, a + 4, area.top + 12); // a narrow band keeps its shade, not an overlapping name
      ctx.restore();
    };
    const n = data.values.length;
    band(xOf(data.trainEnd), xOf(data.valEnd), 0.08, t("validation"));
    band(xOf(data.valEnd), xOf(n - 1), 0.18, t("test"));
    // where the test band fell, in canvas pixels (the tests read it)
    const r = chart.currentDevicePixelRatio;
    shading = [x.getPixelForValue(xOf(data.valEnd)), x.getPixelForValue(xOf(n - 1)), area.top, area.bottom].map((v) => Math.round(v * r)).join(",");
  },
};

let shading = "";
type P = { x: number; y: number };
const GAP: P = { x: NaN, y: NaN };

/** The drawn forecasts of one model: per origin its path (gaps between), or its step-h forecasts joined. */
function forecastPoints(m: ForecastModelData, which: "forecasts" | "lower" | "upper"): P[] {
  const d = data!, H = d.horizon;
  const arr = which === "forecasts" ? (loop === "open" && m.openLoop ? m.openLoop.forecasts : m.forecasts) : m[which];
  if (!arr) return [];
  if (view === "step") {
    const h = Math.min(step, H) - 1;
    return d.origins.map((o, i) => ({ x: xOf(o + h), y: arr[i * H + h] }));
  }
  const out: P[] = [];
  for (const i of drawnOrigins()) {
    const o = d.origins[i];
    for (let h = 0; h < H; h++) out.push({ x: xOf(o + h), y: arr[i * H + h] });
    out.push(GAP);
  }
  return out;
}

/** The model whose interval band is drawn, or "" for none. */
function intervalModel(): string {
  if (!data || intervalsOf === "none") return "";
  if (intervalsOf && data.models.some((m) => m.name === intervalsOf)) return intervalsOf;
  if (data.models.some((m) => m.name === "model" && m.lower)) return "model";
  const withBands = data.models.filter((m) => m.lower);
  return withBands.length ? withBands.reduce((a, b) => (b.overall.mae < a.overall.mae ? b : a)).name : "";
}

/** The origins whose paths are drawn: the first, then each next one at least a horizon later, so the paths do not overlap (the metrics use them all). */
function drawnOrigins(): number[] {
  const d = data!, out: number[] = [];
  d.origins.forEach((o, i) => { if (!out.length || o >= d.origins[out[out.length - 1]] + d.horizon) out.push(i); });
  return out;
}

function shownModels(): ForecastModelData[] {
  return data ? data.models.filter((m) => !hidden.has(m.name)) : [];
}

function drawSeries(): void {
  if (!data) return;
  const d = data;
  const fg = themeColors().foreground;
  const bandIndices = new Set<number>();
  const datasets: ChartConfiguration<"line">["data"]["datasets"] = [{
    label: t("actual {0}", d.column), data: Array.from(d.values, (y, i) => ({ x: xOf(i), y })), borderColor: fg, backgroundColor: fg, borderWidth: 1.2, pointRadius: 0, parsing: false, normalized: true,
  }];
  for (const m of shownModels()) {
    const color = colorOf(m.name);
    const closedOnly = loop === "open" && !m.openLoop;
    if (closedOnly) continue; // the mean reads no history: it has no open loop
    if (m.name === intervalModel() && m.lower && m.upper && loop === "closed") {
      bandIndices.add(datasets.length).add(datasets.length + 1); // the band's edges: in tooltips, not in the legend
      datasets.push({ label: t("{0}: {1} % interval", displayName(m.name), Math.round(100 * levelOf(m))), data: forecastPoints(m, "lower"), borderColor: faded(color, 0.35), borderWidth: 0.5, pointRadius: 0, parsing: false, spanGaps: false, fill: false });
      datasets.push({ label: t("{0}: {1} % interval", displayName(m.name), Math.round(100 * levelOf(m))), data: forecastPoints(m, "upper"), borderColor: faded(color, 0.35), backgroundColor: faded(color, 0.15), borderWidth: 0.5, pointRadius: 0, parsing: false, spanGaps: false, fill: "-1" });
    }
    datasets.push({ label: displayName(m.name), data: forecastPoints(m, "forecasts"), borderColor: color, backgroundColor: color, borderWidth: 1.8, pointRadius: 0, parsing: false, spanGaps: false, borderDash: loop === "open" ? [5, 3] : [] });
  }
  replace("series", series.canvas, {
    type: "line", data: { datasets },
    options: {
      scales: {
        x: { type: "linear", bounds: "data", min: zoomOf(series.canvas)?.[0], max: zoomOf(series.canvas)?.[1], title: { display: true, text: d.timeKind === "row" ? t("row") : t("time") }, ticks: { callback: (v) => formatX(Number(v)) } },
        y: { type: "linear", title: { display: true, text: d.column } },
      },
      plugins: {
        legend: { position: "bottom", labels: { filter: (item) => !bandIndices.has(item.datasetIndex ?? -1) } },
        tooltip: { callbacks: { title: (items) => (items[0] ? formatX(items[0].parsed.x ?? 0) : "") } },
      },
      interaction: { mode: "nearest", intersect: false },
    },
    plugins: [spanShading],
  } as ChartConfiguration);
  wireZoom(series.canvas);
  const n = d.values.length;
  spanKey.textContent = t("Training: rows 1 to {0}; validation: {1} to {2} (lightly shaded); test: {3} to {4} (shaded). Ctrl + wheel or + and − zoom, drag or the arrow keys pan, double-click resets, Alt + click shows the row in the file.",
    d.trainEnd, d.trainEnd + 1, d.valEnd, d.valEnd + 1, n);
}

function errorsOf(m: ForecastModelData, h: number | null): ForecastErrorsData {
  return h === null ? m.overall : m.perStep[h];
}

/** The models with the lowest value in a column (ties: all of them). */
function best(models: ForecastModelData[], value: (m: ForecastModelData) => number): Set<string> {
  const v = models.map(value).filter(Number.isFinite);
  const lo = Math.min(...v);
  return new Set(models.filter((m) => value(m) === lo).map((m) => m.name));
}

function cell(tag: "td" | "th", text: string, mark = false): HTMLElement {
  const c = document.createElement(tag);
  c.textContent = mark ? `★ ${text}` : text;
  if (mark) c.className = "best";
  if (tag === "th") c.setAttribute("scope", "row");
  return c;
}

/** A value to `digits` significant digits in the page's locale ("—" for none; −0 is 0). */
const fmt = (v: number | null | undefined, digits = 4) => (v === null || v === undefined || !Number.isFinite(v) ? "—" : (v === 0 ? 0 : v).toLocaleString(undefined, { maximumSignificantDigits: digits }));

/** A model's interval level: its own (a quantile head's) or the panel's (the baselines' and the Gaussian head's 90 %). */
const levelOf = (m: ForecastModelData) => m.intervalLevel ?? data!.intervalLevel;

let winners: Record<string, string> = {};
function drawOverall(): void {
  const models = data!.models;
  const head = document.createElement("tr");
  for (const h of [t("model"), ...METRICS.map((m) => METRIC_NAMES[m]), t("{0} % interval coverage", Math.round(100 * data!.intervalLevel))]) { const th = document.createElement("th"); th.textContent = h; th.setAttribute("scope", "col"); head.append(th); }
  const marks = Object.fromEntries(METRICS.map((k) => [k, best(models, (m) => m.overall[k])]));
  winners = Object.fromEntries(METRICS.map((k) => [k, [...marks[k]].join("+")]));
  const rows = models.map((m) => {
    const tr = document.createElement("tr");
    tr.dataset.model = m.name;
    const name = cell("th", displayName(m.name));
    name.style.borderLeft = `4px solid ${colorOf(m.name)}`;
    tr.append(name, ...METRICS.map((k) => cell("td", fmt(m.overall[k]), marks[k].has(m.name))), cell("td", m.overall.coverage == null ? "—" : levelOf(m) === data!.intervalLevel ? `${(100 * m.overall.coverage).toFixed(1)} %` : t("{0} % (of {1} %)", (100 * m.overall.coverage).toFixed(1), Math.round(100 * levelOf(m)))));
    return tr;
  });
  overallTable.replaceChildren(head, ...rows);
}

let perStepMarked = 0;
function drawPerStep(): void {
  const models = data!.models, H = data!.horizon;
  const head = document.createElement("tr");
  const corner = document.createElement("th");
  corner.textContent = t("steps ahead");
  corner.setAttribute("scope", "col");
  head.append(corner, ...Array.from({ length: H }, (_, h) => { const th = document.createElement("th"); th.textContent = `+${h + 1}`; th.setAttribute("scope", "col"); return th; }));
  const marks = Array.from({ length: H }, (_, h) => best(models, (m) => m.perStep[h][perStepMetric]));
  perStepMarked = 0;
  const rows = models.map((m) => {
    const tr = document.createElement("tr");
    tr.dataset.model = m.name;
    tr.append(cell("th", displayName(m.name)), ...Array.from({ length: H }, (_, h) => {
      const mark = marks[h].has(m.name);
      if (mark) perStepMarked++;
      return cell("td", fmt(errorsOf(m, h)[perStepMetric], 3), mark);
    }));
    return tr;
  });
  perStepTable.replaceChildren(head, ...rows);
}

function drawLoop(): void {
  const d = data!, H = d.horizon;
  const datasets: ChartConfiguration<"line">["data"]["datasets"] = [];
  for (const m of shownModels()) {
    const color = colorOf(m.name);
    datasets.push({ label: t("{0}, closed loop", displayName(m.name)), data: m.perStep.map((e, h) => ({ x: h + 1, y: e.mae })), borderColor: color, backgroundColor: color, pointRadius: 2, parsing: false });
    if (m.openLoop) datasets.push({ label: t("{0}, open loop", displayName(m.name)), data: m.openLoop.perStep.map((e, h) => ({ x: h + 1, y: e.mae })), borderColor: color, backgroundColor: color, borderDash: [5, 3], pointRadius: 2, parsing: false });
  }
  replace("loop", loopChart.canvas, {
    type: "line", data: { datasets },
    options: { scales: { x: { type: "linear", min: 1, max: Math.max(2, H), ticks: { stepSize: 1 }, title: { display: true, text: t("steps ahead") } }, y: { beginAtZero: true, title: { display: true, text: t("MAE ({0})", d.column) } } }, plugins: { legend: { position: "bottom" } } },
  } as ChartConfiguration);
}

function residualTarget(): ForecastModelData {
  const d = data!;
  return d.models.find((m) => m.name === residualModel) ?? d.models.find((m) => m.name === "model") ?? d.models.find((m) => m.name === "ar") ?? d.models[0];
}

function bars(id: string, canvas: HTMLCanvasElement, acfValues: Float64Array, band: number, from: number, label: string, color: string): Chart {
  const lags = Array.from({ length: acfValues.length - from }, (_, k) => k + from);
  const muted = themeColors().muted;
  return replace(id, canvas, {
    type: "bar",
    data: {
      labels: lags.map(String),
      datasets: [
        { type: "bar", label, data: lags.map((k) => acfValues[k]), backgroundColor: lags.map((k) => (Math.abs(acfValues[k]) > band ? color : faded(color, 0.45))) },
        { type: "line", label: t("white-noise band ±{0}", band.toFixed(3)), data: lags.map(() => band), borderColor: muted, borderDash: [4, 3], pointRadius: 0, borderWidth: 1 },
        { type: "line", label: "", data: lags.map(() => -band), borderColor: muted, borderDash: [4, 3], pointRadius: 0, borderWidth: 1 },
      ],
    },
    options: { scales: { x: { title: { display: true, text: t("lag") } }, y: { min: -1, max: 1, title: { display: true, text: t("autocorrelation") } } }, plugins: { legend: { position: "bottom", labels: { filter: (item) => item.text !== "" } } } },
  } as ChartConfiguration);
}

let outsideBand = 0;
function drawResiduals(): void {
  const d = data!, m = residualTarget();
  residualPick.setOptions(d.models.map((x) => ({ value: x.name, label: displayName(x.name) })), m.name);
  const color = colorOf(m.name);
  replace("residuals", residuals.canvas, {
    type: "line",
    data: { datasets: [{ label: t("{0}: actual − one-step forecast", displayName(m.name)), data: Array.from(m.residuals, (r, k) => ({ x: xOf(d.valEnd + k), y: r })), borderColor: color, backgroundColor: color, pointRadius: 0, borderWidth: 1, parsing: false }] },
    options: { scales: { x: { type: "linear", bounds: "data", min: zoomOf(residuals.canvas)?.[0], max: zoomOf(residuals.canvas)?.[1], ticks: { callback: (v) => formatX(Number(v)) }, title: { display: true, text: d.timeKind === "row" ? t("row") : t("time") } }, y: { title: { display: true, text: t("residual") } } }, plugins: { legend: { position: "bottom" } } },
  } as ChartConfiguration);
  wireZoom(residuals.canvas);
  bars("residualAcf", residualAcf.canvas, m.residualAcf, d.residualBand, 1, t("{0}: residual autocorrelation", displayName(m.name)), color);
  outsideBand = Array.from(m.residualAcf).slice(1).filter((r) => Math.abs(r) > d.residualBand).length;
  const lags = m.residualAcf.length - 1;
  residualNote.textContent = outsideBand <= Math.ceil(0.05 * lags)
    ? t("{0} of {1} lags outside the band: about what white noise gives (5 %); little structure is left in the residuals.", outsideBand, lags)
    : t("{0} of {1} lags outside the band: structure is left in the residuals that a better model could use.", outsideBand, lags);
}

/** 12 → "₁₂": a coefficient's index as a subscript. */
const subscript = (k: number) => String(k).replace(/\d/g, (c) => "₀₁₂₃₄₅₆₇₈₉"[Number(c)]);

function drawAr(): void {
  const d = data!, w = d.ar.coefficients;
  arText.textContent = t("Order p = {0}, chosen by Akaike's criterion (AIC {1}); residual variance σ² = {2}. yₜ = w₀ + Σₖ wₖ yₜ₋ₖ + εₜ.", d.ar.order, fmt(d.ar.aic, 6), fmt(d.ar.sigma2));
  const head = document.createElement("tr");
  for (const h of [t("term"), t("coefficient")]) { const th = document.createElement("th"); th.textContent = h; th.setAttribute("scope", "col"); head.append(th); }
  const rows = Array.from(w, (v, k) => {
    const tr = document.createElement("tr");
    tr.append(cell("th", k === 0 ? t("w₀ (intercept)") : t("w{0} (lag {1})", subscript(k), k)), cell("td", fmt(v, 6)));
    return tr;
  });
  arTable.replaceChildren(head, ...rows);
}

function drawAcf(): void {
  const d = data!, s = d.suggestion;
  bars("acf", acf.canvas, s.acf, s.band, 1, t("autocorrelation of {0}", d.column), seriesColor(0));
  const season = s.season > 1 ? t("It peaks at lag {0}: the season used by seasonal naive.", s.season) : t("No lag stands out as a season.");
  const falloff = s.falloff < s.acf.length ? t("It first falls inside the noise band at lag {0}.", s.falloff) : t("It stays outside the noise band for all {0} lags shown.", s.acf.length - 1);
  acfNote.textContent = `${season} ${falloff} ${t("Suggested lookback {0} and horizon {1}.", s.lookback, s.horizon)}`;
}

function drawShown(): void {
  shownBox.replaceChildren(...data!.models.map((m) => {
    const c = checkbox(`show-${m.name}`, displayName(m.name), !hidden.has(m.name), (on) => {
      if (on) hidden.delete(m.name); else hidden.add(m.name);
      saveViewSetting("hidden", [...hidden]);
      drawSeries(); drawLoop(); report();
    });
    c.style.borderLeft = `4px solid ${colorOf(m.name)}`;
    c.style.paddingLeft = "0.3rem";
    return c;
  }));
}

function drawFacts(): void {
  const d = data!, n = d.values.length;
  title.textContent = d.title;
  document.title = d.title;
  const parts = [
    t("{0} rows", n), t("test span: {0} rows, {1} forecast origins, {2} steps ahead each", n - d.valEnd, d.origins.length, d.horizon),
    d.season > 1 ? (d.seasonDetected ? t("season {0} (from the autocorrelation)", d.season) : t("season {0}", d.season)) : t("no season"),
    t("AR({0})", d.ar.order),
  ];
  if (d.time) parts.splice(1, 0, t("{0} to {1}", formatX(d.time[0]), formatX(d.time[n - 1])));
  facts.textContent = parts.join(" · ");
  notes.replaceChildren(...d.notes.map((x) => { const li = document.createElement("li"); li.textContent = x; return li; }));
  modelNote.textContent = d.model ? t("Trained forecaster: {0}.", d.model) + (d.modelNote ? ` ${d.modelNote}` : "")
    : t("Baselines only: no forecaster is trained on this column yet. A network is worth having where it beats every row of this table.") + (d.modelNote ? ` (${d.modelNote})` : "");
  train.hidden = !!d.model;
  intervalPick.setOptions([{ value: "", label: t("the best (default)") }, { value: "none", label: t("none") }, ...d.models.filter((m) => m.lower).map((m) => ({ value: m.name, label: displayName(m.name) }))], intervalsOf);
  stepPick.setOptions(Array.from({ length: d.horizon }, (_, h) => ({ value: String(h + 1), label: String(h + 1) })), String(Math.min(step, d.horizon)));
  horizonField.control.value = String(d.horizon);
  originsField.control.value = String(d.origins.length);
}

function draw(): void {
  if (!data) return;
  drawFacts();
  drawShown();
  drawSeries();
  drawOverall();
  drawPerStep();
  drawLoop();
  drawResiduals();
  drawAr();
  drawAcf();
  drawTraining();
  report();
}

let trainingBeaten: boolean | null = null;
function drawTraining(): void {
  const tr = training;
  trainingPart.section.hidden = !tr;
  if (!tr) return;
  const steps = tr.validations.map((v) => v.step);
  const last = tr.validations.at(-1);
  const base = tr.baselineValMae;
  const datasets: ChartConfiguration<"line">["data"]["datasets"] = [
    { label: t("validation MAE"), data: tr.validations.map((v) => ({ x: v.step, y: v.valMae })), borderColor: seriesColor(0), backgroundColor: seriesColor(0), pointRadius: 2, parsing: false },
    { label: t("validation RMSE"), data: tr.validations.map((v) => ({ x: v.step, y: v.valRmse })), borderColor: seriesColor(4), backgroundColor: seriesColor(4), pointRadius: 2, parsing: false },
  ];
  if (Number.isFinite(base) && steps.length) {
    datasets.push({ label: t("best baseline's validation MAE {0}", fmt(base)), data: [{ x: Math.min(0, steps[0]), y: base }, { x: Math.max(tr.steps, steps[steps.length - 1]), y: base }], borderColor: seriesColor(1), borderDash: [6, 4], pointRadius: 0, parsing: false });
  }
  replace("training", trainingPart.canvas, {
    type: "line", data: { datasets },
    options: { scales: { x: { type: "linear", min: 0, title: { display: true, text: t("optimizer step") } }, y: { beginAtZero: true, title: { display: true, text: data ? t("error ({0})", data.column) : t("error") } } }, plugins: { legend: { position: "bottom" } } },
  } as ChartConfiguration);
  const best = tr.validations.reduce((a, v) => (Number.isFinite(v.valMae) && v.valMae < a ? v.valMae : a), Infinity);
  trainingBeaten = Number.isFinite(best) && Number.isFinite(base) ? best < base : null;
  const state = { training: t("training"), done: t("finished"), failed: t("failed"), stopped: t("stopped") }[tr.state];
  trainingNote.textContent = !last ? t("{0}: no validation yet.", state)
    : t("{0} · step {1}: validation MAE {2} (best so far {3}); the best baseline's is {4}: {5}.", state, last.step, fmt(last.valMae), fmt(best), fmt(base),
      trainingBeaten ? t("the network has beaten it") : t("not beaten yet"));
  stopTraining.hidden = tr.state !== "training";
}

function report(): void {
  if (!data) return;
  const c = charts.get("series");
  const shown = shownModels().map((m) => m.name);
  const seriesPoints = (name: string) => (c?.data.datasets.find((x) => x.label === displayName(name))?.data as P[] | undefined)?.filter((p) => Number.isFinite(p.y)).length ?? 0;
  reportRendered({
    models: data.models.map((m) => m.name).join(","), shown: shown.join(","), datasets: c?.data.datasets.length ?? 0, values: data.values.length,
    origins: data.origins.length, horizon: data.horizon, view, step, loop, intervalsOf: intervalModel(), pathsDrawn: drawnOrigins().length, shading,
    winnerMae: winners.mae ?? "", winnerRmse: winners.rmse ?? "", winnerMase: winners.mase ?? "", winnerSmape: winners.smape ?? "",
    overallRows: overallTable.rows.length - 1, perStepColumns: data.horizon, perStepMarked, perStepMetric,
    arTerms: arTable.rows.length - 1, residualModel: residualTarget().name, residualLags: residualTarget().residualAcf.length - 1, residualOutside: outsideBand,
    naivePoints: seriesPoints("naive"), arPoints: seriesPoints("ar"), modelPoints: seriesPoints("model"), tdnnPoints: seriesPoints("tdnn"), hasModel: !!data.model, facts: facts.textContent ?? "",
    bandDatasets: c?.data.datasets.filter((x) => String(x.label).includes("%")).map((x) => x.label).join("|") ?? "",
    coverageCells: Array.from(overallTable.rows).slice(1).map((r) => `${(r as HTMLTableRowElement).dataset.model}=${r.cells[r.cells.length - 1]?.textContent ?? ""}`).join(";"),
    loopDatasets: charts.get("loop")?.data.datasets.length ?? 0, zoom: series.canvas.dataset.zoom ?? "",
    trainingState: training?.state ?? "", trainingPoints: training?.validations.length ?? 0, trainingBeaten: trainingBeaten ?? "n/a",
  });
}

series.canvas.addEventListener("rnnlab-zoom", () => report());
// a click on the series shows the row of the file at that time
series.canvas.addEventListener("click", (e) => {
  const c = charts.get("series");
  if (!c || !data) return;
  const x = c.scales.x.getValueForPixel(e.offsetX);
  if (x === undefined) return;
  let best = 0;
  for (let i = 1; i < data.values.length; i++) if (Math.abs(xOf(i) - x) < Math.abs(xOf(best) - x)) best = i;
  if (e.altKey) post({ type: "forecast.reveal", line: data.lines[best] });
});

onMessage((m: ToWebview) => {
  if (m.type === "forecast.data") {
    data = m.data;
    showStatus("");
    draw();
  } else if (m.type === "forecast.training") {
    training = m.training;
    drawTraining();
    report();
  } else if (m.type === "busy" || m.type === "failed") {
    showStatus(m.message);
  }
});
onThemeChange(draw);
ready();
