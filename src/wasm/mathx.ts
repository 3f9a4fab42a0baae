// Nonlinearities in the core's precision. f32 uses Mathf (musl's expf), f64 uses Math.

@inline export function expr(x: real): real {
  if (sizeof<real>() == 4) return <real>Mathf.exp(<f32>x);
  return <real>Math.exp(<f64>x);
}

@inline export function logr(x: real): real {
  if (sizeof<real>() == 4) return <real>Mathf.log(<f32>x);
  return <real>Math.log(<f64>x);
}

@inline export function sqrtr(x: real): real {
  return <real>sqrt<real>(x);
}

@inline export function sigmoid(x: real): real {
  // Both branches keep exp's argument non-positive, so nothing overflows.
  if (x >= 0) return <real>1 / (<real>1 + expr(-x));
  const e = expr(x);
  return e / (<real>1 + e);
}

@inline export function tanhr(x: real): real {
  const t = expr(<real>-2 * abs<real>(x));
  const y = (<real>1 - t) / (<real>1 + t);
  return x < 0 ? -y : y;
}
