// npm run bench: training and sampling throughput of the core on the bundled corpus, against PyTorch
// (one thread) measured in the same run when /usr/bin/python3 has torch. Prints a table of ratios.
//   npm run bench -- --seconds 5      time per configuration (default 4)
//   npm run bench -- --only lstm      configurations whose name contains the word

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CharVocabulary } from "../../src/engine/charVocabulary";
import { Core } from "../../src/engine/coreAbi";
import { ModelSpec } from "../../src/engine/modelSpec";
import { Sampler } from "../../src/engine/sampler";
import { DEFAULT_TRAIN_OPTIONS } from "../../src/engine/trainOptions";
import { Trainer, splitCorpus } from "../../src/engine/trainer";

interface BenchConfig {
  name: string;
  cell: "lstm" | "gru" | "rnn";
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
  { name: "RNN 1x256 b32 s100", cell: "rnn", layers: 1, hidden: 256, batch: 32, seq: 100 },
  { name: "LSTM 1x512 b32 s100", cell: "lstm", layers: 1, hidden: 512, batch: 32, seq: 100 },
  { name: "sample LSTM 1x256 b1", cell: "lstm", layers: 1, hidden: 256, batch: 1, seq: 1, sample: true },
];

const root = join(__dirname, "..");
const corpusPath = join(root, "media", "corpus", "tinyshakespeare.txt");

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function ours(cfg: BenchConfig, text: string, seconds: number): { rate: number; memoryMiB: number } {
  const { vocab } = CharVocabulary.fromText(text);
  const spec: ModelSpec = { cell: cfg.cell, nonlinearity: "tanh", layers: cfg.layers, hidden: cfg.hidden, embed: 0, vocabSize: vocab.size, peephole: false, coupled: false, residual: false };
  const data = vocab.encode(text);
  const options = { ...DEFAULT_TRAIN_OPTIONS, batch: cfg.batch, seq: cfg.seq, valFraction: 0 };
  const trainer = new Trainer(spec, vocab, splitCorpus(data, 0), options, { files: [corpusPath], sha256: "", chars: data.length, trainChars: data.length });
  if (cfg.sample) {
    const sampler = new Sampler(trainer.snapshot(), 1);
    sampler.generate(200, { temperature: 1, topK: 0, topP: 1 });
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      sampler.generate(500, { temperature: 1, topK: 0, topP: 1 });
      n += 500;
    }
    return { rate: n / ((performance.now() - t0) / 1000), memoryMiB: 0 };
  }
  trainer.trainStep();
  trainer.trainStep();
  let steps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    trainer.trainStep();
    steps++;
  }
  const rate = (steps * cfg.batch * cfg.seq) / ((performance.now() - t0) / 1000);
  return { rate, memoryMiB: trainer.core.memoryBytes() / 2 ** 20 };
}

function pytorch(configs: BenchConfig[], seconds: number): Map<string, number> | string {
  const python = "/usr/bin/python3";
  if (!existsSync(python)) return "no /usr/bin/python3";
  const probe = spawnSync(python, ["-c", "import torch"], { encoding: "utf8" });
  if (probe.status !== 0) return "/usr/bin/python3 has no torch (apt-get install python3-torch libopenblas0-pthread)";
  const r = spawnSync(python, [join(root, "test", "benchmarks", "torchBaseline.py"), corpusPath, String(seconds), JSON.stringify(configs)], {
    encoding: "utf8", env: { ...process.env, OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1" },
  });
  if (r.status !== 0) return `PyTorch baseline failed: ${r.stderr.trim().split("\n").pop()}`;
  const rates = new Map<string, number>();
  for (const line of r.stdout.trim().split("\n")) {
    const o = JSON.parse(line);
    if (o.name) rates.set(o.name, o.chars_per_s);
    else process.stdout.write(`PyTorch ${o.torch}, ${o.threads} thread(s), OPENBLAS_NUM_THREADS=1\n`);
  }
  return rates;
}

function main(): void {
  const seconds = Number(arg("seconds") ?? 4);
  const only = arg("only");
  const configs = CONFIGS.filter((c) => !only || c.name.toLowerCase().includes(only.toLowerCase()));
  const text = readFileSync(corpusPath, "utf8");
  process.stdout.write(`RNN Lab benchmark: ${configs.length} configurations, ${seconds} s each, corpus ${text.length.toLocaleString("en")} characters, one thread\n`);
  const kernel = new Core({ cell: 2, layers: 1, vocab: 2, embed: 0, hidden: 1, flags: 0 }).kernelGflops(32, 1024, 320, Math.min(seconds, 2));
  process.stdout.write(`  matrix product 32×1024×320 (packed f32x4 kernel): ${kernel.toFixed(1)} GFLOP/s\n`);
  const results = configs.map((c) => {
    const r = ours(c, text, seconds);
    process.stdout.write(`  ${c.name}: ${Math.round(r.rate).toLocaleString("en")} chars/s\n`);
    return r;
  });
  const torch = pytorch(configs, seconds);
  if (typeof torch === "string") process.stdout.write(`(no PyTorch comparison: ${torch})\n`);
  process.stdout.write("\n| configuration | RNN Lab chars/s | PyTorch chars/s | ratio | wasm memory MiB |\n|---|---:|---:|---:|---:|\n");
  configs.forEach((c, i) => {
    const t = typeof torch === "string" ? undefined : torch.get(c.name);
    const ratio = t ? (results[i].rate / t).toFixed(2) + "×" : "n/a";
    process.stdout.write(`| ${c.name} | ${Math.round(results[i].rate).toLocaleString("en")} | ${t ? Math.round(t).toLocaleString("en") : "n/a"} | ${ratio} | ${results[i].memoryMiB ? results[i].memoryMiB.toFixed(1) : "-"} |\n`);
  });
}

main();
