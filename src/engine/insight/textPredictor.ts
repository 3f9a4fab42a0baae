// A model reading documents as they are edited: the next-character distribution at any offset
// (hovers), the surprisal of every character in a range (highlighting) and the mean loss of a file.
//
// The model at offset p has read the text from an anchor a(p) = max(0, ⌊p/W⌋·W − W), so between W
// and 2W characters of context (W = contextChars), starting from zero state. Anchors are fixed
// positions, so moving along a line reuses the state cached at the last position: each hover costs
// only the characters since. States are cached every CACHE_STRIDE characters after each anchor;
// an edit drops the states after its first changed offset.
//
// Offsets are the editor's (UTF-16 code units); the model reads code points, so a position inside
// a surrogate pair means the pair's start. Characters outside the vocabulary (no <unk>) are skipped.

import { Core } from "../core/core";
import { Model } from "../files/checkpoint";
import { coreShape } from "../model/modelSpec";
import { requireFinite } from "../training/evaluate";
import { cellEntry } from "../model/cells";
import { CharacterModel, textStartId } from "../tasks/characterModel";
import { restoreNormStats } from "../model/batchNormStats";

const CHUNK = 256; // steps per forward call
const CACHE_STRIDE = 32;
const MAX_CACHED_STATES = 8192; // over all documents (≈ 2·layers·hidden floats each)

interface CachedState { pos: number; h: Float32Array; c: Float32Array | null }

interface DocumentCache {
  text: string;
  version: number;
  anchors: Map<number, CachedState[]>; // sorted by pos
  /** The state where the last request ended (not on the stride): the next hover along the line starts here. */
  last: CachedState & { anchor: number } | null;
}

export interface CharProbability { char: string; probability: number }

export interface Prediction {
  top: CharProbability[]; // most likely first
  /** The character that actually follows, with its probability and surprisal; null at the end or when unknown to the model. */
  actual: (CharProbability & { bits: number }) | null;
  /** The character that follows when the model's vocabulary does not have it (it cannot predict it; reading skips it), else null. */
  unknown: string | null;
  contextChars: number; // characters the model read for this prediction
  fed: number; // characters fed now (the rest came from the cache)
}

export class TextPredictor {
  private readonly core: Core;
  private readonly docs = new Map<string, DocumentCache>();
  private cachedStates = 0;
  private readonly L: number;
  private readonly H: number;
  private readonly V: number;
  private readonly startId: number;
  private readonly task: CharacterModel;

  constructor(readonly model: Model, readonly contextChars = 256) {
    if (!Number.isInteger(contextChars) || contextChars < 1) throw new RangeError(`context must be a positive number of characters, not ${contextChars}`);
    this.core = new Core(coreShape(model.spec));
    this.core.params().set(model.params);
    restoreNormStats(this.core, model.normStats); // batch norm's running averages (model/batchNormStats.ts)
    this.core.freezeWeights();
    this.core.setShape(1, CHUNK);
    this.L = model.spec.layers;
    this.H = model.spec.hidden;
    this.V = model.spec.vocabSize;
    // what the model "reads" before the first character of a document: a line break, as the sampler
    this.startId = textStartId(model.vocab);
    this.task = new CharacterModel(this.V);
  }

  /**
   * The document's text as of `version`. `changedFrom` is the first offset that differs from the
   * text last given (undefined: unknown, drop everything cached for it).
   */
  setText(doc: string, version: number, text: string, changedFrom?: number): void {
    const d = this.docs.get(doc);
    if (!d || changedFrom === undefined) {
      if (d) this.forget(doc);
      this.docs.set(doc, { text, version, anchors: new Map(), last: null });
      return;
    }
    d.text = text;
    d.version = version;
    for (const [anchor, states] of d.anchors) {
      const keep = states.filter((s) => s.pos <= changedFrom);
      this.cachedStates -= states.length - keep.length;
      if (keep.length) d.anchors.set(anchor, keep);
      else d.anchors.delete(anchor);
    }
    if (d.last && d.last.pos > changedFrom) d.last = null;
  }

  /** The version the predictor holds for a document (undefined: none). */
  versionOf(doc: string): number | undefined { return this.docs.get(doc)?.version; }

  forget(doc: string): void {
    const d = this.docs.get(doc);
    if (!d) return;
    for (const states of d.anchors.values()) this.cachedStates -= states.length;
    this.docs.delete(doc);
  }

  /** The distribution of the character at `offset` given the text before it; `k` most likely. */
  predict(doc: string, offset: number, k: number): Prediction {
    const d = this.doc(doc);
    const p = charStart(d.text, clamp(offset, 0, d.text.length));
    const anchor = this.anchorOf(d.text, p);
    const fed = this.advance(d, anchor, p);
    const probs = this.softmaxAt(this.feedLen - 1);
    const top = topK(probs, Math.min(k, this.V)).map((i) => ({ char: this.model.vocab.chars[i], probability: probs[i] }));
    let actual: Prediction["actual"] = null, unknown: string | null = null;
    if (p < d.text.length) {
      const ch = String.fromCodePoint(d.text.codePointAt(p)!);
      const id = this.idOf(ch);
      if (id >= 0) actual = { char: ch, probability: probs[id], bits: -Math.log2(probs[id]) };
      else unknown = ch;
    }
    return { top, actual, unknown, contextChars: p - anchor, fed };
  }

  /**
   * Surprisal in bits of each character in [start, end), read in one pass from the anchor before
   * `start`: one value per UTF-16 offset, NaN for the second half of a surrogate pair and for
   * characters the model does not know.
   */
  surprisal(doc: string, start: number, end: number): Float32Array {
    const d = this.doc(doc);
    const s = charStart(d.text, clamp(start, 0, d.text.length));
    const e = clamp(end, s, d.text.length);
    const out = new Float32Array(e - s).fill(NaN);
    if (e === s) return out;
    this.advance(d, this.anchorOf(d.text, s), s);
    let probs = this.softmaxAt(this.feedLen - 1); // predicts the character at s
    let i = s;
    while (i < e) {
      const ids: number[] = [], at: number[] = [];
      while (i < e && ids.length < CHUNK) {
        const cp = d.text.codePointAt(i)!;
        const id = this.idOf(String.fromCodePoint(cp));
        if (id >= 0) { ids.push(id); at.push(i); }
        i += cp > 0xffff ? 2 : 1;
      }
      if (!ids.length) break;
      this.feed(ids);
      for (let t = 0; t < ids.length; t++) {
        out[at[t] - s] = -Math.log2(probs[ids[t]]);
        probs = this.softmaxAt(t); // predicts ids[t + 1]
      }
    }
    return out;
  }

  /**
   * Mean loss of a whole text (nats per predicted character), read from its start, for a file's
   * summary; `characters` the text's characters (code points), `unknown` those the vocabulary lacks
   * (skipped: neither read nor predicted).
   */
  meanLoss(text: string): { loss: number; predicted: number; characters: number; unknown: number } {
    const key = "\u0000meanLoss";
    this.setText(key, 0, text);
    try {
      const bits = this.surprisal(key, 0, text.length);
      let sum = 0, n = 0;
      for (let k = 0; k < bits.length; k++) if (!Number.isNaN(bits[k])) { sum += bits[k]; n++; }
      let characters = 0, unknown = 0;
      for (const ch of text) {
        characters++;
        if (this.idOf(ch) < 0) unknown++;
      }
      return { loss: n ? (sum * Math.LN2) / n : NaN, predicted: n, characters, unknown };
    } finally {
      this.forget(key);
    }
  }

  get cacheSize(): number { return this.cachedStates; }

  // ---- reading ----

  private doc(doc: string): DocumentCache {
    const d = this.docs.get(doc);
    if (!d) throw new Error(`no text for ${doc}; call setText first`);
    return d;
  }

  private anchorOf(text: string, p: number): number {
    const W = this.contextChars;
    return charStart(text, Math.max(0, Math.floor(p / W) * W - W));
  }

  private idOf(ch: string): number {
    return this.model.vocab.indexOf(ch);
  }

  /** Readable characters of text[from, p) and the offset after each. */
  private idsBetween(text: string, from: number, p: number): { ids: number[]; ends: number[] } {
    const ids: number[] = [], ends: number[] = [];
    for (let i = from; i < p;) {
      const cp = text.codePointAt(i)!;
      i += cp > 0xffff ? 2 : 1;
      const id = this.idOf(String.fromCodePoint(cp));
      if (id >= 0) { ids.push(id); ends.push(i); }
    }
    return { ids, ends };
  }

  /**
   * Brings the model to "has read text[anchor, p)", starting from the nearest cached state before
   * p, and returns how many characters it fed (at least one, so that the last step's logits
   * predict the character at p).
   */
  private advance(d: DocumentCache, anchor: number, p: number): number {
    const states = d.anchors.get(anchor) ?? [];
    let from: CachedState | null = null;
    for (let k = states.length - 1; k >= 0; k--) if (states[k].pos < p) { from = states[k]; break; }
    const last = d.last;
    if (last && last.anchor === anchor && last.pos < p && (!from || last.pos > from.pos)) from = last;
    let { ids, ends } = this.idsBetween(d.text, from ? from.pos : anchor, p);
    if (from && ids.length === 0) {
      from = null; // only unreadable characters since the cached state: read from the anchor
      ({ ids, ends } = this.idsBetween(d.text, anchor, p));
    }
    if (!from && (anchor === 0 || ids.length === 0) && this.startId >= 0) {
      ids.unshift(this.startId); // what the model reads before a document's first character
      ends.unshift(anchor);
    }
    if (ids.length === 0) throw new Error("the model knows none of the characters before this position");
    this.loadState(from);
    for (let c0 = 0; c0 < ids.length; c0 += CHUNK) {
      const chunk = ids.slice(c0, c0 + CHUNK);
      this.feed(chunk);
      for (let t = 0; t < chunk.length; t++) {
        const pos = ends[c0 + t];
        if (pos > anchor && (pos - anchor) % CACHE_STRIDE === 0) this.cacheState(d, anchor, pos, t + 1);
      }
    }
    d.last = { anchor, pos: p, ...this.stateAt(this.feedLen) };
    return ids.length;
  }

  /** Steps of the last forward call; its final state is carried before the next one. */
  private feedLen = 0;

  private feed(ids: number[]): void {
    if (this.feedLen > 0) this.core.carryState();
    this.core.setSteps(ids.length);
    const inputs = this.core.inputs();
    for (let t = 0; t < ids.length; t++) inputs[t] = ids[t];
    this.core.forward(false, 0, false);
    this.feedLen = ids.length;
  }

  private loadState(s: CachedState | null): void {
    const H = this.H;
    for (let l = 0; l < this.L; l++) {
      const h = this.core.hiddenStates(l).subarray(0, H);
      if (s) h.set(s.h.subarray(l * H, (l + 1) * H));
      else h.fill(0);
      if (cellEntry(this.model.spec.cell).cellState) {
        const c = this.core.cellStates(l).subarray(0, H);
        if (s?.c) c.set(s.c.subarray(l * H, (l + 1) * H));
        else c.fill(0);
      }
    }
    this.feedLen = 0;
  }

  /** The state after step t of the last forward call (t = 0: its initial state). */
  private stateAt(t: number): { h: Float32Array; c: Float32Array | null } {
    const H = this.H, L = this.L;
    const h = new Float32Array(L * H);
    const c = cellEntry(this.model.spec.cell).cellState ? new Float32Array(L * H) : null;
    for (let l = 0; l < L; l++) {
      h.set(this.core.hiddenStates(l).subarray(t * H, (t + 1) * H), l * H);
      c?.set(this.core.cellStates(l).subarray(t * H, (t + 1) * H), l * H);
    }
    return { h, c };
  }

  private cacheState(d: DocumentCache, anchor: number, pos: number, t: number): void {
    const states = d.anchors.get(anchor) ?? [];
    if (states.some((s) => s.pos === pos)) return;
    if (this.cachedStates >= MAX_CACHED_STATES) this.evict(d);
    states.push({ pos, ...this.stateAt(t) });
    states.sort((a, b) => a.pos - b.pos);
    d.anchors.set(anchor, states);
    this.cachedStates++;
  }

  /** Makes room: other documents' caches first, then the oldest half of this one's anchors. */
  private evict(current: DocumentCache): void {
    for (const d of this.docs.values()) {
      if (d === current) continue;
      for (const states of d.anchors.values()) this.cachedStates -= states.length;
      d.anchors.clear();
      d.last = null;
    }
    if (this.cachedStates < MAX_CACHED_STATES) return;
    const anchors = [...current.anchors.keys()];
    for (const a of anchors.slice(0, Math.ceil(anchors.length / 2))) {
      this.cachedStates -= current.anchors.get(a)!.length;
      current.anchors.delete(a);
    }
  }

  /** The next character's distribution after step t (the task's prediction); non-finite scores are the model's overflow. */
  private softmaxAt(t: number): Float64Array {
    const out = this.task.predictionOf(this.core.logits(), t);
    if (!Number.isFinite(out[0])) requireFinite([out[0]], "the prediction's scores", this.model.params);
    return out;
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.floor(x)));
}

/** The start of the character at offset i (a low surrogate belongs to the pair before it). */
function charStart(text: string, i: number): number {
  if (i > 0 && i < text.length) {
    const u = text.charCodeAt(i);
    if (u >= 0xdc00 && u <= 0xdfff) {
      const hi = text.charCodeAt(i - 1);
      if (hi >= 0xd800 && hi <= 0xdbff) return i - 1;
    }
  }
  return i;
}

function topK(probs: Float64Array, k: number): number[] {
  const best: number[] = [];
  for (let v = 0; v < probs.length; v++) {
    if (best.length < k) {
      best.push(v);
      best.sort((a, b) => probs[b] - probs[a]);
    } else if (probs[v] > probs[best[k - 1]]) {
      best[k - 1] = v;
      best.sort((a, b) => probs[b] - probs[a]);
    }
  }
  return best;
}
