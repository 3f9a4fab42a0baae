// A linear-chain CRF over per-step tag scores (the BiLSTM-CRF of Huang et al. 2015 and Lample et al.
// 2016), in f64. For emissions E [T, K] (the network's per-character scores) and tags y:
//   score(y) = start[y_0] + Σ_t E[t, y_t] + Σ_{t≥1} A[y_{t−1}, y_t] + end[y_{T−1}]
//   −log p(y) = log Σ_{y'} exp score(y') − score(y)        (log Z by the forward algorithm)
// ∂(−log p)/∂E[t, k] = p(y_t = k) − [y_t = k]; likewise for A, start and end with the pairwise and edge
// marginals (forward–backward). Transitions a tag scheme forbids (B/M/E/S: M after S; BIO: I-X after O or
// after another type) are −∞ in training and decoding alike, so Viterbi never returns an impossible path.

export type TagScheme = "bmes" | "bio" | "none";

/** allowed[i·K + j]: may tag j follow tag i; first/last: may a sequence start/end with it. */
export interface TransitionRules { allowed: Uint8Array; first: Uint8Array; last: Uint8Array }

export function transitionRules(tags: readonly string[], scheme: TagScheme): TransitionRules {
  const K = tags.length;
  const allowed = new Uint8Array(K * K).fill(1), first = new Uint8Array(K).fill(1), last = new Uint8Array(K).fill(1);
  if (scheme === "bmes") {
    const inside = (t: string) => t === "M" || t === "E"; // continues a word
    const open = (t: string) => t === "B" || t === "M"; // a word that must continue
    for (let i = 0; i < K; i++) {
      first[i] = inside(tags[i]) ? 0 : 1;
      last[i] = open(tags[i]) ? 0 : 1;
      for (let j = 0; j < K; j++) allowed[i * K + j] = open(tags[i]) === inside(tags[j]) ? 1 : 0;
    }
  } else if (scheme === "bio") {
    const parts = tags.map((t) => (t === "O" ? ["O", ""] : /^[BI]-/.test(t) ? [t[0], t.slice(2)] : ["O", ""]));
    for (let j = 0; j < K; j++) {
      first[j] = parts[j][0] === "I" ? 0 : 1;
      for (let i = 0; i < K; i++) allowed[i * K + j] = parts[j][0] !== "I" || (parts[i][0] !== "O" && parts[i][1] === parts[j][1]) ? 1 : 0;
    }
  }
  return { allowed, first, last };
}

export interface CrfParameters {
  /** [K, K]: A[i, j] scores tag j after tag i */
  transitions: Float64Array;
  start: Float64Array;
  end: Float64Array;
}

function logSumExp(xs: Float64Array | number[]): number {
  let m = -Infinity;
  for (const x of xs) if (x > m) m = x;
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (const x of xs) s += Math.exp(x - m);
  return m + Math.log(s);
}

/** Effective scores with the forbidden transitions at −∞. */
function masked(p: CrfParameters, rules: TransitionRules): CrfParameters {
  return {
    transitions: p.transitions.map((v, i) => (rules.allowed[i] ? v : -Infinity)),
    start: p.start.map((v, k) => (rules.first[k] ? v : -Infinity)),
    end: p.end.map((v, k) => (rules.last[k] ? v : -Infinity)),
  };
}

export interface CrfGradients { emissions: Float64Array; transitions: Float64Array; start: Float64Array; end: Float64Array }

/**
 * −log p(gold | emissions) for one sequence of T steps; adds its gradients into `grads` when given.
 * emissions: [T, K] row-major. A gold path the rules forbid has infinite loss (the data contradicts the scheme).
 */
export function crfNegLogLikelihood(emissions: Float64Array, T: number, gold: ArrayLike<number>, params: CrfParameters, rules: TransitionRules, grads?: CrfGradients): number {
  const K = params.start.length;
  const m = masked(params, rules);
  // forward: alpha[t, k] = log Σ over paths ending in k at t
  const alpha = new Float64Array(T * K), beta = new Float64Array(T * K);
  for (let k = 0; k < K; k++) alpha[k] = m.start[k] + emissions[k];
  const col = new Float64Array(K);
  for (let t = 1; t < T; t++) {
    for (let j = 0; j < K; j++) {
      for (let i = 0; i < K; i++) col[i] = alpha[(t - 1) * K + i] + m.transitions[i * K + j];
      alpha[t * K + j] = logSumExp(col) + emissions[t * K + j];
    }
  }
  for (let k = 0; k < K; k++) col[k] = alpha[(T - 1) * K + k] + m.end[k];
  const logZ = logSumExp(col);
  let score = m.start[gold[0]] + m.end[gold[T - 1]];
  for (let t = 0; t < T; t++) score += emissions[t * K + gold[t]] + (t > 0 ? m.transitions[gold[t - 1] * K + gold[t]] : 0);
  if (grads) {
    // backward: beta[t, k] = log Σ over continuations from k at t (including the end score)
    for (let k = 0; k < K; k++) beta[(T - 1) * K + k] = m.end[k];
    for (let t = T - 2; t >= 0; t--) {
      for (let i = 0; i < K; i++) {
        for (let j = 0; j < K; j++) col[j] = m.transitions[i * K + j] + emissions[(t + 1) * K + j] + beta[(t + 1) * K + j];
        beta[t * K + i] = logSumExp(col);
      }
    }
    for (let t = 0; t < T; t++) {
      for (let k = 0; k < K; k++) {
        const p = Math.exp(alpha[t * K + k] + beta[t * K + k] - logZ);
        grads.emissions[t * K + k] += p;
        if (t === 0) grads.start[k] += p;
        if (t === T - 1) grads.end[k] += p;
      }
      grads.emissions[t * K + gold[t]] -= 1;
    }
    for (let t = 1; t < T; t++) {
      for (let i = 0; i < K; i++) {
        for (let j = 0; j < K; j++) {
          const e = alpha[(t - 1) * K + i] + m.transitions[i * K + j] + emissions[t * K + j] + beta[t * K + j] - logZ;
          if (e > -Infinity) grads.transitions[i * K + j] += Math.exp(e);
        }
      }
      grads.transitions[gold[t - 1] * K + gold[t]] -= 1;
    }
    grads.start[gold[0]] -= 1;
    grads.end[gold[T - 1]] -= 1;
  }
  return logZ - score;
}

/** The highest-scoring allowed tag path and its score (max-product with back-pointers). */
export function crfViterbi(emissions: Float64Array, T: number, params: CrfParameters, rules: TransitionRules): { path: number[]; score: number } {
  const K = params.start.length;
  const m = masked(params, rules);
  const best = new Float64Array(T * K), from = new Int32Array(T * K);
  for (let k = 0; k < K; k++) best[k] = m.start[k] + emissions[k];
  for (let t = 1; t < T; t++) {
    for (let j = 0; j < K; j++) {
      let b = -Infinity, arg = 0;
      for (let i = 0; i < K; i++) {
        const v = best[(t - 1) * K + i] + m.transitions[i * K + j];
        if (v > b) { b = v; arg = i; }
      }
      best[t * K + j] = b + emissions[t * K + j];
      from[t * K + j] = arg;
    }
  }
  let score = -Infinity, lastTag = 0;
  for (let k = 0; k < K; k++) {
    const v = best[(T - 1) * K + k] + m.end[k];
    if (v > score) { score = v; lastTag = k; }
  }
  const path = new Array<number>(T);
  path[T - 1] = lastTag;
  for (let t = T - 1; t > 0; t--) path[t - 1] = from[t * K + path[t]];
  return { path, score };
}
