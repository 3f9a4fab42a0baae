// Fault injection through the real CLI: SIGKILL at random moments of training and checkpoint
// writing (every checkpoint on disk still loads; the temporary files the killed writers left are
// gone after the next start), SIGINT/SIGTERM (checkpoint written, exit 130/143, the resume exact),
// a second Ctrl-C (exit at once, nothing written), two processes on one --out, a full and a
// read-only file system (tmpfs mounts, as root) reported before training with the environment named.
// Short by default (npm test); RNN_LAB_FAULTS=full runs the counts of issue 13 (npm run test:faults).

import assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { decodeCheckpoint } from "../../src/engine/files/checkpoint";
import { ModelSpec } from "../../src/engine/model/modelSpec";
import { RunDriver } from "../../src/engine/training/runDriver";
import { checkpointsDir, createModel, createRun } from "../../src/engine/runs/runStore";
import { decodeSafetensors } from "../../src/engine/interop/safetensors";
import { DEFAULT_TRAIN_OPTIONS } from "../../src/engine/training/trainOptions";
import { bundledCorpus, cliPath, jsonLines, runCli, tempDir } from "../helpers";

const FULL = process.env.RNN_LAB_FAULTS === "full";
const isRoot = process.getuid?.() === 0;
const text = readFileSync(bundledCorpus, "utf8").slice(0, 60000);
const SMALL = ["--layers", "1", "--hidden", "24", "--batch", "8", "--seq", "16", "--eval-every", "0", "--threads", "1"];
// 2×128: about 4 MB per checkpoint, so that a good share of the time goes to writing checkpoints
const WRITE_HEAVY = ["--layers", "2", "--hidden", "128", "--batch", "4", "--seq", "8", "--eval-every", "0", "--threads", "1", "--checkpoint-every", "1"];

interface Running {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  stderr: () => string;
  /** Resolves with the first JSON line that matches (rejects if the process ends first or after `ms`). */
  waitFor: (pred: (l: Record<string, unknown>) => boolean, ms?: number) => Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(args: string[], cwd: string): Running {
  const child = spawn(process.execPath, [cliPath, ...args], { cwd, env: { ...process.env, RNN_LAB_DEBUG: "" }, stdio: ["ignore", "pipe", "pipe"] });
  const lines: Record<string, unknown>[] = [];
  let out = "", err = "";
  const waiters: { pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
    let nl;
    while ((nl = out.indexOf("\n")) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      if (!line.trim()) continue;
      const obj = JSON.parse(line) as Record<string, unknown>;
      lines.push(obj);
      for (const w of waiters.splice(0)) (w.pred(obj) ? w.resolve(obj) : waiters.push(w));
    }
  });
  child.stderr!.on("data", (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
  const waitFor = (pred: (l: Record<string, unknown>) => boolean, ms = 30000) => new Promise<Record<string, unknown>>((resolve, reject) => {
    const seen = lines.find(pred);
    if (seen) return resolve(seen);
    const timer = setTimeout(() => reject(new Error(`no matching line in ${ms} ms; stderr: ${err}`)), ms);
    waiters.push({ pred, resolve: (l) => { clearTimeout(timer); resolve(l); } });
    void exited.then(() => setTimeout(() => reject(new Error(`the process ended first; stderr: ${err}`)), 50));
  });
  return { child, lines, stderr: () => err, waitFor, exited };
}

const tempFiles = (folder: string) => readdirSync(folder).filter((f) => /^\..+\.\d+\.tmp$/.test(f));
const checkpointsIn = (folder: string) => readdirSync(folder).filter((f) => f.endsWith(".safetensors"));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every tensor of two checkpoints bit for bit, and the same step. */
function sameTensors(a: string, b: string): void {
  const x = decodeSafetensors(readFileSync(a)), y = decodeSafetensors(readFileSync(b));
  assert.deepEqual([...x.tensors.keys()].sort(), [...y.tensors.keys()].sort());
  for (const [name, t] of x.tensors) assert.ok(Buffer.from(t.data.buffer).equals(Buffer.from(y.tensors.get(name)!.data.buffer)), `${name} differs`);
  assert.equal(JSON.parse(x.metadata.training).step, JSON.parse(y.metadata.training).step);
}

/** A pid that is certainly not running: a process that has ended. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

describe("SIGKILL at random moments of training and checkpoint writing", () => {
  const trials = FULL ? 60 : 6;
  test(`${trials} kills: every checkpoint on disk loads, no temporary file survives the next start`, async () => {
    const dir = tempDir("rnnlab-kill-");
    writeFileSync(join(dir, "c.txt"), text);
    const out = join(dir, "m.safetensors");
    let corrupt = 0, leftByKill = 0, staleAtNextStart = 0, resumed = 0;
    const t0 = performance.now();
    // a fixed sequence of delays (a simple LCG), so a failing trial can be found again
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let k = 0; k < trials; k++) {
      const resume = existsSync(out);
      if (resume) resumed++;
      const run = start(["train", "c.txt", ...(resume ? ["--resume", out, "--checkpoint-every", "1"] : [...WRITE_HEAVY, "--out", out]), "--steps", "100000", "--json"], dir);
      await run.waitFor((l) => l.type === "start");
      // the next start has removed what earlier killed writers left (its own temporary file may exist)
      staleAtNextStart += tempFiles(dir).filter((f) => !f.includes(`.${run.child.pid}.`)).length;
      await sleep(random() * (k % 2 ? 400 : 60)); // half the kills early (the first writes), half later
      run.child.kill("SIGKILL");
      const { signal } = await run.exited;
      assert.equal(signal, "SIGKILL");
      leftByKill += tempFiles(dir).length;
      for (const f of checkpointsIn(dir)) {
        try {
          decodeCheckpoint(readFileSync(join(dir, f)), f);
        } catch (e) {
          corrupt++;
          assert.fail(`trial ${k}: ${f} does not load after SIGKILL: ${(e as Error).message}`);
        }
      }
    }
    // one last start, run to its end: it takes over the dead lock and removes the last temporary file
    const last = runCli(["train", "c.txt", "--resume", out, "--steps", "1", "--json"], { cwd: dir });
    assert.equal(last.status, 0, last.stderr);
    const stale = tempFiles(dir).length;
    const seconds = (performance.now() - t0) / 1000;
    process.stdout.write(`# SIGKILL: ${trials} trials (${resumed} of resumed runs) in ${seconds.toFixed(1)} s; ${leftByKill} temporary files left by kills mid-write; ` +
      `corrupt checkpoints ${corrupt}; stale temporary files at the next start ${staleAtNextStart}, after the last ${stale}\n`);
    assert.equal(corrupt, 0);
    assert.equal(staleAtNextStart, 0, "each start removes the temporary files of dead writers");
    assert.equal(stale, 0);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith(".lock")), [], "the last run released its lock");
    if (FULL) assert.ok(leftByKill > 0, "some kills landed mid-write (else the trials did not test writing)");
  });

  test("a run folder's temporary files of dead writers are removed when the run opens; a live process's are kept", async () => {
    const root = tempDir("rnnlab-runfolder-");
    const { vocab } = CharVocabulary.fromText(text);
    const spec: ModelSpec = { cell: "gru", nonlinearity: "tanh", layers: 1, hidden: 8, embed: 0, vocabSize: vocab.size, peephole: false, coupled: false, residual: false };
    const modelDir = await createModel(root, { name: "m", spec, vocab: vocab.toJSON(), corpus: { files: ["c.txt"], chars: text.length, sha256: "x" } }, text);
    const dir = await createRun(modelDir, { ...DEFAULT_TRAIN_OPTIONS, batch: 4, seq: 8 }, { budget: { steps: 2 }, threads: 1, checkpointEvery: 1, keepCheckpoints: 2, evalEvery: 0, sampleEvery: 0, sampleLength: 10 }, null);
    const dead = deadPid();
    const other = process.ppid; // a live process other than this one (which opens the run)
    mkdirSync(checkpointsDir(dir), { recursive: true });
    const deadFiles = [join(dir, `.run.json.${dead}.tmp`), join(checkpointsDir(dir), `.step-00000001.safetensors.${dead}.tmp`), join(modelDir, `.model.json.${dead}.tmp`)];
    const liveFile = join(checkpointsDir(dir), `.step-00000001.safetensors.${other}.tmp`);
    for (const f of [...deadFiles, liveFile]) writeFileSync(f, "half a checkpoint");
    const driver = RunDriver.open(modelDir, dir);
    try {
      for (const f of deadFiles) assert.ok(!existsSync(f), `${f} (pid ${dead}, not running) is removed`);
      assert.ok(existsSync(liveFile), "another live process's temporary file is kept");
    } finally {
      driver.close();
    }
  });
});

describe("SIGINT and SIGTERM stop after the step, save, exit 130 / 143; the resume is exact", () => {
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    test(`${signal}: checkpoint written, exit ${code}, continuing from it equals a run that never stopped`, async () => {
      const dir = tempDir("rnnlab-signal-");
      writeFileSync(join(dir, "c.txt"), text);
      const args = ["c.txt", ...SMALL, "--dropout", "0.1", "--seed", "5"];
      const stopped = join(dir, "stopped.safetensors");
      const run = start(["train", ...args, "--steps", "1000000", "--checkpoint-every", "0", "--out", stopped, "--json"], dir);
      await run.waitFor((l) => l.type === "progress");
      const sent = performance.now();
      run.child.kill(signal);
      const { code: exit } = await run.exited;
      const ms = performance.now() - sent;
      assert.equal(exit, code, run.stderr());
      const summary = run.lines[run.lines.length - 1];
      assert.equal(summary.type, "summary");
      assert.equal(summary.interrupted, true);
      assert.equal(summary.signal, signal);
      const m = decodeCheckpoint(readFileSync(stopped));
      const at = m.training!.step;
      assert.equal(at, summary.step);
      assert.ok(at > 0 && at < 1000000);
      assert.ok(ms < 5000, `stopped ${ms.toFixed(0)} ms after the signal`);
      process.stdout.write(`# ${signal}: stopped at step ${at}, exit ${exit}, ${ms.toFixed(0)} ms after the signal\n`);
      assert.deepEqual(tempFiles(dir), []);
      assert.ok(!existsSync(join(dir, ".stopped.safetensors.lock")), "the lock is released");
      // 7 more steps from the checkpoint equal at + 7 steps straight, bit for bit
      const more = runCli(["train", "c.txt", "--resume", stopped, "--steps", "7", "--threads", "1", "--json"], { cwd: dir });
      assert.equal(more.status, 0, more.stderr);
      const straight = join(dir, "straight.safetensors");
      assert.equal(runCli(["train", ...args, "--steps", String(at + 7), "--out", straight, "--json"], { cwd: dir }).status, 0);
      sameTensors(stopped, straight);
    });
  }

  test("a second Ctrl-C exits at once with 130 and writes nothing", async () => {
    const dir = tempDir("rnnlab-twice-");
    writeFileSync(join(dir, "c.txt"), text);
    const out = join(dir, "m.safetensors");
    // steps of hundreds of milliseconds: both signals reach the process during one step (the kernel
    // merges a signal sent while the same one is still pending, hence the pause between the two)
    const run = start(["train", "c.txt", "--layers", "2", "--hidden", "384", "--batch", "32", "--seq", "64", "--threads", "1", "--eval-every", "0", "--checkpoint-every", "0", "--steps", "100000", "--out", out, "--json"], dir);
    await run.waitFor((l) => l.type === "progress", 60000);
    await sleep(100); // well inside the next step (the progress line is written just before it starts)
    run.child.kill("SIGINT");
    await sleep(40);
    run.child.kill("SIGINT");
    const { code } = await run.exited;
    assert.equal(code, 130, run.stderr());
    assert.match(run.stderr(), /SIGINT again: exiting without saving/);
    assert.ok(!existsSync(out), "nothing written");
    assert.deepEqual(readdirSync(dir).filter((f) => f !== "c.txt"), [], "no lock, no temporary file");
  });
});

describe("two processes on one output", () => {
  test("the second fails at once, naming the first's pid; the first finishes normally", async () => {
    const dir = tempDir("rnnlab-two-");
    writeFileSync(join(dir, "c.txt"), text);
    const out = join(dir, "m.safetensors");
    const first = start(["train", "c.txt", ...SMALL, "--steps", "1000000", "--checkpoint-every", "5", "--out", out, "--json"], dir);
    await first.waitFor((l) => l.type === "progress");
    const t0 = performance.now();
    for (const extra of [[], ["--force"], ["--resume", out]]) {
      const second = runCli(["train", "c.txt", ...(extra[0] === "--resume" ? [] : SMALL), ...extra, "--steps", "3", "--out", out, "--json"], { cwd: dir });
      assert.equal(second.status, 1, second.stderr);
      assert.equal(second.stderr.trim().split("\n").length, 1, second.stderr);
      assert.match(second.stderr, new RegExp(`^rnn-lab: error: .*m\\.safetensors is being written by another process \\(pid ${first.child.pid} on ${hostname()} since .*\\); wait for it to finish or choose another --out`));
      assert.equal(jsonLines(second.stdout).filter((l) => l.type === "progress").length, 0);
    }
    const ms = (performance.now() - t0) / 3;
    assert.ok(ms < 3000, `refused in ${ms.toFixed(0)} ms`);
    first.child.kill("SIGTERM");
    assert.equal((await first.exited).code, 143);
    const m = decodeCheckpoint(readFileSync(out));
    assert.equal(m.spec.hidden, 24, "the first run's model, not the second's");
    // a lock left by a process that has ended is taken over
    writeFileSync(join(dir, ".m.safetensors.lock"), JSON.stringify({ pid: deadPid(), host: hostname(), since: "earlier" }));
    const after = runCli(["train", "c.txt", "--resume", out, "--steps", "2", "--json"], { cwd: dir });
    assert.equal(after.status, 0, after.stderr);
    assert.ok(!existsSync(join(dir, ".m.safetensors.lock")));
  });
});

describe("a full disk and a read-only folder are reported before training, as the environment", () => {
  const mounts: string[] = [];
  after(() => {
    for (const m of mounts.reverse()) spawnSync("umount", ["-l", m]);
  });
  const canMount = isRoot && process.platform === "linux";
  /** A tmpfs of `size` (e.g. "1m") in a fresh folder, mounted for this test. */
  const tmpfs = (size: string): string => {
    const m = tempDir("rnnlab-mnt-");
    const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", m], { encoding: "utf8" });
    assert.equal(r.status, 0, `mount a tmpfs: ${r.stderr}`);
    mounts.push(m);
    return m;
  };
  const corpusDir = tempDir("rnnlab-envtext-");
  const corpus = join(corpusDir, "c.txt");
  writeFileSync(corpus, text);
  const refusedBeforeTraining = (r: { status: number; stdout: string; stderr: string }, pattern: RegExp) => {
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], pattern);
    assert.doesNotMatch(r.stderr, /looks like a bug/);
    assert.equal(jsonLines(r.stdout).filter((l) => l.type === "progress").length, 0, "no step trained");
  };

  if (canMount) {
    test("a tmpfs too small for the checkpoint: refused with the free space and the size needed", () => {
      const m = tmpfs("1m");
      const r = runCli(["train", corpus, "--layers", "2", "--hidden", "128", "--steps", "2", "--out", join(m, "m.safetensors"), "--json"]);
      refusedBeforeTraining(r, /^rnn-lab: error: cannot write to .*: the disk is full \(ENOSPC\): [\d.]+ MiB free, the output needs [\d.]+ MiB; free some space or choose another --out$/);
      assert.deepEqual(readdirSync(m), [], "nothing written, no probe left");
    });

    test("a tmpfs with no space at all: the probe file fails with ENOSPC", () => {
      const m = tmpfs("256k");
      spawnSync("dd", ["if=/dev/zero", `of=${join(m, "fill")}`, "bs=64k", "count=100"]);
      const r = runCli(["train", corpus, ...SMALL, "--steps", "2", "--out", join(m, "m.safetensors"), "--json"]);
      refusedBeforeTraining(r, /^rnn-lab: error: cannot write to .*: the disk is full \(ENOSPC\)/);
      assert.deepEqual(readdirSync(m), ["fill"]);
    });

    test("a disk that fills during training: one line naming ENOSPC, the last checkpoint still loads", async () => {
      const m = tmpfs("2m");
      const out = join(m, "m.safetensors");
      const run = start(["train", corpus, ...SMALL, "--checkpoint-every", "1", "--steps", "1000000", "--out", out, "--json"], corpusDir);
      await run.waitFor((l) => l.type === "progress");
      // Fill the disk, and keep taking whatever the run frees: a checkpoint replaced by rename frees
      // the old copy, so one fill alone can leave exactly room for the next (the run would go on).
      const fill = () => spawnSync("dd", ["if=/dev/zero", `of=${join(m, "fill")}`, "bs=4k", "count=2000", "oflag=append", "conv=notrunc"]);
      fill();
      const filler = setInterval(fill, 20);
      const { code } = await run.exited.finally(() => clearInterval(filler));
      assert.equal(code, 1);
      const lines = run.stderr().trim().split("\n");
      assert.equal(lines.length, 1, run.stderr());
      assert.match(lines[0], /^rnn-lab: error: cannot write .*m\.safetensors: the disk is full \(ENOSPC\); free some space or choose another --out$/);
      decodeCheckpoint(readFileSync(out)); // the previous checkpoint is whole
      assert.deepEqual(tempFiles(m), []);
    });

    test("a read-only mount: refused before training as EROFS, for train, import and export", () => {
      const m = tmpfs("4m");
      const ckpt = join(corpusDir, "ok.safetensors");
      assert.equal(runCli(["train", corpus, ...SMALL, "--steps", "2", "--out", ckpt]).status, 0);
      const r0 = spawnSync("mount", ["-o", "remount,ro", m], { encoding: "utf8" });
      assert.equal(r0.status, 0, r0.stderr);
      refusedBeforeTraining(runCli(["train", corpus, ...SMALL, "--steps", "2", "--out", join(m, "m.safetensors"), "--json"]),
        /^rnn-lab: error: cannot write to .*: the folder is read-only \(EROFS\); choose another --out$/);
      refusedBeforeTraining(runCli(["train", corpus, ...SMALL, "--steps", "2", "--out", join(m, "new", "sub", "m.safetensors"), "--json"]),
        /the folder is read-only \(EROFS\)/);
      refusedBeforeTraining(runCli(["export", ckpt, "--format", "onnx", "--out", join(m, "m.onnx")]), /the folder is read-only \(EROFS\)/);
      refusedBeforeTraining(runCli(["export", ckpt, "--format", "pytorch", "--out", join(m, "proj")]), /the folder is read-only \(EROFS\)/);
    });
  } else {
    test("a read-only folder (chmod, not root): refused before training as EACCES", () => {
      if (FULL) assert.fail("the full fault suite needs root (it mounts tmpfs file systems for a full and a read-only disk); run it as root, as CI does");
      const ro = tempDir("rnnlab-ro-");
      chmodSync(ro, 0o555);
      try {
        refusedBeforeTraining(runCli(["train", corpus, ...SMALL, "--steps", "2", "--out", join(ro, "m.safetensors"), "--json"]),
          /^rnn-lab: error: cannot write to .*: permission denied \(EACCES\); choose another --out$/);
      } finally {
        chmodSync(ro, 0o755);
      }
    });
  }
});
