// npm run bench: training and sampling throughput of the core on the bundled corpus, against PyTorch
// measured in the same run when /usr/bin/python3 has torch. Prints tables of same-run ratios.
//   npm run bench -- --seconds 5      time per measurement (default 4)
//   npm run bench -- --only lstm      configurations whose name contains the word
//   npm run bench -- --quality        also: validation loss after 120 s of LSTM 2×128, RNN Lab vs PyTorch
//   npm run bench -- --rounds 3       rounds (default 2); each setting's best round is reported
//   npm run bench -- --only hover     only the hover latency benchmark (hoverLatency.ts), which otherwise runs last
//   npm run bench -- --only min       minGRU / minLSTM only, with the scan-vs-sequential table (linearRecurrence.ts)
//   npm run bench -- --cells 60       also: every cell variant at equal parameter count, 60 s each: loss and gradient flow (cellGradientFlow.ts, as npm run compare-cells)
//   npm run bench -- --only kernel    only the matrix kernel's GFLOP/s table (kernelGflops.ts; --seconds per shape, default 1)
//   npm run bench -- --only forecast  only forecasting training against PyTorch (forecastThroughput.ts)
//   npm run bench -- --only text      only the text tasks (bidirectional classify / tag) against PyTorch, and
//                                     the p95 of predicting one line (textTaskThroughput.ts; --lines N, default 10000)
//
// The machine is shared and noisy: each configuration is measured for RNN Lab and PyTorch one right
// after the other, in every round, so a slow minute hits both sides.
//
// RNN Lab runs each training configuration on 1 and 2 threads. PyTorch runs on every combination of
// torch threads × OpenBLAS threads in {1, 2}² (Debian's build does not tie the two; both are set);
// "1/1" is the single-thread reference and "best" the fastest setting.

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { Core } from "../../src/engine/core/core";
import { kernelGflops, kernelTable } from "./kernelGflops";
import { type KernelVariant, variantAvailable } from "../../src/engine/core/coreLoader";
import { ModelSpec } from "../../src/engine/model/modelSpec";
import { CellType, gatesPerUnit, hasRecurrentWeights } from "../../src/engine/model/cells";
import { Sampler } from "../../src/engine/insight/sampler";
import { DEFAULT_TRAIN_OPTIONS } from "../../src/engine/training/trainOptions";
import { Trainer, splitCorpus } from "../../src/engine/training/trainer";
import { hoverBenchmark } from "./hoverLatency";
import { scanVersusSequential } from "./linearRecurrence";
import { compareCells, comparisonTable } from "./cellGradientFlow";
import { forecastBenchmark } from "./forecastThroughput";
import { textTaskBenchmark } from "./textTaskThroughput";

interface BenchConfig {
  name: string;
  cell: CellType;
  options?: Partial<ModelSpec>; // the cell's own options (CTRNN τ, the additive form)
  layers: number;
  hidden: number;
  batch: number;
  seq: number;
  sample?: boolean;
}

const CONFIGS: BenchConfig[] = [
  { name: "LSTM 2x128 b50 s50", cell: "lstm", layers: 2, hidden: 128, batch: 50, seq: 50 },
  { name: "LSTM 1x256 b32 s100", cell: "lstm", layers: 1, hidden: 256, batch: 32, seq: 100 },
  { name: "GRU 1x256 b32 s100", cell: "gru", layers: 1, hidden: 256, batch: 32, seq: 100 },
  { name: "GRU reset-before 1x256 b32 s100", cell: "gru", options: { gruReset: "before" }, layers: 1, hidden: 256, batch: 32, seq: 100 },
  { name: "RNN 1x256 b32 s100", cell: "rnn", layers: 1, hidden: 256, batch: 32, seq: 100 },
  { name: "LSTM layer-norm 1x256 b32 s100", cell: "lstm", options: { norm: "layer" }, layers: 1, hidden: 256, batch: 32, seq: 100 },
  { name: "GRU layer-norm 1x256 b32 s100", cell: "gru", options: { norm: "layer" }, layers: 1, hidden: 256, batch: 32, seq: 100 },
  { name: "LSTM 1x512 b32 s100", cell: "lstm", layers: 1, hidden: 512, batch: 32, seq: 100 },
  // no PyTorch layer: against the reference modules of test/fixtures/generateLeakyCellFixtures.py (eager, a Python loop over time)
  { name: "CTRNN 1x256 b32 s100", cell: "ctrnn", layers: 1, hidden: 256, batch: 32, seq: 100 },
  { name: "CTRNN learned tau 1x256 b32 s100", cell: "ctrnn", options: { learnTau: true }, layers: 1, hidden: 256, batch: 32, seq: 100 },
  { name: "Additive input 1x256 b32 s100", cell: "additive", options: { additiveForm: "input" }, layers: 1, hidden: 256, batch: 32, seq: 100 },
  { name: "Additive state 1x256 b32 s100", cell: "additive", options: { additiveForm: "state" }, layers: 1, hidden: 256, batch: 32, seq: 100 },
  { name: "sample LSTM 1x256 b1", cell: "lstm", layers: 1, hidden: 256, batch: 1, seq: 1, sample: true },
  // against PyTorch modules written from the paper's equations (test/fixtures/generateMinimalCellFixtures.py)
  { name: "minGRU 1x256 b32 s100", cell: "mingru", layers: 1, hidden: 256, batch: 32, seq: 100 },
  { name: "minLSTM 1x256 b32 s100", cell: "minlstm", layers: 1, hidden: 256, batch: 32, seq: 100 },
  { name: "minGRU 2x128 b50 s50", cell: "mingru", layers: 2, hidden: 128, batch: 50, seq: 50 },
  { name: "sample minGRU 1x256 b1", cell: "mingru", layers: 1, hidden: 256, batch: 1, seq: 1, sample: true },
];

const root = join(__dirname, "..");
const corpusPath = join(root, "media", "corpus", "tinyshakespeare.txt");
const torchScript = join(root, "test", "benchmarks", "torchBaseline.py");
const PYTHON = "/usr/bin/python3";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function specFor(cfg: BenchConfig, vocabSize: number): ModelSpec {
  return { cell: cfg.cell, nonlinearity: "tanh", layers: cfg.layers, hidden: cfg.hidden, embed: 0, vocabSize, peephole: false, coupled: false, residual: false, ...cfg.options };
}

/** Multiply–adds per character of the forward pass (one-hot input is a gather: no product). */
function forwardMacsPerChar(cfg: BenchConfig, V: number): number {
  const G = cfg.hidden * gatesPerUnit(cfg.cell);
  const recurrent = hasRecurrentWeights(specFor(cfg, V)) ? cfg.hidden * G : 0;
  let macs = cfg.hidden * V;
  for (let l = 0; l < cfg.layers; l++) macs += (l > 0 ? cfg.hidden * G : 0) + recurrent;
  return macs;
}

type StepTimings = Trainer["lastStepTimings"];

/**
 * "main shard 55.1 | slowest worker shard 57.0 (wakes 0.05, copies 0.3) | wait 3.2 | sum shards 0.4 |
 * clip+update 0.9 ms | serial 2.4 %": where a step's time goes; serial = (sum + clip+update) / step.
 */
function formatTimings(t: StepTimings): string {
  const step = t.shard + t.wait + t.combine + t.update;
  const serial = step > 0 ? (100 * (t.combine + t.update)) / step : 0;
  return `main shard ${t.shard.toFixed(1)} | slowest worker shard ${t.workerShard.toFixed(1)} (wakes ${t.wake.toFixed(2)}, copies ${t.workerCopies.toFixed(2)}) | wait ${t.wait.toFixed(1)} | sum shards ${t.combine.toFixed(2)} | clip+update ${t.update.toFixed(2)} ms | serial ${serial.toFixed(1)} %`;
}

function trainRate(cfg: BenchConfig, text: string, seconds: number, threads: number): { rate: number; memoryMiB: number; timings: StepTimings } {
  const { vocab } = CharVocabulary.fromText(text);
  const data = vocab.encode(text);
  const options = { ...DEFAULT_TRAIN_OPTIONS, batch: cfg.batch, seq: cfg.seq, valFraction: 0 };
  const trainer = new Trainer(specFor(cfg, vocab.size), vocab, splitCorpus(data, 0), options, { files: [corpusPath], sha256: "", chars: data.length, trainChars: data.length }, null, undefined, threads);
  try {
    trainer.trainStep();
    trainer.trainStep();
    let steps = 0;
    const sum: StepTimings = { shard: 0, workerShard: 0, wake: 0, workerCopies: 0, wait: 0, combine: 0, update: 0 };
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      trainer.trainStep();
      steps++;
      for (const k of Object.keys(sum) as (keyof StepTimings)[]) sum[k] += trainer.lastStepTimings[k];
    }
    const rate = (steps * cfg.batch * cfg.seq) / ((performance.now() - t0) / 1000);
    for (const k of Object.keys(sum) as (keyof StepTimings)[]) sum[k] /= steps;
    return { rate, memoryMiB: trainer.core.memoryBytes() / 2 ** 20, timings: sum };
  } finally {
    trainer.dispose();
  }
}

function sampleRate(cfg: BenchConfig, text: string, seconds: number): number {
  const { vocab } = CharVocabulary.fromText(text);
  const data = vocab.encode(text.slice(0, 20000));
  const trainer = new Trainer(specFor(cfg, vocab.size), vocab, splitCorpus(data, 0), { ...DEFAULT_TRAIN_OPTIONS, batch: 8, seq: 16, valFraction: 0 }, { files: [], sha256: "", chars: 0, trainChars: 0 });
  const sampler = new Sampler(trainer.snapshot(), 1);
  sampler.generate(200, { temperature: 1, topK: 0, topP: 1 });
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    sampler.generate(500, { temperature: 1, topK: 0, topP: 1 });
    n += 500;
  }
  return n / ((performance.now() - t0) / 1000);
}

/** Memory of a long run: a small model for 100,000 steps, wasm memory and RSS before and after. */
function memorySoak(): string {
  const text = readFileSync(corpusPath, "utf8").slice(0, 50000);
  const { vocab } = CharVocabulary.fromText(text);
  const data = vocab.encode(text);
  const spec: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 2, hidden: 8, embed: 0, vocabSize: vocab.size, peephole: false, coupled: false, residual: false };
  const t = new Trainer(spec, vocab, splitCorpus(data, 0.05), { ...DEFAULT_TRAIN_OPTIONS, batch: 2, seq: 4, dropout: 0.1 }, { files: [], sha256: "", chars: 0, trainChars: 0 });
  for (let k = 0; k < 1000; k++) t.trainStep();
  t.evaluate();
  const wasm0 = t.core.memoryBytes(), rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  for (let k = 0; k < 100_000; k++) {
    t.trainStep();
    if (k % 20_000 === 0) t.evaluate();
  }
  const wasm1 = t.core.memoryBytes(), rss1 = process.memoryUsage().rss;
  return `100,000 steps (LSTM 2×8, batch 2, seq 4) in ${((performance.now() - t0) / 1000).toFixed(1)} s: wasm memory ${wasm0} → ${wasm1} bytes, RSS ${(rss0 / 2 ** 20).toFixed(1)} → ${(rss1 / 2 ** 20).toFixed(1)} MiB`;
}

interface TorchRate { chars_per_s: number; torch_threads: number; blas_threads: number; variant?: string } // variant: minGRU/minLSTM's "loop" or "logspace"

function torchAvailable(): string | null {
  if (!existsSync(PYTHON)) return "no /usr/bin/python3";
  if (spawnSync(PYTHON, ["-c", "import torch"]).status !== 0) return "/usr/bin/python3 has no torch (apt-get install python3-torch libopenblas0-pthread)";
  return null;
}

function runTorch(args: string[], blasThreads: number): Record<string, unknown>[] {
  const r = spawnSync(PYTHON, [torchScript, corpusPath, ...args], { encoding: "utf8", env: { ...process.env, OPENBLAS_NUM_THREADS: String(blasThreads), OMP_NUM_THREADS: "1" } });
  if (r.status !== 0) throw new Error(`PyTorch baseline failed: ${r.stderr.trim().split("\n").pop()}`);
  return r.stdout.trim().split("\n").map((l) => JSON.parse(l));
}

function torchRatesFor(cfg: BenchConfig, seconds: number): TorchRate[] {
  const rates: TorchRate[] = [];
  for (const blas of [1, 2]) {
    for (const o of runTorch([String(seconds), JSON.stringify([cfg]), "1,2"], blas)) if (!o.torch) rates.push(o as unknown as TorchRate);
  }
  return rates;
}

/** Per setting, the best of the rounds. */
function bestPerSetting(list: TorchRate[]): TorchRate[] {
  const best = new Map<string, TorchRate>();
  for (const r of list) {
    const key = `${r.torch_threads}/${r.blas_threads} ${r.variant ?? ""}`;
    if (!best.has(key) || best.get(key)!.chars_per_s < r.chars_per_s) best.set(key, r);
  }
  return [...best.values()];
}

function fmt(n: number | undefined): string { return n === undefined ? "n/a" : Math.round(n).toLocaleString("en"); }
function ratio(a: number, b: number | undefined): string { return b ? (a / b).toFixed(2) + "×" : "n/a"; }

function main(): void {
  const seconds = Number(arg("seconds") ?? 4);
  const only = arg("only");
  const configs = CONFIGS.filter((c) => !only || c.name.toLowerCase().includes(only.toLowerCase()));
  const text = readFileSync(corpusPath, "utf8");
  const V = CharVocabulary.fromText(text).vocab.size;
  const probe = new Core({ cell: 2, layers: 1, vocab: 2, embed: 0, hidden: 1, flags: 0 });
  process.stdout.write(`RNN Lab benchmark: ${seconds} s per measurement, corpus ${text.length.toLocaleString("en")} characters, ${probe.variant} kernels, ${availableParallelism()} cores\n`);
  if (only) {
    const kernel = kernelGflops(32, 1024, 320, Math.min(seconds, 2));
    process.stdout.write(`  matrix product 32×1024×320, one thread: ${kernel.toFixed(1)} GFLOP/s\n`);
  } else process.stdout.write(kernelTable(Math.min(seconds, 1), kernelBuilds()));
  const rounds = Number(arg("rounds") ?? 2);
  const missing = torchAvailable();
  if (missing) process.stdout.write(`(no PyTorch comparison: ${missing})\n`);
  const ours = configs.map(() => ({ one: 0, two: 0, memoryMiB: 0, timings: "" }));
  const torchLists = new Map<string, TorchRate[]>();
  for (let round = 1; round <= rounds; round++) {
    configs.forEach((c, i) => {
      const o = ours[i];
      if (c.sample) {
        o.one = Math.max(o.one, sampleRate(c, text, seconds));
      } else {
        const one = trainRate(c, text, seconds, 1), two = trainRate(c, text, seconds, 2);
        o.one = Math.max(o.one, one.rate);
        if (two.rate > o.two) o.timings = formatTimings(two.timings);
        o.two = Math.max(o.two, two.rate);
        o.memoryMiB = two.memoryMiB;
      }
      const t = missing ? [] : torchRatesFor(c, seconds);
      torchLists.set(c.name, [...(torchLists.get(c.name) ?? []), ...t]);
      const tBest = t.reduce((b, r) => Math.max(b, r.chars_per_s), 0);
      process.stdout.write(`  round ${round}, ${c.name}: RNN Lab ${fmt(o.one)}${c.sample ? "" : ` / ${fmt(o.two)} (1 / 2 threads, best so far)`}; PyTorch best this round ${fmt(tBest || undefined)}\n`);
    });
  }
  const torch = missing ? null : new Map([...torchLists].map(([k, v]) => [k, bestPerSetting(v)]));

  process.stdout.write("\n| configuration | RNN Lab 1 thread | RNN Lab 2 threads | PyTorch 1/1 | PyTorch best (torch/BLAS threads) | 1 thread vs 1/1 | 2 threads vs best | GFLOP/s 1 / 2 threads | wasm MiB |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  configs.forEach((c, i) => {
    const list = torch?.get(c.name) ?? [];
    const single = list.filter((r) => r.torch_threads === 1 && r.blas_threads === 1).reduce<TorchRate | undefined>((b, r) => (!b || r.chars_per_s > b.chars_per_s ? r : b), undefined);
    const best = list.reduce<TorchRate | undefined>((b, r) => (!b || r.chars_per_s > b.chars_per_s ? r : b), undefined);
    const o = ours[i];
    if (c.sample) {
      process.stdout.write(`| ${c.name} | ${fmt(o.one)} | – | ${fmt(single?.chars_per_s)} | ${fmt(best?.chars_per_s)} (${best ? `${best.torch_threads}/${best.blas_threads}` : "–"}) | ${ratio(o.one, single?.chars_per_s)} | ${ratio(o.one, best?.chars_per_s)} (1 thread) | – | – |\n`);
      return;
    }
    const flopsPerChar = 6 * forwardMacsPerChar(c, V); // forward 2·MAC, backward ≈ twice the forward
    process.stdout.write(`| ${c.name} | ${fmt(o.one)} | ${fmt(o.two)} | ${fmt(single?.chars_per_s)} | ${fmt(best?.chars_per_s)} (${best ? `${best.torch_threads}/${best.blas_threads}${best.variant ? ` ${best.variant}` : ""}` : "–"}) | ${ratio(o.one, single?.chars_per_s)} | ${ratio(o.two, best?.chars_per_s)} | ${(o.one * flopsPerChar / 1e9).toFixed(1)} / ${(o.two * flopsPerChar / 1e9).toFixed(1)} | ${o.memoryMiB.toFixed(1)} |\n`);
  });
  process.stdout.write("\nWhere a 2-thread step's time goes (mean over the best round), and 2 threads' speed over 1 thread's (best rounds):\n");
  configs.forEach((c, i) => { if (!c.sample) process.stdout.write(`  ${c.name}: ×${(ours[i].two / ours[i].one).toFixed(2)} | ${ours[i].timings}\n`); });
  for (const c of configs) {
    const variants = (torch?.get(c.name) ?? []).filter((r) => r.variant);
    if (new Set(variants.map((r) => r.variant)).size > 1) process.stdout.write(`  PyTorch ${c.name}: ${[...new Set(variants.map((r) => r.variant))].map((v) => `${v} best ${fmt(Math.max(...variants.filter((r) => r.variant === v).map((r) => r.chars_per_s)))}`).join(", ")} chars/s (loop: the same maths step by step; logspace: the paper's parallel scan, h̃ = g(·))\n`);
  }
  if (!only || "mingru minlstm".includes(only.toLowerCase())) process.stdout.write(scanVersusSequential(seconds, V));
  const cellSeconds = arg("cells");
  if (cellSeconds) {
    const o = { seconds: Number(cellSeconds), threads: 2, layers: 2, targetHidden: 128 };
    process.stdout.write("\n" + comparisonTable(o, compareCells(text, o)));
  }
  process.stdout.write(`\nmemory: ${memorySoak()}\n`);
  if (process.argv.includes("--quality")) quality(text, torch);
}

/** Validation loss after 120 s of LSTM 2×128 (batch 50, seq 50, Adam, clip 5): RNN Lab on 2 threads vs PyTorch at its best setting. */
function quality(text: string, torch: Map<string, TorchRate[]> | null): void {
  const seconds = 120;
  const { vocab } = CharVocabulary.fromText(text);
  const data = vocab.encode(text);
  const cfg = CONFIGS[0];
  const t = new Trainer(specFor(cfg, vocab.size), vocab, splitCorpus(data, 0.05), { ...DEFAULT_TRAIN_OPTIONS }, { files: [], sha256: "", chars: 0, trainChars: 0 }, null, undefined, 2);
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) t.trainStep();
  t.dispose();
  const ours = t.evaluate()!;
  process.stdout.write(`\nquality: RNN Lab, 2 threads, ${t.step} steps in ${seconds} s: validation loss ${ours.toFixed(4)} nats/char\n`);
  const best = torch?.get(cfg.name)?.reduce((b, r) => (r.chars_per_s > b.chars_per_s ? r : b));
  if (!best) return;
  const r = runTorch([String(seconds), "quality", String(best.torch_threads)], best.blas_threads).find((o) => o.quality) as { quality: { steps: number; val_loss: number } };
  process.stdout.write(`quality: PyTorch ${best.torch_threads}/${best.blas_threads} threads, ${r.quality.steps} steps in ${seconds} s: validation loss ${r.quality.val_loss.toFixed(4)} nats/char\n`);
}

// The SIMD builds this runtime validates: the kernel table's columns.
function kernelBuilds(): KernelVariant[] {
  return (["relaxed", "simd"] as KernelVariant[]).filter(variantAvailable);
}

const only = arg("only");
const runText = () => textTaskBenchmark(Number(arg("seconds") ?? 4), Number(arg("rounds") ?? 2), Number(arg("lines") ?? 10000));
if (only === "kernel") process.stdout.write(kernelTable(Number(arg("seconds") ?? 1), kernelBuilds()));
else if (only === "forecast") forecastBenchmark(Number(arg("seconds") ?? 4), Number(arg("rounds") ?? 2));
else if (only === "text") runText();
else if (only !== "hover") main();
if (!only) forecastBenchmark(Number(arg("seconds") ?? 4), Number(arg("rounds") ?? 2));
if (!only) runText();
if (!only || only === "hover") void hoverBenchmark();
