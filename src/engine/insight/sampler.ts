// Generating text one character at a time at batch 1: feed a character, read the logits, draw.

import { Core } from "../core/core";
import { Model } from "../files/checkpoint";
import { coreShape } from "../model/modelSpec";
import { requireFinite } from "../training/evaluate";
import { textStartId } from "../tasks/characterModel";
import { restoreNormStats } from "../model/batchNormStats";

export interface SampleOptions {
  temperature: number; // ≤ 0: always the most likely character
  topK: number; // 0: no limit
  topP: number; // 1: no limit
}

export const DEFAULT_SAMPLE_OPTIONS: SampleOptions = { temperature: 1, topK: 0, topP: 1 };

export interface SampledChar {
  index: number;
  char: string;
  probability: number; // under the distribution it was drawn from
  /** The most likely characters of that distribution, most likely first (when asked for). */
  alternatives?: { index: number; probability: number }[];
}

export class Sampler {
  private readonly core: Core;
  private last = -1;

  constructor(readonly model: Model, seed: number) {
    this.core = new Core(coreShape(model.spec));
    this.core.params().set(model.params);
    restoreNormStats(this.core, model.normStats); // batch norm's running averages (model/batchNormStats.ts)
    this.core.freezeWeights();
    this.core.setShape(1, 1);
    this.core.seed(seed);
  }

  /** Feeds characters (unknown ones as <unk>, or an error if the vocabulary has none). */
  prime(text: string): void {
    for (const i of this.model.vocab.encode(text)) this.feed(i);
  }

  private feed(index: number): void {
    this.core.inputs()[0] = index;
    this.core.forward(false, 0, false);
    this.core.carryState();
    this.last = index;
  }

  /** Draws one character; `alternatives` > 0 also returns that many of the likeliest choices. */
  next(options: SampleOptions, alternatives = 0): SampledChar {
    if (this.last < 0) this.feed(this.startIndex());
    requireFinite(this.core.logits().subarray(0, this.model.spec.vocabSize), "the next character's score", this.model.params);
    const index = this.core.sampleRow(0, options.temperature, options.topK, options.topP);
    const probs = this.core.sampleProbs();
    const probability = probs[index];
    const out: SampledChar = { index, char: this.model.vocab.chars[index], probability };
    if (alternatives > 0) out.alternatives = topOf(probs, alternatives);
    this.feed(index);
    return out;
  }

  generate(length: number, options: SampleOptions, onChar?: (c: SampledChar) => void): string {
    let out = "";
    for (let k = 0; k < length; k++) {
      const c = this.next(options);
      out += c.char;
      onChar?.(c);
    }
    return out;
  }

  /** Without a prime, start as after a line break when the vocabulary has one (else id 0). */
  private startIndex(): number {
    const id = textStartId(this.model.vocab);
    return id >= 0 ? id : 0;
  }
}

/** The k largest entries, largest first (k is small: one pass keeping a sorted short list). */
function topOf(p: ArrayLike<number>, k: number): { index: number; probability: number }[] {
  const top: { index: number; probability: number }[] = [];
  for (let j = 0; j < p.length; j++) {
    if (top.length === k && p[j] <= top[k - 1].probability) continue;
    let at = top.length;
    while (at > 0 && top[at - 1].probability < p[j]) at--;
    top.splice(at, 0, { index: j, probability: p[j] });
    if (top.length > k) top.pop();
  }
  return top;
}
