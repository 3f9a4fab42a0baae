// Softmax cross-entropy over the output logits.
// logits[R, V] (R = T·B rows), targets[R] → mean loss in nats; dLogits[R, V] = (softmax − onehot) / R,
// the gradient of that mean.

import { at, atI32 } from "./arena";
import { expr } from "./mathx";

export function softmaxCrossEntropy(logits: usize, targets: usize, dLogits: usize, R: i32, V: i32): f64 {
  let total: f64 = 0;
  const scale = <real>(1.0 / <f64>R);
  for (let r = 0; r < R; r++) {
    const row = at(logits, r * V);
    const drow = at(dLogits, r * V);
    let mx = load<real>(row);
    for (let j = 1; j < V; j++) mx = max<real>(mx, load<real>(at(row, j)));
    let sum: f64 = 0;
    for (let j = 0; j < V; j++) {
      const e = expr(load<real>(at(row, j)) - mx);
      store<real>(at(drow, j), e);
      sum += <f64>e;
    }
    const y = load<i32>(atI32(targets, r));
    const logSum = Math.log(sum);
    total += logSum - <f64>(load<real>(at(row, y)) - mx);
    const inv = <real>(1.0 / sum) * scale;
    for (let j = 0; j < V; j++) store<real>(at(drow, j), load<real>(at(drow, j)) * inv);
    store<real>(at(drow, y), load<real>(at(drow, y)) - scale);
  }
  return total / <f64>R;
}
