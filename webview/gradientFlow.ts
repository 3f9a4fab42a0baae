// Gradient flow through time: ‖∂L_T/∂h_t‖ against the distance T − t on a log scale, for the active
// model and, on request, other models trained on the same text (an RNN, an LSTM and a GRU side by
// side); and what clipping by global norm does to one gradient and to the optimizer's next step, tensor by tensor.

import type { ToWebview } from "../src/protocol/webview";
import { Chart, chartBox, makeChart } from "./charts";
import { cssVar, onThemeChange, themeColors } from "./theme";
import { button, checkbox, textField } from "./toolkit";
import { onMessage, post, ready, reportRendered, showStatus } from "./vscodeBridge";
import { t } from "./l10n";

type Data = Extract<ToWebview, { type: "flow.data" }>;
let data: Data | null = null;
const compare = new Set<number>();

const app = document.getElementById("app")!;
const title = document.createElement("h1");
const explain = document.createElement("p");
explain.className = "muted";
explain.textContent = t("For windows of the text, the gradient of the last character's loss with respect to each earlier hidden state, averaged geometrically over windows. A line that falls fast is a vanishing gradient: the loss cannot reach that far back.");
const controls = document.createElement("div");
controls.className = "controls";
const windowField = textField("window", t("Window (characters)"), "100", { type: "number", size: 6 });
const compute = button(t("Compute"), () => request());
controls.append(windowField.element, compute);
const compareBox = document.createElement("div");
compareBox.className = "checks";
compareBox.setAttribute("role", "group");
compareBox.setAttribute("aria-label", t("Models to compare"));
const flow = chartBox("flow-chart", t("Gradient norm against distance, log scale"), 340);
// the vertical axis title in HTML, for real subscripts (a canvas title cannot set them)
const flowFrame = document.createElement("div");
flowFrame.className = "chart-frame";
const flowAxis = document.createElement("div");
flowAxis.className = "axis-y";
flowAxis.id = "flow-axis";
const norm = (sub: string, text: string) => { const b = document.createElement("sub"); b.textContent = sub; return [text, b] as const; };
flowAxis.append("‖∂", ...norm("T", "L"), "/∂", ...norm("t", "h"), "‖ ", t("(log scale)"));
flowFrame.append(flowAxis, flow.box);
const flowKey = document.createElement("ul");
flowKey.id = "flow-key";
flowKey.className = "key";
const clipHeading = document.createElement("h2");
clipHeading.textContent = t("Clipping by global norm");
const clipText = document.createElement("p");
clipText.id = "clip-text";
const clip = chartBox("clip-chart", t("Per-tensor gradient norm before and after clipping"), 260);
const updateHeading = document.createElement("h2");
updateHeading.textContent = t("What clipping does to the update");
const updateText = document.createElement("p");
updateText.id = "update-text";
const update = chartBox("update-chart", t("Per-tensor size of the optimizer's next step without and with clipping"), 260);
app.append(title, explain, controls, compareBox, flowFrame, flowKey, clipHeading, clipText, clip.box, updateHeading, updateText, update.box);

function request(): void {
  const w = Math.round(Number(windowField.control.value));
  if (!(w >= 2 && w <= 1000)) return showStatus(t("The window is 2 to 1,000 characters."));
  showStatus(t("Computing…"));
  post({ type: "flow.request", window: w, compare: [...compare] });
}

let charts: Chart[] = [];
const OPTIMIZER_NAMES: Record<string, string> = { sgd: "SGD", rmsprop: "RMSprop", adam: "Adam", adamw: "AdamW" };

/** The lines' colours: the theme's chart colours without green, which means "with clipping" in the bar charts below. */
function lineColors(): string[] {
  const green = cssVar("--vscode-charts-green", "#388a34");
  return themeColors().series.filter((c) => c !== green);
}

/** One pair of bars per tensor (name, value without, value with clipping), log scale: without in the muted grey, with in green. */
function beforeAfterBars(canvas: HTMLCanvasElement, rows: [string, number, number][], without: string, withClipping: string, yTitle: string): Chart {
  return makeChart(canvas, {
    type: "bar",
    data: {
      labels: rows.map((r) => r[0]),
      datasets: [
        { label: without, data: rows.map((r) => r[1]), backgroundColor: themeColors().muted },
        { label: withClipping, data: rows.map((r) => r[2]), backgroundColor: cssVar("--vscode-charts-green", "#388a34") },
      ],
    },
    options: {
      scales: { x: { title: { display: true, text: t("parameter tensor") } }, y: { type: "logarithmic", title: { display: true, text: yTitle } } },
      plugins: { legend: { position: "bottom" } },
    },
  });
}

/** A short legend name per model: its cell ("LSTM"), numbered where two share one; the full description goes in the key below. */
function shortNames(series: Data["series"]): string[] {
  const cells = series.map((s) => s.cell.toUpperCase());
  return cells.map((c, k) => (cells.filter((x) => x === c).length > 1 ? `${c} ${cells.slice(0, k + 1).filter((x) => x === c).length}` : c));
}

function draw(): void {
  for (const c of charts) c.destroy();
  charts = [];
  if (!data) return;
  const colors = lineColors(), names = shortNames(data.series);
  let line = 0;
  // one colour per (model, layer) line, all solid; past the palette's end lines repeat a colour dashed
  const datasets = data.series.flatMap((s, k) => s.norms.map((norms, l) => {
    const i = line++;
    return {
      label: s.norms.length > 1 ? t("{0} · layer {1}", names[k], l + 1) : names[k],
      data: Array.from(norms, (y, d) => ({ x: d, y })).filter((p) => p.y > 0 && Number.isFinite(p.y)),
      borderColor: colors[i % colors.length], backgroundColor: colors[i % colors.length], borderWidth: 2,
      borderDash: i < colors.length ? [] : [5, 4], pointRadius: 0, parsing: false as const,
    };
  }));
  flowKey.replaceChildren(...data.series.map((s, k) => { const li = document.createElement("li"); li.textContent = `${names[k]}: ${s.label}`; return li; }));
  charts.push(makeChart(flow.canvas, {
    type: "line",
    data: { datasets },
    options: {
      scales: { x: { type: "linear", title: { display: true, text: t("distance back from the predicted character (T − t)") } }, y: { type: "logarithmic", ticks: { callback: (v) => Number(v).toExponential(0) } } },
      plugins: { legend: { position: "bottom", labels: { boxWidth: 24 } } }, interaction: { mode: "nearest", intersect: false },
    },
  }));
  const c = data.clipping;
  if (c) {
    clipText.textContent = c.threshold > 0
      ? `${t("Global norm {0}; threshold {1}.", c.globalNorm.toPrecision(4), c.threshold)} ${c.scale < 1 ? t("Clipping multiplies every gradient by {0}: the direction of the update stays, its length shrinks to the threshold.", c.scale.toPrecision(3)) : t("Below the threshold: clipping leaves this gradient unchanged.")}`
      : t("Global norm {0}; this model trains without clipping.", c.globalNorm.toPrecision(4));
    charts.push(beforeAfterBars(clip.canvas, c.tensors.map((x) => [x.name, x.before, x.after]), t("before clipping"), t("after clipping"), t("gradient norm ‖g‖₂ of the tensor")));
  }
  const u = c?.update ?? null;
  updateHeading.hidden = updateText.hidden = !c;
  update.box.hidden = !u;
  if (c && !u) updateText.textContent = t("This checkpoint holds weights only (no optimizer state), so its next step cannot be computed.");
  if (c && u) {
    const ratio = u.unclipped > 0 ? u.clipped / u.unclipped : 1;
    updateText.textContent = `${t("{0} step {1} at learning rate {2}: ‖Δθ‖ = {3} without clipping, {4} with it (×{5}; the gradient was multiplied by {6}).", OPTIMIZER_NAMES[u.optimizer] ?? u.optimizer, u.step, u.lr.toPrecision(3), u.unclipped.toPrecision(4), u.clipped.toPrecision(4), ratio.toPrecision(3), c.scale.toPrecision(3))} ${u.optimizer === "sgd"
      ? t("SGD's step is the learning rate times the gradient (with momentum, plus the remembered part), so it shrinks with the gradient.")
      : t("Adam and RMSprop divide by a running root-mean-square of past gradients, so their step does not shrink in proportion to the gradient.")}`;
    charts.push(beforeAfterBars(update.canvas, u.tensors.map((x) => [x.name, x.unclipped, x.clipped]), t("without clipping"), t("with clipping"), t("size of the step ‖Δθ‖₂ of the tensor")));
  }
  // how many steps back until the norm has fallen 100-fold from its value at the predicted character
  const reach = data.series.map((s) => {
    const top = s.norms[s.norms.length - 1];
    const d = top.findIndex((v) => v < top[0] / 100);
    return d < 0 ? top.length : d;
  });
  const barTitles = charts.slice(1).map((ch) => String((ch.options.scales?.y as { title?: { text?: string } })?.title?.text ?? "")).join("|");
  reportRendered({ barTitles, series: data.series.length, lines: datasets.length, colors: new Set(datasets.map((d) => d.borderColor)).size, legend: datasets.map((d) => d.label).join("|"), window: data.window, windows: data.windows, reach100: reach.join(","), clipScale: c?.scale ?? 1,
    updateRatio: u && u.unclipped > 0 ? +(u.clipped / u.unclipped).toPrecision(3) : "none" });
}

onMessage((m) => {
  if (m.type === "flow.data") {
    data = m;
    title.textContent = t("Gradient flow through time: {0}", m.model);
    windowField.control.value = String(m.window);
    compare.clear();
    for (const i of m.selected) compare.add(i);
    compareBox.replaceChildren(...m.candidates.map((c, i) => checkbox(`compare-${i}`, t("compare with {0}", c.label), compare.has(i), (on) => {
      if (on) compare.add(i); else compare.delete(i);
    })));
    showStatus("");
    draw();
  } else if (m.type === "failed" || m.type === "busy") {
    showStatus(m.message);
  }
});
onThemeChange(draw);
ready();
