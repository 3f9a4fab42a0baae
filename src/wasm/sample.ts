// Drawing the next character from one row of logits: temperature, then top-k, then top-p (nucleus),
// then a draw with the core's generator. Temperature ≤ 0 means argmax.

import { at, atI32 } from "./arena";
import { rngUniform } from "./rng";

/**
 * logits[V] in; probs[V] out (the distribution actually sampled from, zero outside the kept set);
 * order[V] is scratch for the sort. Returns the chosen index.
 */
export function sampleFromLogits(logits: usize, probs: usize, order: usize, V: i32, temperature: f64, topK: i32, topP: f64): i32 {
  let best = 0;
  let mx = <f64>load<real>(logits);
  for (let j = 1; j < V; j++) {
    const x = <f64>load<real>(at(logits, j));
    if (x > mx) { mx = x; best = j; }
  }
  if (temperature <= 0) {
    for (let j = 0; j < V; j++) store<real>(at(probs, j), j == best ? <real>1 : <real>0);
    return best;
  }
  let sum: f64 = 0;
  for (let j = 0; j < V; j++) {
    const e = Math.exp((<f64>load<real>(at(logits, j)) - mx) / temperature);
    store<real>(at(probs, j), <real>e);
    sum += e;
  }
  for (let j = 0; j < V; j++) store<real>(at(probs, j), <real>(<f64>load<real>(at(probs, j)) / sum));
  const filter = (topK > 0 && topK < V) || topP < 1.0;
  if (filter) {
    sortIndicesByProbability(probs, order, V);
    let keep = V;
    if (topK > 0 && topK < keep) keep = topK;
    if (topP < 1.0) {
      let cum: f64 = 0;
      for (let r = 0; r < keep; r++) {
        cum += <f64>load<real>(at(probs, load<i32>(atI32(order, r))));
        if (cum >= topP) { keep = r + 1; break; }
      }
    }
    let kept: f64 = 0;
    for (let r = 0; r < keep; r++) kept += <f64>load<real>(at(probs, load<i32>(atI32(order, r))));
    for (let r = keep; r < V; r++) store<real>(at(probs, load<i32>(atI32(order, r))), 0);
    for (let r = 0; r < keep; r++) {
      const k = load<i32>(atI32(order, r));
      store<real>(at(probs, k), <real>(<f64>load<real>(at(probs, k)) / kept));
    }
  }
  const u = rngUniform();
  let cum: f64 = 0;
  let last = best;
  for (let j = 0; j < V; j++) {
    const pj = <f64>load<real>(at(probs, j));
    if (pj <= 0) continue;
    cum += pj;
    last = j;
    if (u < cum) return j;
  }
  return last; // rounding left u just above the total
}

/** order[0..V) = indices sorted by descending probability, ties by index (heap sort, O(V log V)). */
function sortIndicesByProbability(probs: usize, order: usize, V: i32): void {
  for (let j = 0; j < V; j++) store<i32>(atI32(order, j), j);
  // A min-heap on (prob, -index) leaves the array in descending order after the sort-down phase.
  for (let start = (V >> 1) - 1; start >= 0; start--) siftDown(probs, order, start, V);
  for (let end = V - 1; end > 0; end--) {
    const t = load<i32>(atI32(order, 0));
    store<i32>(atI32(order, 0), load<i32>(atI32(order, end)));
    store<i32>(atI32(order, end), t);
    siftDown(probs, order, 0, end);
  }
}

@inline function before(probs: usize, a: i32, b: i32): bool {
  // true when a sorts after b in the final descending order, i.e. a is "smaller" for the min-heap
  const pa = load<real>(at(probs, a)), pb = load<real>(at(probs, b));
  return pa < pb || (pa == pb && a > b);
}

function siftDown(probs: usize, order: usize, start: i32, end: i32): void {
  let root = start;
  while (true) {
    let child = 2 * root + 1;
    if (child >= end) return;
    const c0 = load<i32>(atI32(order, child));
    if (child + 1 < end && before(probs, load<i32>(atI32(order, child + 1)), c0)) child++;
    const rv = load<i32>(atI32(order, root));
    const cv = load<i32>(atI32(order, child));
    if (!before(probs, cv, rv)) return;
    store<i32>(atI32(order, root), cv);
    store<i32>(atI32(order, child), rv);
    root = child;
  }
}
