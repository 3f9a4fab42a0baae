// Text classification as a Task (task.ts): the model reads a sequence's characters and the core's
// pooled sequence head (Core.setSequenceHead) gives one of the classes (many-to-one) from the last,
// mean or max of the top layer's outputs over each sequence's real steps ("last" for a bidirectional
// model: the forward state after the last character joined with the backward state after the first,
// PyTorch's h_n). Batches are sequences bucketed by length (sequenceBatches.ts); the state is
// reset for every batch. --class-weights balanced weights each class's rows by n / (K · count),
// scikit-learn's "balanced". The checkpoint entry keeps the sorted class list, the pooling, the
// class weights and the length cap.

import { InputError } from "../messages/inputError";
import type { Core } from "../core/core";
import { ClassificationReport, classificationReport } from "./taskMetrics";
import { SequenceBatches, SequenceData, forwardSequences, sequenceCount, sharedSequences } from "./sequenceBatches";
import { Evaluation, Task, TaskCheckpoint, softmaxRow } from "./task";
import { LabelledSequenceMetadata, checkLabelledSequenceMetadata, labelledSequenceMetrics } from "./labelledSequenceTasks";
import { SequencePool } from "../core/coreAbi";

export const CLASSIFY = "classify";
export const POOLINGS = ["last", "mean", "max"] as const;
export type Pooling = (typeof POOLINGS)[number];

export interface ClassifyMetadata extends LabelledSequenceMetadata {
  classes: string[]; // sorted by code point; class id = index
  pool: Pooling;
  /** per class, the loss weight of its sequences in training (null = 1 each) */
  classWeights: number[] | null;
}

export interface ClassifyEvaluation extends Evaluation {
  loss: number; // mean cross-entropy per sequence (unweighted), nats
  weight: number; // sequences
  report: ClassificationReport;
  /** per sequence of the data, in its order: the predicted class id and its probabilities */
  predicted: Int32Array;
  probabilities: Float64Array[];
}

const METRICS = labelledSequenceMetrics<ClassifyEvaluation>((e) => e.report.macroF1);

/** scikit-learn's compute_class_weight("balanced"): n / (K · count_c); a class absent from training gets 1. */
export function balancedClassWeights(labels: ArrayLike<number>, classCount: number): number[] {
  const counts = new Array<number>(classCount).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts.map((c) => (c > 0 ? labels.length / (classCount * c) : 1));
}

export function checkClassifyMetadata(m: unknown): ClassifyMetadata {
  const x = m as Partial<ClassifyMetadata>;
  const bad = (why: string): never => { throw new InputError(`the classifier's task entry ${why}`); };
  if (!Array.isArray(x.classes) || x.classes.length < 2 || !x.classes.every((c) => typeof c === "string")) bad("has no list of at least two classes");
  if (!POOLINGS.includes(x.pool as Pooling)) bad(`has pooling ${JSON.stringify(x.pool)}, not one of ${POOLINGS.join(", ")}`);
  if (x.classWeights !== null && !(Array.isArray(x.classWeights) && x.classWeights.length === x.classes!.length && x.classWeights.every((w) => typeof w === "number" && w > 0))) bad("has class weights that are not one positive number per class");
  checkLabelledSequenceMetadata(x, bad);
  return x as ClassifyMetadata;
}

export class ClassifyTask implements Task<SequenceData, ClassifyEvaluation, Float64Array, SequenceBatches> {
  readonly name = CLASSIFY;
  readonly input;
  readonly head;
  readonly lossRows = "pooled" as const;
  readonly carriesState = false;
  readonly metrics = METRICS;
  readonly selectionMetric = "val_f1";
  readonly meta: ClassifyMetadata;

  constructor(meta: ClassifyMetadata, vocabulary: number) {
    this.meta = checkClassifyMetadata(meta);
    this.input = { kind: "tokens", vocabulary } as const;
    this.head = { kind: "classes", width: meta.classes.length } as const;
  }

  get classes(): string[] { return this.meta.classes; }

  batches(data: SequenceData, streams: number, window: number, what?: string): SequenceBatches {
    const w = this.meta.classWeights;
    return new SequenceBatches(data, streams, window, "pooled", w ? (y) => w[y] : () => 1, this.meta.seed, what);
  }

  shared(data: SequenceData): SequenceData { return sharedSequences(data); }
  size(data: SequenceData): number { return sequenceCount(data); }

  evaluate(core: Core, data: SequenceData, streams: number, window: number): ClassifyEvaluation | null {
    const n = sequenceCount(data);
    if (n === 0) return null;
    const K = this.meta.classes.length;
    const predicted = new Int32Array(n);
    const probabilities = new Array<Float64Array>(n);
    const { lossSum, weight } = forwardSequences(core, data, streams, window, "pooled", (o) => {
      const p = softmaxRow(o.logits, 0, K);
      let best = 0;
      for (let k = 1; k < K; k++) if (p[k] > p[best]) best = k;
      predicted[o.index] = best;
      probabilities[o.index] = p;
    });
    return { loss: lossSum / weight, weight, report: classificationReport(data.targets, predicted, K), predicted, probabilities };
  }

  prepareCore(core: Core): void {
    core.setSequenceHead(this.meta.pool === "mean" ? SequencePool.Mean : this.meta.pool === "max" ? SequencePool.Max : SequencePool.Last);
  }

  /** The class distribution of a pooled head's row (one per stream), [K] in f64. */
  predictionOf(outputs: ArrayLike<number>, row: number): Float64Array {
    return softmaxRow(outputs, row, this.meta.classes.length);
  }

  checkpoint(): TaskCheckpoint { return { name: CLASSIFY, metadata: { ...this.meta } as unknown as Record<string, unknown> }; }
}
