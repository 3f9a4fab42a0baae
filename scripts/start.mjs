// npm start: train the default model (LSTM 2×128) for 60 s on the bundled corpus, then print 300
// sampled characters. The CLI never replaces an existing checkpoint unasked, so a second `npm start`
// continues the same checkpoint for another 60 s (exactly, with its optimizer state) instead.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;
const corpus = "media/corpus/tinyshakespeare.txt";
const out = "runs/shakespeare.lstm.safetensors";

function rnnLab(args) {
  const r = spawnSync(process.execPath, ["bin/rnn-lab.js", ...args], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (existsSync(new URL(`../${out}`, import.meta.url))) {
  console.error(`${out} exists: continuing it for another 60 s (delete it to start afresh)`);
  rnnLab(["train", corpus, "--resume", out, "--seconds", "60"]);
} else {
  rnnLab(["train", corpus, "--seconds", "60", "--out", out]);
}
rnnLab(["sample", out, "--prime", "ROMEO:", "--length", "300", "--temperature", "0.8"]);
