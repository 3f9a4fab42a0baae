// Training dashboard (one run): loss against step, characters seen or epoch, learning rate, gradient
// norm before and after clipping with the threshold, throughput, per-tensor gradient norms, weight /
// gradient / activation histograms from the run's checkpoints, samples, and Pause/Resume/Stop. Every
// line chart is smoothed as TensorBoard smooths (the raw line faint behind), zooms along x, can switch
// to a log scale and be saved as PNG; the metrics can be saved as CSV.
// A forecaster's run (dashboard.forecast) shows instead its validation MAE and RMSE at every evaluation
// with the best baseline's validation MAE as a dashed horizontal line, and Stop / Resume.

import type { EvalColumns, RunState, RunSummary, StepColumns, ToWebview } from "../src/protocol/webview";
import type { ForecastTrainingData } from "../src/protocol/webview";
import { clock } from "../src/protocol/clock";
import { Chart, Series, lineChart, seriesColor } from "./charts";
import { ChartSection, chartSection, smoothingSlider } from "./chartControls";
import { HistogramView } from "./histogramView";
import { onThemeChange } from "./theme";
import { button, checkbox, dropdown } from "./toolkit";
import { onMessage, post, ready, reportRendered, saveViewSetting, showStatus, viewSetting } from "./vscodeBridge";
import { t } from "./l10n";

interface History { steps: StepColumns[]; evals: EvalColumns; samples: { step: number; text: string }[] }
type XAxis = "step" | "chars" | "epoch";

let run: RunSummary | null = null;
let history: History = { steps: [], evals: emptyEvals(), samples: [] };
let xAxis = viewSetting<XAxis>("xAxis", "step");
/** Tensors shown in the per-tensor chart; null until the user picks: then every tensor. */
let shownTensors: Set<number> | null = (() => { const v = viewSetting<number[] | null>("tensorsPicked", null); return v ? new Set(v) : null; })();
let status: Extract<ToWebview, { type: "dashboard.status" }> | null = null;

function emptyEvals(): EvalColumns { return { step: new Float64Array(0), valLoss: new Float32Array(0), chars: new Float64Array(0), seconds: new Float32Array(0) }; }

/** The run states in the user's language. */
const STATE_NAMES: Record<RunState, string> = {
  queued: t("queued"), training: t("training"), paused: t("paused"), done: t("finished"), stopped: t("stopped"), failed: t("failed"), interrupted: t("interrupted"),
};

const app = document.getElementById("app")!;
const header = document.createElement("header");
const title = document.createElement("h1");
const facts = document.createElement("div");
facts.className = "facts";
facts.setAttribute("aria-live", "polite");
const controls = document.createElement("div");
controls.className = "controls";
const pause = button(t("Pause"), () => post({ type: "dashboard.control", action: "pause" }), { title: t("Pause training (writes a checkpoint)") });
const resume = button(t("Resume"), () => post({ type: "dashboard.control", action: "resume" }));
const stop = button(t("Stop"), () => post({ type: "dashboard.control", action: "stop" }), { secondary: true, title: t("Stop training (writes a checkpoint)") });
const axisOptions = () => [{ value: "step", label: t("Step") }, { value: "chars", label: t("Characters seen") }, ...(run?.charsPerEpoch ? [{ value: "epoch", label: t("Epoch") }] : [])];
const axis = dropdown("x-axis", t("Horizontal axis"), axisOptions(), xAxis, (v) => {
  xAxis = v as XAxis;
  saveViewSetting("xAxis", xAxis);
  draw();
});
const smoothing = smoothingSlider(() => drawSoon());
const csv = button(t("Save Metrics as CSV"), () => post({ type: "dashboard.exportCsv" }), { secondary: true });
controls.append(pause, resume, stop, axis.element, smoothing.element, csv);
// The host's overfitting warning (validation loss not improving for several evaluations; already in
// the user's language): shown under the header until the run improves again.
const warning = document.createElement("p");
warning.id = "warning";
warning.className = "warning";
warning.setAttribute("role", "status");
warning.hidden = true;
header.append(title, facts, controls, warning);

const loss = chartSection("loss-chart", t("Loss (nats/char)"), t("Training and validation loss"), { redraw: () => draw() });
const grad = chartSection("grad-chart", t("Gradient norm"), t("Gradient norm before and after clipping"), { log: true, redraw: () => draw() });
const lr = chartSection("lr-chart", t("Learning rate"), t("Learning rate"), { height: 160, redraw: () => draw() });
const speed = chartSection("speed-chart", t("Throughput (characters/s)"), t("Training throughput in characters per second"), { height: 160, redraw: () => draw() });
const tensors = chartSection("tensor-chart", t("Per-tensor gradient norm"), t("Per-tensor gradient norms before clipping"), { log: true, redraw: () => draw() });
const tensorBox = document.createElement("div");
tensorBox.className = "checks";
tensorBox.setAttribute("role", "group");
tensorBox.setAttribute("aria-label", t("Per-tensor gradient norms"));
tensors.section.insertBefore(tensorBox, tensors.box);
const histograms = new HistogramView(() => post({ type: "histograms.request" }));
const samples = document.createElement("section");
samples.className = "samples";
samples.setAttribute("aria-label", t("Generated samples"));
const samplesHeading = document.createElement("h2");
samplesHeading.textContent = t("Samples");
const samplesNote = document.createElement("p");
samplesNote.id = "samples-note";
samplesNote.className = "muted";
const forecastChart = chartSection("forecast-chart", t("Validation error (data units)"), t("Validation MAE and RMSE of the forecaster at each evaluation, with the best baseline's validation MAE"), { redraw: () => draw() });
forecastChart.section.hidden = true;
const textSections = [loss.section, grad.section, lr.section, speed.section, tensors.section, histograms.section, samplesHeading, samplesNote, samples, axis.element, smoothing.element, csv, pause];
app.append(header, forecastChart.section, loss.section, grad.section, lr.section, speed.section, tensors.section, histograms.section, samplesHeading, samplesNote, samples);

/** A forecaster's run, when the dashboard shows one (null: a text run). */
let forecast: Extract<ToWebview, { type: "dashboard.forecast" }> | null = null;

function drawForecast(f: NonNullable<typeof forecast>): void {
  const tr: ForecastTrainingData = f.training;
  const steps = tr.validations.map((v) => v.step);
  const series: Series[] = [
    { label: t("validation MAE"), x: steps, y: tr.validations.map((v) => v.valMae), smooth: false },
    { label: t("validation RMSE"), x: steps, y: tr.validations.map((v) => v.valRmse), color: seriesColor(4), smooth: false },
  ];
  const base = tr.baselineValMae;
  if (Number.isFinite(base) && steps.length) {
    series.push({ label: t("best baseline's validation MAE {0}", base.toPrecision(4)), x: [Math.min(0, steps[0]), Math.max(tr.steps, steps[steps.length - 1])], y: [base, base], dashed: true, color: seriesColor(1), smooth: false });
  }
  charts.push(lineChart(forecastChart.canvas, series, { xTitle: t("optimizer step"), yTitle: t("error ({0})", f.column), log: forecastChart.log(), smoothing: 0, fromZero: !forecastChart.log() }));
  const last = tr.validations.at(-1);
  const best = tr.validations.reduce((a, v) => (Number.isFinite(v.valMae) && v.valMae < a ? v.valMae : a), Infinity);
  const beaten = Number.isFinite(best) && Number.isFinite(base) ? best < base : null;
  const state = { training: t("training"), done: t("finished"), failed: t("failed"), stopped: t("stopped") }[tr.state];
  facts.textContent = [state, last ? t("step {0}", last.step.toLocaleString()) : "", last ? t("validation MAE {0} (best {1})", last.valMae.toPrecision(4), best.toPrecision(4)) : t("no validation yet"),
    Number.isFinite(base) ? t("best baseline {0}: {1}", base.toPrecision(4), beaten ? t("the network has beaten it") : t("not beaten yet")) : ""].filter(Boolean).join(" · ");
  pause.disabled = true;
  stop.disabled = !f.live || tr.state !== "training";
  resume.disabled = !f.resumable;
  reportRendered({
    forecast: true, state: tr.state, validations: tr.validations.length, datasets: charts[0].data.datasets.length, baseline: Number.isFinite(base) ? base : "none",
    baselineLine: Number.isFinite(base) && steps.length > 0, beaten: beaten ?? "n/a", live: f.live, resumable: f.resumable, facts: facts.textContent,
    maeLast: last?.valMae ?? NaN, rmseLast: last?.valRmse ?? NaN, yTitle: titleOf(charts[0], "y"),
  });
}

let charts: Chart[] = [];

function concatColumns(parts: StepColumns[]): StepColumns {
  const n = parts.reduce((a, p) => a + p.step.length, 0);
  const k = parts.find((p) => p.tensorCount > 0)?.tensorCount ?? 0;
  const out: StepColumns = {
    step: new Float64Array(n), loss: new Float32Array(n), gradNorm: new Float32Array(n), clipped: new Uint8Array(n), lr: new Float32Array(n),
    chars: new Float64Array(n), seconds: new Float32Array(n), tensorNorms: new Float32Array(n * k).fill(NaN), tensorCount: k,
  };
  let at = 0;
  for (const p of parts) {
    out.step.set(p.step, at); out.loss.set(p.loss, at); out.gradNorm.set(p.gradNorm, at); out.clipped.set(p.clipped, at);
    out.lr.set(p.lr, at); out.chars.set(p.chars, at); out.seconds.set(p.seconds, at);
    if (p.tensorCount === k && k > 0) out.tensorNorms.set(p.tensorNorms, at * k);
    at += p.step.length;
  }
  return out;
}

function chart(c: ChartSection, series: Series[], yTitle: string, xTitle: string, fromZero = false): Chart {
  return lineChart(c.canvas, series, { xTitle, yTitle, log: c.log(), smoothing: smoothing.value(), fromZero: fromZero && !c.log() });
}

function draw(): void {
  for (const c of charts) c.destroy();
  charts = [];
  if (forecast) return drawForecast(forecast);
  const s = concatColumns(history.steps);
  const e = history.evals;
  const perEpoch = run?.charsPerEpoch || 0;
  const axisNow: XAxis = xAxis === "epoch" && !perEpoch ? "step" : xAxis;
  const x = axisNow === "step" ? s.step : axisNow === "chars" ? s.chars : s.chars.map((c) => c / perEpoch);
  const ex = axisNow === "step" ? e.step : axisNow === "chars" ? e.chars : e.chars.map((c) => c / perEpoch);
  const xTitle = axisNow === "step" ? t("optimizer step") : axisNow === "chars" ? t("characters seen") : t("epoch (passes over the training text)");
  charts.push(chart(loss, [
    { label: t("training loss"), x, y: s.loss },
    { label: t("validation loss"), x: ex, y: e.valLoss, color: seriesColor(1), smooth: false },
  ], t("loss (nats/char)"), xTitle));
  const clip = run?.clip ?? 0;
  const gradSets: Series[] = [
    { label: t("before clipping"), x, y: s.gradNorm },
    { label: t("after clipping"), x, y: s.gradNorm.map((v) => (clip > 0 ? Math.min(v, clip) : v)), color: seriesColor(2) },
  ];
  if (clip > 0 && x.length) gradSets.push({ label: t("clip threshold {0}", clip), x: [x[0], x[x.length - 1]], y: [clip, clip], dashed: true, color: seriesColor(3), smooth: false });
  charts.push(chart(grad, gradSets, t("global gradient norm ‖g‖₂"), xTitle));
  charts.push(chart(lr, [{ label: t("learning rate"), x, y: s.lr, smooth: false }], t("learning rate"), xTitle, true));
  const rate = throughput(s);
  charts.push(chart(speed, [{ label: t("characters per second"), x, y: rate }], t("characters/s"), xTitle, true));
  const names = run?.tensorNames ?? [];
  const k = s.tensorCount;
  const shown = Array.from({ length: k }, (_, j) => j).filter((j) => !shownTensors || shownTensors.has(j));
  charts.push(chart(tensors, shown.map((j) => ({
    label: names[j] ?? t("tensor {0}", j), x, y: Float32Array.from(x, (_, i) => s.tensorNorms[i * k + j]), color: seriesColor(j),
  })), t("gradient norm ‖g‖₂ of the tensor"), xTitle));
  drawFacts(s);
  const speedPoints = Array.from(rate).filter(Number.isFinite);
  const first = Array.from(rate).findIndex(Number.isFinite);
  reportRendered({
    steps: s.step.length, evals: e.step.length, samples: history.samples.length, tensorsShown: shown.length,
    lossPoints: charts[0].data.datasets[0].data.length, gradPoints: charts[1].data.datasets[0].data.length, speedPoints: speedPoints.length,
    speedFirst: Math.round(first < 0 ? 0 : rate[first]), speedLast: Math.round(speedPoints.at(-1) ?? 0), clippedSteps: s.clipped.reduce((a, b) => a + b, 0),
    state: run?.state ?? "unknown", xAxis: axisNow, smoothing: smoothing.value(), lossLog: loss.log(), datasets: charts.reduce((a, c) => a + c.data.datasets.length, 0),
    facts: facts.textContent ?? "", xTitle, yTitles: charts.map((c) => titleOf(c, "y")).join("|"), lossScale: String(charts[0].options.scales?.y?.type),
    lossSmoothedLast: (charts[0].data.datasets[0].data.at(-1) as { y: number } | undefined)?.y ?? NaN, xLast: x.length ? x[x.length - 1] : NaN,
  });
}

function titleOf(c: Chart, axis: "x" | "y"): string {
  return String((c.options.scales?.[axis] as { title?: { text?: string } } | undefined)?.title?.text ?? "");
}

/** Characters per training second over the last THROUGHPUT_WINDOW steps (one step's time is too noisy to read);
 *  NaN where the clock did not move forward, as across a resume that restarted it. */
const THROUGHPUT_WINDOW = 10;
function throughput(s: StepColumns): Float32Array {
  const out = new Float32Array(s.step.length).fill(NaN);
  for (let i = 1; i < out.length; i++) {
    const j = Math.max(0, i - THROUGHPUT_WINDOW);
    const dt = s.seconds[i] - s.seconds[j], dc = s.chars[i] - s.chars[j];
    if (dt > 0 && dc > 0) out[i] = dc / dt;
  }
  return out;
}

const FINISHED: RunState[] = ["done", "stopped", "failed", "interrupted"];

function drawFacts(s: StepColumns): void {
  const n = s.step.length;
  const parts: string[] = [];
  const state = status?.state ?? run?.state;
  if (run) parts.push(run.model, state ? STATE_NAMES[state] : "", run.budget);
  if (n) parts.push(t("step {0}", s.step[n - 1].toLocaleString()), t("loss {0} nats/char", s.loss[n - 1].toFixed(3)));
  const ev = history.evals;
  if (ev.step.length) parts.push(t("validation {0} nats/char", ev.valLoss[ev.step.length - 1].toFixed(3)));
  const finished = state !== undefined && FINISHED.includes(state);
  if (status?.charsPerSecond && !finished) parts.push(t("{0} characters/s", Math.round(status.charsPerSecond).toLocaleString()));
  else if (n > 1 && s.seconds[n - 1] > 0) parts.push(t("{0} characters/s", Math.round(s.chars[n - 1] / s.seconds[n - 1]).toLocaleString()));
  // a finished run has no time left to estimate: say how long it trained instead
  if (finished) { if (n) parts.push(t("trained for {0}", clock(s.seconds[n - 1]))); }
  else if (status?.etaSeconds != null) parts.push(t("ETA {0}", clock(status.etaSeconds)));
  facts.textContent = parts.filter(Boolean).join(" · ");
  const live = run?.live ?? false;
  pause.disabled = !live || state !== "training";
  resume.disabled = !live || state !== "paused";
  stop.disabled = !live || (state !== "training" && state !== "paused");
  samplesNote.textContent = history.samples.length ? "" : finished ? t("This run wrote no samples.") : t("Samples appear here as the run writes them.");
}

function tensorChecks(): void {
  const names = run?.tensorNames ?? [];
  tensorBox.replaceChildren(...names.map((name, j) => checkbox(`tensor-${j}`, name, !shownTensors || shownTensors.has(j), (on) => {
    shownTensors ??= new Set(names.map((_, i) => i));
    if (on) shownTensors.add(j); else shownTensors.delete(j);
    saveViewSetting("tensorsPicked", [...shownTensors]);
    draw();
  })));
}

function addSample(step: number, text: string): void {
  const fig = document.createElement("figure");
  const cap = document.createElement("figcaption");
  cap.textContent = t("step {0}", step);
  const pre = document.createElement("pre");
  pre.textContent = text;
  fig.append(cap, pre);
  samples.prepend(fig);
}

let redraw = 0;
/** Live points arrive a few times a second: draw at most once per animation frame. */
function drawSoon(): void {
  if (!redraw) redraw = requestAnimationFrame(() => { redraw = 0; draw(); });
}

onMessage((m) => {
  switch (m.type) {
    case "dashboard.forecast":
      forecast = m;
      title.textContent = m.label;
      document.title = m.label;
      forecastChart.section.hidden = false;
      // display, not hidden: the toolkit's controls set their own display, which the attribute does not override
      for (const e of textSections) e.style.display = "none";
      showStatus("");
      drawSoon();
      break;
    case "dashboard.run":
      run = m.run;
      title.textContent = m.run.label;
      document.title = m.run.label;
      axis.setOptions(axisOptions(), xAxis === "epoch" && !m.run.charsPerEpoch ? "step" : xAxis);
      tensorChecks();
      showStatus("");
      drawSoon();
      break;
    case "dashboard.history":
      history = { steps: [m.steps], evals: m.evals, samples: m.samples };
      samples.replaceChildren();
      for (const s of m.samples) addSample(s.step, s.text);
      draw();
      break;
    case "dashboard.append":
      history.steps.push(m.steps);
      drawSoon();
      break;
    case "dashboard.eval": {
      const e = history.evals, n = e.step.length;
      const grow = <T extends Float64Array | Float32Array>(a: T, v: number): T => { const b = new (a.constructor as new (n: number) => T)(n + 1); b.set(a); b[n] = v; return b; };
      history.evals = { step: grow(e.step, m.step), valLoss: grow(e.valLoss, m.valLoss), chars: grow(e.chars, m.chars), seconds: grow(e.seconds, m.seconds) };
      warning.textContent = m.warning ?? "";
      warning.hidden = !m.warning;
      drawSoon();
      break;
    }
    case "dashboard.sample":
      history.samples.push({ step: m.step, text: m.text });
      addSample(m.step, m.text);
      drawSoon();
      break;
    case "dashboard.status":
      status = m;
      if (run) run = { ...run, state: m.state };
      drawSoon();
      break;
    case "histograms.data":
      showStatus("");
      histograms.show(m);
      break;
    case "busy":
      showStatus(m.message);
      break;
    case "failed":
      histograms.failed();
      showStatus(m.message);
      break;
  }
});
onThemeChange(() => { draw(); histograms.draw(); });
ready();
