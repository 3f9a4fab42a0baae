// Gradient check report: per parameter tensor, the largest and mean relative error between the
// analytic gradient and central finite differences, pass or fail against the threshold, and the
// settings used. Results are kept in the webview's state, so a reloaded window shows them again.

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
app.append(title, summary, settings, tables);

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
    ? t("{0}: {1} model(s), worst relative error {2} against a threshold of {3}.", r.done.passed ? t("Passed") : t("FAILED"), r.results.length, r.done.worst.toExponential(2), r.threshold)
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
