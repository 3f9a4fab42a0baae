// Metrics of the classification and tagging tasks, counted the way the tools students compare with
// count them: scikit-learn's classification_report and confusion_matrix (rows = true class, a 0/0
// precision or recall counts 0), conlleval's chunks for BIO/IOBES tags, and the SIGHAN bakeoff
// scorer's words for segmentation (a word is right when both its ends are).

export interface ClassScores { precision: number; recall: number; f1: number; support: number }

export interface ClassificationReport {
  accuracy: number;
  macroF1: number;
  /** support-weighted mean F1 */
  weightedF1: number;
  perClass: ClassScores[];
  /** [true class][predicted class] counts */
  confusion: number[][];
}

export function classificationReport(truth: ArrayLike<number>, predicted: ArrayLike<number>, classCount: number): ClassificationReport {
  if (truth.length !== predicted.length || truth.length === 0) throw new RangeError("truth and predictions must pair up, at least one");
  const confusion = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    confusion[truth[i]][predicted[i]]++;
    if (truth[i] === predicted[i]) correct++;
  }
  const perClass = confusion.map((row, c) => {
    const tp = row[c];
    const support = row.reduce((a, b) => a + b, 0);
    const predictedAs = confusion.reduce((a, r) => a + r[c], 0);
    return scores(tp, predictedAs, support);
  });
  const total = truth.length;
  return {
    accuracy: correct / total,
    macroF1: perClass.reduce((a, s) => a + s.f1, 0) / classCount,
    weightedF1: perClass.reduce((a, s) => a + s.f1 * s.support, 0) / total,
    perClass,
    confusion,
  };
}

function scores(tp: number, predicted: number, actual: number): ClassScores {
  const precision = predicted ? tp / predicted : 0, recall = actual ? tp / actual : 0;
  return { precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0, support: actual };
}

export interface Span { start: number; end: number; type: string }

function splitTag(tag: string): [string, string] {
  if (tag === "O") return ["O", ""];
  const m = /^([BIESMLU])[-_](.+)$/.exec(tag);
  return m ? [m[1], m[2]] : ["I", tag];
}

/** Chunks as conlleval finds them (its startOfChunk/endOfChunk rules): end exclusive. */
export function chunks(tags: readonly string[]): Span[] {
  const out: Span[] = [];
  let prevTag = "O", prevType = "", start = -1;
  for (let i = 0; i <= tags.length; i++) {
    const [tag, type] = i < tags.length ? splitTag(tags[i]) : ["O", ""];
    const ends = (prevTag === "E" || prevTag === "S")
      || (prevTag === "B" && (tag === "B" || tag === "S" || tag === "O"))
      || (prevTag === "I" && (tag === "B" || tag === "S" || tag === "O"))
      || (prevTag !== "O" && prevType !== type);
    const starts = (tag === "B" || tag === "S")
      || (prevTag === "E" && (tag === "E" || tag === "I"))
      || (prevTag === "S" && (tag === "E" || tag === "I"))
      || (prevTag === "O" && (tag === "E" || tag === "I"))
      || (tag !== "O" && prevType !== type);
    if (ends && start >= 0) { out.push({ start, end: i, type: prevType }); start = -1; }
    if (starts && tag !== "O") start = i;
    prevTag = tag;
    prevType = type;
  }
  return out;
}

/** Words of a B/M/E/S-tagged sequence as character spans (end exclusive): a word ends at E or S, or before a B/S. */
export function wordSpans(tags: readonly string[]): Span[] {
  const out: Span[] = [];
  let start = 0;
  for (let i = 0; i < tags.length; i++) {
    if ((tags[i] === "B" || tags[i] === "S") && i > start) { out.push({ start, end: i, type: "" }); start = i; }
    if (tags[i] === "E" || tags[i] === "S") { out.push({ start, end: i + 1, type: "" }); start = i + 1; }
  }
  if (start < tags.length) out.push({ start, end: tags.length, type: "" });
  return out;
}

export interface SpanReport { accuracy: number; precision: number; recall: number; f1: number; predicted: number; actual: number; correct: number }

/** Per-character accuracy and span precision/recall/F1 over sequences; spans by conlleval's chunks, or by words for segmentation. */
export function spanReport(truth: readonly (readonly string[])[], predicted: readonly (readonly string[])[], unit: "chunks" | "words"): SpanReport {
  const find = unit === "chunks" ? chunks : wordSpans;
  let tokens = 0, right = 0, nPred = 0, nTrue = 0, correct = 0;
  truth.forEach((t, s) => {
    const p = predicted[s];
    if (p.length !== t.length) throw new RangeError(`sequence ${s}: ${p.length} predicted tags for ${t.length} characters`);
    for (let i = 0; i < t.length; i++) { tokens++; if (t[i] === p[i]) right++; }
    const ts = find(t), ps = find(p);
    nTrue += ts.length;
    nPred += ps.length;
    const key = (x: Span) => `${x.start}:${x.end}:${x.type}`;
    const trueKeys = new Set(ts.map(key));
    for (const x of ps) if (trueKeys.has(key(x))) correct++;
  });
  const s = scores(correct, nPred, nTrue);
  return { accuracy: tokens ? right / tokens : 0, precision: s.precision, recall: s.recall, f1: s.f1, predicted: nPred, actual: nTrue, correct };
}
