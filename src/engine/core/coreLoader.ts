// Finding, compiling and instantiating the core's builds (dist/*.wasm), and choosing the f32 kernel
// build this runtime runs fastest. Compiled modules are cached per build; each instance is a fresh
// memory (one model). The exports themselves are described in coreAbi.ts.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { CoreExports } from "./coreAbi";

export type Precision = "f32" | "f64";
/** f32 kernel builds, fastest first; "f64" is the gradient-check core. */
export type KernelVariant = "relaxed" | "simd" | "scalar";
export const KERNEL_VARIANTS: KernelVariant[] = ["relaxed", "simd", "scalar"];
export type CoreBuild = KernelVariant | "f64";

const WASM_FILES: Record<CoreBuild, string> = { relaxed: "core-relaxed.wasm", simd: "core.wasm", scalar: "core-scalar.wasm", f64: "core64.wasm" };
const moduleCache = new Map<CoreBuild, WebAssembly.Module>();
let chosenVariant: KernelVariant | null = null;

/** dist/ holds the cores next to the bundled JavaScript that loads them. */
function wasmBytes(build: CoreBuild): Buffer<ArrayBuffer> {
  return readFileSync(join(__dirname, WASM_FILES[build])) as Buffer<ArrayBuffer>;
}

function compiled(build: CoreBuild): WebAssembly.Module {
  let m = moduleCache.get(build);
  if (!m) {
    if (build === "relaxed") enableRelaxedSimd();
    m = new WebAssembly.Module(wasmBytes(build));
    moduleCache.set(build, m);
  }
  return m;
}

/**
 * Node 20's V8 has relaxed SIMD behind a flag (VS Code's Electron and Node 22 have it on); setting
 * it only enables decoding of those instructions, so it is harmless where they are never used.
 */
function enableRelaxedSimd(): void {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require("node:v8") as typeof import("node:v8")).setFlagsFromString("--experimental-wasm-relaxed-simd");
  } catch {
    // not Node: WebAssembly.validate below decides
  }
}

/**
 * The f32 build this runtime runs fastest: the first of relaxed, simd, scalar that it validates.
 * RNN_LAB_KERNEL=relaxed|simd|scalar forces one (benchmarks, tests, a runtime that misbehaves).
 */
export function kernelVariant(): KernelVariant {
  if (chosenVariant) return chosenVariant;
  const forced = process.env.RNN_LAB_KERNEL as KernelVariant | undefined;
  if (forced && !KERNEL_VARIANTS.includes(forced)) throw new Error(`RNN_LAB_KERNEL must be one of ${KERNEL_VARIANTS.join(", ")}, not ${forced}`);
  enableRelaxedSimd();
  const usable = (v: KernelVariant) => WebAssembly.validate(wasmBytes(v));
  if (forced) {
    if (!usable(forced)) throw new Error(`RNN_LAB_KERNEL=${forced}: this runtime cannot run that build`);
    chosenVariant = forced;
  } else {
    chosenVariant = KERNEL_VARIANTS.find(usable) ?? "scalar";
  }
  return chosenVariant;
}

/** Whether this runtime can run a given build (tests run every one it can). */
export function variantAvailable(v: KernelVariant): boolean {
  enableRelaxedSimd();
  return WebAssembly.validate(wasmBytes(v));
}

/** The build for a precision: f64 is core64.wasm; f32 is `variant`, or the fastest this runtime runs. */
export function coreBuild(precision: Precision, variant?: KernelVariant): CoreBuild {
  return precision === "f64" ? "f64" : variant ?? kernelVariant();
}

/** A fresh instance of a build: its own memory, nothing configured yet. */
export function instantiateCore(build: CoreBuild): CoreExports {
  return new WebAssembly.Instance(compiled(build), { env: { abort: coreAbort } }).exports as unknown as CoreExports;
}

function coreAbort(): never {
  throw new Error("the numeric core aborted (an internal assertion failed)");
}
