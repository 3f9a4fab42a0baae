// The exported PyTorch project trains classifiers and taggers (train_task.py with model.py's
// TaskModel: bidirectional nn.LSTM/GRU on packed sequences, the pooling, the head): with python and
// under torchrun (2 processes, Gloo); its checkpoints evaluate in RNN Lab to the loss it printed
// (so its model computes RNN Lab's logits), two processes take the steps of one, and the loss moves.
// A CRF tagger is refused with the reason. Needs /usr/bin/python3 with torch (CI has it).

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { jsonLines, runCli, tempDir, torchrunTwoProcesses } from "../helpers";

const PYTHON = "/usr/bin/python3";
const FAST = ["--hidden", "8", "--embed", "4", "--batch", "4", "--threads", "1", "--seed", "3", "--epochs", "1", "--bidirectional"];

function torchMissing(): string | null {
  if (spawnSync(PYTHON, ["-c", "import torch"]).status === 0) return null;
  if (process.env.CI) assert.fail("CI must have /usr/bin/python3 with torch (.ci/run installs python3-torch)");
  return "no PyTorch in /usr/bin/python3 (apt-get install python3-torch); CI runs these";
}

function moodCsv(n: number): string {
  const q = ["what is it", "why so", "how now", "who comes here"], s = ["it is so", "he comes", "the king is here", "so be it"];
  const rows = ["text,label"];
  for (let i = 0; i < n; i++) rows.push(i % 2 ? `${q[i % 4]} ${i},question` : `"${s[i % 4]}, ""said"" he ${i}",statement`);
  return rows.join("\n") + "\n";
}

function vowelJsonl(n: number): string {
  const words = ["banana", "kiwi", "apple", "plum", "orange"];
  return Array.from({ length: n }, (_, i) => {
    const text = `${words[i % 5]} ${words[(i * 3) % 5]}`;
    return JSON.stringify({ text, tags: Array.from(text, (c) => (c === " " ? "space" : "aeiou".includes(c) ? "vowel" : "consonant")) });
  }).join("\n") + "\n";
}

/** Exports `ckpt` as a project, trains it 6 steps with python and with torchrun on 2 processes; checks both against RNN Lab's eval. */
function trainProject(dir: string, ckpt: string, data: string, dataName: string): void {
  const project = join(dir, "project");
  const exp = runCli(["export", ckpt, "--format", "pytorch", "--out", project, "--json"], { cwd: dir });
  assert.equal(exp.status, 0, exp.stderr);
  for (const f of ["model.py", "train.py", "train_task.py", "training_loop.py", "README.md", "config.json", "model.safetensors", dataName]) assert.ok(existsSync(join(project, f)), f);
  const env = { ...process.env, OMP_NUM_THREADS: "1" };
  const single = spawnSync(PYTHON, ["train_task.py", "--steps", "6", "--print-every", "3", "--out", join(dir, "single.safetensors")], { cwd: project, encoding: "utf8", env });
  assert.equal(single.status, 0, single.stderr);
  assert.match(single.stdout, /step 6\/6 {2}loss \d/);
  const ddp = torchrunTwoProcesses(project, "train_task.py", 29519, join(dir, "ddp.safetensors"));
  const lossOf = (stdout: string) => Number(/eval loss ([\d.]+)/.exec(stdout)?.[1]);
  for (const [name, stdout] of [["single", single.stdout], ["ddp", ddp]] as const) {
    const printed = lossOf(stdout);
    assert.ok(Number.isFinite(printed), `${name}: ${stdout}`);
    const ev = runCli(["eval", join(dir, `${name}.safetensors`), join(dir, data), "--json"], { cwd: dir });
    assert.equal(ev.status, 0, ev.stderr);
    const ours = jsonLines(ev.stdout)[0].loss as number;
    assert.ok(Math.abs(ours - printed) < 1e-4, `${name}: RNN Lab eval ${ours} vs PyTorch ${printed}`);
  }
  assert.ok(Math.abs(lossOf(single.stdout) - lossOf(ddp)) < 1e-3, `1 process ${lossOf(single.stdout)} vs 2 processes ${lossOf(ddp)}`);
  const before = jsonLines(runCli(["eval", ckpt, join(dir, data), "--json"], { cwd: dir }).stdout)[0].loss as number;
  assert.ok(Math.abs(before - lossOf(single.stdout)) > 1e-3, `six steps move the loss (${before} → ${lossOf(single.stdout)})`);
}

/** Writes `contents` as `file` in a new folder, trains `out` on it with `trainArgs`, and checks its exported project (trainProject). */
function trainAndCheckProject(file: string, contents: string, trainArgs: string[], out: string, dataName: string): void {
  const dir = tempDir("rnnlab-taskproject-");
  writeFileSync(join(dir, file), contents);
  const r = runCli(["train", file, ...trainArgs, "--val-frac", "0.2", "--out", out], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  trainProject(dir, join(dir, out), file, dataName);
}

describe("the exported PyTorch project trains classifiers and taggers", () => {
  for (const pool of ["last", "mean", "max"]) {
    test(`a bidirectional LSTM classifier, pool ${pool} (csv with quoted fields)`, (t) => {
      const missing = torchMissing();
      if (missing) return t.skip(missing);
      trainAndCheckProject("mood.csv", moodCsv(24), ["--task", "classify", ...FAST, "--pool", pool], "c.safetensors", "data.csv");
    });
  }

  test("a bidirectional GRU tagger, 2 layers (jsonl)", (t) => {
    const missing = torchMissing();
    if (missing) return t.skip(missing);
    trainAndCheckProject("fruit.jsonl", vowelJsonl(20), ["--task", "tag", ...FAST, "--cell", "gru", "--layers", "2"], "t.safetensors", "data.jsonl");
  });

  test("a one-direction RNN word segmenter (spaced text: B/M/E/S tags made the same way on both sides)", (t) => {
    const missing = torchMissing();
    if (missing) return t.skip(missing);
    const spaced = ["今天 是 个 好 日子", "我们 去 公园 玩", "今天 我们 去 公园", "好 日子", "我们 是 好 朋友"];
    trainAndCheckProject("zh.txt", Array.from({ length: 20 }, (_, i) => spaced[i % 5]).join("\n") + "\n", ["--task", "segment", ...FAST.filter((f) => f !== "--bidirectional"), "--cell", "rnn"], "s.safetensors", "data.txt");
  });

  test("a CRF tagger is refused with the reason and the formats that keep it", () => {
    const dir = tempDir("rnnlab-taskproject-");
    writeFileSync(join(dir, "fruit.jsonl"), vowelJsonl(12));
    assert.equal(runCli(["train", "fruit.jsonl", "--task", "tag", ...FAST, "--crf", "--val-frac", "0.2", "--out", "crf.safetensors"], { cwd: dir }).status, 0);
    const e = runCli(["export", "crf.safetensors", "--format", "pytorch", "--out", "project"], { cwd: dir });
    assert.notEqual(e.status, 0);
    assert.match(e.stderr, /the exported PyTorch project has no CRF .* export this tagger as safetensors \(its crf\.\* tensors included\) or onnx/);
    assert.ok(!existsSync(join(dir, "project")), "nothing written");
  });
});
