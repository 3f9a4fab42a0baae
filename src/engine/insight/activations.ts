// What each unit of each layer does along a text: the gate activations, candidate, cell state and
// hidden state after reading each character, for the gate heatmap. One forward pass at batch 1 in
// chunks, the state carried between chunks (so a text of any length reads as one sequence). A
// bidirectional model reads the text in one pass (its backward direction starts at the last
// character) and records each direction: the forward one at character t has read characters 0 … t,
// the backward one t … T−1.

import { Core } from "../core/core";
import type { Model } from "../files/checkpoint";
import { CellType, HeatmapQuantity, QuantityInfo, cellEntry, coreShape, directionCount, gatesPerUnit, tensorTable } from "../model/cells";
import { TensorKind } from "../core/coreAbi";
import { normalisedActivations } from "./normalisedActivations";
import { restoreNormStats } from "../model/batchNormStats";

export type { QuantityInfo, QuantityRange } from "../model/cells";

export interface LayerActivations {
  layer: number;
  /** In the order of the cell's heatmap quantities (cells.ts); each [steps, hidden] row-major: row t is the state after reading character t. */
  values: Float32Array[];
  /** Bidirectional models: the backward direction's quantities, the same order and shape (row t: the state after reading T−1 … t). */
  reverse?: Float32Array[];
}

export interface Activations {
  cell: CellType;
  hidden: number;
  layers: number;
  /** 2 for a bidirectional model (each layer has `reverse`), else 1. */
  directions: number;
  chars: string[]; // one per step (code points)
  quantities: QuantityInfo[];
  perLayer: LayerActivations[];
}

export const MAX_ACTIVATION_CHARS = 5000;
const CHUNK = 256;

/**
 * Reads `text` from a zero state and records every quantity of every layer at every step.
 * Memory: steps × hidden × (quantities per layer) × layers floats (1,000 × 512 × 6 × 2 = 24 MB).
 */
export function recordActivations(model: Model, text: string): Activations {
  const { spec } = model;
  const chars = Array.from(text);
  if (chars.length === 0) throw new RangeError("there is no text to read");
  if (chars.length > MAX_ACTIVATION_CHARS) throw new RangeError(`the heatmap reads at most ${MAX_ACTIVATION_CHARS} characters, not ${chars.length}`);
  const ids = model.vocab.encode(text);
  const n = ids.length, H = spec.hidden, GH = H * gatesPerUnit(spec.cell);
  const src: readonly HeatmapQuantity[] = cellEntry(spec.cell).heatmap(spec);
  const D = directionCount(spec);
  const perLayer: LayerActivations[] = [];
  for (let l = 0; l < spec.layers; l++) {
    const layer: LayerActivations = { layer: l, values: src.map(() => new Float32Array(n * H)) };
    if (D === 2) layer.reverse = src.map(() => new Float32Array(n * H));
    perLayer.push(layer);
  }
  const normalised = src.some(({ source: s }) => typeof s === "object" && "normalised" in s);
  // the normalised quantities re-derive a layer's input from the one-direction layer below it
  if (normalised && D === 2) throw new RangeError("the heatmap does not yet read a bidirectional layer-normalised model");
  // the backward direction starts from the text's last character: one pass over the whole text
  const chunk = D === 2 ? n : Math.min(CHUNK, n);
  const core = new Core(coreShape(spec));
  core.params().set(model.params);
  restoreNormStats(core, model.normStats); // batch norm's running averages (model/batchNormStats.ts)
  core.freezeWeights();
  core.setShape(1, chunk);
  core.resetState();
  for (let t0 = 0; t0 < n; t0 += chunk) {
    const T = Math.min(chunk, n - t0);
    core.setSteps(T);
    core.inputs().set(ids.subarray(t0, t0 + T));
    core.forward(false, 0, false);
    const chunkIds = ids.subarray(t0, t0 + T);
    let layerInput = normalised ? firstLayerInput(model, chunkIds) : null; // [T, In] rows (null: one-hot), only when a quantity needs them
    for (let l = 0; l < spec.layers; l++) for (let d = 0; d < D; d++) {
      const hasCell = cellEntry(spec.cell).cellState;
      const G = D === 1 ? core.gates(l) : core.directionGates(l, d);
      const Hs = D === 1 ? core.hiddenStates(l) : core.directionHidden(l, d);
      const Cs = !hasCell ? null : D === 1 ? core.cellStates(l) : core.directionCell(l, d);
      // state blocks: forward, block 0 is the zero start and block t + 1 the state after character t;
      // backward, block t is the state after reading T−1 … t and block T its zero start
      const after = d === 0 ? 1 : 0, before = d === 0 ? 0 : 1;
      src.forEach(({ source: s }, q) => {
        const out = (d === 0 ? perLayer[l].values : perLayer[l].reverse!)[q];
        if (typeof s === "object" && "normalised" in s) {
          normalisedActivations(spec, model.params, model.normStats, l, s.normalised, layerInput, chunkIds, Hs, Cs && Cs.subarray(H), T, out, t0);
          return;
        }
        if (typeof s === "object" && "perUnit" in s) {
          const unitValues = s.perUnit(spec, model.params, l);
          for (let t = 0; t < T; t++) out.set(unitValues, (t0 + t) * H);
          return;
        }
        for (let t = 0; t < T; t++) {
          const row = (t0 + t) * H;
          const a = (t + after) * H, b = (t + before) * H;
          if (s === "hidden") out.set(Hs.subarray(a, a + H), row);
          else if (s === "cell") out.set(Cs!.subarray(a, a + H), row);
          else if ("gateTimesPreviousHidden" in s) {
            // gate k of step t times the state before it: the reset-before GRU's r ∘ h
            const g0 = t * GH + s.gateTimesPreviousHidden * H;
            for (let j = 0; j < H; j++) out[row + j] = G[g0 + j] * Hs[b + j];
          } else out.set(G.subarray(t * GH + s.gate * H, t * GH + (s.gate + 1) * H), row);
        }
      });
      if (normalised) layerInput = nextLayerInput(Hs, l > 0 && spec.residual ? layerInput : null, T, H);
    }
    core.carryState();
  }
  return { cell: spec.cell, hidden: H, layers: spec.layers, directions: D, chars, quantities: src.map(({ name, range }) => ({ name, range })), perLayer };
}

/** Layer 0's input rows [T, E] for ids (the embedding's rows), or null for one-hot input. */
function firstLayerInput(model: Model, ids: Int32Array): Float32Array | null {
  const E = model.spec.embed;
  if (E === 0) return null;
  const slot = tensorTable(model.spec).find((t) => t.kind === TensorKind.Embed)!;
  const rows = new Float32Array(ids.length * E);
  for (let t = 0; t < ids.length; t++) rows.set(model.params.subarray(slot.offset + ids[t] * E, slot.offset + (ids[t] + 1) * E), t * E);
  return rows;
}

/** The next layer's input [T, H]: this layer's h_t (state blocks 1 … T), plus its own input with residual. */
function nextLayerInput(hidden: ArrayLike<number>, residualInput: Float32Array | null, T: number, H: number): Float32Array {
  const rows = Float32Array.from({ length: T * H }, (_, k) => hidden[H + k]);
  if (residualInput) for (let k = 0; k < rows.length; k++) rows[k] += residualInput[k];
  return rows;
}
