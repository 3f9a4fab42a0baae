// What a trained classifier, tagger or segmenter says about text, as it crosses from the worker
// that runs the model to the extension host, which draws it in the editor (decorations, hovers, the
// list of misclassified records, the classification report). The same shapes as `rnn-lab predict
// --json` prints: a label and the class probabilities per record; one tag per character (code point).

/** One classified record: where it starts in its file (1-based line), its label in the file if it has one, and a probability per class. */
export interface RecordPrediction { line: number; truth: string | null; probabilities: number[] }

export interface ClassPredictions { task: "classify"; classes: string[]; records: RecordPrediction[] }

/** One tagged stretch of a document: its 1-based line, the UTF-16 column its first character starts at, and a tag per code point. */
export interface TagSequencePrediction { line: number; column: number; tags: string[] }

export interface TagPredictions { task: "tag" | "segment"; tags: string[]; sequences: TagSequencePrediction[] }

/**
 * Why a classifier chose a class for a text: per character (code point) its attribution to that
 * class's logit by gradient × input and by integrated gradients from the zero input in `steps`
 * steps; the logit difference the integrated gradients should add up to (completeness).
 */
export interface AttributionResult {
  chars: string[];
  classes: string[];
  target: number;
  probabilities: number[];
  gradientTimesInput: number[];
  integratedGradients: number[];
  steps: number;
  /** the target class's logit at the input and at the zero baseline */
  logit: number;
  baselineLogit: number;
}

/**
 * An attribution as a colour: red for the class, blue against, its opacity the share of the largest
 * magnitude in the text (0 to `maxAlpha`), so the strongest character is the most saturated.
 */
export function attributionColour(value: number, maxAbs: number, maxAlpha = 0.6): string {
  const a = maxAbs > 0 ? Math.min(1, Math.abs(value) / maxAbs) * maxAlpha : 0;
  return value >= 0 ? `rgba(230, 40, 40, ${a.toFixed(3)})` : `rgba(40, 90, 230, ${a.toFixed(3)})`;
}

/** Integrated gradients' completeness: their sum, the logit difference it should equal, and the relative gap. */
export function completeness(integratedGradients: readonly number[], logit: number, baselineLogit: number): { sum: number; difference: number; relativeError: number } {
  const sum = integratedGradients.reduce((a, b) => a + b, 0), difference = logit - baselineLogit;
  return { sum, difference, relativeError: Math.abs(sum - difference) / Math.max(Math.abs(difference), 1e-12) };
}

const isNumArray = (v: unknown, n?: number): v is number[] => Array.isArray(v) && (n === undefined || v.length === n) && v.every((x) => typeof x === "number" && Number.isFinite(x));
const isStrArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");
const isLine = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= 1;

/** Checks a worker's predictions before the host draws them: every record's probabilities one per class, every tag one of the tag set. */
export function isClassPredictions(v: unknown): v is ClassPredictions {
  const x = v as Record<string, unknown> | null;
  if (typeof x !== "object" || x === null || x.task !== "classify" || !isStrArray(x.classes) || x.classes.length < 2 || !Array.isArray(x.records)) return false;
  const k = x.classes.length;
  return x.records.every((r: Record<string, unknown>) => typeof r === "object" && r !== null && isLine(r.line) && (r.truth === null || typeof r.truth === "string") && isNumArray(r.probabilities, k));
}

export function isTagPredictions(v: unknown): v is TagPredictions {
  const x = v as Record<string, unknown> | null;
  if (typeof x !== "object" || x === null || (x.task !== "tag" && x.task !== "segment") || !isStrArray(x.tags) || !Array.isArray(x.sequences)) return false;
  const known = new Set(x.tags);
  return x.sequences.every((s: Record<string, unknown>) => typeof s === "object" && s !== null && isLine(s.line) && typeof s.column === "number" && Number.isInteger(s.column) && s.column >= 0 && isStrArray(s.tags) && s.tags.every((t) => known.has(t)));
}

export function isAttributionResult(v: unknown): v is AttributionResult {
  const x = v as Record<string, unknown> | null;
  if (typeof x !== "object" || x === null || !isStrArray(x.chars) || !isStrArray(x.classes)) return false;
  const n = x.chars.length;
  return typeof x.target === "number" && Number.isInteger(x.target) && x.target >= 0 && x.target < x.classes.length && isNumArray(x.probabilities, x.classes.length)
    && isNumArray(x.gradientTimesInput, n) && isNumArray(x.integratedGradients, n) && typeof x.steps === "number" && Number.isInteger(x.steps) && x.steps >= 1
    && typeof x.logit === "number" && Number.isFinite(x.logit) && typeof x.baselineLogit === "number" && Number.isFinite(x.baselineLogit);
}
