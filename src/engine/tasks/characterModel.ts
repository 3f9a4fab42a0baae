// Character language modelling, the first Task (task.ts): the model reads one character id per
// step and predicts the next. A batch is char-rnn's (training/streamBatches.ts: B contiguous
// streams of the text, window w of each, targets = inputs shifted by one), every step carries loss,
// and the state is carried from one window to the next (reset at each epoch). An evaluation is the
// mean loss in nats per character over validation streams; a prediction is the distribution of the
// next character. The checkpoint keeps its data's identity in the training state's `corpus` (files,
// SHA-256, characters) and its vocabulary in the `vocab` entry; the task entry itself adds nothing.

import { InputError } from "../messages/inputError";
import type { Core } from "../core/core";
import type { CharVocabulary, TokenIds } from "../model/charVocabulary";
import { StreamBatches } from "../training/streamBatches";
import { Evaluation, MetricDefinition, Task, TaskCheckpoint, softmaxRow } from "./task";

export const CHARACTER_MODEL = "character-model";

export interface CharacterEvaluation extends Evaluation {
  loss: number; // mean nats per predicted character
  weight: number; // characters predicted
}

const METRICS: readonly MetricDefinition<CharacterEvaluation>[] = [
  { name: "val_loss", better: "lower", of: (e) => e.loss },
  { name: "val_bits_per_char", better: "lower", of: (e) => e.loss / Math.LN2 },
];

export class CharacterModel implements Task<TokenIds, CharacterEvaluation, Float64Array, StreamBatches> {
  readonly name = CHARACTER_MODEL;
  readonly input;
  readonly head;
  readonly lossRows = "every-step" as const;
  readonly carriesState: boolean = true;
  readonly metrics = METRICS;
  readonly selectionMetric = "val_loss";

  /** `vocabulary`: the model's vocabulary size V (input ids and head width alike). */
  constructor(readonly vocabulary: number) {
    if (!Number.isInteger(vocabulary) || vocabulary < 2) throw new InputError(`a character model needs a vocabulary of at least 2, not ${vocabulary}`);
    this.input = { kind: "tokens", vocabulary } as const;
    this.head = { kind: "classes", width: vocabulary } as const;
  }

  batches(data: TokenIds, streams: number, window: number, what?: string): StreamBatches {
    return new StreamBatches(data, streams, window, what);
  }

  shared(data: TokenIds): TokenIds {
    if (data.buffer instanceof SharedArrayBuffer) return data;
    const shared = new SharedArrayBuffer(data.byteLength);
    const out = data instanceof Uint8Array ? new Uint8Array(shared) : data instanceof Uint16Array ? new Uint16Array(shared) : new Int32Array(shared);
    out.set(data);
    return out;
  }

  size(data: TokenIds): number { return data.length; }

  /** Mean loss over the whole text in up to `streams` streams (null below 2 characters: nothing to predict). */
  evaluate(core: Core, data: TokenIds, streams: number, window: number): CharacterEvaluation | null {
    if (data.length < 2) return null;
    return meanLossOverStreams(core, data, streams, window);
  }

  /** The next character's distribution, [V] probabilities in f64. */
  predictionOf(outputs: ArrayLike<number>, row: number): Float64Array {
    return softmaxRow(outputs, row, this.vocabulary);
  }

  checkpoint(): TaskCheckpoint { return { name: CHARACTER_MODEL, metadata: {} }; }
}

/** What the model reads before a text's first character: a line break when the vocabulary has one, else −1 (nothing). */
export function textStartId(vocab: CharVocabulary): number {
  return vocab.has("\n") ? vocab.indexOf("\n") : -1;
}

/**
 * Mean loss in nats per character over `data` cut into up to `batch` streams read in windows of
 * `window` steps, state carried from zero. Shrinks the batch (and window) when the text is short.
 */
export function meanLossOverStreams(core: Core, data: ArrayLike<number>, batch: number, window: number): CharacterEvaluation {
  const n = data.length - 1;
  const B = Math.max(1, Math.min(batch, Math.floor(n / window)));
  const T = Math.min(window, n);
  const streamLength = Math.floor(n / B);
  core.setShape(B, T);
  core.resetState();
  let total = 0, count = 0;
  for (let start = 0; start + 1 <= streamLength; start += T) {
    const len = Math.min(T, streamLength - start);
    core.setSteps(len);
    const inputs = core.inputs(), targets = core.targets();
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < len; t++) {
        inputs[t * B + b] = data[b * streamLength + start + t];
        targets[t * B + b] = data[b * streamLength + start + t + 1];
      }
    }
    total += core.forward(false, 0, true) * len * B;
    count += len * B;
    core.carryState();
  }
  return { loss: total / count, weight: count };
}
