// A classifier's evaluation on a labelled file as the classification report panel draws it: the
// report (scikit-learn's counting, tasks/taskMetrics.ts) and every record with its true and predicted
// class and the predicted class's probability, so that a click on a confusion-matrix cell can list
// that cell's records and a click on a record can open the file at its line.

import type { ClassifiedRecord } from "../tasks/labelledText";
import { InputError } from "../messages/inputError";
import { classificationReport } from "../tasks/taskMetrics";

/** One evaluated record: its first line in the file (1-based), the start of its text, true and predicted class (indexes into classes), the predicted class's probability. */
export interface ReportRecord { line: number; text: string; truth: number; predicted: number; confidence: number }

export interface ClassificationReportData {
  title: string;
  file: string;
  classes: string[];
  accuracy: number;
  macroF1: number;
  weightedF1: number;
  /** per class, in the order of classes */
  perClass: { precision: number; recall: number; f1: number; support: number }[];
  /** [true class][predicted class] counts */
  confusion: number[][];
  /** every evaluated record, in file order */
  records: ReportRecord[];
}

/** Characters of a record's text the panel lists (a record can be a whole article). */
export const REPORT_TEXT_CHARS = 160;

/** The index of the largest probability (the first of equals, as argmax does). */
export function argmax(p: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
  return best;
}

/**
 * The report of `probabilities` ([records][classes], each row a distribution) against the records'
 * labels. A record whose label is not among the model's classes is an error naming its line: the
 * checkpoint's class list is the one that counts.
 */
export function classificationReportData(title: string, file: string, classes: string[], records: readonly ClassifiedRecord[], probabilities: readonly ArrayLike<number>[]): ClassificationReportData {
  if (records.length !== probabilities.length) throw new RangeError(`${records.length} records but ${probabilities.length} predictions`);
  const index = new Map(classes.map((c, i) => [c, i]));
  const rows: ReportRecord[] = records.map((r, i) => {
    const truth = index.get(r.label);
    if (truth === undefined) throw new InputError(`${file}:${r.line}: the label "${r.label}" is not one of the model's classes (${classes.join(", ")})`);
    const p = probabilities[i];
    if (p.length !== classes.length) throw new InputError(`${file}:${r.line}: ${p.length} probabilities for ${classes.length} classes`);
    const predicted = argmax(p);
    return { line: r.line, text: Array.from(r.text).slice(0, REPORT_TEXT_CHARS).join(""), truth, predicted, confidence: p[predicted] };
  });
  const report = classificationReport(rows.map((r) => r.truth), rows.map((r) => r.predicted), classes.length);
  return { title, file, classes, accuracy: report.accuracy, macroF1: report.macroF1, weightedF1: report.weightedF1, perClass: report.perClass, confusion: report.confusion, records: rows };
}

/** The records of one confusion-matrix cell (true class `truth`, predicted `predicted`), in file order. */
export function cellRecords(data: ClassificationReportData, truth: number, predicted: number): ReportRecord[] {
  return data.records.filter((r) => r.truth === truth && r.predicted === predicted);
}
