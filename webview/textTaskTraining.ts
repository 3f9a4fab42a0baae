// A classifier's, tagger's or segmenter's training: validation accuracy and F1 against the step
// (macro F1 for a classifier, span F1 for a tagger, word F1 for a segmenter), validation loss below,
// the best validation marked (the checkpoint keeps it), the classes or tags with their training
// counts, and Stop while it trains.

import type { TextTaskTrainingData, ToWebview } from "../src/protocol/webview";
import { Chart, lineChart } from "./charts";
import { chartSection } from "./chartControls";
import { onThemeChange } from "./theme";
import { button } from "./toolkit";
import { onMessage, post, ready, reportRendered, saveViewSetting, showStatus, viewSetting } from "./vscodeBridge";
import { t } from "./l10n";

let data: TextTaskTrainingData | null = viewSetting<TextTaskTrainingData | null>("data", null);
let charts: Chart[] = [];

const app = document.getElementById("app")!;
const title = document.createElement("h1");
const model = document.createElement("p");
model.className = "muted";
const state = document.createElement("p");
state.id = "state";
state.setAttribute("aria-live", "polite");
const stop = button(t("Stop Training"), () => post({ type: "textTask.stop" }), { secondary: true });
const scores = chartSection("scores-chart", t("Validation accuracy and F1"), t("Validation accuracy and F1 at each validation"), { height: 300, redraw: () => draw() });
const loss = chartSection("loss-chart", t("Validation loss (nats)"), t("Validation loss at each validation"), { redraw: () => draw() });
const labelsHeading = document.createElement("h2");
const labels = document.createElement("p");
labels.id = "labels";
app.append(title, model, state, stop, scores.section, loss.section, labelsHeading, labels);

function draw(): void {
  for (const c of charts) c.destroy();
  charts = [];
  if (!data) return;
  const d = data;
  title.textContent = d.title;
  model.textContent = d.model;
  const steps = d.validations.map((v) => v.step);
  let best = -1;
  d.validations.forEach((v, i) => { if (best < 0 || v.valF1 > d.validations[best].valF1) best = i; });
  const b = best >= 0 ? d.validations[best] : null;
  const stateText = { training: t("training"), done: t("done"), stopped: t("stopped"), failed: t("failed") }[d.state];
  state.textContent = b
    ? t("{0} · {1} validations · best F1 {2} (accuracy {3} %) at step {4}", stateText, d.validations.length, b.valF1.toFixed(3), (100 * b.valAccuracy).toFixed(1), b.step)
    : t("{0} · no validation yet", stateText);
  if (d.message) state.textContent += ` · ${d.message}`;
  stop.hidden = d.state !== "training";
  charts.push(lineChart(scores.canvas, [
    { label: t("validation accuracy"), x: steps, y: d.validations.map((v) => v.valAccuracy), smooth: false },
    { label: t("validation F1"), x: steps, y: d.validations.map((v) => v.valF1), smooth: false },
  ], { xTitle: t("Step"), yTitle: t("accuracy, F1"), log: scores.log(), smoothing: 0, fromZero: true }));
  charts.push(lineChart(loss.canvas, [{ label: t("validation loss"), x: steps, y: d.validations.map((v) => v.valLoss), smooth: false }], { xTitle: t("Step"), yTitle: t("loss (nats)"), log: loss.log(), smoothing: 0 }));
  labelsHeading.textContent = t("{0} with their training counts", d.names.length.toString());
  labels.textContent = d.names.map((n, i) => `${n} ${d.counts[i] ?? "?"}`).join(" · ");
  reportRendered({ validations: d.validations.length, state: d.state, bestStep: b?.step ?? -1, bestF1: b?.valF1 ?? -1, names: d.names.length, datasets: charts.reduce((a, c) => a + c.data.datasets.length, 0), stopShown: !stop.hidden });
}

onMessage((m: ToWebview) => {
  if (m.type === "textTask.data") {
    data = m.data;
    saveViewSetting("data", data);
    showStatus("");
    draw();
  } else if (m.type === "failed") showStatus(m.message);
});
onThemeChange(() => draw());
draw();
ready();
