// What the two tasks over labelled character sequences share — classification (classifyTask.ts: one
// class per sequence) and tagging/segmentation (tagTask.ts: one tag per character): the checkpoint
// entry's fields besides the label list (the length cap and the batches' seed) with their checks,
// and the metrics a run reports and keeps the best by (loss, accuracy, and F1: macro over the
// classes for a classifier, over spans or words for a tagger).

import type { Evaluation, MetricDefinition } from "./task";

export interface LabelledSequenceMetadata {
  maxLength: number; // characters read per sequence; longer ones are cut
  seed: number; // the order of the batches
}

/** Checks a task entry's length cap and seed; `bad` throws the entry's one-line refusal. */
export function checkLabelledSequenceMetadata(x: Partial<LabelledSequenceMetadata>, bad: (why: string) => never): void {
  if (!Number.isInteger(x.maxLength) || x.maxLength! < 1) bad("has no length cap");
  if (!Number.isInteger(x.seed)) bad("has no seed");
}

export interface LabelledSequenceEvaluation extends Evaluation {
  loss: number;
  report: { accuracy: number };
}

/** val_loss (lower is better), val_accuracy and val_f1 (higher): `f1` reads the task's own F1 from its report. */
export function labelledSequenceMetrics<E extends LabelledSequenceEvaluation>(f1: (e: E) => number): readonly MetricDefinition<E>[] {
  return [
    { name: "val_loss", better: "lower", of: (e) => e.loss },
    { name: "val_accuracy", better: "higher", of: (e) => e.report.accuracy },
    { name: "val_f1", better: "higher", of: f1 },
  ];
}

