// Softmax cross-entropy over the output logits.
// logits[R, V] (R = T·B rows), targets[R] → mean loss in nats; dLogits[R, V] = (softmax − onehot) / R,
// the gradient of that mean. A negative target is ignored (PyTorch's ignore_index): its row adds no
// loss and gets a zero gradient, and the mean is over the other rows. The gradient-flow view uses it
// to take the loss of the last step alone.

import { at, atI32 } from "./arena";
import { expSimd, expr } from "./mathx";

export function softmaxCrossEntropy(logits: usize, targets: usize, dLogits: usize, R: i32, V: i32): f64 {
  let total: f64 = 0;
  let counted = 0;
  for (let r = 0; r < R; r++) if (load<i32>(atI32(targets, r)) >= 0) counted++;
  const scale = <real>(1.0 / <f64>max(counted, 1));
  for (let r = 0; r < R; r++) {
    const row = at(logits, r * V);
    const drow = at(dLogits, r * V);
    if (load<i32>(atI32(targets, r)) < 0) {
      memory.fill(drow, 0, <usize>V << alignof<real>());
      continue;
    }
    let mx = load<real>(row);
    for (let j = 1; j < V; j++) mx = max<real>(mx, load<real>(at(row, j)));
    let sum: f64 = 0;
    let j = 0;
    if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
      const m = f32x4.splat(<f32>mx);
      let acc = f32x4.splat(0);
      for (; j + 4 <= V; j += 4) {
        const e = expSimd(f32x4.sub(v128.load(at(row, j)), m));
        v128.store(at(drow, j), e);
        acc = f32x4.add(acc, e);
      }
      sum = <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
    }
    for (; j < V; j++) {
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
  return total / <f64>max(counted, 1);
}
