// Explain Prediction: why a classifier gave its class to a text. Each character's contribution to
// that class's logit, red for it and blue against it (the editor shows the same colours), by
// integrated gradients from the zero input and by gradient × input; the table of the numbers; and
// integrated gradients' completeness: their sum against the logit at the input minus the logit at
// the baseline (they should agree within 1 %). The number of steps can be changed here.

import type { ToWebview } from "../src/protocol/webview";
import { AttributionResult, attributionColour, completeness } from "../src/protocol/textPredictions";
import { onMessage, post, ready, reportRendered, saveViewSetting, showStatus, viewSetting } from "./vscodeBridge";
import { dropdown } from "./toolkit";
import { t } from "./l10n";

let shown: { model: string; attribution: AttributionResult } | null = viewSetting<{ model: string; attribution: AttributionResult } | null>("shown", null);
let method: "ig" | "gradxinput" = viewSetting<"ig" | "gradxinput">("method", "ig");

const STEP_CHOICES = [16, 32, 64, 128, 256];
const app = document.getElementById("app")!;
const title = document.createElement("h1");
title.textContent = t("Explain Prediction");
const verdict = document.createElement("p");
verdict.id = "verdict";
const controls = document.createElement("div");
controls.className = "controls";
const methodPick = dropdown("method", t("Attribution"), [{ value: "ig", label: t("integrated gradients") }, { value: "gradxinput", label: t("gradient × input") }], method, (v) => {
  method = v === "gradxinput" ? "gradxinput" : "ig";
  saveViewSetting("method", method);
  draw();
});
const stepsPick = dropdown("steps", t("Integrated-gradients steps"), STEP_CHOICES.map((s) => ({ value: String(s), label: String(s) })), "32", (v) => {
  post({ type: "explain.steps", steps: Number(v) });
});
controls.append(methodPick.element, stepsPick.element);
const strip = document.createElement("p");
strip.id = "strip";
strip.className = "attribution-strip";
const key = document.createElement("p");
key.className = "muted";
key.textContent = t("Red characters speak for the class, blue ones against it; the stronger the colour, the larger the contribution.");
const sum = document.createElement("p");
sum.id = "completeness";
const table = document.createElement("table");
table.id = "numbers";
app.append(title, verdict, controls, strip, key, sum, table);

const fmt = (v: number) => (Math.abs(v) >= 0.001 || v === 0 ? v.toFixed(4) : v.toExponential(2));
const shownChar = (c: string) => (c === " " ? "␣" : c === "\n" ? "↵" : c === "\t" ? "⇥" : c);

function draw(): void {
  if (!shown) return;
  const a = shown.attribution;
  const values = method === "ig" ? a.integratedGradients : a.gradientTimesInput;
  const maxAbs = Math.max(0, ...values.map(Math.abs));
  verdict.textContent = t("{0} says {1} ({2} %) for this text of {3} characters.", shown.model, a.classes[a.target], (100 * a.probabilities[a.target]).toFixed(1), a.chars.length);
  stepsPick.setOptions(STEP_CHOICES.map((s) => ({ value: String(s), label: String(s) })), String(a.steps));
  strip.replaceChildren(...a.chars.map((c, i) => {
    const span = document.createElement("span");
    span.textContent = c;
    span.style.background = attributionColour(values[i], maxAbs);
    span.title = `${shownChar(c)}: ${fmt(values[i])}`;
    span.dataset.value = String(values[i]);
    return span;
  }));
  const c = completeness(a.integratedGradients, a.logit, a.baselineLogit);
  const ok = c.relativeError <= 0.01;
  sum.textContent = t("Completeness: the integrated gradients add up to {0}; the logit of {1} is {2} at the text and {3} at the zero input, a difference of {4} ({5} % apart, {6} steps).",
    fmt(c.sum), a.classes[a.target], fmt(a.logit), fmt(a.baselineLogit), fmt(c.difference), (100 * c.relativeError).toFixed(2), a.steps);
  sum.className = ok ? "pass" : "fail";
  const head = document.createElement("tr");
  for (const name of [t("#"), t("Character"), t("integrated gradients"), t("gradient × input")]) { const th = document.createElement("th"); th.textContent = name; th.scope = "col"; head.append(th); }
  table.replaceChildren(head, ...a.chars.map((ch, i) => {
    const tr = document.createElement("tr");
    for (const text of [String(i + 1), shownChar(ch), fmt(a.integratedGradients[i]), fmt(a.gradientTimesInput[i])]) { const td = document.createElement("td"); td.textContent = text; tr.append(td); }
    return tr;
  }));
  const positive = values.filter((v) => v > 0).length, negative = values.filter((v) => v < 0).length;
  reportRendered({ chars: a.chars.length, method, steps: a.steps, positive, negative, sum: c.sum, difference: c.difference, relativeError: c.relativeError, complete: ok, target: a.classes[a.target] });
}

onMessage((m: ToWebview) => {
  if (m.type === "explain.data") {
    shown = { model: m.model, attribution: m.attribution };
    saveViewSetting("shown", shown);
    showStatus("");
    draw();
  } else if (m.type === "busy" || m.type === "failed") showStatus(m.message);
});
draw();
ready();
