// Generating text one character at a time at batch 1: feed a character, read the logits, draw.

import { Core } from "./coreAbi";
import { Model } from "./checkpoint";
import { coreShape } from "./modelSpec";

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
}

export class Sampler {
  private readonly core: Core;
  private last = -1;

  constructor(readonly model: Model, seed: number) {
    this.core = new Core(coreShape(model.spec));
    this.core.params().set(model.params);
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

  next(options: SampleOptions): SampledChar {
    if (this.last < 0) this.feed(this.startIndex());
    const index = this.core.sampleRow(0, options.temperature, options.topK, options.topP);
    const probability = this.core.sampleProbs(this.model.spec.vocabSize)[index];
    this.feed(index);
    return { index, char: this.model.vocab.chars[index], probability };
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

  /** Without a prime, start as after a line break when the vocabulary has one. */
  private startIndex(): number {
    return this.model.vocab.has("\n") ? this.model.vocab.indexOf("\n") : 0;
  }
}
