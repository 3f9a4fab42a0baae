// Numeric series from a CSV or TSV file with a header row: the target columns to forecast, the
// exogenous input columns (known at each step), an optional time column that orders the rows.
// Parsing is csv-parse's (RFC 4180: quoted fields, embedded commas, quotes and newlines); this file
// turns records into numbers and says, by file, line and column, what does not fit.

import { extname } from "node:path";
import { readTextFile } from "../files/corpusFile";
import { csvRecords } from "../files/csvTable";
import { InputError } from "../messages/inputError";

export type FillMethod = "none" | "previous" | "linear";

export interface SeriesOptions {
  target: string[];
  inputs?: string[];
  timeColumn?: string;
  fill?: FillMethod;
  /** "," or "\t"; by default from the extension (.tsv → tab), else a comma */
  delimiter?: string;
}

export interface NumericSeries {
  file: string;
  /** the columns in `values`' order: targets first, then inputs */
  columns: string[];
  targets: number;
  /** [steps, columns] row-major, in time order */
  values: Float64Array;
  steps: number;
  /** per step: milliseconds since 1970 for dates, the number itself for a numeric time column; null without one */
  time: number[] | null;
  timeKind: "date" | "number" | "row";
  /** the file line each step came from (1-based, the header is line 1) */
  lines: number[];
  /** missing cells filled, per column */
  filled: number[];
  /** the rows were out of time order and have been sorted */
  sorted: boolean;
  /** spacing of the time column: the usual step and how many steps differ from it */
  spacing: { step: string; irregular: number } | null;
}

const MISSING = new Set(["", "na", "n/a", "nan", "null", "none", "-"]);
/** The cells read as missing (lower-cased): the table preview counts them the same way. */
export const MISSING_CELLS: ReadonlySet<string> = MISSING;
const ISO_DATE = /^\d{4}-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)?$/;

export function readNumericSeries(path: string, options: SeriesOptions): NumericSeries {
  const delimiter = options.delimiter ?? (extname(path).toLowerCase() === ".tsv" ? "\t" : ",");
  return parseNumericSeries(readTextFile(path), path, { ...options, delimiter });
}

export function parseNumericSeries(text: string, file: string, options: SeriesOptions): NumericSeries {
  const records = csvRecords(text, file, { delimiter: options.delimiter ?? ",", trim: true });
  if (records.length < 2) throw new InputError(`${file}: needs a header row and at least one row of values`);
  const header = records[0].cells;
  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name)) throw new InputError(`${file}:1: the column "${name}" appears twice in the header`);
    seen.add(name);
  }
  const columnIndex = (name: string, what: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new InputError(`${file}:1: no column "${name}" (${what}); the columns are ${header.map((h) => `"${h}"`).join(", ")}`);
    return i;
  };
  if (!options.target.length) throw new InputError(`${file}: name at least one target column (the columns are ${header.join(", ")})`);
  const targets = options.target.map((c) => columnIndex(c, "target"));
  const inputs = (options.inputs ?? []).map((c) => columnIndex(c, "input"));
  const all = [...targets, ...inputs];
  const duplicate = all.find((c, i) => all.indexOf(c) !== i);
  if (duplicate !== undefined) throw new InputError(`${file}: the column "${header[duplicate]}" is given twice (as a target and an input, or twice over)`);
  const timeIndex = options.timeColumn === undefined ? -1 : columnIndex(options.timeColumn, "time");
  if (timeIndex >= 0 && all.includes(timeIndex)) throw new InputError(`${file}: "${header[timeIndex]}" cannot be both the time column and a series`);

  const rows = records.slice(1);
  const steps = rows.length;
  const width = all.length;
  const values = new Float64Array(steps * width);
  const missing: boolean[] = new Array(steps * width).fill(false);
  rows.forEach((r, s) => {
    all.forEach((c, j) => {
      const cell = r.cells[c];
      if (MISSING.has(cell.toLowerCase())) { missing[s * width + j] = true; values[s * width + j] = NaN; return; }
      const v = Number(cell);
      if (!Number.isFinite(v) || /^0x/i.test(cell)) throw new InputError(`${file}:${r.line}: column "${header[c]}" holds ${JSON.stringify(cell)}, not a number`);
      values[s * width + j] = v;
    });
  });

  let time: number[] | null = null;
  let timeKind: NumericSeries["timeKind"] = "row";
  if (timeIndex >= 0) {
    const cells = rows.map((r) => r.cells[timeIndex]);
    const isDate = ISO_DATE.test(cells[0]);
    timeKind = isDate ? "date" : "number";
    time = cells.map((cell, s) => {
      const v = isDate ? (ISO_DATE.test(cell) ? Date.parse(cell.length === 7 ? `${cell}-01` : cell.replace(" ", "T")) : NaN) : Number(cell);
      if (!Number.isFinite(v) || cell === "") {
        throw new InputError(`${file}:${rows[s].line}: the time column "${header[timeIndex]}" holds ${JSON.stringify(cell)}, not ${isDate ? "an ISO 8601 date or time like the first row's" : "a number like the first row's"}`);
      }
      return v;
    });
  }

  // time order: a stable sort by the time column, then no two rows at one time
  let order = Array.from({ length: steps }, (_, s) => s);
  let sorted = false;
  if (time) {
    const t = time;
    if (order.some((s, i) => i > 0 && t[s] < t[order[i - 1]])) {
      order = order.slice().sort((a, b) => t[a] - t[b] || a - b);
      sorted = true;
    }
    for (let i = 1; i < steps; i++) {
      if (t[order[i]] === t[order[i - 1]]) {
        throw new InputError(`${file}:${rows[order[i]].line}: the same time as line ${rows[order[i - 1]].line} (${rows[order[i]].cells[timeIndex]}); one row per time step`);
      }
    }
  }
  const ordered = new Float64Array(steps * width);
  const orderedMissing: boolean[] = new Array(steps * width);
  order.forEach((s, i) => {
    for (let j = 0; j < width; j++) { ordered[i * width + j] = values[s * width + j]; orderedMissing[i * width + j] = missing[s * width + j]; }
  });
  const lines = order.map((s) => rows[s].line);

  const filled = fillMissing(ordered, orderedMissing, steps, width, options.fill ?? "none", (i, j) => {
    throw new InputError(`${file}:${lines[i]}: column "${header[all[j]]}" is empty; fill gaps with --fill previous or --fill linear, or fix the file`);
  });

  return {
    file, columns: all.map((c) => header[c]), targets: targets.length, values: ordered, steps,
    time: time ? order.map((s) => time![s]) : null, timeKind, lines, filled, sorted,
    spacing: time ? describeSpacing(order.map((s) => time![s]), timeKind) : null,
  };
}

/** Fills NaN cells in place; returns how many per column. `previous` carries the last value forward (a leading gap takes the first value present); `linear` interpolates between the values either side (edges take the nearest). */
function fillMissing(values: Float64Array, missing: boolean[], steps: number, width: number, method: FillMethod, refuse: (step: number, column: number) => never): number[] {
  const filled = new Array(width).fill(0);
  for (let j = 0; j < width; j++) {
    const present: number[] = [];
    for (let i = 0; i < steps; i++) if (!missing[i * width + j]) present.push(i);
    for (let i = 0; i < steps; i++) {
      if (!missing[i * width + j]) continue;
      if (method === "none") refuse(i, j);
      if (!present.length) refuse(i, j);
      // nearest present rows before and after i
      let lo = -1, hi = -1;
      for (const p of present) { if (p < i) lo = p; else { hi = p; break; } }
      let v: number;
      if (method === "previous") v = values[(lo >= 0 ? lo : hi) * width + j];
      else if (lo < 0) v = values[hi * width + j];
      else if (hi < 0) v = values[lo * width + j];
      else v = values[lo * width + j] + ((i - lo) / (hi - lo)) * (values[hi * width + j] - values[lo * width + j]);
      values[i * width + j] = v;
      filled[j]++;
    }
  }
  return filled;
}

/** The usual spacing of a sorted time column, in words, and how many steps differ from it. Calendar months and years count as regular. */
function describeSpacing(time: number[], kind: "date" | "number" | "row"): { step: string; irregular: number } | null {
  if (time.length < 2) return null;
  if (kind === "date") {
    const d = time.map((t) => new Date(t));
    const monthsApart = (a: Date, b: Date) => (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + b.getUTCMonth() - a.getUTCMonth();
    const sameDayAndTime = (a: Date, b: Date) => a.getUTCDate() === b.getUTCDate() && a.getTime() % 86_400_000 === b.getTime() % 86_400_000;
    for (const [months, name] of [[1, "1 month"], [3, "3 months"], [12, "1 year"]] as const) {
      let irregular = 0;
      for (let i = 1; i < d.length; i++) if (monthsApart(d[i - 1], d[i]) !== months || !sameDayAndTime(d[i - 1], d[i])) irregular++;
      if (irregular <= (d.length - 1) / 2) return { step: name, irregular };
    }
  }
  const diffs = time.slice(1).map((t, i) => t - time[i]);
  const counts = new Map<number, number>();
  for (const x of diffs) counts.set(x, (counts.get(x) ?? 0) + 1);
  const [step] = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0];
  const irregular = diffs.filter((x) => x !== step).length;
  return { step: kind === "date" ? formatDuration(step) : String(step), irregular };
}

function formatDuration(ms: number): string {
  const units: [number, string][] = [[86_400_000, "day"], [3_600_000, "hour"], [60_000, "minute"], [1000, "second"]];
  for (const [size, name] of units) if (ms % size === 0 && ms >= size) return `${ms / size} ${name}${ms / size === 1 ? "" : "s"}`;
  return `${ms} ms`;
}

/** Time-ordered spans, never shuffled: [0, trainEnd) training, [trainEnd, valEnd) validation, [valEnd, steps) test. */
export function splitByTime(steps: number, options: { valFraction: number; testFraction: number; testFromStep?: number }): { trainEnd: number; valEnd: number } {
  const { valFraction, testFraction } = options;
  for (const [name, f] of [["--val-frac", valFraction], ["--test-frac", testFraction]] as const) {
    if (!(f >= 0 && f < 1)) throw new InputError(`${name} must be from 0 to below 1, not ${f}`);
  }
  const valEnd = options.testFromStep ?? steps - Math.round(steps * testFraction);
  const trainEnd = valEnd - Math.round(steps * valFraction);
  if (trainEnd < 2 || valEnd > steps || trainEnd > valEnd) throw new InputError(`${steps} rows leave too little for training once the validation and test spans are set aside`);
  return { trainEnd, valEnd };
}

export interface ColumnScaling { mean: Float64Array; std: Float64Array }

/** Per-column mean and standard deviation over the training span only (a constant column gets std 1). */
export function fitScaling(series: NumericSeries, trainEnd: number): ColumnScaling {
  const w = series.columns.length;
  const mean = new Float64Array(w), std = new Float64Array(w);
  for (let j = 0; j < w; j++) {
    let s = 0;
    for (let i = 0; i < trainEnd; i++) s += series.values[i * w + j];
    mean[j] = s / trainEnd;
    let v = 0;
    for (let i = 0; i < trainEnd; i++) v += (series.values[i * w + j] - mean[j]) ** 2;
    std[j] = Math.sqrt(v / trainEnd) || 1;
  }
  return { mean, std };
}

export function normalise(values: Float64Array, width: number, scaling: ColumnScaling): Float64Array {
  return values.map((v, i) => (v - scaling.mean[i % width]) / scaling.std[i % width]);
}

export function denormalise(values: Float64Array, width: number, scaling: ColumnScaling): Float64Array {
  return values.map((v, i) => v * scaling.std[i % width] + scaling.mean[i % width]);
}
