// Weight, gradient and activation histograms per tensor over training (TensorBoard's histograms and
// distributions), from a run's checkpoints: each checkpoint's weights as stored, its gradient of the
// mean loss on one batch of the corpus, and its hidden (and LSTM cell) states along a stretch of it.
// One series per tensor or state; its bin edges are shared by every checkpoint so the bins line up
// over time. Runs in the insight worker, off the extension host's thread.

import { Core } from "../core/core";
import type { Model } from "../files/checkpoint";
import { recordActivations } from "./activations";
import { lossGradient } from "./gradientFlow";
import { coreShape, torchName } from "../model/modelSpec";

/** TensorBoard's distribution bands: the quantiles at −∞, −1.5σ, −σ, −0.5σ, 0, 0.5σ, σ, 1.5σ, +∞ of a normal (its basis points / 10,000). */
export const DISTRIBUTION_QUANTILES = [0, 0.0668, 0.1587, 0.3085, 0.5, 0.6915, 0.8413, 0.9332, 1];

export type HistogramKind = "weight" | "gradient" | "activation";

export interface HistogramSeries {
  name: string; // "rnn.weight_hh_l0", or "hidden state · layer 1" for an activation
  kind: HistogramKind;
  edges: Float64Array; // bins + 1 edges, ascending, shared by every step
  counts: Float32Array; // [steps, bins] row-major: how many values fell in each bin
  quantiles: Float32Array; // [steps, DISTRIBUTION_QUANTILES.length] row-major
}

export interface RunHistograms {
  steps: number[]; // the checkpoints' optimizer steps, ascending
  bins: number;
  series: HistogramSeries[];
}

/** `bins` equal-width bins over [lo, hi] (a single value gets a bin of width 1 around it). */
export function binEdges(lo: number, hi: number, bins: number): Float64Array {
  if (!(hi > lo)) { lo -= 0.5; hi += 0.5; }
  return Float64Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + ((hi - lo) * i) / bins));
}

/** Counts of `values` per bin: bin i holds edges[i] ≤ v < edges[i + 1], the last bin also v = its upper edge; values outside go to the end bins. */
export function histogram(values: ArrayLike<number>, edges: Float64Array): Float64Array {
  const bins = edges.length - 1, lo = edges[0], width = (edges[bins] - lo) / bins;
  const counts = new Float64Array(bins);
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (!Number.isFinite(v)) continue;
    let i = Math.floor((v - lo) / width);
    i = i < 0 ? 0 : i >= bins ? bins - 1 : i;
    // floating point can put a value one bin off its edges: move it to the bin whose edges hold it
    if (i > 0 && v < edges[i]) i--;
    else if (i < bins - 1 && v >= edges[i + 1]) i++;
    counts[i]++;
  }
  return counts;
}

/** Quantiles `qs` of the finite values, interpolated linearly between the order statistics (NumPy's default). */
export function quantiles(values: ArrayLike<number>, qs: number[]): Float64Array {
  const sorted = Float64Array.from(values).filter(Number.isFinite).sort();
  const n = sorted.length;
  return Float64Array.from(qs, (q) => {
    if (!n) return NaN;
    const at = q * (n - 1), i = Math.floor(at), f = at - i;
    return i + 1 < n ? sorted[i] + (sorted[i + 1] - sorted[i]) * f : sorted[n - 1];
  });
}

/** The values of every series at one checkpoint, keyed by series name. */
function valuesAt(model: Model, text: string): { name: string; kind: HistogramKind; values: Float32Array }[] {
  const core = new Core(coreShape(model.spec));
  const grads = lossGradient(core, model, text);
  const out: { name: string; kind: HistogramKind; values: Float32Array }[] = [];
  for (const slot of core.tensors) {
    const end = slot.offset + slot.rows * slot.cols;
    out.push({ name: torchName(slot), kind: "weight", values: model.params.slice(slot.offset, end) });
    out.push({ name: torchName(slot), kind: "gradient", values: grads.slice(slot.offset, end) });
  }
  const a = recordActivations(model, Array.from(text).slice(0, ACTIVATION_CHARS).join(""));
  a.perLayer.forEach((layer) => a.quantities.forEach((q, k) => {
    if (q.name === "hidden state" || q.name === "cell state") out.push({ name: `${q.name} · layer ${layer.layer + 1}`, kind: "activation", values: layer.values[k] });
  }));
  return out;
}

const ACTIVATION_CHARS = 1000;

/**
 * Histograms of every tensor's weights and gradient and of each layer's states, at each checkpoint
 * (`text`: a stretch of the corpus; the gradient is the mean loss over 16 windows of 50 characters of it).
 * Memory: the values of one series at every checkpoint at once, to share the edges (parameters × checkpoints floats).
 */
export function runHistograms(checkpoints: { step: number; model: Model }[], text: string, bins = 40): RunHistograms {
  if (!checkpoints.length) throw new RangeError("the run has no checkpoints to read");
  const sorted = [...checkpoints].sort((a, b) => a.step - b.step);
  const perStep = sorted.map((c) => valuesAt(c.model, text));
  const Q = DISTRIBUTION_QUANTILES.length;
  const series = perStep[0].map((first, s): HistogramSeries => {
    let lo = Infinity, hi = -Infinity;
    for (const step of perStep) for (const v of step[s].values) if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
    const edges = binEdges(Number.isFinite(lo) ? lo : 0, Number.isFinite(hi) ? hi : 0, bins);
    const counts = new Float32Array(sorted.length * bins), qs = new Float32Array(sorted.length * Q);
    perStep.forEach((step, i) => {
      counts.set(histogram(step[s].values, edges), i * bins);
      qs.set(quantiles(step[s].values, DISTRIBUTION_QUANTILES), i * Q);
    });
    return { name: first.name, kind: first.kind, edges, counts, quantiles: qs };
  });
  return { steps: sorted.map((c) => c.step), bins, series };
}
