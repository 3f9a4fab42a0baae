// Mirrors the exports of src/wasm/index.ts (names, argument order, buffer layouts) and is the only
// code that calls them. One Core = one wasm instance = one model at one batch shape.

import { readFileSync } from "node:fs";
import { join } from "node:path";

export type Precision = "f32" | "f64";
/** f32 kernel builds, fastest first; "f64" is the gradient-check core. */
export type KernelVariant = "relaxed" | "simd" | "scalar";
export const KERNEL_VARIANTS: KernelVariant[] = ["relaxed", "simd", "scalar"];
export type RealArray = Float32Array | Float64Array;

export enum CellCode { RnnTanh = 0, RnnRelu = 1, Lstm = 2, Gru = 3 }
export enum CoreFlag { Peephole = 1, Coupled = 2, Residual = 4 }
export enum OptimizerCode { Sgd = 0, Rmsprop = 1, Adam = 2, AdamW = 3 }
export enum TensorKind { Embed = 0, WeightIh = 1, WeightHh = 2, BiasIh = 3, BiasHh = 4, PeepI = 5, PeepF = 6, PeepO = 7, HeadWeight = 8, HeadBias = 9 }

/** One tensor of the parameter block, as the core lays it out ([rows, cols] row-major). */
export interface TensorSlot {
  kind: TensorKind;
  layer: number; // -1 for embedding and head
  offset: number; // elements into the block
  rows: number;
  cols: number;
}

interface CoreExports {
  memory: WebAssembly.Memory;
  configure(cell: number, layers: number, vocab: number, embed: number, hidden: number, flags: number): number;
  setShape(batch: number, steps: number): void;
  setSteps(steps: number): void;
  forward(training: number, dropout: number, withLoss: number): number;
  backward(flags: number): void;
  carryState(): void;
  resetState(): void;
  freezeWeights(frozen: number): void;
  setDropoutKey(key: number, offset: number, total: number): void;
  finalHiddenPtr(layer: number): number;
  finalCellPtr(layer: number): number;
  zeroGrads(): void;
  clipGradients(maxNorm: number): number;
  optimizerStep(kind: number, lr: number, a: number, b: number, eps: number, weightDecay: number, step: number): void;
  fillRandom(ptr: number, n: number, std: number): void;
  sampleRow(row: number, temperature: number, topK: number, topP: number): number;
  rngSeed(seed: number): void;
  rngGetState(word: number): number;
  rngSetState(a: number, b: number, c: number, d: number): void;
  rngNextU32(): number;
  realBytes(): number;
  getParamCount(): number;
  paramsPtr(): number;
  gradsPtr(): number;
  moment1Ptr(): number;
  moment2Ptr(): number;
  gradScratchPtr(): number;
  accumulateScratchGrads(selfScale: number, scratchScale: number): void;
  getTensorCount(): number;
  tensorField(index: number, field: number): number;
  inputsPtr(): number;
  targetsPtr(): number;
  logitsPtr(): number;
  gradFlowPtr(): number;
  hiddenPtr(layer: number): number;
  cellPtr(layer: number): number;
  stateGradPtr(layer: number): number;
  cellGradPtr(layer: number): number;
  gatesPtr(layer: number): number;
  sampleProbsPtr(): number;
  gateRows(): number;
  benchGemmSetup(M: number, P: number, N: number): void;
  benchGemmRun(M: number, P: number, N: number, reps: number): void;
  // The task seam and the cell seam (src/wasm/network.ts): a head width of its own, per-row loss
  // weights (real [maxSteps·batch], 1 after setShape; 0 = no loss), per-stream lengths (i32 [batch],
  // maxSteps after setShape), the last loss's weight total (its mean's denominator), the shape getters.
  configureModel(cell: number, layers: number, vocab: number, embed: number, hidden: number, flags: number, outputs: number): number;
  lossWeightsPtr(): number;
  lengthsPtr(): number;
  lossWeightTotal(): number;
  outputSize(): number;
  stateCount(): number;
  vocabSize(): number;
  hiddenSize(): number;
  layerCount(): number;
  cellKind(): number;
  getBatch(): number;
  getSteps(): number;
  getMaxSteps(): number;
}

type Build = KernelVariant | "f64";
const WASM_FILES: Record<Build, string> = { relaxed: "core-relaxed.wasm", simd: "core.wasm", scalar: "core-scalar.wasm", f64: "core64.wasm" };
const moduleCache = new Map<Build, WebAssembly.Module>();
let chosenVariant: KernelVariant | null = null;

/** dist/ holds the cores next to the bundled JavaScript that loads them. */
function wasmBytes(build: Build): Buffer<ArrayBuffer> {
  return readFileSync(join(__dirname, WASM_FILES[build])) as Buffer<ArrayBuffer>;
}

function compiled(build: Build): WebAssembly.Module {
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

export interface CoreShape {
  cell: CellCode;
  layers: number;
  vocab: number;
  embed: number; // 0 = one-hot
  hidden: number;
  flags: number;
}

export class Core {
  readonly precision: Precision;
  readonly variant: KernelVariant | "f64";
  private readonly x: CoreExports;
  readonly paramCount: number;
  readonly tensors: TensorSlot[];
  batch = 1;
  maxSteps = 1;

  /** precision f64 is the gradient-check core; an f32 core uses `variant`, or the fastest this runtime runs. */
  constructor(shape: CoreShape, precision: Precision = "f32", variant?: KernelVariant) {
    this.precision = precision;
    this.variant = precision === "f64" ? "f64" : variant ?? kernelVariant();
    const instance = new WebAssembly.Instance(compiled(this.variant), { env: { abort: coreAbort } });
    this.x = instance.exports as unknown as CoreExports;
    const n = this.x.configure(shape.cell, shape.layers, shape.vocab, shape.embed, shape.hidden, shape.flags);
    if (n < 0) throw new Error(`the core refused the model shape ${JSON.stringify(shape)}`);
    this.paramCount = n;
    this.tensors = [];
    for (let i = 0; i < this.x.getTensorCount(); i++) {
      const f = (k: number) => this.x.tensorField(i, k);
      this.tensors.push({ offset: f(0), rows: f(1), cols: f(2), kind: f(3) as TensorKind, layer: f(4) });
    }
  }

  private view(ptr: number, length: number): RealArray {
    const buf = this.x.memory.buffer;
    return this.precision === "f32" ? new Float32Array(buf, ptr, length) : new Float64Array(buf, ptr, length);
  }

  // Views are made fresh on each call: memory.grow detaches old ArrayBuffers.
  params(): RealArray { return this.view(this.x.paramsPtr(), this.paramCount); }
  grads(): RealArray { return this.view(this.x.gradsPtr(), this.paramCount); }
  /** g ← selfScale·g + scratchScale·other (another shard's gradient block, same layout). */
  accumulateGrads(other: ArrayLike<number>, selfScale: number, scratchScale: number): void {
    this.view(this.x.gradScratchPtr(), this.paramCount).set(other);
    this.x.accumulateScratchGrads(selfScale, scratchScale);
  }
  moment1(): RealArray { return this.view(this.x.moment1Ptr(), this.paramCount); }
  moment2(): RealArray { return this.view(this.x.moment2Ptr(), this.paramCount); }
  inputs(): Int32Array { return new Int32Array(this.x.memory.buffer, this.x.inputsPtr(), this.batch * this.maxSteps); }
  targets(): Int32Array { return new Int32Array(this.x.memory.buffer, this.x.targetsPtr(), this.batch * this.maxSteps); }
  /** [steps·batch, vocab], time-major. */
  logits(vocab: number): RealArray { return this.view(this.x.logitsPtr(), this.batch * this.maxSteps * vocab); }
  /** [layers, maxSteps]: ‖∂L/∂h_t‖ from the last backward(recordFlow = true). */
  gradFlow(layers: number): RealArray { return this.view(this.x.gradFlowPtr(), layers * this.maxSteps); }
  /** [(maxSteps+1)·batch, hidden]: block 0 is the carried initial state. */
  hiddenStates(layer: number, hidden: number): RealArray { return this.view(this.x.hiddenPtr(layer), (this.maxSteps + 1) * this.batch * hidden); }
  cellStates(layer: number, hidden: number): RealArray { return this.view(this.x.cellPtr(layer), (this.maxSteps + 1) * this.batch * hidden); }
  /** [batch, hidden] ∂L/∂h_0 after backward (in: ∂L/∂h_T for backward(_, true)). */
  stateGrad(layer: number, hidden: number): RealArray { return this.view(this.x.stateGradPtr(layer), this.batch * hidden); }
  cellGrad(layer: number, hidden: number): RealArray { return this.view(this.x.cellGradPtr(layer), this.batch * hidden); }
  /** [maxSteps·batch, gateRows] activations of the last forward pass; read them before backward(), which reuses the buffer. */
  gates(layer: number): RealArray { return this.view(this.x.gatesPtr(layer), this.batch * this.maxSteps * this.x.gateRows()); }
  sampleProbs(vocab: number): RealArray { return this.view(this.x.sampleProbsPtr(), vocab); }
  tensor(slot: TensorSlot, block: RealArray = this.params()): RealArray { return block.subarray(slot.offset, slot.offset + slot.rows * slot.cols); }

  setShape(batch: number, steps: number): void {
    this.x.setShape(batch, steps);
    this.batch = batch;
    this.maxSteps = steps;
  }
  setSteps(steps: number): void { this.x.setSteps(steps); }
  forward(training: boolean, dropout: number, withLoss: boolean): number { return this.x.forward(training ? 1 : 0, dropout, withLoss ? 1 : 0); }
  /** recordFlow: fill gradFlow(); stateGradIn: add stateGrad()/cellGrad() as ∂L/∂(final state) (full BPTT across windows). */
  backward(recordFlow = false, stateGradIn = false): void { this.x.backward((recordFlow ? 1 : 0) | (stateGradIn ? 2 : 0)); }
  carryState(): void { this.x.carryState(); }
  /** Dropout masks hash (key, layer, step, offset + stream, unit): this core holds streams [offset, offset + batch) of total. */
  setDropoutKey(key: number, offset = 0, total = this.batch): void { this.x.setDropoutKey(key >>> 0, offset, total); }
  /** [batch, hidden] state after the last step of the last forward pass. */
  finalHidden(layer: number, hidden: number): RealArray { return this.view(this.x.finalHiddenPtr(layer), this.batch * hidden); }
  finalCell(layer: number, hidden: number): RealArray { return this.view(this.x.finalCellPtr(layer), this.batch * hidden); }
  /** A promise not to change the parameters (until called with false): forward passes stop re-packing them. */
  freezeWeights(frozen = true): void { this.x.freezeWeights(frozen ? 1 : 0); }
  resetState(): void { this.x.resetState(); }
  zeroGrads(): void { this.x.zeroGrads(); }
  clipGradients(maxNorm: number): number { return this.x.clipGradients(maxNorm); }
  optimizerStep(kind: OptimizerCode, lr: number, a: number, b: number, eps: number, weightDecay: number, step: number): void {
    this.x.optimizerStep(kind, lr, a, b, eps, weightDecay, step);
  }
  /** N(0,1)·std when std > 0, U(−bound, bound) when given as {uniform: bound}. */
  fillRandom(target: RealArray, spread: number | { uniform: number }): void {
    const std = typeof spread === "number" ? spread : -spread.uniform;
    this.x.fillRandom(target.byteOffset, target.length, std);
  }
  sampleRow(row: number, temperature: number, topK: number, topP: number): number { return this.x.sampleRow(row, temperature, topK, topP); }
  seed(seed: number): void { this.x.rngSeed(seed >>> 0); }
  rngState(): [number, number, number, number] {
    return [0, 1, 2, 3].map((w) => this.x.rngGetState(w) >>> 0) as [number, number, number, number];
  }
  setRngState(s: readonly number[]): void { this.x.rngSetState(s[0], s[1], s[2], s[3]); }
  nextU32(): number { return this.x.rngNextU32() >>> 0; }
  memoryBytes(): number { return this.x.memory.buffer.byteLength; }
  /** GFLOP/s of the packed matrix product alone on [M, P]·[P, N] (allocates; for benchmarks only). */
  kernelGflops(M: number, P: number, N: number, seconds: number): number {
    this.x.benchGemmSetup(M, P, N);
    this.x.benchGemmRun(M, P, N, 3);
    let reps = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) { this.x.benchGemmRun(M, P, N, 10); reps += 10; }
    return (2 * M * P * N * reps) / ((performance.now() - t0) / 1000) / 1e9;
  }
}

function coreAbort(): never {
  throw new Error("the numeric core aborted (an internal assertion failed)");
}
