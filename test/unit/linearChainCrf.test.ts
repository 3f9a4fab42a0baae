// The CRF against brute force: every tag sequence of short inputs enumerated, so log Z, the loss and
// the best path are checked by summing and maximising over all K^T paths; gradients by central
// differences; tag schemes' forbidden transitions never decoded.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CrfParameters, crfNegLogLikelihood, crfViterbi, transitionRules } from "../../src/engine/tasks/linearChainCrf";
import { expectClose } from "../helpers";

function rng(seed: number) {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32 - 0.5; };
}
function randomParams(K: number, r: () => number): CrfParameters {
  return { transitions: Float64Array.from({ length: K * K }, () => 2 * r()), start: Float64Array.from({ length: K }, () => 2 * r()), end: Float64Array.from({ length: K }, () => 2 * r()) };
}
function* allPaths(K: number, T: number): Generator<number[]> {
  const p = new Array(T).fill(0);
  while (true) {
    yield p.slice();
    let i = T - 1;
    while (i >= 0 && ++p[i] === K) p[i--] = 0;
    if (i < 0) return;
  }
}
function bruteScore(e: Float64Array, K: number, path: number[], p: CrfParameters, allowed: (path: number[]) => boolean): number {
  if (!allowed(path)) return -Infinity;
  let s = p.start[path[0]] + p.end[path[path.length - 1]];
  path.forEach((y, t) => { s += e[t * K + y] + (t ? p.transitions[path[t - 1] * K + y] : 0); });
  return s;
}

describe("linear-chain CRF", () => {
  for (const [scheme, tags] of [["none", ["a", "b", "c"]], ["bmes", ["B", "E", "M", "S"]], ["bio", ["B-LOC", "B-PER", "I-LOC", "I-PER", "O"]]] as const) {
    test(`${scheme}: loss and best path equal enumeration over all K^T paths; gradients equal central differences`, () => {
      const K = tags.length, r = rng(K * 31);
      const rules = transitionRules(tags, scheme);
      const ok = (path: number[]) => !!rules.first[path[0]] && !!rules.last[path[path.length - 1]] && path.every((y, t) => t === 0 || !!rules.allowed[path[t - 1] * K + y]);
      for (const T of [1, 2, 4]) {
        const params = randomParams(K, r);
        const e = Float64Array.from({ length: T * K }, () => 3 * r());
        const paths = [...allPaths(K, T)];
        const scores = paths.map((p) => bruteScore(e, K, p, params, ok));
        const max = Math.max(...scores);
        const logZ = max + Math.log(scores.reduce((a, s) => a + Math.exp(s - max), 0));
        const gold = paths[scores.findIndex((s) => s > -Infinity && s < max)] ?? paths[scores.indexOf(max)];
        const goldScore = bruteScore(e, K, gold, params, ok);
        const grads = { emissions: new Float64Array(T * K), transitions: new Float64Array(K * K), start: new Float64Array(K), end: new Float64Array(K) };
        const loss = crfNegLogLikelihood(e, T, gold, params, rules, grads);
        expectClose([loss], [logZ - goldScore], { atol: 1e-10, rtol: 1e-10 }, `T=${T} loss`);
        const v = crfViterbi(e, T, params, rules);
        expectClose([v.score], [max], { atol: 1e-10, rtol: 0 }, `T=${T} best score`);
        assert.ok(ok(v.path), `T=${T}: Viterbi's path ${v.path} is allowed`);
        expectClose([bruteScore(e, K, v.path, params, ok)], [max], { atol: 1e-10, rtol: 0 }, `T=${T} best path's score`);
        // central differences, f64, h = 1e-5
        const h = 1e-5;
        const numeric = (arr: Float64Array, i: number, f: () => number) => { const o = arr[i]; arr[i] = o + h; const a = f(); arr[i] = o - h; const b = f(); arr[i] = o; return (a - b) / (2 * h); };
        const f = () => crfNegLogLikelihood(e, T, gold, params, rules);
        expectClose(grads.emissions, Array.from(e, (_, i) => numeric(e, i, f)), { atol: 1e-7, rtol: 1e-6 }, `T=${T} ∂/∂emissions`);
        for (const [name, arr] of [["transitions", params.transitions], ["start", params.start], ["end", params.end]] as const) {
          const g = grads[name];
          expectClose(g, Array.from(arr, (_, i) => numeric(arr, i, f)), { atol: 1e-7, rtol: 1e-6 }, `T=${T} ∂/∂${name}`);
        }
      }
    });
  }

  test("B/M/E/S decoding never gives an impossible word, however strongly the scores ask for one", () => {
    const tags = ["B", "E", "M", "S"], K = 4, rules = transitionRules(tags, "bmes");
    const params = { transitions: new Float64Array(16), start: new Float64Array(4), end: new Float64Array(4) };
    // emissions favour M, S, M, B: M cannot start, S cannot precede M, B cannot end
    const e = new Float64Array(4 * K);
    [2, 3, 2, 0].forEach((k, t) => { e[t * K + k] = 10; });
    const { path } = crfViterbi(e, 4, params, rules);
    const seq = path.map((k) => tags[k]).join("");
    assert.match(seq, /^(S|BM*E)+$/, `decoded ${seq}`);
  });
});
