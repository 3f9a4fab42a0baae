// Run comparison: validation and training loss of several runs overlaid against step, characters
// seen or wall time (smoothed, log scale, zoom and PNG as on the dashboard: the same chart helper),
// the best run by validation loss marked, and a table of the runs' names, notes, tags and
// hyperparameters with the values that differ highlighted.

import type { ComparedRun, ToWebview } from "../src/protocol/webview";
import { Chart, lineChart, seriesColor } from "./charts";
import { ChartSection, chartSection, smoothingSlider } from "./chartControls";
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
const smoothing = smoothingSlider(() => draw());
controls.append(axisPick.element, smoothing.element, trainingBox);
const bestNote = document.createElement("p");
bestNote.id = "best-run";
bestNote.setAttribute("aria-live", "polite");
const val = chartSection("val-chart", t("Validation loss (nats/char)"), t("Validation loss of each run"), { height: 320, redraw: () => draw() });
const train = chartSection("train-chart", t("Training loss (nats/char)"), t("Training loss of each run"), { redraw: () => draw() });
const table = document.createElement("table");
table.id = "hyperparameters";
const caption = document.createElement("h2");
caption.textContent = t("Runs and hyperparameters (differences highlighted)");
app.append(title, controls, bestNote, val.section, train.section, caption, table);

function xs(r: ComparedRun, which: "train" | "eval"): ArrayLike<number> {
  const src = which === "train" ? r : r.eval;
  return axis === "step" ? src.step : axis === "chars" ? src.chars : src.seconds;
}

let charts: Chart[] = [];
const axisLabel = () => (axis === "step" ? t("optimizer step") : axis === "chars" ? t("characters seen") : t("training time (s)"));

/** The name a run is shown by: the user's own name for it, else model · run id. */
const nameOf = (r: ComparedRun) => (typeof r.name === "string" && r.name ? r.name : r.label);

/** Each run's lowest validation loss (NaN: none yet), and the index of the lowest of them (−1: none). */
function bestRun(runs: ComparedRun[]): { best: number[]; index: number } {
  const best = runs.map((r) => (r.eval.valLoss.length ? Math.min(...r.eval.valLoss) : NaN));
  let index = -1;
  best.forEach((b, k) => { if (Number.isFinite(b) && (index < 0 || b < best[index])) index = k; });
  return { best, index };
}

function draw(): void {
  for (const c of charts) c.destroy();
  charts = [];
  if (!data) return;
  const { best, index } = bestRun(data.runs);
  const label = (r: ComparedRun, k: number) => (k === index ? t("{0} (best)", nameOf(r)) : nameOf(r));
  const line = (c: ChartSection, which: "train" | "eval") => lineChart(c.canvas, data!.runs.map((r, k) => ({
    label: label(r, k), x: xs(r, which), y: which === "eval" ? r.eval.valLoss : r.loss, color: seriesColor(k), smooth: which === "train",
  })), { xTitle: axisLabel(), yTitle: t("loss (nats/char)"), log: c.log(), smoothing: smoothing.value() });
  charts.push(line(val, "eval"));
  train.section.hidden = !showTraining;
  if (showTraining) charts.push(line(train, "train"));
  bestNote.textContent = index >= 0 ? t("Best by validation loss: {0}, {1} nats/char.", nameOf(data.runs[index]), best[index].toFixed(3)) : t("No run has a validation loss yet.");
  drawTable(index);
  reportRendered({
    runs: data.runs.length, axis, differing: data.differing.join(","), best: best.map((b) => (Number.isNaN(b) ? "n/a" : b.toFixed(3))).join(","), bestRun: index,
    highlighted: table.querySelectorAll("td.differs").length, smoothing: smoothing.value(), valLog: val.log(), datasets: charts.reduce((a, c) => a + c.data.datasets.length, 0),
  });
}

function drawTable(bestIndex: number): void {
  const runs = data!.runs;
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.hyper)))];
  const head = document.createElement("tr");
  head.append(cell("th", ""), ...runs.map((r, k) => {
    const th = cell("th", nameOf(r));
    th.style.borderBottom = `3px solid ${seriesColor(k)}`;
    if (k === bestIndex) {
      th.classList.add("best");
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = t("best");
      th.append(" ", badge);
    }
    return th;
  }));
  // the user's own words about each run, where any run has them
  const own: [string, (r: ComparedRun) => string | undefined][] = [
    [t("run"), (r) => (r.name ? r.label : undefined)],
    [t("notes"), (r) => (typeof r.notes === "string" ? r.notes : undefined)],
    [t("tags"), (r) => (Array.isArray(r.tags) ? r.tags.filter((x) => typeof x === "string").join(", ") : undefined)],
  ];
  const ownRows = own.filter(([, get]) => runs.some((r) => get(r))).map(([name, get]) => {
    const tr = document.createElement("tr");
    tr.className = "own";
    tr.append(cell("th", name), ...runs.map((r) => cell("td", get(r) || "—")));
    return tr;
  });
  const rows = keys.map((key) => {
    const tr = document.createElement("tr");
    const differs = data!.differing.includes(key);
    tr.append(cell("th", t(key)), ...runs.map((r) => {
      const td = cell("td", r.hyper[key] ?? "—");
      if (differs) td.className = "differs";
      return td;
    }));
    return tr;
  });
  table.replaceChildren(head, ...ownRows, ...rows);
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
