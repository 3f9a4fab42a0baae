// Softmax cross-entropy over the output logits.
// logits[R, O] (R = T·B rows, O = the head's outputs), targets[R], weights[R] → the weighted mean loss
// in nats, Σ_r w_r·ℓ_r / Σ_r w_r over the rows that count; dLogits[R, O] = w_r·(softmax − onehot) / Σ w,
// the gradient of that mean (PyTorch's weighted cross-entropy with reduction "mean"). A row counts
// when its target is ≥ 0 and its weight is not 0: a negative target is ignored as before (PyTorch's
// ignore_index; the gradient-flow view uses it to take the loss of the last step alone), and so is a
// row of weight 0 (a loss mask, padding past a sequence's length). Either way the row adds no loss,
// gets a zero gradient and its target is never read. With every weight 1 this is the plain mean over
// the counted rows, to the bit (1·x and Σ 1 are exact).

import { at, atI32 } from "./arena";
import { expSimd, expr } from "./mathx";

let weightTotal: f64 = 0;

/** Σ w over the rows that counted in the last call: the mean's denominator (to combine shards). */
export function lastWeightTotal(): f64 { return weightTotal; }

export function softmaxCrossEntropy(logits: usize, targets: usize, weights: usize, dLogits: usize, R: i32, V: i32): f64 {
  let total: f64 = 0;
  let counted: f64 = 0;
  for (let r = 0; r < R; r++) {
    const w = load<real>(at(weights, r));
    if (load<i32>(atI32(targets, r)) >= 0 && w != 0) counted += <f64>w;
  }
  weightTotal = counted;
  const denominator = counted != 0 ? counted : 1.0;
  for (let r = 0; r < R; r++) {
    const row = at(logits, r * V);
    const drow = at(dLogits, r * V);
    const w = load<real>(at(weights, r));
    if (load<i32>(atI32(targets, r)) < 0 || w == 0) {
      memory.fill(drow, 0, <usize>V << alignof<real>());
      continue;
    }
    const scale = <real>(<f64>w / denominator);
    let mx = load<real>(row);
    let j = 1;
    if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
      // four lanes of running maxima (max is exact and order-free: the same value as the scalar loop)
      let m4 = f32x4.splat(<f32>mx);
      for (; j + 4 <= V; j += 4) m4 = f32x4.max(m4, v128.load(at(row, j)));
      mx = <real>max<f32>(max<f32>(f32x4.extract_lane(m4, 0), f32x4.extract_lane(m4, 1)), max<f32>(f32x4.extract_lane(m4, 2), f32x4.extract_lane(m4, 3)));
    }
    for (; j < V; j++) mx = max<real>(mx, load<real>(at(row, j)));
    let sum: f64 = 0;
    j = 0;
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
    total += <f64>w * (logSum - <f64>(load<real>(at(row, y)) - mx));
    const inv = <real>(1.0 / sum) * scale;
    j = 0;
    if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
      const inv4 = f32x4.splat(<f32>inv);
      for (; j + 4 <= V; j += 4) v128.store(at(drow, j), f32x4.mul(v128.load(at(drow, j)), inv4));
    }
    for (; j < V; j++) store<real>(at(drow, j), load<real>(at(drow, j)) * inv);
    store<real>(at(drow, y), load<real>(at(drow, y)) - scale);
  }
  return total / denominator;
}
