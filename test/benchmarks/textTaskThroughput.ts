// npm run bench -- --only text: training throughput of the text tasks (issue 15), characters per
// second, against PyTorch with pack_padded_sequence in the same run (torchTextTaskBaseline.py), and
// the p95 latency of predicting one line (the hover and line-decoration path, predictTexts).
//   classify BiLSTM 1x128 / classify BiGRU 1x128: 10,000 lines of 20–200 characters, 4 classes, pool last
//   tag BiLSTM 2x128: the same lines, one of 3 tags per character (B/I/O of the words)
//   --lines N (default 10000), --seconds S per measurement (default 4), --rounds R (default 2)
// Embedding 32, batch 32, Adam, both sides; RNN Lab on 1 and 2 threads, PyTorch on torch threads ×
// OpenBLAS threads in {1, 2}², "best" the fastest. Both sides batch by length (ours: the bucketed
// SequenceBatches; PyTorch: batches of the length-sorted lines in shuffled order), so padding costs
// neither much; characters counted are real ones, padding excluded.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mulberry32 } from "../../src/engine/model/seededRandom";
import type { CellType } from "../../src/engine/model/cells";
import { TextTaskKind, createTextTaskTrainer, predictTexts, prepareTextTask, textTaskModelOf } from "../../src/engine/tasks/textTaskModel";

interface TextBenchConfig { name: string; kind: TextTaskKind; cell: CellType; layers: number; hidden: number }

const CONFIGS: TextBenchConfig[] = [
  { name: "classify BiLSTM 1x128", kind: "classify", cell: "lstm", layers: 1, hidden: 128 },
  { name: "classify BiGRU 1x128", kind: "classify", cell: "gru", layers: 1, hidden: 128 },
  { name: "tag BiLSTM 2x128", kind: "tag", cell: "lstm", layers: 2, hidden: 128 },
];
const EMBED = 32, BATCH = 32;

const root = join(__dirname, "..");
const PYTHON = "/usr/bin/python3";
const torchScript = join(root, "test", "benchmarks", "torchTextTaskBaseline.py");

/** `count` lines of 20–200 characters cut from the corpus (seeded), a class each (by their first letter) and B/I/O tags per character (word starts, word insides, spaces). */
function makeData(count: number, dir: string): { classify: string; tag: string; lines: string[] } {
  const corpus = readFileSync(join(root, "media", "corpus", "tinyshakespeare.txt"), "utf8").replace(/\s+/g, " ");
  const random = mulberry32(15);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = 20 + Math.floor(random() * 181), at = Math.floor(random() * (corpus.length - n));
    lines.push(corpus.slice(at, at + n));
  }
  const classes = ["a", "b", "c", "d"];
  const classify = join(dir, "classify.jsonl"), tag = join(dir, "tag.jsonl");
  writeFileSync(classify, lines.map((text) => JSON.stringify({ text, label: classes[text.charCodeAt(0) % 4] })).join("\n") + "\n");
  const tagsOf = (text: string) => Array.from(text, (c, i) => (c === " " ? "O" : i === 0 || text[i - 1] === " " ? "B" : "I"));
  writeFileSync(tag, lines.map((text) => JSON.stringify({ text, tags: tagsOf(text) })).join("\n") + "\n");
  return { classify, tag, lines };
}

function prepare(c: TextBenchConfig, file: string) {
  return prepareTextTask({ kind: c.kind, data: file, valFraction: 0, bidirectional: true, maxLength: 256,
    network: { cell: c.cell, nonlinearity: "tanh", layers: c.layers, hidden: c.hidden, embed: EMBED, peephole: false, coupled: false, residual: false } });
}

/** Real characters per second of training (trainer.charsSeen counts each batch's real characters). */
function trainRate(c: TextBenchConfig, file: string, seconds: number, threads: number): { rate: number; p95ms: number } {
  const p = prepare(c, file);
  const trainer = createTextTaskTrainer(p, { batch: BATCH, valFraction: 0 }, threads);
  try {
    trainer.trainStep();
    const chars0 = trainer.charsSeen, t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) trainer.trainStep();
    const rate = (trainer.charsSeen - chars0) / ((performance.now() - t0) / 1000);
    return { rate, p95ms: threads === 1 ? predictLatency(trainer.snapshot(), seconds) : 0 };
  } finally {
    trainer.dispose();
  }
}

/** p95 of predicting one line of 20–200 characters (predictTexts: the path a hover and a line decoration take), ms. */
function predictLatency(model: ReturnType<ReturnType<typeof createTextTaskTrainer>["snapshot"]>, seconds: number): number {
  const m = textTaskModelOf(model);
  const random = mulberry32(3), times: number[] = [];
  const text = "Now is the winter of our discontent made glorious summer by this sun of York; and all the clouds";
  predictTexts(m, [text]); // the model's core is made on first use and kept
  const t0 = performance.now();
  while (performance.now() - t0 < Math.min(seconds, 2) * 1000 || times.length < 50) {
    const line = text.slice(0, 20 + Math.floor(random() * (text.length - 20)));
    const s = performance.now();
    predictTexts(m, [line]);
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(0.95 * (times.length - 1))];
}

interface TorchRate { chars_per_s: number; torch_threads: number; blas_threads: number }

function torchRates(c: TextBenchConfig, file: string, seconds: number): TorchRate[] | string {
  const rates: TorchRate[] = [];
  for (const blas of [1, 2]) {
    const r = spawnSync(PYTHON, [torchScript, file, JSON.stringify({ ...c, embed: EMBED, batch: BATCH }), String(seconds), "1,2"],
      { encoding: "utf8", env: { ...process.env, OPENBLAS_NUM_THREADS: String(blas), OMP_NUM_THREADS: "1" } });
    if (r.error || r.status !== 0) return `PyTorch baseline failed: ${(r.stderr || String(r.error)).trim().split("\n").pop()}`;
    for (const l of r.stdout.trim().split("\n")) rates.push(JSON.parse(l) as TorchRate);
  }
  return rates;
}

const fmt = (n: number | undefined) => (n === undefined ? "n/a" : Math.round(n).toLocaleString("en"));
const ratio = (a: number, b: number | undefined) => (b ? `${(a / b).toFixed(2)}×` : "n/a");

export function textTaskBenchmark(seconds: number, rounds: number, lineCount: number): void {
  const dir = mkdtempSync(join(tmpdir(), "rnnlab-textbench-"));
  try {
    const files = makeData(lineCount, dir);
    const chars = files.lines.reduce((s, l) => s + Array.from(l).length, 0);
    process.stdout.write(`\ntext tasks: ${lineCount.toLocaleString("en")} lines (${chars.toLocaleString("en")} characters), embedding ${EMBED}, batch ${BATCH}, Adam, ${seconds} s per measurement, ${rounds} round(s)\n`);
    const rows = CONFIGS.map((c) => ({ c, one: 0, two: 0, p95: Infinity, torch: [] as TorchRate[], torchError: "" }));
    for (let round = 1; round <= rounds; round++) {
      for (const row of rows) {
        const file = row.c.kind === "classify" ? files.classify : files.tag;
        const one = trainRate(row.c, file, seconds, 1), two = trainRate(row.c, file, seconds, 2);
        row.one = Math.max(row.one, one.rate);
        row.two = Math.max(row.two, two.rate);
        row.p95 = Math.min(row.p95, one.p95ms);
        const t = torchRates(row.c, file, seconds);
        if (typeof t === "string") row.torchError = t;
        else row.torch.push(...t);
        process.stdout.write(`  round ${round}, ${row.c.name}: RNN Lab ${fmt(one.rate)} / ${fmt(two.rate)} chars/s (1 / 2 threads); PyTorch best ${fmt(typeof t === "string" ? undefined : Math.max(...t.map((r) => r.chars_per_s)))}\n`);
      }
    }
    process.stdout.write("\n| text task | RNN Lab 1 thread | RNN Lab 2 threads | PyTorch 1/1 | PyTorch best (torch/BLAS threads) | 2 threads vs best | predict one line p95 |\n|---|---:|---:|---:|---:|---:|---:|\n");
    for (const row of rows) {
      const single = row.torch.filter((r) => r.torch_threads === 1 && r.blas_threads === 1).reduce<number | undefined>((b, r) => Math.max(b ?? 0, r.chars_per_s), undefined);
      const best = row.torch.reduce<TorchRate | undefined>((b, r) => (!b || r.chars_per_s > b.chars_per_s ? r : b), undefined);
      process.stdout.write(`| ${row.c.name} | ${fmt(row.one)} | ${fmt(row.two)} | ${fmt(single)} | ${fmt(best?.chars_per_s)} (${best ? `${best.torch_threads}/${best.blas_threads}` : "–"}) | ${ratio(row.two, best?.chars_per_s)} | ${row.p95.toFixed(2)} ms |\n`);
      if (row.torchError) process.stdout.write(`  (${row.c.name}: ${row.torchError})\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
