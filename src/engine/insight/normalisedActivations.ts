// The gate heatmap's quantities of a layer- or batch-normalised LSTM or GRU (docs/cells.md): the normalised
// input and recurrent pre-activations of the candidate block, and the LSTM's normalised cell state.
// The core keeps them only until backward, and the heatmap's pass has none to spare, so they are
// recomputed here from what the pass leaves: each layer's input rows, h_{t−1} and c_t, and the
// parameters (core layout: W [in, G·H] row-major; gains and biases [G·H] or [H]).
//   a' = LN(x·W_ih; γ_ih, β_ih),  p' = LN(h_{t−1}·W_hh; γ_hh, β_hh),  c' = LN(c_t; γ_c, β_c)
// each over the entries of one row, ε = 1e-5 (src/wasm/layerNorm.ts LN_EPS). Batch norm in evaluation
// mode, as the core runs the heatmap's pass (src/wasm/batchNorm.ts):
//   BN(v)[e] = γ[e] · (v[e] − μ̄_s[e]) / sqrt(σ̄²_s[e] + ε) + β[e],   s = min(t, seen − 1) (seen = 0: N − 1)
// with t the step within the chunk and the running statistics of model/batchNormStats.ts.

import { TensorKind, TensorSlot } from "../core/coreAbi";
import { BATCH_NORM_STEPS, CellSpec, cellNorm, gatesPerUnit, tensorTable } from "../model/cells";
import { normStatTensors } from "../model/batchNormStats";

export const LN_EPS = 1e-5;

/** Which normalised value: the candidate block of a' or p', or the LSTM's c'. */
export type NormalisedSource = "input" | "recurrent" | "cell";

/** LN(v; gain, bias) of one row, into out (the same length). */
function layerNorm(v: Float64Array, gain: ArrayLike<number>, bias: ArrayLike<number>, out: Float64Array): void {
  const n = v.length;
  let mean = 0;
  for (let e = 0; e < n; e++) mean += v[e];
  mean /= n;
  let variance = 0;
  for (let e = 0; e < n; e++) variance += (v[e] - mean) ** 2;
  const rstd = 1 / Math.sqrt(variance / n + LN_EPS);
  for (let e = 0; e < n; e++) out[e] = gain[e] * (v[e] - mean) * rstd + bias[e];
}

/** BN(v; gain, bias) of one row in evaluation mode, with the running mean and variance of its step, into out. */
function batchNorm(v: Float64Array, gain: ArrayLike<number>, bias: ArrayLike<number>, mean: ArrayLike<number>, variance: ArrayLike<number>, out: Float64Array): void {
  for (let e = 0; e < v.length; e++) out[e] = gain[e] * (v[e] - mean[e]) / Math.sqrt(variance[e] + LN_EPS) + bias[e];
}

/** The running mean and variance of `source` in layer `layer` at step t (evaluation mode's choice of step). */
function runningStatistics(spec: CellSpec, stats: ArrayLike<number>, layer: number, source: NormalisedSource): (t: number) => [ArrayLike<number>, ArrayLike<number>] {
  const what = source === "input" ? "ih" : source === "recurrent" ? "hh" : "c";
  const named = normStatTensors(spec);
  const find = (stat: string) => named.find((n) => n.name === `rnn.bn_${what}_running_${stat}_l${layer}`)!;
  const mean = find("mean"), variance = find("var");
  const seen = stats[0], last = (seen > 0 ? Math.min(seen, BATCH_NORM_STEPS) : BATCH_NORM_STEPS) - 1;
  const row = (slot: typeof mean, s: number) => Array.prototype.slice.call(stats, slot.offset + s * slot.cols, slot.offset + (s + 1) * slot.cols) as number[];
  return (t) => { const s = Math.min(t, last); return [row(mean, s), row(variance, s)]; };
}

/** A layer's tensors as views of the parameters. */
function layerTensors(spec: CellSpec, params: ArrayLike<number>, layer: number): (kind: TensorKind) => ArrayLike<number> {
  const slots = tensorTable(spec).filter((t) => t.layer === layer);
  return (kind) => {
    const slot = slots.find((t) => t.kind === kind) as TensorSlot;
    return Array.prototype.slice.call(params, slot.offset, slot.offset + slot.rows * slot.cols) as number[];
  };
}

/**
 * The normalised `source` of layer `layer` for T steps: x [T, In] the layer's input rows (null for
 * one-hot ids, then `ids`), hPrev [T, H] h_{t−1}, c [T, H] c_t; writes [T, H] into out at row0.
 * normStats: a batch-normalised model's running statistics (model/batchNormStats.ts layout), step 0 = the chunk's first.
 */
export function normalisedActivations(spec: CellSpec, params: ArrayLike<number>, normStats: ArrayLike<number> | undefined, layer: number, source: NormalisedSource,
  x: Float32Array | null, ids: Int32Array, hPrev: ArrayLike<number>, c: ArrayLike<number> | null, T: number, out: Float32Array, row0: number): void {
  const H = spec.hidden, G = gatesPerUnit(spec.cell), GH = G * H;
  const tensor = layerTensors(spec, params, layer);
  const candidate = 2 * H; // the third block: LSTM i, f, g, o → g; GRU r, z, n → n
  const v = new Float64Array(source === "cell" ? H : GH), normed = new Float64Array(v.length);
  const W = source === "input" ? tensor(TensorKind.WeightIh) : source === "recurrent" ? tensor(TensorKind.WeightHh) : null;
  const In = source === "input" ? (W as ArrayLike<number>).length / GH : H;
  const batch = cellNorm(spec) === "batch";
  if (batch && !normStats) throw new RangeError("a batch-normalised model without its running statistics");
  const gain = tensor(batch ? (source === "input" ? TensorKind.BnIhGain : source === "recurrent" ? TensorKind.BnHhGain : TensorKind.BnCGain)
    : source === "input" ? TensorKind.LnIhGain : source === "recurrent" ? TensorKind.LnHhGain : TensorKind.LnCGain);
  const bias = tensor(batch ? (source === "input" ? TensorKind.BnIhBias : source === "recurrent" ? TensorKind.BnHhBias : TensorKind.BnCBias)
    : source === "input" ? TensorKind.LnIhBias : source === "recurrent" ? TensorKind.LnHhBias : TensorKind.LnCBias);
  const statsAt = batch ? runningStatistics(spec, normStats!, layer, source) : null;
  for (let t = 0; t < T; t++) {
    if (source === "cell") {
      for (let j = 0; j < H; j++) v[j] = (c as ArrayLike<number>)[t * H + j];
    } else {
      v.fill(0);
      const w = W as ArrayLike<number>;
      if (source === "input" && x === null) {
        const id = ids[t];
        for (let e = 0; e < GH; e++) v[e] = w[id * GH + e];
      } else {
        const rowOf = source === "input" ? (i: number) => (x as Float32Array)[t * In + i] : (i: number) => hPrev[t * H + i];
        for (let i = 0; i < In; i++) {
          const xi = rowOf(i);
          if (xi !== 0) for (let e = 0; e < GH; e++) v[e] += xi * w[i * GH + e];
        }
      }
    }
    if (statsAt) {
      const [mean, variance] = statsAt(t);
      batchNorm(v, gain, bias, mean, variance, normed);
    } else layerNorm(v, gain, bias, normed);
    const from = source === "cell" ? 0 : candidate;
    for (let j = 0; j < H; j++) out[(row0 + t) * H + j] = normed[from + j];
  }
}
