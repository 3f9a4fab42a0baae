// The engine API of the classification, tagging and word-segmentation tasks, for the CLI
// (src/cli/labelledTextCommands.ts) and the editor: reading a labelled file as a task reads it,
// preparing a run (vocabulary, splits, encoding, the task and its model spec), loading a trained
// checkpoint, evaluating it on a file, and predicting labels, tags or words for texts.
// Every problem a user can cause is an InputError of one line naming the file (and line).

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { InputError } from "../messages/inputError";
import { CharVocabulary, DEFAULT_VOCAB_CAP } from "../model/charVocabulary";
import type { Model } from "../files/checkpoint";
import { loadCheckpoint } from "../files/checkpointFile";
import { Core } from "../core/core";
import { coreShape, ModelSpec, validateSpec } from "../model/modelSpec";
import { ClassificationData, LabelledFormat, TaggingData, formatFromName, parseClassificationData, parseTaggingData, splitValidation, tagsToWords } from "./labelledText";
import { CLASSIFY, ClassifyEvaluation, ClassifyMetadata, ClassifyTask, Pooling, balancedClassWeights } from "./classifyTask";
import { SEGMENT, TAG, TagEvaluation, TagTask, detectScheme } from "./tagTask";
import { SequenceData, encodeSequences } from "./sequenceBatches";
import { restoreTask } from "./taskRegistry";
import { TagScheme, transitionRules } from "./linearChainCrf";
import type { ClassScores } from "./taskMetrics";
import { Trainer } from "../training/trainer";
import { DEFAULT_TRAIN_OPTIONS, TrainOptions } from "../training/trainOptions";
import type { SequenceBatches } from "./sequenceBatches";
import { restoreNormStats } from "../model/batchNormStats";

export type TextTaskKind = "classify" | "tag" | "segment";
export const TEXT_TASK_KINDS: readonly TextTaskKind[] = [CLASSIFY, TAG, SEGMENT];

/** How to read a labelled file (absent = from its name and the defaults). */
export interface ReadOptions {
  format?: LabelledFormat;
  textColumn?: string;
  labelColumn?: string;
  maxClasses?: number;
  /** a file a trained model is evaluated on: one class or one tag is fine there */
  evaluating?: boolean;
}

/** One file read for a task: sequences of characters and their class or tags, by name. */
export interface LabelledFile {
  file: string;
  kind: TextTaskKind;
  sequences: string[][];
  /** classification: one label per sequence; tagging: one tag per character */
  labels: (string | string[])[];
  lines: number[];
  /** sorted classes or tags */
  names: string[];
}

export function readLabelledFile(file: string, kind: TextTaskKind, options: ReadOptions = {}): LabelledFile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new InputError(`${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const format = options.format ?? formatFromName(file, kind);
  if (kind === "classify") {
    if (format !== "csv" && format !== "tsv" && format !== "jsonl") throw new InputError(`${file}: classification reads csv, tsv or jsonl, not --format ${format}`);
    const d: ClassificationData = parseClassificationData(text, file, { format, textColumn: options.textColumn, labelColumn: options.labelColumn, maxClasses: options.maxClasses, minClasses: options.evaluating ? 1 : 2 });
    return { file, kind, sequences: d.records.map((r) => Array.from(r.text)), labels: d.records.map((r) => r.label), lines: d.records.map((r) => r.line), names: d.classes };
  }
  const f = kind === "segment" ? "segmented" : format;
  if (f !== "jsonl" && f !== "conll" && f !== "segmented") throw new InputError(`${file}: tagging reads jsonl or conll, not --format ${format}`);
  const d: TaggingData = parseTaggingData(text, file, f);
  if (d.tags.length < 2 && !options.evaluating) throw new InputError(`${file}: every character has the tag "${d.tags[0]}"; a tagger needs at least two tags`);
  return { file, kind, sequences: d.records.map((r) => r.chars), labels: d.records.map((r) => r.tags), lines: d.records.map((r) => r.line), names: d.tags };
}

/** Class or tag ids of a file's records against a model's list; an unknown name is refused at its line. */
function targetIds(f: LabelledFile, names: readonly string[]): (number | number[])[] {
  const index = new Map(names.map((n, i) => [n, i]));
  const what = f.kind === "classify" ? "class" : "tag";
  const id = (name: string, line: number) => {
    const i = index.get(name);
    if (i === undefined) throw new InputError(`${f.file}:${line}: the ${what} "${name}" is not one of the model's ${names.length} (${names.slice(0, 8).join(", ")}${names.length > 8 ? ", …" : ""})`);
    return i;
  };
  return f.labels.map((l, i) => (typeof l === "string" ? id(l, f.lines[i]) : l.map((t) => id(t, f.lines[i]))));
}

export interface TextTaskRequest {
  kind: TextTaskKind;
  data: string;
  read?: ReadOptions;
  /** a validation file, or a seeded fraction of `data` (stratified by label for classification) */
  val?: string;
  valFraction?: number;
  maxLength?: number;
  pool?: Pooling;
  classWeights?: "balanced" | "none";
  bidirectional?: boolean;
  crf?: boolean;
  seed?: number;
  vocabCap?: number;
  /** the network: cell, layers, hidden, embed, … (vocabSize and outputs are the task's) */
  network: Omit<ModelSpec, "vocabSize" | "outputs">;
  /** a run to continue: its model, vocabulary, task (classes or tags, length cap, seed) instead of new ones */
  resume?: Model;
}

export interface PreparedTextTask {
  task: ClassifyTask | TagTask;
  spec: ModelSpec;
  vocab: CharVocabulary;
  train: SequenceData;
  val: SequenceData;
  /** the window: the longest training sequence after --max-length */
  window: number;
  truncated: { train: number; val: number };
  /** per class or tag: how many training sequences (classification) or characters (tagging) have it */
  counts: Record<string, number>;
  corpus: { files: string[]; sha256: string; chars: number; trainChars: number };
  trainSequences: number;
  valSequences: number;
}

export const DEFAULT_MAX_LENGTH = 256;

/** Reads, checks, splits and encodes everything a run needs, before anything is trained or written. */
export function prepareTextTask(r: TextTaskRequest): PreparedTextTask {
  if (r.crf && r.kind === "classify") throw new InputError("--crf is for --task tag or segment (a classifier has one label per record)");
  if (r.pool !== undefined && r.kind !== "classify") throw new InputError("--pool is for --task classify (a tagger predicts at every character)");
  if (r.classWeights === "balanced" && r.kind !== "classify") throw new InputError("--class-weights is for --task classify");
  const resumed = r.resume ? textTaskModelOf(r.resume) : null;
  if (resumed && resumed.kind !== r.kind) throw new InputError(`the checkpoint holds a ${resumed.kind} model, not --task ${r.kind}`);
  const maxLength = resumed ? resumed.task.meta.maxLength : r.maxLength ?? DEFAULT_MAX_LENGTH;
  if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > 4096) throw new InputError(`--max-length must be a whole number from 1 to 4096, not ${maxLength}`);
  const seed = resumed ? resumed.task.meta.seed : r.seed ?? 1;
  const all = readLabelledFile(r.data, r.kind, r.read);
  let trainPart: LabelledFile, valPart: LabelledFile;
  if (r.val !== undefined) {
    if (r.valFraction !== undefined) throw new InputError("give --val FILE or --val-frac F, not both");
    trainPart = all;
    valPart = readLabelledFile(r.val, r.kind, r.read);
  } else {
    const fraction = r.valFraction ?? 0.1;
    const idx = all.sequences.map((_, i) => i);
    const { train, val } = splitValidation(idx, fraction, seed, r.kind === "classify" ? (i) => all.labels[i] as string : undefined);
    const pick = (ix: number[]): LabelledFile => ({ ...all, sequences: ix.map((i) => all.sequences[i]), labels: ix.map((i) => all.labels[i]), lines: ix.map((i) => all.lines[i]) });
    trainPart = pick(train);
    valPart = pick(val);
    if (fraction > 0 && val.length === 0) throw new InputError(`${r.data}: --val-frac ${fraction} of ${all.sequences.length} records leaves no validation records; raise it or give --val FILE`);
  }
  const names = trainPart.names.filter((n) => (r.kind === "classify" ? trainPart.labels.includes(n) : trainPart.labels.some((t) => (t as string[]).includes(n))));
  if (names.length < 2) throw new InputError(`${r.data}: the training part has only ${names.length === 1 ? `"${names[0]}"` : "no labels"}; it needs at least two ${r.kind === "classify" ? "classes" : "tags"}`);
  const allNames = resumed ? resumed.names
    : [...new Set([...names, ...(r.kind === "classify" ? valPart.labels as string[] : (valPart.labels as string[][]).flat())])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const counts = new Map<string, number>();
  const chars = new Map<string, number>();
  let total = 0;
  trainPart.sequences.forEach((s) => { for (const c of s.slice(0, maxLength)) { chars.set(c, (chars.get(c) ?? 0) + 1); total++; } });
  trainPart.labels.forEach((l) => { for (const n of typeof l === "string" ? [l] : l) counts.set(n, (counts.get(n) ?? 0) + 1); });
  if (chars.size < 2) chars.set(chars.has("\u0000") ? "\u0001" : "\u0000", 0); // a one-character alphabet still gets a vocabulary of two
  const vocab = resumed ? resumed.model.vocab : CharVocabulary.fromCounts(chars, total, r.vocabCap ?? DEFAULT_VOCAB_CAP).vocab;
  const trainEnc = encodeSequences(vocab, trainPart.sequences, targetIds(trainPart, allNames), maxLength);
  const valEnc = encodeSequences(vocab, valPart.sequences, targetIds(valPart, allNames), maxLength);
  let window = 1;
  for (const s of trainPart.sequences) window = Math.max(window, Math.min(s.length, maxLength));
  for (const s of valPart.sequences) window = Math.max(window, Math.min(s.length, maxLength));
  const task = resumed ? resumed.task : r.kind === "classify"
    ? new ClassifyTask({ classes: allNames, pool: r.pool ?? "last", seed, maxLength,
      classWeights: r.classWeights === "balanced" ? balancedClassWeights(trainEnc.data.targets, allNames.length) : null }, vocab.size)
    : new TagTask({ tags: allNames, scheme: schemeOf(allNames, trainEnc.data), segment: r.kind === "segment", maxLength, seed }, vocab.size, r.crf === true);
  const spec: ModelSpec = resumed ? resumed.model.spec : { ...r.network, vocabSize: vocab.size, outputs: allNames.length, ...(r.bidirectional ? { bidirectional: true } : {}), ...(r.crf ? { crf: true } : {}) };
  validateSpec(spec);
  const files = r.val !== undefined ? [r.data, r.val] : [r.data];
  const hash = createHash("sha256");
  for (const f of files) hash.update(readFileSync(f));
  return {
    task, spec, vocab, train: trainEnc.data, val: valEnc.data, window,
    truncated: { train: trainEnc.truncated, val: valEnc.truncated },
    counts: Object.fromEntries(allNames.map((n) => [n, counts.get(n) ?? 0])),
    corpus: { files, sha256: hash.digest("hex"), chars: trainEnc.data.ids.length + valEnc.data.ids.length, trainChars: trainEnc.data.ids.length },
    trainSequences: trainPart.sequences.length, valSequences: valPart.sequences.length,
  };
}

/** The tag set's scheme (tagTask.ts detectScheme), or none when the training tags break it (an I-X after O): decoding must allow what the data holds. */
function schemeOf(tags: string[], data: SequenceData): TagScheme {
  const scheme = detectScheme(tags);
  if (scheme === "none") return scheme;
  const rules = transitionRules(tags, scheme), K = tags.length;
  for (let i = 0; i + 1 < data.offsets.length; i++) {
    const o = data.offsets[i], n = data.offsets[i + 1] - o;
    if (!rules.first[data.targets[o]] || !rules.last[data.targets[o + n - 1]]) return "none";
    for (let t = 1; t < n; t++) if (!rules.allowed[data.targets[o + t - 1] * K + data.targets[o + t]]) return "none";
  }
  return scheme;
}

/** Defaults of a text-task run that differ from a language model's (TrainOptions' others apply). */
export const TEXT_TASK_DEFAULTS = { batch: 32, epochs: 10, hidden: 64, embed: 32, layers: 1, valFraction: 0.1 } as const;

/**
 * The Trainer of a prepared run (the CLI's and the editor's): `options` over the language model's
 * defaults, with the window set to the data's (PreparedTextTask.window) and the batch at most the
 * training records. Drive it with a TrainingSession; dispose() it after.
 */
export function createTextTaskTrainer(p: PreparedTextTask, options: Partial<TrainOptions> = {}, threads = 1): Trainer<SequenceData, SequenceBatches> {
  const o: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, valFraction: TEXT_TASK_DEFAULTS.valFraction, ...options,
    batch: Math.min(options.batch ?? TEXT_TASK_DEFAULTS.batch, p.trainSequences), seq: p.window };
  o.valFraction = Math.min(0.5, o.valFraction);
  return new Trainer<SequenceData, SequenceBatches>(p.spec, p.vocab, { train: p.train, val: p.val }, o, p.corpus, null, undefined, threads, p.task);
}

/**
 * The Trainer continuing `model` (a training checkpoint of a run on the same data: its options,
 * weights, optimizer moments and position). `p` must come from prepareTextTask with `resume: model`.
 */
export function resumeTextTaskTrainer(p: PreparedTextTask, model: Model, threads = 1): Trainer<SequenceData, SequenceBatches> {
  const t = model.training;
  if (!t) throw new InputError("the checkpoint holds weights only (no optimizer state); it cannot be resumed exactly");
  if (t.corpus.sha256 !== p.corpus.sha256) throw new InputError(`the data differs from the run's (${t.corpus.files.join(", ")}); resuming needs the same files`);
  if (t.options.seq !== p.window) throw new InputError(`the data's longest record (${p.window} characters) differs from the run's window ${t.options.seq}`);
  return new Trainer<SequenceData, SequenceBatches>(p.spec, p.vocab, { train: p.train, val: p.val }, t.options, p.corpus, model, undefined, threads, p.task);
}

// ---------------------------------------------------------------- a trained model

export interface TextTaskModel {
  model: Model;
  task: ClassifyTask | TagTask;
  kind: TextTaskKind;
  /** classes or tags */
  names: string[];
}

/** Whether a loaded checkpoint holds one of these tasks. */
export function isTextTaskModel(model: Model): boolean {
  return model.task !== undefined && (TEXT_TASK_KINDS as readonly string[]).includes(model.task.name);
}

export function textTaskModelOf(model: Model, file = "the checkpoint"): TextTaskModel {
  if (!isTextTaskModel(model)) throw new InputError(`${file} is a ${model.task?.name ?? "character-model"} checkpoint, not a classifier, tagger or segmenter`);
  const task = restoreTask(model.task!, model.spec) as unknown as ClassifyTask | TagTask;
  return { model, task, kind: model.task!.name as TextTaskKind, names: task instanceof ClassifyTask ? task.classes : task.tags };
}

export function loadTextTaskModel(checkpoint: string): TextTaskModel {
  return textTaskModelOf(loadCheckpoint(checkpoint), checkpoint);
}

// One core per loaded model, made on first use and kept (a hover or a line decoration predicts one
// line at a time: instantiating a core each time would cost more than the prediction).
const cores = new WeakMap<TextTaskModel, Core>();

function modelCore(m: TextTaskModel): Core {
  let core = cores.get(m);
  if (!core) {
    core = new Core(coreShape(m.model.spec), "f32");
    m.task.prepareCore(core);
    core.params().set(m.model.params);
    restoreNormStats(core, m.model.normStats); // batch norm's running averages (model/batchNormStats.ts)
    core.freezeWeights();
    cores.set(m, core);
  }
  return core;
}

const EVAL_BATCH = 32;

/** What `rnn-lab eval` reports for a classifier. */
export interface ClassifyEvalResult {
  task: "classify";
  file: string;
  records: number;
  loss: number;
  accuracy: number;
  macro_f1: number;
  weighted_f1: number;
  labels: string[];
  per_class: (ClassScores & { label: string })[];
  /** [true label][predicted label] counts, in `labels` order */
  confusion: number[][];
  /** per record, its line, truth, prediction and confidence (the probability of the prediction) */
  predictions: { line: number; truth: string; predicted: string; confidence: number }[];
}

/** What `rnn-lab eval` reports for a tagger or segmenter. */
export interface TagEvalResult {
  task: "tag" | "segment";
  file: string;
  records: number;
  characters: number;
  loss: number;
  accuracy: number;
  /** span (conlleval chunks) or word (segmentation) precision, recall and F1, and their counts */
  precision: number;
  recall: number;
  f1: number;
  predicted_spans: number;
  true_spans: number;
  correct_spans: number;
  unit: "chunks" | "words";
}

export type TextTaskEvalResult = ClassifyEvalResult | TagEvalResult;

/** The model on a labelled file read as it was trained (every record whole: no --max-length cut at evaluation). */
export function evaluateTextTask(m: TextTaskModel, file: string, read: ReadOptions = {}): TextTaskEvalResult {
  const f = readLabelledFile(file, m.kind, { ...read, maxClasses: Math.max(read.maxClasses ?? 0, m.names.length + 1000), evaluating: true });
  const window = Math.max(1, ...f.sequences.map((s) => s.length));
  const { data } = encodeSequences(m.model.vocab, f.sequences, targetIds(f, m.names), window);
  const core = modelCore(m);
  if (m.task instanceof ClassifyTask) {
    const e = m.task.evaluate(core, data, EVAL_BATCH, window) as ClassifyEvaluation;
    return {
      task: "classify", file, records: f.sequences.length, loss: e.loss, accuracy: e.report.accuracy, macro_f1: e.report.macroF1, weighted_f1: e.report.weightedF1,
      labels: m.names, per_class: e.report.perClass.map((s, k) => ({ label: m.names[k], ...s })), confusion: e.report.confusion,
      predictions: f.lines.map((line, i) => ({ line, truth: m.names[data.targets[i]], predicted: m.names[e.predicted[i]], confidence: e.probabilities[i][e.predicted[i]] })),
    };
  }
  const e = m.task.evaluate(core, data, EVAL_BATCH, window) as TagEvaluation;
  return {
    task: m.kind as "tag" | "segment", file, records: f.sequences.length, characters: data.ids.length, loss: e.loss, accuracy: e.report.accuracy,
    precision: e.report.precision, recall: e.report.recall, f1: e.report.f1, predicted_spans: e.report.predicted, true_spans: e.report.actual, correct_spans: e.report.correct,
    unit: m.kind === "segment" ? "words" : "chunks",
  };
}

/** One text's prediction: a label with the class probabilities, tags per character, or words. */
export type TextPrediction =
  | { task: "classify"; text: string; label: string; confidence: number; probabilities: Record<string, number> }
  | { task: "tag"; text: string; chars: string[]; tags: string[] }
  | { task: "segment"; text: string; chars: string[]; tags: string[]; words: string[]; segmented: string };

/** Predictions for texts (each read whole); an empty text is refused by the caller's line. */
export function predictTexts(m: TextTaskModel, texts: readonly string[]): TextPrediction[] {
  if (texts.length === 0) return [];
  const seqs = texts.map((t) => Array.from(t));
  const window = Math.max(1, ...seqs.map((s) => s.length));
  const dummy = m.task instanceof ClassifyTask ? seqs.map(() => 0) : seqs.map((s) => s.map(() => 0));
  const { data } = encodeSequences(m.model.vocab, seqs, dummy, window);
  const core = modelCore(m);
  if (m.task instanceof ClassifyTask) {
    const e = m.task.evaluate(core, data, EVAL_BATCH, window)!;
    return texts.map((text, i) => {
      const p = e.probabilities[i], k = e.predicted[i];
      return { task: "classify", text, label: m.names[k], confidence: p[k], probabilities: Object.fromEntries(m.names.map((n, j) => [n, p[j]])) };
    });
  }
  const e = m.task.evaluate(core, data, EVAL_BATCH, window)!;
  return texts.map((text, i) => {
    const tags = Array.from(e.predicted[i], (k) => m.names[k]);
    if (m.kind !== "segment") return { task: "tag", text, chars: seqs[i], tags };
    const words = tagsToWords(seqs[i], tags);
    return { task: "segment", text, chars: seqs[i], tags, words, segmented: words.join(" ") };
  });
}

/** The classification metadata of a model (for a panel: the classes, pooling and weights). */
export function classifyMetadata(m: TextTaskModel): ClassifyMetadata | null {
  return m.task instanceof ClassifyTask ? m.task.meta : null;
}
