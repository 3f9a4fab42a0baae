// char-rnn's batching: the text is cut into B contiguous streams; window w of every stream covers
// steps [w·T, (w+1)·T) and the targets are the same positions shifted by one. The hidden state is
// carried from one window to the next; a new epoch starts the streams again from zero state.

import { InputError } from "./inputError";
import type { TokenIds } from "./charVocabulary";
export class StreamBatches {
  readonly streamLength: number;
  readonly windowsPerEpoch: number;

  constructor(readonly data: TokenIds, readonly batch: number, readonly steps: number, what = "the training text") {
    this.streamLength = Math.floor((data.length - 1) / batch);
    this.windowsPerEpoch = Math.floor(this.streamLength / steps);
    if (this.windowsPerEpoch < 1) {
      throw new InputError(`${what} has ${data.length} characters, fewer than one batch needs (batch ${batch} × (seq ${steps}) + 1 = ${batch * steps + 1}); use more text or a smaller --batch/--seq`);
    }
  }

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
}
