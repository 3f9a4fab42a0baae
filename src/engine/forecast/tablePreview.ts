// What a CSV/TSV file offers for forecasting, before anything is chosen: each column's kind (numbers,
// ISO dates, text), its range and how many cells are missing, and the column that looks like time.
// The quick picks of "Train Forecaster on This File…" are made from it; the forecast worker reads it.

import { extname } from "node:path";
import { csvRecords } from "../files/csvTable";
import { InputError } from "../messages/inputError";
import { MISSING_CELLS } from "./numericSeries";

export interface ColumnPreview {
  name: string;
  kind: "number" | "date" | "text";
  /** cells holding a finite number (dates: a date) */
  values: number;
  /** empty or NA-like cells */
  missing: number;
  /** the smallest and largest value (dates: ms since 1970); NaN without values */
  min: number;
  max: number;
  /** a text column: the first cell that is neither missing nor a number, and its line */
  firstText?: { line: number; cell: string };
}

export interface TablePreview {
  file: string;
  delimiter: string;
  rows: number;
  columns: ColumnPreview[];
  /** the column that looks like time: the first date column, else a strictly increasing numeric column named like time; null: the row order */
  timeColumn: string | null;
}

const ISO_DATE = /^\d{4}-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)?$/;
const TIME_NAMES = /^(date|time|datetime|timestamp|year|month|day|week|t|step|period)$/i;

export function delimiterOf(path: string): string {
  return extname(path).toLowerCase() === ".tsv" ? "\t" : ",";
}

export function previewTable(text: string, file: string, delimiter = delimiterOf(file)): TablePreview {
  const records = csvRecords(text, file, { delimiter, trim: true });
  if (records.length < 2) throw new InputError(`${file}: needs a header row and at least one row of values`);
  const header = records[0].cells;
  const rows = records.slice(1);
  const columns: ColumnPreview[] = header.map((name, c) => {
    let values = 0, missing = 0, min = Infinity, max = -Infinity, dates = 0;
    let firstText: ColumnPreview["firstText"];
    for (const r of rows) {
      const cell = r.cells[c];
      if (MISSING_CELLS.has(cell.toLowerCase())) { missing++; continue; }
      const v = Number(cell);
      if (Number.isFinite(v) && !/^0x/i.test(cell)) { values++; min = Math.min(min, v); max = Math.max(max, v); continue; }
      if (ISO_DATE.test(cell)) { dates++; continue; }
      firstText ??= { line: r.line, cell };
    }
    if (dates > 0 && values === 0 && !firstText) {
      // a date column: its range as times
      const times = rows.map((r) => r.cells[c]).filter((cell) => ISO_DATE.test(cell)).map((cell) => Date.parse(cell.length === 7 ? `${cell}-01` : cell.replace(" ", "T")));
      return { name, kind: "date", values: dates, missing, min: Math.min(...times), max: Math.max(...times) };
    }
    if (firstText || dates > 0 || values === 0) return { name, kind: "text", values, missing, min: NaN, max: NaN, ...(firstText ? { firstText } : {}) };
    return { name, kind: "number", values, missing, min, max };
  });
  return { file, delimiter, rows: rows.length, columns, timeColumn: guessTimeColumn(columns, rows.map((r) => r.cells), header) };
}

function guessTimeColumn(columns: ColumnPreview[], cells: string[][], header: string[]): string | null {
  const date = columns.find((c) => c.kind === "date" && c.missing === 0);
  if (date) return date.name;
  for (const c of columns) {
    if (c.kind !== "number" || c.missing > 0 || !TIME_NAMES.test(c.name)) continue;
    const i = header.indexOf(c.name);
    const v = cells.map((r) => Number(r[i]));
    if (v.every((x, k) => k === 0 || x > v[k - 1])) return c.name;
  }
  return null;
}

/** The numeric columns a forecast can be made of (the time column excluded). */
export function forecastableColumns(p: TablePreview): ColumnPreview[] {
  return p.columns.filter((c) => c.kind === "number" && c.name !== p.timeColumn && c.values >= 2);
}
