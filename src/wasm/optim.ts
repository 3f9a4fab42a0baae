// Optimizers, each one loop over the whole parameter block (params, grads and moments are equal-sized
// blocks with the same layout). Conventions follow PyTorch's SGD, RMSprop, Adam and AdamW.

import { at } from "./arena";
import { sqrtr } from "./mathx";

/** ‖g‖₂ over the block, accumulated in f64. */
export function globalNorm(grads: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let k = 0; k < n; k++) {
    const g = <f64>load<real>(at(grads, k));
    s += g * g;
  }
  return Math.sqrt(s);
}

export function scaleBlock(block: usize, n: i32, factor: real): void {
  for (let k = 0; k < n; k++) store<real>(at(block, k), load<real>(at(block, k)) * factor);
}

/** momentum buffer m ← μ·m + (g + λ·p); p ← p − lr·m (μ = 0: plain SGD). */
export function sgdStep(p: usize, g: usize, m: usize, n: i32, lr: real, momentum: real, weightDecay: real): void {
  for (let k = 0; k < n; k++) {
    const pk = load<real>(at(p, k));
    const gk = load<real>(at(g, k)) + weightDecay * pk;
    const mk = momentum * load<real>(at(m, k)) + gk;
    store<real>(at(m, k), mk);
    store<real>(at(p, k), pk - lr * mk);
  }
}

/** v ← α·v + (1 − α)·g²; p ← p − lr·g / (√v + ε). */
export function rmspropStep(p: usize, g: usize, v: usize, n: i32, lr: real, alpha: real, eps: real, weightDecay: real): void {
  for (let k = 0; k < n; k++) {
    const pk = load<real>(at(p, k));
    const gk = load<real>(at(g, k)) + weightDecay * pk;
    const vk = alpha * load<real>(at(v, k)) + (<real>1 - alpha) * gk * gk;
    store<real>(at(v, k), vk);
    store<real>(at(p, k), pk - lr * gk / (sqrtr(vk) + eps));
  }
}

/**
 * Adam (decoupled = false: weight decay added to the gradient) or AdamW (decoupled = true:
 * p ← p·(1 − lr·λ) before the update). step counts from 1.
 */
export function adamStep(p: usize, g: usize, m: usize, v: usize, n: i32, lr: real, beta1: real, beta2: real, eps: real,
                         weightDecay: real, decoupled: bool, step: i32): void {
  const bc1 = <real>(1.0 - Math.pow(<f64>beta1, <f64>step));
  const bc2Sqrt = <real>Math.sqrt(1.0 - Math.pow(<f64>beta2, <f64>step));
  const stepSize = lr / bc1;
  const decay = decoupled ? <real>1 - lr * weightDecay : <real>1;
  for (let k = 0; k < n; k++) {
    let pk = load<real>(at(p, k));
    let gk = load<real>(at(g, k));
    if (!decoupled) gk += weightDecay * pk;
    else pk *= decay;
    const mk = beta1 * load<real>(at(m, k)) + (<real>1 - beta1) * gk;
    const vk = beta2 * load<real>(at(v, k)) + (<real>1 - beta2) * gk * gk;
    store<real>(at(m, k), mk);
    store<real>(at(v, k), vk);
    store<real>(at(p, k), pk - stepSize * mk / (sqrtr(vk) / bc2Sqrt + eps));
  }
}
