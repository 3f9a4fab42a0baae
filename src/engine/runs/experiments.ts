// The controlled experiments of "Compare Cells on This Text": variants of one model that differ in
// one thing only. Cells are compared at (nearly) equal parameter count: the GRU and the RNN get the
// hidden size whose parameter count is closest to the LSTM's.

import { CELLS, parameterCount } from "../model/cells";
import type { ModelSpec } from "../model/modelSpec";

export { parameterCount } from "../model/cells";
import type { TrainOptions } from "../training/trainOptions";
import { LIMITS } from "../core/limits";

export type ExperimentKind = "cells" | "init" | "clipping";

export interface Variant { name: string; spec: ModelSpec; options: Partial<TrainOptions> }

/** Every cell variant the cells experiment can compare (the registry's `variants`, else the cell with its defaults), by label. */
export function cellVariants(): { label: string; cell: ModelSpec["cell"]; options: Partial<ModelSpec> }[] {
  return CELLS.flatMap((c) => (c.variants ?? [{ label: c.label, options: {} }]).map((v) => ({ label: v.label, cell: c.type, options: v.options as Partial<ModelSpec> })));
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
 * cells: every cell of the registry (tanh for the RNN) with the parameter count of `base` taken as an LSTM,
 * or the cellVariants() labelled in `cells` (in that list's order);
 * init: N(0,1)·0.01, N(0,1)·sqrt(1/n) and orthogonal recurrent weights;
 * clipping: global-norm clipping at `clip` and none.
 */
export function experimentVariants(kind: ExperimentKind, base: ModelSpec, clip: number, cells?: readonly string[]): Variant[] {
  // every cell with its defaults: the base's own cell options (τ, the additive form, the reset) come from each variant
  const { tau, learnTau, dt, additiveForm, gruReset, norm, ...common } = base;
  void tau; void learnTau; void dt; void additiveForm; void gruReset; void norm;
  const plain = { ...common, nonlinearity: "tanh" as const, peephole: false, coupled: false };
  if (kind === "cells" && cells) {
    const target = parameterCount({ ...plain, cell: "lstm" as const });
    const all = cellVariants();
    return cells.map((label) => {
      const v = all.find((x) => x.label === label);
      if (!v) throw new RangeError(`no cell variant ${JSON.stringify(label)}; they are ${all.map((x) => x.label).join(", ")}`);
      const like = { ...plain, cell: v.cell, ...v.options };
      const plainLstm = v.cell === "lstm" && Object.keys(v.options).length === 0; // the reference the others match in size
      return { name: v.label, spec: { ...like, hidden: plainLstm ? base.hidden : hiddenForParameters(like, target) }, options: {} };
    });
  }
  if (kind === "cells") {
    const lstm = { ...plain, cell: "lstm" as const };
    const target = parameterCount(lstm);
    return CELLS.map(({ type: cell, label }) => {
      const spec = { ...plain, cell, hidden: cell === "lstm" ? base.hidden : hiddenForParameters({ ...plain, cell }, target) };
      return { name: label, spec, options: {} };
    });
  }
  if (kind === "init") {
    return ([["small", "N(0,1)·0.01"], ["scaled", "N(0,1)·sqrt(1/n)"], ["orthogonal", "orthogonal"]] as const).map(([init, name]) => ({ name: `init ${name}`, spec: base, options: { init } }));
  }
  return [{ name: `clip ${clip || 5}`, spec: base, options: { clip: clip || 5 } }, { name: "no clipping", spec: base, options: { clip: 0 } }];
}
