// Tagging (one tag per character, many-to-many of equal length) and word segmentation (B/M/E/S tags
// per character from spaced words, labelledText.ts) as a Task (task.ts). The head gives a tag
// distribution at every real step; softmax cross-entropy over the tags at each of them. Decoding is
// Viterbi over the per-step log-probabilities with the tag scheme's impossible transitions removed
// (linearChainCrf.ts transitionRules, all other transition scores 0), so a B/M/E/S or BIO tagger never
// outputs an impossible sequence. Span metrics: conlleval's chunks (taskMetrics.ts), or words for
// segmentation as the SIGHAN scorer counts them. The checkpoint entry keeps the sorted tag set, the
// scheme, whether it segments, and the length cap. With a CRF (ModelSpec.crf, crfTagging.ts) the loss
// is the CRF's −log p(tags) per character and decoding is Viterbi with its learned transitions (and
// the same impossible transitions removed).

import { InputError } from "../messages/inputError";
import type { Core } from "../core/core";
import { SequencePool } from "../core/coreAbi";
import { TagScheme, TransitionRules, crfViterbi, transitionRules } from "./linearChainCrf";
import { SpanReport, spanReport } from "./taskMetrics";
import { SequenceBatches, SequenceData, forwardSequences, sequenceCount, sharedSequences } from "./sequenceBatches";
import { CrfBatches, crfParameters } from "./crfTagging";
import { crfNegLogLikelihood } from "./linearChainCrf";
import { Evaluation, Task, TaskCheckpoint, softmaxRow } from "./task";
import { LabelledSequenceMetadata, checkLabelledSequenceMetadata, labelledSequenceMetrics } from "./labelledSequenceTasks";

export const TAG = "tag";
export const SEGMENT = "segment";

export interface TagMetadata extends LabelledSequenceMetadata {
  tags: string[]; // sorted by code point; tag id = index
  scheme: TagScheme;
  segment: boolean; // B/M/E/S tags made from spaced words; predictions become words again
}

export interface TagEvaluation extends Evaluation {
  loss: number; // mean cross-entropy per character, nats
  weight: number; // characters
  report: SpanReport;
  /** per sequence of the data, in its order: the decoded tag ids */
  predicted: Int32Array[];
}

const METRICS = labelledSequenceMetrics<TagEvaluation>((e) => e.report.f1);

/** The scheme a tag set follows: B/M/E/S (a subset of those four), BIO (O and B-X / I-X), else none. */
export function detectScheme(tags: readonly string[]): TagScheme {
  if (tags.every((t) => t === "B" || t === "M" || t === "E" || t === "S")) return "bmes";
  if (tags.every((t) => t === "O" || /^[BI]-.+/.test(t))) return "bio";
  return "none";
}

export function checkTagMetadata(m: unknown): TagMetadata {
  const x = m as Partial<TagMetadata>;
  const bad = (why: string): never => { throw new InputError(`the tagger's task entry ${why}`); };
  if (!Array.isArray(x.tags) || x.tags.length < 2 || !x.tags.every((c) => typeof c === "string")) bad("has no list of at least two tags");
  if (!["bmes", "bio", "none"].includes(x.scheme as string)) bad(`has scheme ${JSON.stringify(x.scheme)}`);
  if (typeof x.segment !== "boolean") bad("does not say whether it segments");
  checkLabelledSequenceMetadata(x, bad);
  return x as TagMetadata;
}

export class TagTask implements Task<SequenceData, TagEvaluation, Float64Array, SequenceBatches> {
  readonly name: string;
  readonly input;
  readonly head;
  readonly lossRows = "every-step" as const;
  readonly carriesState = false;
  readonly metrics = METRICS;
  readonly selectionMetric = "val_f1";
  readonly meta: TagMetadata;
  readonly rules: TransitionRules;

  /** `crf`: the model has the CRF's tensors (ModelSpec.crf) and trains and decodes through them. */
  constructor(meta: TagMetadata, vocabulary: number, readonly crf = false) {
    this.meta = checkTagMetadata(meta);
    this.name = meta.segment ? SEGMENT : TAG;
    this.input = { kind: "tokens", vocabulary } as const;
    this.head = { kind: "classes", width: meta.tags.length } as const;
    this.rules = transitionRules(meta.tags, meta.scheme);
  }

  get tags(): string[] { return this.meta.tags; }

  batches(data: SequenceData, streams: number, window: number, what?: string): SequenceBatches {
    if (this.crf) return new CrfBatches(data, streams, window, this.rules, this.meta.seed, what);
    return new SequenceBatches(data, streams, window, "every-step", () => 1, this.meta.seed, what);
  }

  shared(data: SequenceData): SequenceData { return sharedSequences(data); }
  size(data: SequenceData): number { return sequenceCount(data); }

  /** The best tag path of one sequence's [T, K] logits that the scheme allows (log-softmax emissions, no learned transitions). */
  decode(logits: Float64Array, T: number): Int32Array {
    const K = this.meta.tags.length;
    const emissions = new Float64Array(T * K);
    for (let t = 0; t < T; t++) {
      const p = softmaxRow(logits, t, K);
      for (let k = 0; k < K; k++) emissions[t * K + k] = Math.log(p[k]);
    }
    const zeros = { transitions: new Float64Array(K * K), start: new Float64Array(K), end: new Float64Array(K) };
    return Int32Array.from(crfViterbi(emissions, T, zeros, this.rules).path);
  }

  evaluate(core: Core, data: SequenceData, streams: number, window: number): TagEvaluation | null {
    const n = sequenceCount(data);
    if (n === 0) return null;
    const predicted = new Array<Int32Array>(n);
    const crf = this.crf ? crfParameters(core) : null;
    let crfLoss = 0;
    const { lossSum, weight } = forwardSequences(core, data, streams, window, "every-step", (o) => {
      if (!crf) { predicted[o.index] = this.decode(o.logits, o.length); return; }
      const gold = data.targets.subarray(data.offsets[o.index], data.offsets[o.index + 1]);
      crfLoss += crfNegLogLikelihood(o.logits, o.length, gold, crf, this.rules);
      predicted[o.index] = Int32Array.from(crfViterbi(o.logits, o.length, crf, this.rules).path);
    });
    const names = (ids: ArrayLike<number>) => Array.from(ids, (k) => this.meta.tags[k]);
    const truth = predicted.map((_, i) => names(data.targets.subarray(data.offsets[i], data.offsets[i + 1])));
    return { loss: (crf ? crfLoss : lossSum) / weight, weight, report: spanReport(truth, predicted.map(names), this.meta.segment ? "words" : "chunks"), predicted };
  }

  /** The per-step head (the core's default, said here so a core reused from a classifier is right too). */
  prepareCore(core: Core): void { core.setSequenceHead(SequencePool.Steps); }

  /** The tag distribution of one row, [K] in f64. */
  predictionOf(outputs: ArrayLike<number>, row: number): Float64Array {
    return softmaxRow(outputs, row, this.meta.tags.length);
  }

  checkpoint(): TaskCheckpoint { return { name: this.name, metadata: { ...this.meta } as unknown as Record<string, unknown> }; }
}
