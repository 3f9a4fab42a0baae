// The linear-chain CRF of a tagger (--crf; the BiLSTM-CRF of Huang et al. 2015, Lample et al. 2016)
// on the core: the per-step logits are the CRF's emissions E [T, K], its transition, start and end
// scores live in the parameter block (the core's tensors kinds 20–22, crf.transitions [K, K] row =
// from, column = to), so the optimizer, clipping, checkpoints and the shard sum treat them as any
// other weight. A training step runs the core's forward pass, then linearChainCrf.ts's loss and
// gradient per sequence: ∂L/∂E goes into Core.dLogits() (the core's backward runs from it), the
// transition gradients into Core.grads(). Both are the mean per character of the shard (Σ −log p /
// Σ lengths, what lossWeightTotal counts), so shards combine as the softmax loss's do.

import type { Core, RealArray } from "../core/core";
import { TensorKind } from "../core/coreAbi";
import type { TensorSlot } from "../core/coreAbi";
import { CrfGradients, CrfParameters, TransitionRules, crfNegLogLikelihood } from "./linearChainCrf";
import { SequenceBatches, SequenceData, sequenceLength } from "./sequenceBatches";

function slotOf(core: Core, kind: TensorKind): TensorSlot {
  const s = core.tensors.find((t) => t.kind === kind);
  if (!s) throw new Error("this core has no CRF tensors (ModelSpec.crf)");
  return s;
}

/** The CRF's scores as the core holds them now (f64 copies). */
export function crfParameters(core: Core, block: RealArray = core.params()): CrfParameters {
  const read = (k: TensorKind) => { const s = slotOf(core, k); return Float64Array.from(block.subarray(s.offset, s.offset + s.rows * s.cols)); };
  return { transitions: read(TensorKind.CrfTransitions), start: read(TensorKind.CrfStart), end: read(TensorKind.CrfEnd) };
}

/** [n, K] f64 emissions of stream b (of B) from time-major logits. */
function emissionsOf(logits: RealArray, b: number, B: number, n: number, K: number): Float64Array {
  const e = new Float64Array(n * K);
  for (let t = 0; t < n; t++) for (let k = 0; k < K; k++) e[t * K + k] = logits[(t * B + b) * K + k];
  return e;
}

/**
 * After a forward pass of `seqs` (stream b holds seqs[b], streams from `real` on are fillers): the
 * CRF's mean loss per character; writes ∂L/∂logits into core.dLogits() and adds the CRF tensors'
 * gradients into core.grads(), both of that mean.
 */
export function crfShardLoss(core: Core, data: SequenceData, seqs: readonly number[], rules: TransitionRules, real = seqs.length): number {
  const B = seqs.length, K = core.outputs;
  const params = crfParameters(core);
  const logits = core.logits(), dLogits = core.dLogits();
  dLogits.fill(0);
  const grads: CrfGradients = { emissions: new Float64Array(0), transitions: new Float64Array(K * K), start: new Float64Array(K), end: new Float64Array(K) };
  let total = 0, chars = 0;
  const perStream: { b: number; n: number; g: Float64Array }[] = [];
  for (let b = 0; b < real; b++) {
    const s = seqs[b], n = sequenceLength(data, s), o = data.offsets[s];
    grads.emissions = new Float64Array(n * K);
    total += crfNegLogLikelihood(emissionsOf(logits, b, B, n, K), n, data.targets.subarray(o, o + n), params, rules, grads);
    chars += n;
    perStream.push({ b, n, g: grads.emissions });
  }
  for (const { b, n, g } of perStream) for (let t = 0; t < n; t++) for (let k = 0; k < K; k++) dLogits[(t * B + b) * K + k] = g[t * K + k] / chars;
  const block = core.grads();
  const add = (kind: TensorKind, g: Float64Array) => { const sl = slotOf(core, kind); for (let i = 0; i < g.length; i++) block[sl.offset + i] += g[i] / chars; };
  add(TensorKind.CrfTransitions, grads.transitions);
  add(TensorKind.CrfStart, grads.start);
  add(TensorKind.CrfEnd, grads.end);
  return total / chars;
}

/** A tagger's batches whose loss is the CRF's (TaskBatches.externalLoss). */
export class CrfBatches extends SequenceBatches {
  constructor(data: SequenceData, streams: number, window: number, private readonly rules: TransitionRules, seed: number, what?: string) {
    super(data, streams, window, "every-step", () => 1, seed, what);
  }

  externalLoss(core: Core, index: number, b0: number, b1: number): number {
    return crfShardLoss(core, this.data, this.sequencesOf(index).slice(b0, b1), this.rules);
  }
}
