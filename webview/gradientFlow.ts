// Gradient flow through time: ‖∂L_T/∂h_t‖ against the distance T − t on a log scale, for the active
// model and, on request, other models trained on the same text (an RNN, an LSTM and a GRU side by
// side); and what clipping by global norm does to one gradient and to the optimizer's next step, tensor by tensor.

import type { ToWebview } from "../src/protocol/webview";
import { Chart, chartBox, makeChart, seriesColor } from "./charts";
import { onThemeChange } from "./theme";
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
app.append(title, explain, controls, compareBox, flow.box, clipHeading, clipText, clip.box, updateHeading, updateText, update.box);

function request(): void {
  const w = Math.round(Number(windowField.control.value));
  if (!(w >= 2 && w <= 1000)) return showStatus(t("The window is 2 to 1,000 characters."));
  showStatus(t("Computing…"));
  post({ type: "flow.request", window: w, compare: [...compare] });
}

let charts: Chart[] = [];
const OPTIMIZER_NAMES: Record<string, string> = { sgd: "SGD", rmsprop: "RMSprop", adam: "Adam", adamw: "AdamW" };

/** One pair of bars per tensor (name, value without, value with clipping), log scale. */
function beforeAfterBars(canvas: HTMLCanvasElement, rows: [string, number, number][], without: string, withClipping: string): Chart {
  return makeChart(canvas, {
    type: "bar",
    data: {
      labels: rows.map((r) => r[0]),
      datasets: [
        { label: without, data: rows.map((r) => r[1]), backgroundColor: seriesColor(0) },
        { label: withClipping, data: rows.map((r) => r[2]), backgroundColor: seriesColor(2) },
      ],
    },
    options: { scales: { y: { type: "logarithmic" } }, plugins: { legend: { position: "bottom" } } },
  });
}

function draw(): void {
  for (const c of charts) c.destroy();
  charts = [];
  if (!data) return;
  const datasets = data.series.flatMap((s, k) => s.norms.map((norms, l) => ({
    label: s.norms.length > 1 ? t("{0} · layer {1}", s.label, l + 1) : s.label,
    data: Array.from(norms, (y, d) => ({ x: d, y })).filter((p) => p.y > 0 && Number.isFinite(p.y)),
    borderColor: seriesColor(k), backgroundColor: seriesColor(k), borderWidth: l === s.norms.length - 1 ? 2 : 1.2,
    borderDash: l === s.norms.length - 1 ? [] : [5, 4], pointRadius: 0, parsing: false as const,
  })));
  charts.push(makeChart(flow.canvas, {
    type: "line",
    data: { datasets },
    options: {
      scales: { x: { type: "linear", title: { display: true, text: t("distance back from the predicted character (T − t)") } }, y: { type: "logarithmic", title: { display: true, text: "‖∂L_T/∂h_t‖" }, ticks: { callback: (v) => Number(v).toExponential(0) } } },
      plugins: { legend: { position: "bottom" } }, interaction: { mode: "nearest", intersect: false },
    },
  }));
  const c = data.clipping;
  if (c) {
    clipText.textContent = c.threshold > 0
      ? `${t("Global norm {0}; threshold {1}.", c.globalNorm.toPrecision(4), c.threshold)} ${c.scale < 1 ? t("Clipping multiplies every gradient by {0}: the direction of the update stays, its length shrinks to the threshold.", c.scale.toPrecision(3)) : t("Below the threshold: clipping leaves this gradient unchanged.")}`
      : t("Global norm {0}; this model trains without clipping.", c.globalNorm.toPrecision(4));
    charts.push(beforeAfterBars(clip.canvas, c.tensors.map((x) => [x.name, x.before, x.after]), t("before clipping"), t("after clipping")));
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
    charts.push(beforeAfterBars(update.canvas, u.tensors.map((x) => [x.name, x.unclipped, x.clipped]), t("without clipping"), t("with clipping")));
  }
  // how many steps back until the norm has fallen 100-fold from its value at the predicted character
  const reach = data.series.map((s) => {
    const top = s.norms[s.norms.length - 1];
    const d = top.findIndex((v) => v < top[0] / 100);
    return d < 0 ? top.length : d;
  });
  reportRendered({ series: data.series.length, lines: datasets.length, window: data.window, windows: data.windows, reach100: reach.join(","), clipScale: c?.scale ?? 1,
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
