// xoshiro128** (Blackman & Vigna): small, fast, and its whole state is four u32 words that a
// checkpoint can store, so that a resumed run draws exactly the numbers the original would have.

let s0: u32 = 1;
let s1: u32 = 2;
let s2: u32 = 3;
let s3: u32 = 4;

@inline function rotl(x: u32, k: u32): u32 {
  return (x << k) | (x >> (32 - k));
}

export function rngNextU32(): u32 {
  const result = rotl(s1 * 5, 7) * 9;
  const t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= t;
  s3 = rotl(s3, 11);
  return result;
}

/** Seed through splitmix32 so that nearby seeds give unrelated streams. */
export function rngSeed(seed: u32): void {
  let z = seed;
  for (let i = 0; i < 4; i++) {
    z += 0x9e3779b9;
    let x = z;
    x = (x ^ (x >> 16)) * 0x85ebca6b;
    x = (x ^ (x >> 13)) * 0xc2b2ae35;
    x ^= x >> 16;
    if (i == 0) s0 = x;
    else if (i == 1) s1 = x;
    else if (i == 2) s2 = x;
    else s3 = x;
  }
  if ((s0 | s1 | s2 | s3) == 0) s0 = 1;
}

export function rngGetState(word: i32): u32 {
  return word == 0 ? s0 : word == 1 ? s1 : word == 2 ? s2 : s3;
}

export function rngSetState(a: u32, b: u32, c: u32, d: u32): void {
  s0 = a; s1 = b; s2 = c; s3 = d;
  if ((s0 | s1 | s2 | s3) == 0) s0 = 1;
}

/** Uniform in [0, 1) with 24 random bits (exact in f32 and f64). */
@inline export function rngUniform(): f64 {
  return <f64>(rngNextU32() >> 8) * (1.0 / 16777216.0);
}

/** Standard normal by Box–Muller (one of the pair; simplicity over speed, used only at init). */
export function rngNormal(): f64 {
  let u = rngUniform();
  while (u <= 0) u = rngUniform();
  const v = rngUniform();
  return Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2.0 * Math.PI * v);
}

/** A uniform in [0, 1) that depends only on (key, index): murmur3's finalizer over both. */
@inline export function hashUniform(key: u32, index: u32): f64 {
  let x = key ^ (index * 0x9e3779b9);
  x = (x ^ (x >> 16)) * 0x85ebca6b;
  x = (x ^ (x >> 13)) * 0xc2b2ae35;
  x ^= x >> 16;
  x = (x + key) * 0x9e3779b9;
  x ^= x >> 15;
  return <f64>(x >> 8) * (1.0 / 16777216.0);
}
