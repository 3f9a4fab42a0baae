// The controlled experiments of "Compare Cells on This Text": variants of one model that differ in
// one thing only. Cells are compared at (nearly) equal parameter count: the GRU and the RNN get the
// hidden size whose parameter count is closest to the LSTM's.

import { ModelSpec, gatesPerUnit } from "./modelSpec";
import type { TrainOptions } from "./trainOptions";
import { LIMITS } from "./limits";

export type ExperimentKind = "cells" | "init" | "clipping";

export interface Variant { name: string; spec: ModelSpec; options: Partial<TrainOptions> }

/** Parameters of a spec, in closed form (the core's layout: embedding, per layer W_ih, W_hh, two biases and peepholes, then the head). */
export function parameterCount(spec: ModelSpec): number {
  const G = gatesPerUnit(spec.cell) * spec.hidden, H = spec.hidden, V = spec.vocabSize;
  let n = spec.embed > 0 ? V * spec.embed : 0;
  for (let l = 0; l < spec.layers; l++) {
    const input = l === 0 ? (spec.embed > 0 ? spec.embed : V) : H;
    n += input * G + H * G + 2 * G + (spec.peephole ? 3 * H : 0);
  }
  return n + H * V + V;
}

/** The hidden size for `spec`'s cell whose parameter count is closest to `target`, within the engine's limit. */
export function hiddenForParameters(spec: ModelSpec, target: number): number {
  let lo: number = LIMITS.hidden.min, hi: number = LIMITS.hidden.max;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (parameterCount({ ...spec, hidden: mid }) < target) lo = mid + 1;
    else hi = mid;
  }
  const below = Math.max(1, lo - 1);
  return Math.abs(parameterCount({ ...spec, hidden: below }) - target) < Math.abs(parameterCount({ ...spec, hidden: lo }) - target) ? below : lo;
}

/**
 * cells: LSTM, GRU and tanh RNN with the parameter count of `base` taken as an LSTM;
 * init: N(0,1)·0.01, N(0,1)·sqrt(1/n) and orthogonal recurrent weights;
 * clipping: global-norm clipping at `clip` and none.
 */
export function experimentVariants(kind: ExperimentKind, base: ModelSpec, clip: number): Variant[] {
  const plain = { ...base, nonlinearity: "tanh" as const, peephole: false, coupled: false };
  if (kind === "cells") {
    const lstm = { ...plain, cell: "lstm" as const };
    const target = parameterCount(lstm);
    return (["lstm", "gru", "rnn"] as const).map((cell) => {
      const spec = { ...plain, cell, hidden: cell === "lstm" ? base.hidden : hiddenForParameters({ ...plain, cell }, target) };
      return { name: cell.toUpperCase(), spec, options: {} };
    });
  }
  if (kind === "init") {
    return ([["small", "N(0,1)·0.01"], ["scaled", "N(0,1)·sqrt(1/n)"], ["orthogonal", "orthogonal"]] as const).map(([init, name]) => ({ name: `init ${name}`, spec: base, options: { init } }));
  }
  return [{ name: `clip ${clip || 5}`, spec: base, options: { clip: clip || 5 } }, { name: "no clipping", spec: base, options: { clip: 0 } }];
}
