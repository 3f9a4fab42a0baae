// Run comparison: validation and training loss of several runs overlaid against step, characters
// seen or wall time (smoothed, log scale, zoom and PNG as on the dashboard: the same chart helper),
// the best run by validation loss marked, and a table of the runs' names, notes, tags and
// hyperparameters with the values that differ highlighted. Classifiers, taggers, segmenters and
// forecasters are compared by their own validation metrics (F1 and accuracy, MAE and RMSE; the
// pick chooses which), the best run being the highest or the lowest as the metric wants.

import type { ComparedRun, RunMetric, ToWebview } from "../src/protocol/webview";
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
/** The metric drawn and the best run chosen by (its English name); "" = the first run's own first metric. */
let metricName = "";
const metricPick = dropdown("metric", t("Compare by"), [], "", (v) => { metricName = v; draw(); });
controls.append(metricPick.element, axisPick.element, smoothing.element, trainingBox);
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

/** A language model's run: validation loss alone. */
const VAL_LOSS = "validation loss";
function metricsOf(r: ComparedRun): RunMetric[] {
  return r.metrics ?? [{ name: VAL_LOSS, higherIsBetter: false, values: r.eval.valLoss }];
}
/** Whether only language models' runs are shown (then characters seen and time are axes, and loss is per character). */
const languageOnly = () => data!.runs.every((r) => !r.task || r.task === "language");

function xs(r: ComparedRun, which: "train" | "eval"): ArrayLike<number> {
  const src = which === "train" ? r : r.eval;
  const a = languageOnly() ? axis : "step"; // text tasks and forecasters record validations by step only
  return a === "step" ? src.step : a === "chars" ? src.chars : src.seconds;
}

let charts: Chart[] = [];
const axisLabel = () => (axis === "step" ? t("optimizer step") : axis === "chars" ? t("characters seen") : t("training time (s)"));

/** The name a run is shown by: the user's own name for it, else model · run id. */
const nameOf = (r: ComparedRun) => (typeof r.name === "string" && r.name ? r.name : r.label);

/** Each run's best value of the metric (NaN: none yet, or a run without it), and the index of the best of them (−1: none). */
function bestRun(runs: ComparedRun[], name: string, higher: boolean): { best: number[]; index: number } {
  const best = runs.map((r) => {
    const values = Array.from(metricsOf(r).find((m) => m.name === name)?.values ?? []).filter(Number.isFinite);
    return values.length ? (higher ? Math.max(...values) : Math.min(...values)) : NaN;
  });
  let index = -1;
  best.forEach((b, k) => { if (Number.isFinite(b) && (index < 0 || (higher ? b > best[index] : b < best[index]))) index = k; });
  return { best, index };
}

/** The metrics some shown run has, the first run's first (what its checkpoint is chosen by) first. */
function metricChoices(): RunMetric[] {
  const seen = new Map<string, RunMetric>();
  for (const r of data!.runs) for (const m of metricsOf(r)) if (!seen.has(m.name)) seen.set(m.name, m);
  return [...seen.values()];
}

function draw(): void {
  for (const c of charts) c.destroy();
  charts = [];
  if (!data) return;
  const choices = metricChoices();
  const metric = choices.find((m) => m.name === metricName) ?? choices[0];
  metricPick.setOptions(choices.map((m) => ({ value: m.name, label: t(m.name) })), metric.name);
  metricPick.element.hidden = choices.length < 2;
  const lm = languageOnly(), perChar = lm && metric.name === VAL_LOSS;
  axisPick.element.hidden = !lm;
  const { best, index } = bestRun(data.runs, metric.name, metric.higherIsBetter);
  const label = (r: ComparedRun, k: number) => (k === index ? t("{0} (best)", nameOf(r)) : nameOf(r));
  const values = (r: ComparedRun) => metricsOf(r).find((m) => m.name === metric.name)?.values ?? new Float32Array(r.eval.step.length).fill(NaN);
  const line = (c: ChartSection, which: "train" | "eval") => lineChart(c.canvas, data!.runs.map((r, k) => ({
    label: label(r, k), x: xs(r, which), y: which === "eval" ? values(r) : r.loss, color: seriesColor(k), smooth: which === "train",
  })), { xTitle: lm ? axisLabel() : t("optimizer step"), yTitle: which === "train" || perChar ? t("loss (nats/char)") : t(metric.name), log: c.log(), smoothing: smoothing.value() });
  val.section.querySelector("h2")!.textContent = perChar ? t("Validation loss (nats/char)") : t(metric.name);
  charts.push(line(val, "eval"));
  // text tasks and forecasters record no training loss per step
  const hasTraining = data.runs.some((r) => r.loss.length > 0);
  trainingBox.hidden = !hasTraining;
  train.section.hidden = !showTraining || !hasTraining;
  if (showTraining && hasTraining) charts.push(line(train, "train"));
  const shown = (v: number) => (metric.higherIsBetter ? v.toFixed(3) : v.toPrecision(4));
  bestNote.textContent = index < 0 ? t("No run has a {0} yet.", t(metric.name))
    : perChar ? t("Best by validation loss: {0}, {1} nats/char.", nameOf(data.runs[index]), best[index].toFixed(3))
    : metric.higherIsBetter ? t("Best by {0} (the highest): {1}, {2}.", t(metric.name), nameOf(data.runs[index]), shown(best[index]))
    : t("Best by {0} (the lowest): {1}, {2}.", t(metric.name), nameOf(data.runs[index]), shown(best[index]));
  drawTable(index);
  reportRendered({
    runs: data.runs.length, axis: lm ? axis : "step", metric: metric.name, metrics: choices.map((m) => m.name).join("|"), differing: data.differing.join(","), best: best.map((b) => (Number.isNaN(b) ? "n/a" : b.toFixed(3))).join(","), bestRun: index,
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
