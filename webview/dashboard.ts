// Training dashboard (one run): loss against step or characters, learning rate, gradient norm before
// and after clipping with the threshold, per-tensor gradient norms, samples, and Pause/Resume/Stop.

import type { EvalColumns, RunSummary, StepColumns, ToWebview } from "../src/protocol/webview";
import { clock } from "../src/protocol/clock";
import { Chart, Point, chartBox, makeChart, seriesColor } from "./charts";
import { onThemeChange } from "./theme";
import { button, checkbox, dropdown } from "./toolkit";
import { onMessage, post, ready, reportRendered, saveViewSetting, showStatus, viewSetting } from "./vscodeBridge";
import { t } from "./l10n";

interface History { steps: StepColumns[]; evals: EvalColumns; samples: { step: number; text: string }[] }

let run: RunSummary | null = null;
let history: History = { steps: [], evals: emptyEvals(), samples: [] };
let xAxis = viewSetting<"step" | "chars">("xAxis", "step");
const shownTensors = new Set<number>(viewSetting<number[]>("tensors", []));
let status: Extract<ToWebview, { type: "dashboard.status" }> | null = null;

function emptyEvals(): EvalColumns { return { step: new Float64Array(0), valLoss: new Float32Array(0), chars: new Float64Array(0), seconds: new Float32Array(0) }; }

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
const axis = dropdown("x-axis", t("Horizontal axis"), [{ value: "step", label: t("Step") }, { value: "chars", label: t("Characters seen") }], xAxis, (v) => {
  xAxis = v as typeof xAxis;
  saveViewSetting("xAxis", xAxis);
  draw();
});
controls.append(pause, resume, stop, axis.element);
header.append(title, facts, controls);

const loss = chartBox("loss-chart", t("Training and validation loss"));
const grad = chartBox("grad-chart", t("Gradient norm before and after clipping"));
const lr = chartBox("lr-chart", t("Learning rate"), 140);
const speed = chartBox("speed-chart", t("Training throughput in characters per second"), 140);
const tensorBox = document.createElement("div");
tensorBox.className = "checks";
tensorBox.setAttribute("role", "group");
tensorBox.setAttribute("aria-label", t("Per-tensor gradient norms"));
const tensors = chartBox("tensor-chart", t("Per-tensor gradient norms before clipping"));
const samples = document.createElement("section");
samples.className = "samples";
samples.setAttribute("aria-label", t("Generated samples"));
app.append(header, section(t("Loss (nats/char)"), loss.box), section(t("Gradient norm"), grad.box), section(t("Learning rate"), lr.box), section(t("Throughput (chars/s)"), speed.box),
  section(t("Per-tensor gradient norm"), tensorBox, tensors.box), section(t("Samples"), samples));

function section(name: string, ...content: HTMLElement[]): HTMLElement {
  const s = document.createElement("section");
  const h = document.createElement("h2");
  h.textContent = name;
  s.append(h, ...content);
  return s;
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

function points(x: ArrayLike<number>, y: ArrayLike<number>, f: (v: number, i: number) => number = (v) => v): Point[] {
  const out: Point[] = [];
  for (let i = 0; i < x.length; i++) {
    const v = f(y[i], i);
    if (Number.isFinite(v)) out.push({ x: x[i], y: v });
  }
  return out;
}

/** `fromZero`: for rates, whose changes read as fractions of the whole (a flat line stays flat, not noise blown up). */
function lineChart(canvas: HTMLCanvasElement, datasets: { label: string; data: Point[]; dashed?: boolean; color?: string }[], yType: "linear" | "logarithmic", xLabel: string, fromZero = false) {
  return makeChart(canvas, {
    type: "line",
    data: {
      datasets: datasets.map((d, k) => ({
        label: d.label, data: d.data, borderColor: d.color ?? seriesColor(k), backgroundColor: d.color ?? seriesColor(k),
        borderWidth: 1.5, pointRadius: d.data.length < 40 ? 2 : 0, borderDash: d.dashed ? [6, 4] : [], parsing: false, normalized: true,
      })),
    },
    options: {
      scales: { x: { type: "linear", title: { display: true, text: xLabel } }, y: { type: yType, beginAtZero: fromZero } },
      plugins: { decimation: { enabled: true, algorithm: "lttb", samples: 1000 }, legend: { position: "bottom" } },
      interaction: { mode: "nearest", intersect: false },
    },
  });
}

function draw(): void {
  for (const c of charts) c.destroy();
  charts = [];
  const s = concatColumns(history.steps);
  const e = history.evals;
  const x = xAxis === "step" ? s.step : s.chars, ex = xAxis === "step" ? e.step : e.chars;
  const xLabel = xAxis === "step" ? t("step") : t("characters seen");
  charts.push(lineChart(loss.canvas, [
    { label: t("training loss"), data: points(x, s.loss) },
    { label: t("validation loss"), data: points(ex, e.valLoss), color: seriesColor(1) },
  ], "linear", xLabel));
  const clip = run?.clip ?? 0;
  const gradSets = [
    { label: t("before clipping"), data: points(x, s.gradNorm) },
    { label: t("after clipping"), data: points(x, s.gradNorm, (v) => (clip > 0 ? Math.min(v, clip) : v)), color: seriesColor(2) },
  ];
  if (clip > 0 && x.length) gradSets.push({ label: t("clip threshold {0}", clip), data: [{ x: x[0], y: clip }, { x: x[x.length - 1], y: clip }], dashed: true, color: seriesColor(3) } as never);
  charts.push(lineChart(grad.canvas, gradSets, "logarithmic", xLabel));
  charts.push(lineChart(lr.canvas, [{ label: t("learning rate"), data: points(x, s.lr) }], "linear", xLabel, true));
  const speedPoints = points(x, throughput(s));
  charts.push(lineChart(speed.canvas, [{ label: t("characters per second"), data: speedPoints }], "linear", xLabel, true));
  const names = run?.tensorNames ?? [];
  const k = s.tensorCount;
  charts.push(lineChart(tensors.canvas, [...shownTensors].filter((j) => j < k).map((j) => ({
    label: names[j] ?? t("tensor {0}", j), data: points(x, Float32Array.from(x, (_, i) => s.tensorNorms[i * k + j])),
    color: seriesColor(j),
  })), "logarithmic", xLabel));
  drawFacts(s);
  reportRendered({
    steps: s.step.length, evals: e.step.length, samples: history.samples.length, tensorsShown: [...shownTensors].filter((j) => j < k).length,
    lossPoints: charts[0].data.datasets[0].data.length, gradPoints: charts[1].data.datasets[0].data.length, speedPoints: speedPoints.length,
    speedFirst: Math.round(speedPoints[0]?.y ?? 0), speedLast: Math.round(speedPoints.at(-1)?.y ?? 0), clippedSteps: s.clipped.reduce((a, b) => a + b, 0),
    state: run?.state ?? "unknown", xAxis,
  });
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

function drawFacts(s: StepColumns): void {
  const n = s.step.length;
  const parts: string[] = [];
  if (run) parts.push(run.model, run.state, run.budget);
  if (n) parts.push(t("step {0}", s.step[n - 1].toLocaleString()), t("loss {0}", s.loss[n - 1].toFixed(3)));
  const ev = history.evals;
  if (ev.step.length) parts.push(t("validation {0}", ev.valLoss[ev.step.length - 1].toFixed(3)));
  if (status?.charsPerSecond) parts.push(t("{0} chars/s", Math.round(status.charsPerSecond).toLocaleString()));
  else if (n > 1 && s.seconds[n - 1] > 0) parts.push(t("{0} chars/s", Math.round(s.chars[n - 1] / s.seconds[n - 1]).toLocaleString()));
  if (status?.etaSeconds != null) parts.push(t("ETA {0}", clock(status.etaSeconds)));
  facts.textContent = parts.join(" · ");
  const live = run?.live ?? false, state = status?.state ?? run?.state;
  pause.disabled = !live || state !== "training";
  resume.disabled = !live || state !== "paused";
  stop.disabled = !live || (state !== "training" && state !== "paused");
}

function tensorChecks(): void {
  tensorBox.replaceChildren(...(run?.tensorNames ?? []).map((name, j) => checkbox(`tensor-${j}`, name, shownTensors.has(j), (on) => {
    if (on) shownTensors.add(j); else shownTensors.delete(j);
    saveViewSetting("tensors", [...shownTensors]);
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
    case "dashboard.run":
      run = m.run;
      title.textContent = m.run.label;
      document.title = m.run.label;
      // by default the recurrent weights of the first layer: where vanishing and exploding gradients show
      if (!shownTensors.size && m.run.tensorNames.length) shownTensors.add(Math.max(0, m.run.tensorNames.indexOf("rnn.weight_hh_l0")));
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
    case "failed":
      showStatus(m.message);
      break;
  }
});
onThemeChange(draw);
ready();
