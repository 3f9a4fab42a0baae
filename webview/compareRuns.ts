// Run comparison: validation and training loss of several runs overlaid against step, characters
// seen or wall time, and a table of their hyperparameters with the values that differ highlighted.

import type { ComparedRun, ToWebview } from "../src/protocol/webview";
import { Chart, Point, chartBox, makeChart, seriesColor } from "./charts";
import { onThemeChange } from "./theme";
import { checkbox, dropdown } from "./toolkit";
import { onMessage, ready, reportRendered, saveViewSetting, showStatus, viewSetting } from "./vscodeBridge";
import { t } from "./l10n";

type Data = Extract<ToWebview, { type: "compare.data" }>;
type Axis = "step" | "chars" | "seconds";
let data: Data | null = null;
let axis = viewSetting<Axis>("axis", "step");
let showTraining = viewSetting("training", true);

const app = document.getElementById("app")!;
const title = document.createElement("h1");
const controls = document.createElement("div");
controls.className = "controls";
const axisPick = dropdown("axis", t("Horizontal axis"), [
  { value: "step", label: t("Step") }, { value: "chars", label: t("Characters seen") }, { value: "seconds", label: t("Training time (s)") },
], axis, (v) => { axis = v as Axis; saveViewSetting("axis", v); draw(); });
const trainingBox = checkbox("show-training", t("Show training loss"), showTraining, (on) => { showTraining = on; saveViewSetting("training", on); draw(); });
controls.append(axisPick.element, trainingBox);
const val = chartBox("val-chart", t("Validation loss of each run"), 320);
const train = chartBox("train-chart", t("Training loss of each run"), 260);
const table = document.createElement("table");
table.id = "hyperparameters";
const caption = document.createElement("h2");
caption.textContent = t("Hyperparameters (differences highlighted)");
app.append(title, controls, heading(t("Validation loss (nats/char)")), val.box, heading(t("Training loss (nats/char)")), train.box, caption, table);

function heading(text: string): HTMLElement {
  const h = document.createElement("h2");
  h.textContent = text;
  return h;
}

function xs(r: ComparedRun, which: "train" | "eval"): ArrayLike<number> {
  const src = which === "train" ? r : r.eval;
  return axis === "step" ? src.step : axis === "chars" ? src.chars : src.seconds;
}

function series(x: ArrayLike<number>, y: ArrayLike<number>, smooth: number): Point[] {
  // training losses are noisy step to step: an exponential moving average shows the trend
  const out: Point[] = [];
  let m = NaN;
  for (let i = 0; i < x.length; i++) {
    m = Number.isNaN(m) ? y[i] : smooth * m + (1 - smooth) * y[i];
    out.push({ x: x[i], y: m });
  }
  return out;
}

let charts: Chart[] = [];
const axisLabel = () => (axis === "step" ? t("step") : axis === "chars" ? t("characters seen") : t("training seconds"));

function draw(): void {
  for (const c of charts) c.destroy();
  charts = [];
  if (!data) return;
  const line = (canvas: HTMLCanvasElement, which: "train" | "eval") => makeChart(canvas, {
    type: "line",
    data: {
      datasets: data!.runs.map((r, k) => ({
        label: r.label, data: which === "eval" ? series(xs(r, "eval"), r.eval.valLoss, 0) : series(xs(r, "train"), r.loss, 0.9),
        borderColor: seriesColor(k), backgroundColor: seriesColor(k), borderWidth: 1.5, pointRadius: which === "eval" ? 2 : 0, parsing: false as const, normalized: true,
      })),
    },
    options: {
      scales: { x: { type: "linear", title: { display: true, text: axisLabel() } }, y: { type: "linear" } },
      plugins: { legend: { position: "bottom" }, decimation: { enabled: true, algorithm: "lttb", samples: 800 } },
      interaction: { mode: "nearest", intersect: false },
    },
  });
  charts.push(line(val.canvas, "eval"));
  train.box.hidden = !showTraining;
  if (showTraining) charts.push(line(train.canvas, "train"));
  drawTable();
  const best = data.runs.map((r) => (r.eval.valLoss.length ? Math.min(...r.eval.valLoss) : NaN));
  reportRendered({ runs: data.runs.length, axis, differing: data.differing.join(","), best: best.map((b) => (Number.isNaN(b) ? "n/a" : b.toFixed(3))).join(","), highlighted: table.querySelectorAll("td.differs").length });
}

function drawTable(): void {
  const keys = [...new Set(data!.runs.flatMap((r) => Object.keys(r.hyper)))];
  const head = document.createElement("tr");
  head.append(cell("th", ""), ...data!.runs.map((r, k) => {
    const th = cell("th", r.label);
    th.style.borderBottom = `3px solid ${seriesColor(k)}`;
    return th;
  }));
  const rows = keys.map((key) => {
    const tr = document.createElement("tr");
    const differs = data!.differing.includes(key);
    tr.append(cell("th", t(key)), ...data!.runs.map((r) => {
      const td = cell("td", r.hyper[key] ?? "—");
      if (differs) td.className = "differs";
      return td;
    }));
    return tr;
  });
  table.replaceChildren(head, ...rows);
}

function cell(tag: "td" | "th", text: string): HTMLElement {
  const c = document.createElement(tag);
  c.textContent = text;
  if (tag === "th") c.setAttribute("scope", text ? "row" : "col");
  return c;
}

onMessage((m) => {
  if (m.type === "compare.data") {
    data = m;
    title.textContent = m.title;
    showStatus(m.runs.some((r) => r.state === "training" || r.state === "queued") ? t("Some runs are still training; the curves grow as they do.") : "");
    draw();
  } else if (m.type === "failed" || m.type === "busy") {
    showStatus(m.message);
  }
});
onThemeChange(draw);
ready();
