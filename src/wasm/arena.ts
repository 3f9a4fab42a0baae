// One linear memory, carved by a bump allocator. Everything is allocated when a model is configured
// or its batch shape is set; a training step allocates nothing, so memory stops growing after warm-up.

// `real` is f32 for the training core and f64 for the gradient-check core (asc --use real=f64).
@inline export const REAL_BYTES: usize = sizeof<real>();

let arenaTop: usize = 0;

function alignUp(p: usize, a: usize): usize {
  return (p + a - 1) & ~(a - 1);
}

/** Forget everything above `mark` (0 = the start of the heap). */
export function arenaReset(mark: usize): void {
  arenaTop = mark == 0 ? alignUp(__heap_base, 64) : mark;
}

export function arenaMark(): usize {
  if (arenaTop == 0) arenaReset(0);
  return arenaTop;
}

/** Zeroed, 64-byte aligned block; grows the memory when needed. */
export function arenaAlloc(bytes: usize): usize {
  if (arenaTop == 0) arenaReset(0);
  const p = arenaTop;
  // 32-bit addresses: a block that would end past 4 GiB must not wrap around to a small address
  // (the engine refuses such shapes first, limits.ts; this is the core's own guard).
  if (<u64>p + <u64>bytes + 63 > <u64>0xffffffff) unreachable();
  arenaTop = alignUp(p + bytes, 64);
  const needPages = <i32>((<u64>arenaTop + 0xffff) >> 16);
  const havePages = memory.size();
  if (needPages > havePages && memory.grow(needPages - havePages) < 0) unreachable();
  memory.fill(p, 0, arenaTop - p);
  return p;
}

/** Address of element i of a `real` array. */
@inline export function at(base: usize, i: i32): usize {
  return base + (<usize>i << alignof<real>());
}

@inline export function atI32(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

export function allocReal(n: i32): usize {
  if (n < 0) unreachable(); // an element count that overflowed i32
  return arenaAlloc(<usize>n << alignof<real>());
}

export function allocI32(n: i32): usize {
  if (n < 0) unreachable();
  return arenaAlloc(<usize>n << 2);
}
