// Gradient check report: per parameter tensor, the largest and mean relative error between the
// analytic gradient and central finite differences (the seven-point stencil src/engine/insight/gradientCheck.ts
// uses), pass or fail against the threshold, the settings used, and why the check matters. Results are kept in the webview's state, so a reloaded window shows them again.

import type { TensorCheckRow, ToWebview } from "../src/protocol/webview";
import { onMessage, ready, reportRendered, saveViewSetting, showStatus, viewSetting } from "./vscodeBridge";
import { t } from "./l10n";

interface Report { settings: Record<string, string | number>; threshold: number; models: number; results: { model: string; tensors: TensorCheckRow[] }[]; done: { passed: boolean; worst: number } | null }

let report: Report | null = viewSetting<Report | null>("report", null);

const app = document.getElementById("app")!;
const title = document.createElement("h1");
title.textContent = t("Gradient check");
const summary = document.createElement("p");
summary.id = "summary";
summary.setAttribute("aria-live", "polite");
const settings = document.createElement("dl");
settings.className = "settings";
const tables = document.createElement("div");
const why = document.createElement("section");
why.id = "why";
const whyHeading = document.createElement("h2");
whyHeading.textContent = t("Why check gradients?");
const whyText = document.createElement("p");
whyText.textContent = t("Training follows the gradient that backpropagation computes. A mistake in it (a wrong sign, a missing term in one gate) often still lets the loss fall a little, so the model trains badly without any error. The check nudges every weight by tiny amounts, measures how the loss really changes, and compares that with the computed gradient: agreement to about one part in a million means the backward pass is right.");
const howHeading = document.createElement("h2");
howHeading.textContent = t("How it is computed");
const formula = document.createElement("p");
formula.id = "formula";
formula.className = "formula";
// the seven-point central stencil of src/engine/insight/gradientCheck.ts, error O(ε⁶)
formula.append("n = [45 (L(θ+ε) − L(θ−ε)) − 9 (L(θ+2ε) − L(θ−2ε)) + (L(θ+3ε) − L(θ−3ε))] / (60 ε)");
const formulaNote = document.createElement("p");
formulaNote.className = "muted";
formulaNote.textContent = t("A seven-point central difference for each weight θ (its error shrinks as ε⁶), in 64-bit arithmetic, against the analytic gradient a from backpropagation; the relative error is |a − n| / max(|a|, |n|).");
why.append(whyHeading, whyText, howHeading, formula, formulaNote);
app.append(title, summary, settings, tables, why);

/** 1e-6 rather than 0.000001: the way error thresholds are written. */
function sci(v: number): string {
  return v === 0 ? "0" : v.toExponential().replace("e+", "e");
}

function draw(): void {
  if (!report) return;
  const r = report;
  settings.replaceChildren(...Object.entries(r.settings).flatMap(([k, v]) => {
    const dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = t(k);
    dd.textContent = String(v);
    return [dt, dd];
  }));
  tables.replaceChildren(...r.results.map((m) => {
    const section = document.createElement("section");
    const h = document.createElement("h2");
    const worst = Math.max(...m.tensors.map((tensor) => tensor.maxRelError));
    h.textContent = t("{0}: {1} (worst {2})", m.model, worst < r.threshold ? t("passed") : t("FAILED"), worst.toExponential(2));
    const table = document.createElement("table");
    const head = document.createElement("tr");
    for (const name of [t("tensor"), t("size"), t("max relative error"), t("mean relative error"), t("max absolute error"), t("result")]) {
      const th = document.createElement("th");
      th.textContent = name;
      th.scope = "col";
      head.append(th);
    }
    table.append(head, ...m.tensors.map((tensor) => {
      const tr = document.createElement("tr");
      const pass = tensor.maxRelError < r.threshold;
      for (const text of [tensor.name, tensor.size.toLocaleString(), tensor.maxRelError.toExponential(2), tensor.meanRelError.toExponential(2), tensor.maxAbsError.toExponential(2)]) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.append(td);
      }
      const result = document.createElement("td");
      result.textContent = pass ? t("pass") : t("FAIL");
      result.className = pass ? "pass" : "fail";
      tr.append(result);
      return tr;
    }));
    section.append(h, table);
    return section;
  }));
  const failed = r.results.flatMap((m) => m.tensors).filter((tensor) => tensor.maxRelError >= r.threshold).length;
  summary.textContent = r.done
    ? t("{0}: {1} model(s), worst relative error {2} against a threshold of {3}.", r.done.passed ? t("Passed") : t("FAILED"), r.results.length, r.done.worst.toExponential(2), sci(r.threshold))
    : t("Checking {0} of {1} model(s)…", r.results.length, r.models);
  summary.className = r.done ? (r.done.passed ? "pass" : "fail") : "";
  reportRendered({ models: r.results.length, tensors: r.results.reduce((a, m) => a + m.tensors.length, 0), failedTensors: failed, done: r.done !== null, passed: r.done?.passed ?? false });
}

onMessage((m) => {
  switch (m.type) {
    case "check.start":
      report = { settings: m.settings, threshold: m.threshold, models: m.models, results: [], done: null };
      break;
    case "check.result":
      report?.results.push({ model: m.model, tensors: m.tensors });
      break;
    case "check.done":
      if (report) report.done = { passed: m.passed, worst: m.worst };
      break;
    case "failed":
      showStatus(m.message);
      return;
    default:
      return;
  }
  saveViewSetting("report", report);
  draw();
});
draw();
ready();
