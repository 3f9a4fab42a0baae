// Every size limit RNN Lab has, in one place, and what a model, batch, window and corpus need in
// bytes — computed from the shapes alone, before anything is allocated, so that what cannot run is
// refused with the figure and the limit instead of crashing gigabytes later.
//
// The figures mirror src/wasm/network.ts (configure, setShape) and arena.ts (64-byte aligned bump
// allocation, memory grown in 64 KiB pages): test/unit/limits.test.ts checks them against the
// memory a real core grows to. validateSpec, validateTrainOptions, the CLI, package.json's settings
// schema (checked by the same test) and the core's own asserts all use these numbers.

import { BATCH_NORM_STEPS, CellSpec, cellCoreBuffers, cellEntry, gatesPerUnit, hasRecurrentWeights, parameterCount } from "../model/cells";
import { InputError } from "../messages/inputError";

export interface IntRange { min: number; max: number }

export const LIMITS = {
  layers: { min: 1, max: 4 }, // the core's MAX_LAYERS (layer table size)
  hidden: { min: 1, max: 4096 },
  embed: { min: 0, max: 4096 }, // 0 = one-hot input
  batch: { min: 1, max: 4096 },
  seq: { min: 1, max: 4096 },
  vocabulary: { min: 2, max: 65536 }, // distinct symbols, <unk> included; also --vocab-cap's range
  threads: { min: 1, max: 64 },
} as const satisfies Record<string, IntRange>;

/** The training text, all files together (UTF-8 bytes on disk). */
export const MAX_CORPUS_BYTES = 512 * 1024 * 1024;

/** wasm32 addresses are 32 bits: one core's linear memory is at most 65,536 pages of 64 KiB. */
export const WASM_PAGE_BYTES = 65536;
export const WASM_MAX_BYTES = 65536 * WASM_PAGE_BYTES;

/** The cap on everything one command needs, unless --max-memory or RNN_LAB_MAX_MEMORY says otherwise. */
export const DEFAULT_MAX_MEMORY = 2 * 1024 ** 3;
export const MAX_MEMORY_ENV = "RNN_LAB_MAX_MEMORY";

// What the estimate adds besides the buffers it counts one by one: the core's static data below the
// heap (tensor and layer tables, the CTRNN's two 32 KiB per-unit rows, the matrix kernel's 66 KiB
// block of packed A rows, constants: just over two pages, so three), a Node worker thread's own V8
// isolate and stack, and the process's baseline (V8, the bundled engine, the compiled cores).
const CORE_STATIC_BYTES = 3 * WASM_PAGE_BYTES;
const WORKER_THREAD_BYTES = 24 * 1024 ** 2;
const PROCESS_BASELINE_BYTES = 80 * 1024 ** 2;

// gemm.ts: packed panels are 16 columns wide; products pack KC rows at a time.
const PANEL = 16;
const KC = 256;
const paddedWidth = (n: number) => Math.ceil(n / PANEL) * PANEL;
const packedSize = (p: number, n: number) => p * paddedWidth(n);
const align64 = (n: number) => Math.ceil(n / 64) * 64;

/** The shape facts the memory figures depend on (a ModelSpec has them all; parameter counts come from the cell registry). */
export type ShapeFacts = CellSpec;

/**
 * Bytes one core's linear memory grows to for this model at batch × window (network.ts: five
 * parameter-sized blocks — parameters, gradients, two optimizer moments, a shard-gradient scratch
 * block — then the activations of the window and the packed weight copies), in whole pages.
 */
export function coreMemoryBytes(s: ShapeFacts, batch: number, window: number, realBytes = 4): number {
  const r = realBytes;
  const H = s.hidden, V = s.vocabSize, O = s.outputs ?? s.vocabSize, E = s.embed, L = s.layers, B = batch, T = window;
  const D = s.bidirectional ? 2 : 1, W = D * H; // directions; a layer's output width
  const GH = H * gatesPerUnit(s.cell);
  const { states: S, aux: A, separateRecurrent, recurrentProducts } = cellCoreBuffers(s);
  const R = T * B;
  const inWidth = (l: number) => (l === 0 ? (E === 0 ? V : E) : W);
  const slotStride = (n: number) => Math.ceil(n / 16) * 16; // network.ts: each slot starts 64-byte aligned
  let bytes = CORE_STATIC_BYTES + 5 * align64(parameterCount(s) * r);
  const real = (n: number) => { bytes += align64(n * r); };
  const int = (n: number) => { bytes += align64(n * 4); };
  int(R); int(R); // inputs, targets
  real(R); real(R); int(B); // loss weights, their per-row copy, stream lengths
  if (E > 0) { real(R * E); real(R * E); } // embedded rows and their gradient
  real(R * O); real(R * O); // logits, ∂L/∂logits (O = the head's width: the vocabulary for a language model)
  // batch norm's running statistics (src/wasm/batchNorm.ts), allocated with the parameter blocks
  if (s.norm === "batch") real(1 + L * D * BATCH_NORM_STEPS * (4 * GH + (cellEntry(s.cell).cellState ? 2 * H : 0)));
  real(packedSize(W, O)); real(W); // head weight packed, one column of it (network.ts headTail)
  let maxIn = 0;
  for (let l = 0; l < L; l++) maxIn = Math.max(maxIn, inWidth(l));
  real(Math.max(KC * paddedWidth(Math.max(GH, O)), Math.max(packedSize(GH, maxIn), packedSize(O, W)))); // gemm scratch
  real(S * B * H); real(S * B * H); real(B * H); real(B * GH); // dState, dState held, dhNext, hhScratch
  real(2 * GH); // bias-gradient sums (and b_ih + b_hh for a one-hot input)
  let widestA = H; // a weight gradient's A slab, transposed: [max(H, a dense layer input's width), KC + 4]
  for (let l = 0; l < L; l++) if (l > 0 || E > 0) widestA = Math.max(widestA, inWidth(l));
  real(widestA * (KC + 4));
  real(L * D * T); // gradient-flow record
  real(B * W); real(B * W); int(B * W); int(B); real(B); // pooled head: input, its gradient, arg max, classes, stream weights
  if (E === 0) real(R); // one-hot input gradient
  if (cellEntry(s.cell).linearRecurrence) real(2 * B * H); // the linear scan's running products
  real(O); int(O); // sampling
  for (let l = 0; l < L; l++) {
   for (let d = 0; d < D; d++) {
    real(R * GH); // gates
    real(S * slotStride((T + 1) * B * H)); // carried states (h, and c for an LSTM), row block 0 the initial state
    if (A > 0) real(A * slotStride(R * H)); // per-step values kept for backward
    if (separateRecurrent) real(R * GH); // recurrent-side gate gradient
    // W_hh and W_hhᵀ packed (two products: W_hh in two column parts, the last gate block apart); none without W_hh
    if (hasRecurrentWeights(s)) { real(recurrentProducts === 2 ? packedSize(H, GH - H) + packedSize(H, H) : packedSize(H, GH)); real(packedSize(GH, H)); }
    if (l > 0 || E > 0) real(packedSize(inWidth(l), GH)); // W_ih packed
    real(Math.max(S, 2) * B * H); // state gradients in/out
    if (D === 2) real(R * H); // this direction's columns of ∂L/∂y
   }
    if (D === 2 || (s.residual && l > 0)) real(R * W); // layer output
    if (l > 0) { real(R * W); real(R * W); } // input after dropout, dropout mask
    real(R * W); // ∂L/∂y
  }
  return Math.ceil(bytes / WASM_PAGE_BYTES) * WASM_PAGE_BYTES;
}

/** One need, named, in bytes. */
export interface MemoryItem { what: string; bytes: number }

export interface MemoryEstimate {
  total: number;
  largestCore: number; // the biggest single wasm memory (must fit in wasm32)
  items: MemoryItem[];
}

/** Bytes per token id when the vocabulary has `size` symbols (Uint8, Uint16 or Int32 storage). */
export function bytesPerTokenId(vocabularySize: number): 1 | 2 | 4 {
  return vocabularySize <= 256 ? 1 : vocabularySize <= 65536 ? 2 : 4;
}

export interface TrainingShape {
  batch: number;
  seq: number;
  threads: number;
  corpusChars: number; // token ids held for the run (training + validation)
}

/**
 * Everything a training run holds at its peak: one core per thread (each with its shard of the
 * batch), the validation core, the shared parameter and gradient slots of the workers, the carried
 * state, the token ids, and the copies a checkpoint write makes (snapshot of parameters and
 * moments, PyTorch-layout tensors, the file's bytes: 9 parameter-sized Float32 blocks).
 */
export function trainingMemory(s: ShapeFacts, t: TrainingShape): MemoryEstimate {
  const threads = Math.max(1, Math.min(t.threads, t.batch));
  const P = parameterCount(s);
  const items: MemoryItem[] = [];
  const shard0 = Math.ceil(t.batch / threads);
  const mainCore = coreMemoryBytes(s, shard0, t.seq);
  items.push({ what: "training core", bytes: mainCore });
  let workerCores = 0;
  for (let k = 1; k < threads; k++) {
    const size = Math.floor(t.batch / threads) + (k < t.batch % threads ? 1 : 0);
    workerCores += coreMemoryBytes(s, size, t.seq) + WORKER_THREAD_BYTES + P * 4; // core, thread, gradient slot
  }
  if (threads > 1) items.push({ what: `${threads - 1} worker thread${threads > 2 ? "s" : ""}`, bytes: workerCores + P * 4 });
  const evalCore = coreMemoryBytes(s, t.batch, t.seq);
  items.push({ what: "validation core", bytes: evalCore });
  const stateBytes = 2 * (s.cell === "lstm" ? 2 : 1) * s.layers * t.batch * s.hidden * 4;
  items.push({ what: "checkpoint copies", bytes: 9 * P * 4 + 2 * stateBytes });
  items.push({ what: "carried state", bytes: stateBytes });
  items.push({ what: "token ids", bytes: t.corpusChars * bytesPerTokenId(s.vocabSize) });
  items.push({ what: "process baseline", bytes: PROCESS_BASELINE_BYTES });
  return { total: items.reduce((n, i) => n + i.bytes, 0), largestCore: Math.max(mainCore, evalCore), items };
}

/** Loading a checkpoint and running it at batch × window: its bytes, the decoded blocks, one core. */
export function inferenceMemory(s: ShapeFacts, fileBytes: number, hasTrainingState: boolean, batch = 1, window = 256): MemoryEstimate {
  const P = parameterCount(s);
  const core = coreMemoryBytes(s, batch, window);
  const items: MemoryItem[] = [
    { what: "checkpoint file", bytes: fileBytes },
    // parameters (and both moments): one block each, plus one tensor at a time converted from the file
    { what: "decoded tensors", bytes: P * 4 * ((hasTrainingState ? 3 : 1) + 1) },
    { what: "core", bytes: core },
    { what: "process baseline", bytes: PROCESS_BASELINE_BYTES },
  ];
  return { total: items.reduce((n, i) => n + i.bytes, 0), largestCore: core, items };
}

let capOverride: number | null = null;

/** Sets the cap for this process (the CLI's --max-memory); null goes back to the environment or the default. */
export function setMemoryCap(bytes: number | null): void {
  capOverride = bytes;
}

/** The cap in force: --max-memory, else RNN_LAB_MAX_MEMORY, else 2 GiB. */
export function memoryCap(): number {
  if (capOverride !== null) return capOverride;
  const env = process.env[MAX_MEMORY_ENV];
  if (env !== undefined && env.trim() !== "") {
    try {
      return parseMemorySize(env);
    } catch (e) {
      throw new InputError(`${MAX_MEMORY_ENV}: ${(e as Error).message}`);
    }
  }
  return DEFAULT_MAX_MEMORY;
}

/** "2G", "1.5GiB", "512M", "800MB", "4096K" or plain bytes → bytes (K/M/G/T are powers of 1024). */
export function parseMemorySize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(text);
  if (!m) throw new InputError(`a memory size is a number with an optional unit (K, M, G, T), such as 2G or 512M, not ${JSON.stringify(text)}`);
  const unit = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2].toLowerCase() as "" | "k" | "m" | "g" | "t"];
  const bytes = Math.round(Number(m[1]) * unit);
  if (!(bytes >= 16 * 1024 ** 2)) throw new InputError(`a memory cap under 16 MiB cannot run anything, not ${JSON.stringify(text)}`);
  return bytes;
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${Math.ceil(n / 1024)} KiB`;
}

export class MemoryLimitError extends InputError {}

/**
 * Refuses (MemoryLimitError, before anything is allocated) when one core would outgrow wasm32's
 * 4 GiB or the whole exceeds the cap; `what` says what was asked ("training LSTM 2×4096 …").
 */
export function checkMemory(what: string, estimate: MemoryEstimate, cap = memoryCap()): void {
  const biggest = [...estimate.items].sort((a, b) => b.bytes - a.bytes).slice(0, 2).map((i) => `${i.what} ${formatBytes(i.bytes)}`).join(", ");
  if (estimate.largestCore > WASM_MAX_BYTES) {
    throw new MemoryLimitError(`${what} needs ${formatBytes(estimate.largestCore)} in one WebAssembly memory, over the 4 GiB that 32-bit WebAssembly can address; use a smaller --hidden, --layers, --batch or --seq`);
  }
  if (estimate.total > cap) {
    throw new MemoryLimitError(`${what} needs about ${formatBytes(estimate.total)} of memory (${biggest}), over the ${formatBytes(cap)} limit; use a smaller model, --batch, --seq or --threads, or raise the limit with --max-memory or ${MAX_MEMORY_ENV}`);
  }
}
