// Characters are Unicode code points (so 中文 and emoji are one symbol each, never UTF-16 halves).
// Over the cap, the rarest characters share one <unk> symbol.

import { InputError, userError } from "../messages/inputError";
export const UNK = "<unk>";
export const DEFAULT_VOCAB_CAP = 5000;

/** Token ids of a text: the narrowest type the vocabulary fits (Uint8 up to 256 symbols, Uint16 up to 65,536). */
export type TokenIds = Uint8Array | Uint16Array | Int32Array;

export interface VocabularyJson {
  chars: string[]; // index → character; the <unk> entry, if any, is at unk
  unk: number; // -1 when there is none
}

export interface VocabularyReport {
  distinct: number; // distinct characters in the text
  mappedToUnk: number; // distinct characters folded into <unk>
  unkShare: number; // fraction of the text's characters that became <unk>
}

export class CharVocabulary {
  readonly chars: string[];
  readonly unk: number;
  private readonly index = new Map<string, number>();

  constructor(json: VocabularyJson) {
    if (!Array.isArray(json.chars) || json.chars.length < 2) throw new InputError("vocabulary needs at least 2 characters");
    this.chars = json.chars.slice();
    this.unk = json.unk ?? -1;
    this.chars.forEach((c, i) => {
      if (typeof c !== "string") throw new InputError(`vocabulary entry ${i} is not a string`);
      if (i !== this.unk && [...c].length !== 1) throw new InputError(`vocabulary entry ${i} is not one character: ${JSON.stringify(c)}`);
      if (this.index.has(c)) throw new InputError(`vocabulary lists ${JSON.stringify(c)} twice`);
      this.index.set(c, i);
    });
    if (this.unk >= this.chars.length) throw new InputError("vocabulary's <unk> index is out of range");
  }

  static fromText(text: string, cap = DEFAULT_VOCAB_CAP): { vocab: CharVocabulary; report: VocabularyReport } {
    if (!Number.isInteger(cap) || cap < 2) throw new InputError(`the vocabulary cap must be at least 2, not ${cap}`);
    const counts = new Map<string, number>();
    let total = 0;
    for (const ch of text) {
      counts.set(ch, (counts.get(ch) ?? 0) + 1);
      total++;
    }
    return CharVocabulary.fromCounts(counts, total, cap);
  }

  /** The same from counts already made (character → occurrences; `total` = their sum). */
  static fromCounts(counts: Map<string, number>, total: number, cap = DEFAULT_VOCAB_CAP): { vocab: CharVocabulary; report: VocabularyReport } {
    if (!Number.isInteger(cap) || cap < 2) throw new InputError(`the vocabulary cap must be at least 2, not ${cap}`);
    if (counts.size < 2) {
      throw counts.size === 1 ? userError(InputError, "tooFewDistinctOnly", JSON.stringify([...counts.keys()][0])) : userError(InputError, "tooFewDistinct");
    }
    const byCodePoint = (a: string, b: string) => a.codePointAt(0)! - b.codePointAt(0)!;
    let kept = [...counts.keys()];
    let unkCount = 0;
    const hasUnk = kept.length > cap;
    if (hasUnk) {
      kept.sort((a, b) => counts.get(b)! - counts.get(a)! || byCodePoint(a, b));
      for (const c of kept.slice(cap - 1)) unkCount += counts.get(c)!;
      kept = kept.slice(0, cap - 1);
    }
    kept.sort(byCodePoint);
    const chars = hasUnk ? [...kept, UNK] : kept;
    const vocab = new CharVocabulary({ chars, unk: hasUnk ? chars.length - 1 : -1 });
    return { vocab, report: { distinct: counts.size, mappedToUnk: hasUnk ? counts.size - (cap - 1) : 0, unkShare: unkCount / total } };
  }

  get size(): number { return this.chars.length; }

  has(ch: string): boolean { return this.index.has(ch) && this.index.get(ch) !== this.unk; }

  indexOf(ch: string): number {
    const i = this.index.get(ch);
    if (i !== undefined && i !== this.unk) return i;
    return this.unk;
  }

  /** Code points → indices. Unknown characters become <unk>, or an error naming one of them. */
  encode(text: string): Int32Array {
    // At most one id per UTF-16 unit: written in place (an array of numbers would take ~8 bytes per character)
    const out = new Int32Array(text.length);
    let n = 0;
    for (const ch of text) {
      const i = this.indexOf(ch);
      if (i < 0) throw userError(InputError, "notInVocabulary", JSON.stringify(ch), `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`);
      out[n++] = i;
    }
    return n === out.length ? out : out.slice(0, n);
  }

  decode(indices: ArrayLike<number>): string {
    let s = "";
    for (let k = 0; k < indices.length; k++) s += this.chars[indices[k]] ?? "";
    return s;
  }

  toJSON(): VocabularyJson { return { chars: this.chars, unk: this.unk }; }
}
