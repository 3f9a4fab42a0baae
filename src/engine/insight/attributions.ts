// Why did a classifier say that: each character's contribution to one class's logit; for a tagger,
// to the logit of the tag chosen at one position (row i of the per-step head; the CRF's emission).
//   gradxinput  x_t · ∂logit/∂x_t at the input (x_t: the embedded vector of character t, or its
//               one-hot row, whose only non-zero entry is 1)
//   ig          integrated gradients from the zero input (Sundararajan et al. 2017):
//               x_t · ∫₀¹ ∂logit/∂x_t(α·x) dα, the integral by Gauss–Legendre quadrature on `steps`
//               nodes (Captum's default rule); the scores add up to logit(x) − logit(0) up to the
//               quadrature's error, which `completenessError` reports. Smooth poolings (last, mean)
//               reach 1 % with 32 nodes; max pooling's integrand jumps where an arg max changes
//               along the path, so there the error falls only like 1/steps (use 256).
// The model runs in the f64 core, one stream, the whole text as one window; the gradient of the
// logit comes from the core's backward from an external ∂L/∂logits (one-hot at the class) with the
// input gradients (core.backwardWithInputGrad), the path α·x from core.setInputScale.

import { Core } from "../core/core";
import { SequencePool } from "../core/coreAbi";
import type { Model } from "../files/checkpoint";
import { InputError } from "../messages/inputError";
import { coreShape } from "../model/modelSpec";
import { restoreNormStats } from "../model/batchNormStats";

export type AttributionMethod = "gradxinput" | "ig";
export const ATTRIBUTION_METHODS: readonly AttributionMethod[] = ["gradxinput", "ig"];
export type Pooling = "last" | "mean" | "max";
const POOL_CODES: Record<Pooling, SequencePool> = { last: SequencePool.Last, mean: SequencePool.Mean, max: SequencePool.Max };

export interface Attribution {
  method: AttributionMethod;
  steps: number; // quadrature nodes (1 for gradxinput)
  characters: string[]; // the text's code points
  scores: number[]; // one per code point, in logit units: > 0 for the class, < 0 against it
  logit: number; // the class's logit at the input
  baselineLogit: number; // … at the zero input
  total: number; // Σ scores
  /** ig: |Σ scores − (logit − baselineLogit)| / |logit − baselineLogit| (0 when both are 0); gradxinput: null. */
  completenessError: number | null;
}

/** The pooling a classifier's checkpoint names (task metadata `pool`), else `last`. */
function poolingOf(model: Model): Pooling {
  const pool = model.task?.metadata?.pool;
  return pool === "mean" || pool === "max" ? pool : "last";
}

/** Gauss–Legendre nodes and weights on [0, 1] (Newton's iteration on P_n; exact for polynomials of degree 2n − 1). */
export function gaussLegendre(n: number): { nodes: number[]; weights: number[] } {
  const nodes: number[] = [], weights: number[] = [];
  for (let i = 0; i < n; i++) {
    let x = Math.cos(Math.PI * (i + 0.75) / (n + 0.5)), dp = 1;
    for (let iter = 0; iter < 100; iter++) {
      let p0 = 1, p1 = x; // P_0, P_1, then the recurrence up to P_n
      for (let k = 2; k <= n; k++) { const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k; p0 = p1; p1 = p2; }
      const pn = n === 1 ? x : p1, pm = n === 1 ? 1 : p0;
      dp = n * (x * pn - pm) / (x * x - 1);
      const dx = pn / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-15) break;
    }
    nodes.push((1 - x) / 2); // [−1, 1] → [0, 1]
    weights.push(1 / ((1 - x * x) * dp * dp)); // 2 / ((1 − x²)·P'_n²), halved for [0, 1]
  }
  return { nodes, weights };
}

/**
 * Per-character attributions of class `classIndex`'s logit for `text` (a pooled classifier: the
 * pooling comes from the checkpoint's task entry unless `pool` is given).
 */
export function attributions(model: Model, text: string, classIndex: number, method: AttributionMethod, steps = 32, pool?: Pooling): Attribution {
  const O = model.spec.outputs ?? model.spec.vocabSize;
  if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= O) throw new InputError(`class ${classIndex} is not one of the model's ${O} classes`);
  return explainLogit(model, text, POOL_CODES[pool ?? poolingOf(model)], 0, classIndex, method, steps);
}

/**
 * Per-character attributions of the logit of tag `tagIndex` at code point `position` of `text` (a
 * tagger or segmenter: the per-step head, whose row `position` holds that character's tag logits;
 * with a CRF these are its emission scores, the transitions being constant in the input). A
 * one-direction tagger gives 0 to every character after `position`: it has not read them.
 */
export function tagAttributions(model: Model, text: string, position: number, tagIndex: number, method: AttributionMethod, steps = 32): Attribution {
  const O = model.spec.outputs ?? model.spec.vocabSize, T = Array.from(text).length;
  if (!Number.isInteger(tagIndex) || tagIndex < 0 || tagIndex >= O) throw new InputError(`tag ${tagIndex} is not one of the model's ${O} tags`);
  if (T > 0 && (!Number.isInteger(position) || position < 0 || position >= T)) throw new InputError(`position ${position} is not in the text (0 to ${T - 1})`);
  // one stream: the per-step head's row t·B + b is row `position`
  return explainLogit(model, text, SequencePool.Steps, position, tagIndex, method, steps);
}

/** The attributions of logit `index` of head row `row` (the core's logits are rows × O). */
function explainLogit(model: Model, text: string, head: SequencePool, row: number, index: number, method: AttributionMethod, steps: number): Attribution {
  const spec = model.spec, O = spec.outputs ?? spec.vocabSize, at = row * O + index;
  if (!ATTRIBUTION_METHODS.includes(method)) throw new InputError(`the attribution method must be ${ATTRIBUTION_METHODS.join(" or ")}, not ${JSON.stringify(method)}`);
  if (method === "ig" && (!Number.isInteger(steps) || steps < 1 || steps > 1024)) throw new InputError(`integrated gradients need 1 to 1024 steps, not ${steps}`);
  const characters = Array.from(text);
  if (characters.length === 0) throw new InputError("there is no text to explain");
  const ids = model.vocab.encode(text);
  const T = ids.length, E = spec.embed;
  const core = new Core(coreShape(spec), "f64");
  core.setShape(1, T);
  core.setSequenceHead(head);
  core.params().set(model.params);
  restoreNormStats(core, model.normStats); // batch norm's running averages (model/batchNormStats.ts)
  core.freezeWeights(true);
  core.inputs().set(ids);
  const table = E > 0 ? core.tensor(core.tensors[0]) : null; // the embedding is the block's first tensor
  /** The chosen logit at α·x, and (withGradient) x_t · ∂logit/∂x_t(α·x) per character. */
  const evaluate = (alpha: number, withGradient: boolean): { logit: number; contributions: number[] } => {
    core.setInputScale(alpha);
    core.resetState();
    core.forward(false, 0, false);
    const logit = core.logits()[at];
    if (!withGradient) return { logit, contributions: [] };
    const d = core.dLogits();
    d.fill(0);
    d[at] = 1;
    core.zeroGrads();
    core.backwardWithInputGrad();
    const g = core.inputGradient();
    const contributions = new Array<number>(T);
    for (let t = 0; t < T; t++) {
      if (!table) { contributions[t] = g[t]; continue; } // one-hot: x_t has a single 1
      let s = 0;
      for (let j = 0; j < E; j++) s += g[t * E + j] * table[ids[t] * E + j];
      contributions[t] = s;
    }
    return { logit, contributions };
  };
  const atInput = evaluate(1, method === "gradxinput");
  const baselineLogit = evaluate(0, false).logit;
  let scores: number[];
  if (method === "gradxinput") {
    scores = atInput.contributions;
    steps = 1;
  } else {
    const { nodes, weights } = gaussLegendre(steps);
    scores = new Array<number>(T).fill(0);
    nodes.forEach((alpha, k) => {
      const c = evaluate(alpha, true).contributions;
      for (let t = 0; t < T; t++) scores[t] += weights[k] * c[t];
    });
  }
  const total = scores.reduce((a, b) => a + b, 0);
  const delta = atInput.logit - baselineLogit;
  const completenessError = method === "ig" ? (delta === 0 && total === 0 ? 0 : Math.abs(total - delta) / Math.max(Math.abs(delta), 1e-300)) : null;
  return { method, steps, characters, scores, logit: atInput.logit, baselineLogit, total, completenessError };
}
