// Measuring a character model without training: over one text read from its start (every character
// predicted from everything before it, batch 1), and one window's logits (the exporters' reference).
// Validation during training is the task's evaluate (tasks/characterModel.ts meanLossOverStreams).

import { InputError } from "../messages/inputError";
import { Core } from "../core/core";
import { Model } from "../files/checkpoint";
import { coreShape } from "../model/modelSpec";
import { cellEntry } from "../model/cells";
import { meanLossOverStreams } from "../tasks/characterModel";
import { restoreNormStats } from "../model/batchNormStats";

/**
 * A model whose arithmetic leaves the float range (weights as large as 1e30 are finite, and so
 * accepted, but their products are not): its losses and probabilities would be NaN or infinite,
 * which is an error to report, never a result to print.
 */
export class ModelOverflowError extends InputError {
  constructor(what: string, params: ArrayLike<number>) {
    let largest = 0;
    for (let k = 0; k < params.length; k++) largest = Math.max(largest, Math.abs(params[k]));
    super(`the model's weights overflow: ${what} (its largest weight is ${largest.toExponential(2)}); this checkpoint cannot make predictions — retrain it, or train with --clip`);
  }
}

/**
 * −ln of the smallest positive float32: a mean loss above this many nats per character means the
 * true characters' probabilities underflowed to zero — what weights of 1e30 give (a loss of ~1e30
 * nats/char is as meaningless as NaN, and as much an overflow).
 */
export const MAX_MEANINGFUL_LOSS = -Math.log(1.4e-45);

/** Throws ModelOverflowError when any of `values` is NaN or infinite. */
export function requireFinite(values: ArrayLike<number>, what: string, params: ArrayLike<number>): void {
  for (let k = 0; k < values.length; k++) if (!Number.isFinite(values[k])) throw new ModelOverflowError(`${what} is ${values[k]}`, params);
}

export interface TextLoss {
  loss: number; // mean nats per predicted character
  bitsPerChar: number;
  predicted: number; // characters predicted (all but the first)
}

/** The text read once from its start at batch 1: characters 2…n each predicted from all before. */
export function lossOnText(model: Model, encoded: ArrayLike<number>, window = 256): TextLoss {
  if (encoded.length < 2) throw new InputError("the text needs at least 2 characters to predict one");
  const core = new Core(coreShape(model.spec));
  core.params().set(model.params);
  restoreNormStats(core, model.normStats); // batch norm's running averages (model/batchNormStats.ts)
  // the character model's evaluation with one stream: the text in windows, state carried from zero
  const n = encoded.length - 1;
  const loss = meanLossOverStreams(core, encoded, 1, window).loss;
  // the state after the whole text (an additive cell's grows with it)
  let largestState = 0;
  for (let l = 0; l < model.spec.layers; l++) for (const v of core.finalHidden(l)) largestState = Math.max(largestState, Math.abs(v));
  const entry = cellEntry(model.spec.cell);
  if (entry.unboundedState && loss > MAX_MEANINGFUL_LOSS) {
    // not an overflow of the weights: the cell's state is a sum over the whole text (docs/cells.md)
    throw new InputError(`the ${entry.label} cell's state grew to |h| = ${largestState.toExponential(2)} over ${n.toLocaleString("en")} characters (every step adds an increment and nothing shrinks the sum), so its scores saturate: a loss of ${loss.toExponential(2)} nats per character, beyond what float32 probabilities can express (${MAX_MEANINGFUL_LOSS.toFixed(0)}); evaluate a shorter text`);
  }
  if (!Number.isFinite(loss)) throw new ModelOverflowError(`its loss on the text is ${loss}`, model.params);
  if (loss > MAX_MEANINGFUL_LOSS) throw new ModelOverflowError(`its loss on the text is ${loss.toExponential(2)} nats per character, beyond what float32 probabilities can express (${MAX_MEANINGFUL_LOSS.toFixed(0)})`, model.params);
  return { loss, bitsPerChar: loss / Math.LN2, predicted: n };
}

export interface WindowOutput {
  logits: Float32Array; // [T, B, V] time-major
  h: Float32Array; // final hidden state [layers, B, hidden]
  c: Float32Array | null; // final LSTM cell state
}

/**
 * Logits of one window: `ids` time-major [T·B], starting from state h0/c0 ([layers, B, hidden];
 * zeros when omitted). The reference the exporters' tests compare other runtimes against.
 */
export function windowLogits(model: Model, ids: Int32Array, batch: number, h0?: Float32Array, c0?: Float32Array): WindowOutput {
  const { spec } = model;
  const T = ids.length / batch, H = spec.hidden, V = spec.vocabSize;
  if (!Number.isInteger(T) || T < 1) throw new InputError(`${ids.length} ids do not make whole steps of batch ${batch}`);
  const core = new Core(coreShape(spec));
  core.params().set(model.params);
  restoreNormStats(core, model.normStats); // batch norm's running averages (model/batchNormStats.ts)
  core.setShape(batch, T);
  core.resetState();
  for (let l = 0; l < spec.layers; l++) {
    if (h0) core.hiddenStates(l).set(h0.subarray(l * batch * H, (l + 1) * batch * H));
    if (c0 && cellEntry(spec.cell).cellState) core.cellStates(l).set(c0.subarray(l * batch * H, (l + 1) * batch * H));
  }
  core.inputs().set(ids);
  core.forward(false, 0, false);
  const h = new Float32Array(spec.layers * batch * H);
  const c = cellEntry(spec.cell).cellState ? new Float32Array(spec.layers * batch * H) : null;
  for (let l = 0; l < spec.layers; l++) {
    h.set(core.finalHidden(l), l * batch * H);
    c?.set(core.finalCell(l), l * batch * H);
  }
  return { logits: Float32Array.from(core.logits().subarray(0, T * batch * V)), h, c };
}
