// Batch norm's running statistics (src/wasm/batchNorm.ts) as named tensors: how the core's buffer
// (Core.normStats()) is split for a checkpoint and for safetensors, and how a model's copy goes back
// into a core. They are not parameters: no optimizer, weight decay or clipping sees them.
//
// Core layout (one direction; batch norm refuses --bidirectional), N = BATCH_NORM_STEPS, G·H = the gate rows:
//   [0] the steps training has reached (evaluation at a later step uses the last of them)
//   per layer l: μ̄_ih, σ̄²_ih, μ̄_hh, σ̄²_hh [N, G·H], then (LSTM) μ̄_c, σ̄²_c [N, H]
// Tensor names: rnn.bn_steps_seen [1]; rnn.bn_{ih,hh,c}_running_{mean,var}_l{l} [N, width], row t = step t.

import type { Core } from "../core/core";
import { BATCH_NORM_STEPS, CellSpec, cellEntry, cellNorm, gatesPerUnit } from "./cells";

export interface NormStatTensor { name: string; offset: number; rows: number; cols: number }

/** The named pieces of the buffer, in buffer order; none unless the spec is batch-normalised. */
export function normStatTensors(spec: CellSpec): NormStatTensor[] {
  if (cellNorm(spec) !== "batch") return [];
  const N = BATCH_NORM_STEPS, H = spec.hidden, GH = gatesPerUnit(spec.cell) * H;
  const out: NormStatTensor[] = [{ name: "rnn.bn_steps_seen", offset: 0, rows: 1, cols: 1 }];
  let offset = 1;
  for (let l = 0; l < spec.layers; l++) {
    const parts: [string, number][] = [["ih", GH], ["hh", GH], ...(cellEntry(spec.cell).cellState ? [["c", H] as [string, number]] : [])];
    for (const [what, width] of parts) {
      for (const stat of ["mean", "var"]) {
        out.push({ name: `rnn.bn_${what}_running_${stat}_l${l}`, offset, rows: N, cols: width });
        offset += N * width;
      }
    }
  }
  return out;
}

/** The buffer's length (0 without batch norm). */
export function normStatsLength(spec: CellSpec): number {
  return normStatTensors(spec).reduce((n, t) => n + t.rows * t.cols, 0);
}

/** What a model's running statistics must satisfy: σ̄² ≥ 0, the step count an integer from 0 to N; null when they do. */
export function normStatsProblem(spec: CellSpec, stats: Float32Array): string | null {
  for (const t of normStatTensors(spec)) {
    const part = stats.subarray(t.offset, t.offset + t.rows * t.cols);
    if (t.name === "rnn.bn_steps_seen" && !(Number.isInteger(part[0]) && part[0] >= 0 && part[0] <= BATCH_NORM_STEPS)) return `tensor ${t.name} must hold an integer from 0 to ${BATCH_NORM_STEPS}, not ${part[0]}`;
    if (t.name.includes("_running_var_") && part.some((v) => v < 0)) return `tensor ${t.name} holds a negative variance`;
  }
  return null;
}

/** The model's running statistics into the core (a core of another spec, or a model without them, is left as it is). */
export function restoreNormStats(core: Core, stats: ArrayLike<number> | undefined): void {
  const target = core.normStats();
  if (stats && target.length === stats.length && target.length > 0) target.set(stats);
}

/** A copy of the core's running statistics for a Model (undefined without batch norm). */
export function snapshotNormStats(core: Core): Float32Array | undefined {
  const stats = core.normStats();
  return stats.length > 0 ? Float32Array.from(stats) : undefined;
}
