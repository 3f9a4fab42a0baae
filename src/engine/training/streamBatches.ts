// char-rnn's batching (the character model's batches, tasks/characterModel.ts): the text is cut
// into B contiguous streams; window w of every stream covers steps [w·T, (w+1)·T) and the targets
// are the same positions shifted by one. The hidden state is carried from one window to the next;
// a new epoch starts the streams again from zero state.

import { InputError } from "../messages/inputError";
import type { TokenIds } from "../model/charVocabulary";
import type { BatchBuffers, TaskBatches } from "../tasks/task";

/** Characters of training text one step needs: B streams of T steps and the one target after them. */
export function charactersForOneBatch(batch: number, window: number): number {
  return batch * window + 1;
}

/**
 * For a text too short for (batch, window): the window min(window, ⌊(n − 1)/4⌋) (at least 2) and
 * as many streams as fit, so that a short text still trains; null when not even batch 1 × 2 fits.
 */
export function batchThatFits(trainChars: number, batch: number, window: number): { batch: number; steps: number } | null {
  if (trainChars >= charactersForOneBatch(batch, window)) return { batch, steps: window };
  const T = Math.max(2, Math.min(window, Math.floor((trainChars - 1) / 4)));
  const B = Math.min(batch, Math.floor((trainChars - 1) / T));
  return B >= 1 ? { batch: B, steps: T } : null;
}

export class StreamBatches implements TaskBatches {
  readonly streamLength: number;
  readonly windowsPerEpoch: number;

  /** `steps` is the window T (steps per batch), not a step budget. */
  constructor(readonly data: TokenIds, readonly batch: number, readonly steps: number, what = "the training text") {
    this.streamLength = Math.floor((data.length - 1) / batch);
    this.windowsPerEpoch = Math.floor(this.streamLength / steps);
    if (this.windowsPerEpoch < 1) {
      throw new InputError(`${what} has ${data.length} characters, fewer than one batch needs (batch ${batch} × (seq ${steps}) + 1 = ${batch * steps + 1}); use more text or a smaller --batch/--seq`);
    }
  }

  // TaskBatches: a batch is one window of every stream.
  get streams(): number { return this.batch; }
  get window(): number { return this.steps; }
  get batchesPerEpoch(): number { return this.windowsPerEpoch; }
  get unitsPerBatch(): number { return this.batch * this.steps; } // characters predicted

  /**
   * Fills inputs and targets, time-major [T·(b1 − b0)], with streams [b0, b1) of window `w`
   * (0 ≤ w < windowsPerEpoch); a shard on another thread takes its own range of streams.
   */
  fill(w: number, inputs: Int32Array, targets: Int32Array, b0 = 0, b1 = this.batch): void {
    const B = b1 - b0, T = this.steps;
    for (let b = b0; b < b1; b++) {
      const start = b * this.streamLength + w * T;
      for (let t = 0; t < T; t++) {
        inputs[t * B + b - b0] = this.data[start + t];
        targets[t * B + b - b0] = this.data[start + t + 1];
      }
    }
  }

  /** Every row carries loss (weight 1) and every stream runs the whole window. */
  fillBatch(w: number, into: BatchBuffers, b0 = 0, b1 = this.batch): void {
    this.fill(w, into.tokens, into.targets, b0, b1);
    into.lossWeights.fill(1, 0, this.steps * (b1 - b0));
    into.lengths.fill(this.steps, 0, b1 - b0);
  }
}
