// Parameter initialisation, drawn from the core's seeded generator so a seed fixes a run bit for bit.
//   small:      N(0,1)·0.01 for every weight
//   scaled:     N(0,1)·sqrt(1/fan_in)
//   xavier:     U(±sqrt(6/(fan_in + fan_out)))
//   orthogonal: recurrent matrices orthogonal per gate block, other weights as "scaled"
// Biases start at zero, except a forget gate's input bias (forgetBias, often 1; cells.ts forgetGate;
// a normalised LSTM's is β_ih's f block). Layer-normalisation gains start at 1, batch-normalisation
// gains at 0.1 (Cooijmans et al. 2016: γ = 1 saturates the tanh and sigmoid and stops the gradient).
// A CTRNN's learned-τ parameter ρ starts where τ = Δt + softplus(ρ) equals the spec's τ.

import { Core, RealArray } from "../core/core";
import { TensorKind, TensorSlot } from "../core/coreAbi";
import { cellEntry, ctrnnOptions, ctrnnRhoFor, gatesPerUnit, isBatchNormGain, isNormGain } from "./cells";
import type { ModelSpec } from "./modelSpec";

export type InitScheme = "small" | "scaled" | "xavier" | "orthogonal";
export const INIT_SCHEMES: InitScheme[] = ["small", "scaled", "xavier", "orthogonal"];

export function initialiseParameters(core: Core, spec: ModelSpec, scheme: InitScheme, forgetBias: number, seed: number): void {
  core.seed(seed);
  const params = core.params();
  params.fill(0);
  for (const slot of core.tensors) {
    const t = core.tensor(slot, params);
    if (isNormGain(slot.kind)) { t.fill(isBatchNormGain(slot.kind) ? 0.1 : 1); continue; } // a normalisation starts as the identity on the standardised values (Ba et al.)
    switch (slot.kind) {
      case TensorKind.Embed:
        core.fillRandom(t, 1); // nn.Embedding's N(0, 1)
        break;
      case TensorKind.WeightIh:
      case TensorKind.WeightHh:
      case TensorKind.HeadWeight:
        fillWeight(core, t, slot, scheme, spec);
        break;
      case TensorKind.PeepI:
      case TensorKind.PeepF:
      case TensorKind.PeepO:
        core.fillRandom(t, 0.01);
        break;
      case TensorKind.CtrnnRho: {
        const { tau, dt } = ctrnnOptions(spec);
        t.fill(ctrnnRhoFor(tau, dt)); // every unit starts at the spec's τ: Δt + softplus(ρ) = τ
        break;
      }
      case TensorKind.BiasIh:
      case TensorKind.BnIhBias:
      case TensorKind.LnIhBias: {
        const f = cellEntry(spec.cell).forgetGate;
        if (f !== undefined && !spec.coupled) t.fill(forgetBias, f * spec.hidden, (f + 1) * spec.hidden);
        break;
      }
      default:
        break;
    }
  }
}

function fillWeight(core: Core, t: RealArray, slot: TensorSlot, scheme: InitScheme, spec: ModelSpec): void {
  // Core layout [in, out]: fan_in = rows (per gate), fan_out = cols / gates for gate matrices.
  const gates = slot.kind === TensorKind.HeadWeight ? 1 : gatesPerUnit(spec.cell);
  const fanIn = slot.rows, fanOut = slot.cols / gates;
  if (scheme === "small") core.fillRandom(t, 0.01);
  else if (scheme === "xavier") core.fillRandom(t, { uniform: Math.sqrt(6 / (fanIn + fanOut)) });
  else core.fillRandom(t, Math.sqrt(1 / fanIn));
  if (scheme === "orthogonal" && slot.kind === TensorKind.WeightHh) {
    for (let g = 0; g < gates; g++) orthogonaliseBlock(t, slot.cols, g * spec.hidden, spec.hidden);
  }
}

/**
 * Replaces the H×H block of columns [c0, c0+H) of a row-major [H, cols] matrix (already filled with
 * Gaussian noise) by an orthogonal matrix: modified Gram–Schmidt on its columns, in f64.
 */
function orthogonaliseBlock(t: RealArray, cols: number, c0: number, H: number): void {
  const q: Float64Array[] = [];
  for (let j = 0; j < H; j++) {
    const v = new Float64Array(H);
    for (let i = 0; i < H; i++) v[i] = t[i * cols + c0 + j];
    for (const u of q) {
      let d = 0;
      for (let i = 0; i < H; i++) d += u[i] * v[i];
      for (let i = 0; i < H; i++) v[i] -= d * u[i];
    }
    let n = 0;
    for (let i = 0; i < H; i++) n += v[i] * v[i];
    n = Math.sqrt(n);
    if (n < 1e-12) { v.fill(0); v[j] = 1; n = 1; } // a degenerate draw: fall back to a unit vector
    for (let i = 0; i < H; i++) v[i] /= n;
    q.push(v);
  }
  for (let j = 0; j < H; j++) for (let i = 0; i < H; i++) t[i * cols + c0 + j] = q[j][i];
}
