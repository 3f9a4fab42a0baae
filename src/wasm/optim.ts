// Optimizers, each one loop over the whole parameter block (params, grads and moments are equal-sized
// blocks with the same layout). Conventions follow PyTorch's SGD, RMSprop, Adam and AdamW.

import { at } from "./arena";
import { sqrtr } from "./mathx";
import { sumSquares } from "./vec";

// The f32 core runs each loop four lanes at a time. Every lane does the same IEEE operations in the
// same order as the scalar loop, so the SIMD and scalar builds update identically (the global norm's
// f64 sum, in vec.ts, is the one loop whose order differs).

const SIMD = sizeof<real>() == 4 && ASC_FEATURE_SIMD;

/** ‖g‖₂ over the block, accumulated in f64. */
export function globalNorm(grads: usize, n: i32): f64 {
  return Math.sqrt(sumSquares(grads, n));
}

export function scaleBlock(block: usize, n: i32, factor: real): void {
  let k = 0;
  if (SIMD) {
    const f = f32x4.splat(<f32>factor);
    for (; k + 4 <= n; k += 4) v128.store(at(block, k), f32x4.mul(v128.load(at(block, k)), f));
  }
  for (; k < n; k++) store<real>(at(block, k), load<real>(at(block, k)) * factor);
}

/** dst ← a·dst + b·src (summing data-parallel shards' gradients). */
export function axpbyBlock(dst: usize, src: usize, n: i32, a: real, b: real): void {
  let k = 0;
  if (SIMD) {
    const va = f32x4.splat(<f32>a), vb = f32x4.splat(<f32>b);
    for (; k + 4 <= n; k += 4) {
      v128.store(at(dst, k), f32x4.add(f32x4.mul(va, v128.load(at(dst, k))), f32x4.mul(vb, v128.load(at(src, k)))));
    }
  }
  for (; k < n; k++) store<real>(at(dst, k), a * load<real>(at(dst, k)) + b * load<real>(at(src, k)));
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
  let k = 0;
  if (SIMD) {
    const b1 = f32x4.splat(<f32>beta1), b2 = f32x4.splat(<f32>beta2);
    const ob1 = f32x4.splat(<f32>(<real>1 - beta1)), ob2 = f32x4.splat(<f32>(<real>1 - beta2));
    const wd = f32x4.splat(<f32>weightDecay), dec = f32x4.splat(<f32>decay);
    const ss = f32x4.splat(<f32>stepSize), bc2 = f32x4.splat(<f32>bc2Sqrt), ve = f32x4.splat(<f32>eps);
    for (; k + 4 <= n; k += 4) {
      let pk = v128.load(at(p, k));
      let gk = v128.load(at(g, k));
      if (!decoupled) gk = f32x4.add(gk, f32x4.mul(wd, pk));
      else pk = f32x4.mul(pk, dec);
      const mk = f32x4.add(f32x4.mul(b1, v128.load(at(m, k))), f32x4.mul(ob1, gk));
      const vk = f32x4.add(f32x4.mul(b2, v128.load(at(v, k))), f32x4.mul(f32x4.mul(ob2, gk), gk));
      v128.store(at(m, k), mk);
      v128.store(at(v, k), vk);
      v128.store(at(p, k), f32x4.sub(pk, f32x4.div(f32x4.mul(ss, mk), f32x4.add(f32x4.div(f32x4.sqrt(vk), bc2), ve))));
    }
  }
  for (; k < n; k++) {
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
