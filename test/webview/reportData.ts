// A classification report the host would send, made by the engine's own function from 30 labelled
// records of three classes and seeded class probabilities (a classifier that is right about two
// times in three), and the truth and predictions the tests count from independently.

import { classificationReportData } from "../../src/engine/insight/classificationReportData";
import type { ClassifiedRecord } from "../../src/engine/tasks/labelledText";
import { mulberry32 } from "../../src/engine/model/seededRandom";
import type { ClassificationReportData } from "../../src/protocol/webview";

export const REPORT_CLASSES = ["negative", "neutral", "positive"];
const TEXTS = ["今天是个好日子", "the film was dull and far too long", "这家店的服务一般", "a quiet, ordinary afternoon", "太难吃了，再也不来", "what a wonderful surprise"];

export interface ReportFixture { data: ClassificationReportData; truth: number[]; predicted: number[]; lines: number[] }

export function reportFixture(n = 30): ReportFixture {
  const rand = mulberry32(7);
  const records: ClassifiedRecord[] = [], probabilities: number[][] = [], truth: number[] = [], predicted: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = i % 3;
    // the predicted class: the truth two times in three, else the next class
    const p = rand() < 0.67 ? t : (t + 1) % 3;
    const row = [0.1, 0.1, 0.1];
    row[p] = 0.8;
    records.push({ text: `${TEXTS[i % TEXTS.length]} #${i}`, label: REPORT_CLASSES[t], line: 2 + i });
    probabilities.push(row);
    truth.push(t);
    predicted.push(p);
  }
  return { data: classificationReportData("Classification report: reviews.csv", "/tmp/reviews.csv", REPORT_CLASSES, records, probabilities), truth, predicted, lines: records.map((r) => r.line) };
}
