// Gradient check report: per parameter tensor, the largest and mean relative error between the
// analytic gradient and central finite differences, pass or fail against the threshold, and the
// settings used. Results are kept in the webview's state, so a reloaded window shows them again.

import type { TensorCheckRow, ToWebview } from "../src/protocol/webview";
import { onMessage, ready, reportRendered, saveViewSetting, showStatus, viewSetting } from "./vscodeBridge";

interface Report { settings: Record<string, string | number>; threshold: number; models: number; results: { model: string; tensors: TensorCheckRow[] }[]; done: { passed: boolean; worst: number } | null }

let report: Report | null = viewSetting<Report | null>("report", null);

const app = document.getElementById("app")!;
const title = document.createElement("h1");
title.textContent = "Gradient check";
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
    dt.textContent = k;
    dd.textContent = String(v);
    return [dt, dd];
  }));
  tables.replaceChildren(...r.results.map((m) => {
    const section = document.createElement("section");
    const h = document.createElement("h2");
    const worst = Math.max(...m.tensors.map((t) => t.maxRelError));
    h.textContent = `${m.model}: ${worst < r.threshold ? "passed" : "FAILED"} (worst ${worst.toExponential(2)})`;
    const table = document.createElement("table");
    const head = document.createElement("tr");
    for (const name of ["tensor", "size", "max relative error", "mean relative error", "max absolute error", "result"]) {
      const th = document.createElement("th");
      th.textContent = name;
      th.scope = "col";
      head.append(th);
    }
    table.append(head, ...m.tensors.map((t) => {
      const tr = document.createElement("tr");
      const pass = t.maxRelError < r.threshold;
      for (const text of [t.name, t.size.toLocaleString(), t.maxRelError.toExponential(2), t.meanRelError.toExponential(2), t.maxAbsError.toExponential(2)]) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.append(td);
      }
      const result = document.createElement("td");
      result.textContent = pass ? "pass" : "FAIL";
      result.className = pass ? "pass" : "fail";
      tr.append(result);
      return tr;
    }));
    section.append(h, table);
    return section;
  }));
  const failed = r.results.flatMap((m) => m.tensors).filter((t) => t.maxRelError >= r.threshold).length;
  summary.textContent = r.done
    ? `${r.done.passed ? "Passed" : "FAILED"}: ${r.results.length} model(s), worst relative error ${r.done.worst.toExponential(2)} against a threshold of ${r.threshold}.`
    : `Checking ${r.results.length} of ${r.models} model(s)…`;
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
