// Classification report: a classifier evaluated on a labelled file. The confusion matrix as a heat
// map (rows = true class, columns = predicted; a cell's shade is its share of its row, i.e. of the
// true class's records, so the diagonal reads as recall), the per-class precision, recall, F1 and
// support, and the records of the cell clicked, each of which opens the file at its line.

import type { ClassificationReportData, ReportRecord, ToWebview } from "../src/protocol/webview";
import { onMessage, post, ready, reportRendered, saveViewSetting, showStatus, viewSetting } from "./vscodeBridge";
import { t } from "./l10n";

let data: ClassificationReportData | null = viewSetting<ClassificationReportData | null>("data", null);
/** The selected cell [true, predicted], or null: the misclassified records are listed. */
let selected: [number, number] | null = viewSetting<[number, number] | null>("cell", null);

const app = document.getElementById("app")!;
const title = document.createElement("h1");
const summary = document.createElement("p");
summary.id = "summary";
const matrixHeading = document.createElement("h2");
matrixHeading.textContent = t("Confusion matrix");
const matrixNote = document.createElement("p");
matrixNote.className = "muted";
matrixNote.textContent = t("Rows are the true classes, columns the predicted ones; a cell's shade is its share of its row. Click a cell for its records.");
const matrix = document.createElement("table");
matrix.id = "confusion";
matrix.className = "confusion";
const scoresHeading = document.createElement("h2");
scoresHeading.textContent = t("Per class");
const scores = document.createElement("table");
scores.id = "scores";
const listHeading = document.createElement("h2");
listHeading.id = "listHeading";
const list = document.createElement("ol");
list.id = "records";
list.className = "records";
app.append(title, summary, matrixHeading, matrixNote, matrix, scoresHeading, scores, listHeading, list);

const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
const fixed = (v: number) => v.toFixed(3);

function cell(tag: "td" | "th", text: string, className = ""): HTMLTableCellElement {
  const c = document.createElement(tag);
  c.textContent = text;
  if (className) c.className = className;
  return c;
}

function drawMatrix(d: ClassificationReportData): void {
  const head = document.createElement("tr");
  const corner = cell("th", t("true \\ predicted"));
  corner.scope = "col";
  head.append(corner, ...d.classes.map((c) => { const th = cell("th", c); th.scope = "col"; return th; }));
  const rows = d.confusion.map((row, i) => {
    const tr = document.createElement("tr");
    const name = cell("th", d.classes[i]);
    name.scope = "row";
    const total = row.reduce((a, b) => a + b, 0);
    tr.append(name, ...row.map((n, j) => {
      const td = document.createElement("td");
      const b = document.createElement("button");
      b.className = `cell${i === j ? " diagonal" : ""}${selected && selected[0] === i && selected[1] === j ? " selected" : ""}`;
      b.textContent = String(n);
      b.dataset.truth = String(i);
      b.dataset.predicted = String(j);
      const share = total ? n / total : 0;
      // the diagonal in green (right), the rest in red (wrong), stronger for a larger share of the row
      b.style.background = `color-mix(in srgb, var(${i === j ? "--vscode-charts-green" : "--vscode-charts-red"}) ${Math.round(share * 65)}%, transparent)`;
      b.title = t("{0} records of {1} predicted as {2} ({3} of the row)", n, d.classes[i], d.classes[j], pct(share));
      b.setAttribute("aria-label", b.title);
      b.addEventListener("click", () => select([i, j]));
      td.append(b);
      return td;
    }));
    return tr;
  });
  matrix.replaceChildren(head, ...rows);
}

function drawScores(d: ClassificationReportData): void {
  const head = document.createElement("tr");
  for (const name of [t("Class"), t("Precision"), t("Recall"), t("F1"), t("Support")]) { const th = cell("th", name); th.scope = "col"; head.append(th); }
  const rows = d.perClass.map((s, i) => {
    const tr = document.createElement("tr");
    tr.dataset.class = d.classes[i];
    tr.append(cell("th", d.classes[i]), cell("td", fixed(s.precision)), cell("td", fixed(s.recall)), cell("td", fixed(s.f1)), cell("td", String(s.support)));
    return tr;
  });
  const macro = document.createElement("tr");
  macro.className = "total";
  macro.append(cell("th", t("macro average")), cell("td", fixed(d.perClass.reduce((a, s) => a + s.precision, 0) / d.perClass.length)), cell("td", fixed(d.perClass.reduce((a, s) => a + s.recall, 0) / d.perClass.length)), cell("td", fixed(d.macroF1)), cell("td", String(d.records.length)));
  scores.replaceChildren(head, ...rows, macro);
}

function shown(d: ClassificationReportData): ReportRecord[] {
  return selected ? d.records.filter((r) => r.truth === selected![0] && r.predicted === selected![1]) : d.records.filter((r) => r.truth !== r.predicted);
}

function drawList(d: ClassificationReportData): ReportRecord[] {
  const records = shown(d);
  listHeading.textContent = selected
    ? t("{0} records of {1} predicted as {2}", records.length, d.classes[selected[0]], d.classes[selected[1]])
    : t("{0} misclassified records", records.length);
  list.replaceChildren(...records.map((r) => {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.className = `record${r.truth === r.predicted ? "" : " wrong"}`;
    b.dataset.line = String(r.line);
    const where = document.createElement("span");
    where.className = "muted";
    where.textContent = t("line {0}", r.line);
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = r.text;
    const verdict = document.createElement("span");
    verdict.className = "verdict";
    verdict.textContent = t("{0} → {1} ({2})", d.classes[r.truth], d.classes[r.predicted], pct(r.confidence));
    b.append(where, text, verdict);
    b.title = t("Open {0} at line {1}", d.file, r.line);
    b.addEventListener("click", () => post({ type: "report.reveal", line: r.line }));
    li.append(b);
    return li;
  }));
  return records;
}

function select(c: [number, number] | null): void {
  selected = c && selected && selected[0] === c[0] && selected[1] === c[1] ? null : c; // a second click shows the misclassified again
  saveViewSetting("cell", selected);
  draw();
}

function draw(): void {
  if (!data) return;
  const d = data;
  title.textContent = d.title;
  summary.textContent = t("{0} records · accuracy {1} · macro F1 {2} · weighted F1 {3}", d.records.length, pct(d.accuracy), fixed(d.macroF1), fixed(d.weightedF1));
  drawMatrix(d);
  drawScores(d);
  const listed = drawList(d);
  reportRendered({
    classes: d.classes.length, records: d.records.length, cells: d.classes.length ** 2,
    matrixTotal: d.confusion.flat().reduce((a, b) => a + b, 0), diagonal: d.confusion.reduce((a, row, i) => a + row[i], 0),
    selected: selected ? `${selected[0]},${selected[1]}` : "", listed: listed.length, listedLines: listed.map((r) => r.line).join(","),
  });
}

onMessage((m: ToWebview) => {
  if (m.type === "report.data") {
    data = m.data;
    if (selected && (selected[0] >= data.classes.length || selected[1] >= data.classes.length)) selected = null;
    saveViewSetting("data", data);
    showStatus("");
    draw();
  } else if (m.type === "busy") showStatus(m.message);
  else if (m.type === "failed") showStatus(m.message);
});
draw();
ready();
