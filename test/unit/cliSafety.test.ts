// The user's files are sacred, through the real CLI: an output that is an input (by path, hard link
// or symlink), a device, a FIFO, a folder, someone else's file or another run's checkpoint is refused
// before training with one line; a resume whose training state is damaged runs nothing and writes
// nothing; negative option values, per-command --help and contradictory options are handled.
// (Signals, SIGKILL, full and read-only disks, two writers: cliSafety.faults.test.ts.)

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { decodeCheckpoint } from "../../src/engine/files/checkpoint";
import { decodeSafetensors, encodeSafetensors } from "../../src/engine/interop/safetensors";
import { bundledCorpus, jsonLines, runCli, tempDir } from "../helpers";

const dir = tempDir("rnnlab-safety-");
const text = readFileSync(bundledCorpus, "utf8").slice(0, 30000);
const corpus = join(dir, "c.txt");
writeFileSync(corpus, text);
const SMALL = ["--layers", "1", "--hidden", "24", "--batch", "8", "--seq", "16", "--eval-every", "0"];

function expectOneLineError(r: { status: number; stdout: string; stderr: string }, pattern: RegExp, status = 1): void {
  assert.equal(r.status, status, `exit status (stderr: ${r.stderr})`);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `exactly one line on stderr (nothing trained first), got:\n${r.stderr}`);
  assert.match(lines[0], /^rnn-lab: error: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /looks like a bug|\n\s+at /, "the user's doing, not a bug; no stack trace");
  assert.equal(jsonLines(r.stdout).filter((l) => l.type === "progress").length, 0, "no training step ran");
}

/** Nothing of ours left in the folder: no temporary file, no lock. */
function nothingLeft(folder: string): void {
  assert.deepEqual(readdirSync(folder).filter((f) => f.endsWith(".tmp") || f.endsWith(".lock")), []);
}

const bytesOf = (p: string) => readFileSync(p);
const train = (args: string[], cwd?: string) => runCli(["train", corpus, ...SMALL, ...args], cwd ? { cwd } : {});

describe("the output is never an input, a device, a FIFO or a folder", () => {
  test("--out naming the training text, another input, a hard link or a symlink to it is refused; the text is unchanged", () => {
    const other = join(dir, "other.txt");
    writeFileSync(other, text.slice(0, 20000));
    const hard = join(dir, "hard.txt"), soft = join(dir, "soft.txt");
    linkSync(corpus, hard);
    symlinkSync(corpus, soft);
    const before = bytesOf(corpus), beforeOther = bytesOf(other);
    expectOneLineError(train(["--steps", "3", "--out", corpus]), /--out .*c\.txt is one of this command's input files; .*choose another --out/);
    expectOneLineError(runCli(["train", corpus, other, ...SMALL, "--steps", "3", "--out", other]), /other\.txt is one of this command's input files/);
    expectOneLineError(train(["--steps", "3", "--out", hard]), /hard\.txt is the same file as .*c\.txt, one of this command's input files/);
    expectOneLineError(train(["--steps", "3", "--out", soft]), /soft\.txt is the same file as .*c\.txt, one of this command's input files/);
    assert.ok(bytesOf(corpus).equals(before) && bytesOf(other).equals(beforeOther), "the inputs are untouched");
    assert.ok(lstatSync(soft).isSymbolicLink(), "the symlink is still a symlink");
    nothingLeft(dir);
  });

  test("--out /dev/null and a FIFO are refused and stay what they are (as root too)", () => {
    expectOneLineError(train(["--steps", "3", "--out", "/dev/null"]), /\/dev\/null is a character device, not a regular file; RNN Lab writes only regular files/);
    assert.ok(statSync("/dev/null").isCharacterDevice(), "/dev/null is still a device");
    const fifo = join(dir, "pipe");
    assert.equal(spawnSync("mkfifo", [fifo]).status, 0, "mkfifo");
    expectOneLineError(train(["--steps", "3", "--out", fifo]), /pipe is a FIFO \(named pipe\), not a regular file/);
    assert.ok(statSync(fifo).isFIFO(), "the FIFO is still a FIFO");
  });

  test("a folder named as the file, and a parent that is a file, are refused before training", () => {
    const folder = join(dir, "a-folder");
    mkdirSync(folder);
    expectOneLineError(train(["--steps", "3", "--out", folder]), /a-folder is a folder; give a file name/);
    expectOneLineError(train(["--steps", "3", "--out", join(corpus, "sub", "m.safetensors")]), /c\.txt(\/sub)? is a file, not a folder|a part of its path is a file, not a folder/);
    assert.ok(bytesOf(corpus).equals(Buffer.from(text)));
    // a missing parent that can be created is created
    const deep = join(dir, "new", "deeper", "m.safetensors");
    assert.equal(train(["--steps", "2", "--out", deep, "--json"]).status, 0);
    assert.equal(decodeCheckpoint(bytesOf(deep)).training!.step, 2);
  });

  test("--init-from X --out X is refused (X is an input)", () => {
    const ckpt = join(dir, "init.safetensors");
    assert.equal(train(["--steps", "2", "--out", ckpt]).status, 0);
    const before = bytesOf(ckpt);
    expectOneLineError(runCli(["train", corpus, "--init-from", ckpt, "--steps", "2", "--out", ckpt]), /init\.safetensors is one of this command's input files/);
    assert.ok(bytesOf(ckpt).equals(before));
  });
});

describe("an existing file is replaced only when it is this run's checkpoint, or with --force", () => {
  test("another model's checkpoint: refused with what to do; --force replaces it", () => {
    const theirs = join(dir, "theirs.safetensors");
    assert.equal(runCli(["train", corpus, "--cell", "gru", ...SMALL, "--steps", "4", "--out", theirs]).status, 0);
    const before = bytesOf(theirs);
    expectOneLineError(train(["--steps", "1", "--out", theirs]), /theirs\.safetensors already exists and is an RNN Lab checkpoint \(GRU 1×24 at step 4\); to continue it, add --resume .*theirs\.safetensors; choose another --out, or pass --force to replace it/);
    assert.ok(bytesOf(theirs).equals(before), "the other model is untouched");
    const forced = train(["--steps", "1", "--out", theirs, "--force", "--json"]);
    assert.equal(forced.status, 0, forced.stderr);
    const m = decodeCheckpoint(bytesOf(theirs));
    assert.equal(m.spec.cell, "lstm");
    assert.equal(m.training!.step, 1);
  });

  test("a file that is not a checkpoint is refused even with the same name pattern; --force is still never an input", () => {
    const notes = join(dir, "notes.safetensors");
    writeFileSync(notes, "my notes, not a model\n");
    expectOneLineError(train(["--steps", "1", "--out", notes]), /notes\.safetensors already exists and is not an RNN Lab checkpoint; choose another --out, or pass --force/);
    assert.equal(readFileSync(notes, "utf8"), "my notes, not a model\n");
    expectOneLineError(train(["--steps", "1", "--out", corpus, "--force"]), /is one of this command's input files/);
  });

  test("a second train to the default output does not replace the first run's model", () => {
    const cwd = tempDir("rnnlab-default-out-");
    writeFileSync(join(cwd, "t.txt"), text);
    assert.equal(runCli(["train", "t.txt", ...SMALL, "--steps", "6"], { cwd }).status, 0);
    const first = bytesOf(join(cwd, "t.lstm.safetensors"));
    expectOneLineError(runCli(["train", "t.txt", ...SMALL, "--steps", "1"], { cwd }), /t\.lstm\.safetensors already exists and is an RNN Lab checkpoint \(LSTM 1×24 at step 6\); to continue it, add --resume t\.lstm\.safetensors/);
    assert.ok(bytesOf(join(cwd, "t.lstm.safetensors")).equals(first));
    // … and continuing it, as the message says, is allowed: the resumed checkpoint is this run's own
    const resumed = runCli(["train", "t.txt", "--resume", "t.lstm.safetensors", "--steps", "2", "--json"], { cwd });
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.equal(decodeCheckpoint(bytesOf(join(cwd, "t.lstm.safetensors"))).training!.step, 8);
    nothingLeft(cwd);
  });

  test("--resume A --out B: B existing is another file, refused without --force", () => {
    const a = join(dir, "a.safetensors"), b = join(dir, "b.safetensors");
    assert.equal(train(["--steps", "2", "--out", a]).status, 0);
    assert.equal(train(["--steps", "3", "--out", b]).status, 0);
    const before = bytesOf(b);
    expectOneLineError(runCli(["train", corpus, "--resume", a, "--steps", "1", "--out", b]), /b\.safetensors already exists/);
    assert.ok(bytesOf(b).equals(before));
  });
});

describe("import and export never write over their inputs", () => {
  // a PyTorch-style state_dict: an RNN Lab export without its metadata
  const ckpt = join(dir, "ie.safetensors");
  const weights = join(dir, "torch.safetensors");
  const keep = join(dir, "keep.json");
  test("setup: a trained checkpoint and its weights as PyTorch saves them", () => {
    assert.equal(train(["--steps", "2", "--out", ckpt]).status, 0);
    const exported = join(dir, "ie.export.safetensors");
    assert.equal(runCli(["export", ckpt, "--format", "safetensors", "--out", exported]).status, 0);
    const f = decodeSafetensors(bytesOf(exported));
    writeFileSync(weights, encodeSafetensors([...f.tensors.values()], {}));
    writeFileSync(keep, JSON.stringify(decodeCheckpoint(bytesOf(ckpt)).vocab.chars));
    const ok = runCli(["import", weights, "--vocab", keep, "--out", join(dir, "imported.safetensors")]);
    assert.equal(ok.status, 0, ok.stderr);
  });

  test("import --vocab keep --out keep is refused; keep is unchanged; an existing --out needs --force", () => {
    const before = bytesOf(keep);
    expectOneLineError(runCli(["import", weights, "--vocab", keep, "--out", keep]), /keep\.json is one of this command's input files/);
    assert.ok(bytesOf(keep).equals(before));
    expectOneLineError(runCli(["import", weights, "--vocab", keep, "--out", weights, "--force"]), /torch\.safetensors is one of this command's input files/);
    expectOneLineError(runCli(["import", weights, "--vocab", keep, "--out", join(dir, "imported.safetensors")]), /imported\.safetensors already exists .*--force/);
    assert.equal(runCli(["import", weights, "--vocab", keep, "--out", join(dir, "imported.safetensors"), "--force"]).status, 0);
  });

  test("export over its own checkpoint, over the run's training text, or into a folder holding the checkpoint is refused, --force or not", () => {
    const before = bytesOf(ckpt), textBefore = bytesOf(corpus);
    expectOneLineError(runCli(["export", ckpt, "--format", "safetensors", "--out", ckpt, "--force"]), /ie\.safetensors is one of this command's input files/);
    expectOneLineError(runCli(["export", ckpt, "--format", "onnx", "--out", corpus, "--force"]), /c\.txt is one of this command's input files/);
    expectOneLineError(runCli(["export", ckpt, "--format", "pytorch", "--out", dir, "--force"]), /holds .*ie\.safetensors, which this command reads; replacing the folder would delete it/);
    expectOneLineError(runCli(["export", ckpt, "--format", "onnx", "--out", "/dev/null", "--force"]), /character device/);
    // --force replaces a project exported before, never a folder of the user's (it would be removed whole)
    const mine = join(dir, "my-folder");
    mkdirSync(mine);
    writeFileSync(join(mine, "thesis.md"), "chapter one\n");
    expectOneLineError(runCli(["export", ckpt, "--format", "pytorch", "--out", mine, "--force"]), /my-folder is a folder that is not an exported PyTorch project .*replacing it would delete its files/);
    assert.equal(readFileSync(join(mine, "thesis.md"), "utf8"), "chapter one\n");
    const project = join(dir, "project");
    assert.equal(runCli(["export", ckpt, "--format", "pytorch", "--out", project]).status, 0);
    expectOneLineError(runCli(["export", ckpt, "--format", "pytorch", "--out", project]), /project already exists and is not empty; .*--force/);
    const again = runCli(["export", ckpt, "--format", "pytorch", "--out", project, "--force"]);
    assert.equal(again.status, 0, again.stderr);
    assert.ok(bytesOf(ckpt).equals(before) && bytesOf(corpus).equals(textBefore));
    assert.ok(statSync("/dev/null").isCharacterDevice());
  });
});

describe("a resume whose training state is damaged runs nothing and writes nothing", () => {
  const good = join(dir, "state.safetensors");
  // `step` (and its neighbours) as a damaged file may hold them; JSON text, so 1e400 parses as Infinity
  // Each is refused when the checkpoint is read (checkpoint.ts validates the training state against
  // its schema), naming the field and what it holds.
  const cases: [string, (json: string) => string, RegExp][] = [
    ["step as a string", (j) => j.replace(/"step":\d+/, '"step":"x"'), /step must be an integer from 0 to \d+, not "x"/],
    ["step null", (j) => j.replace(/"step":\d+/, '"step":null'), /step must be an integer from 0 to \d+, not null/],
    ["step negative", (j) => j.replace(/"step":\d+/, '"step":-3'), /step must be an integer from 0 to \d+, not -3/],
    ["step fractional", (j) => j.replace(/"step":\d+/, '"step":2.5'), /step must be an integer from 0 to \d+, not 2\.5/],
    ["step 1e400", (j) => j.replace(/"step":\d+/, '"step":1e400'), /step must be an integer from 0 to \d+, not Infinity/],
    ["step missing", (j) => j.replace(/"step":\d+,/, ""), /step must be an integer from 0 to \d+, but it is missing/],
    ["epoch damaged", (j) => j.replace(/"epoch":\d+/, '"epoch":"one"'), /epoch must be an integer from 0 to \d+, not "one"/],
    ["window beyond the epoch", (j) => j.replace(/"window":\d+/, '"window":999999'), /window 999999 is past the \d+ windows of an epoch/],
    ["elapsed seconds negative", (j) => j.replace(/"elapsedSeconds":[\d.e-]+/, '"elapsedSeconds":-1'), /elapsedSeconds must be a number ≥ 0, not -1/],
  ];
  test("setup", () => assert.equal(train(["--steps", "5", "--out", good]).status, 0));
  for (const [name, damage, why] of cases) {
    test(name, () => {
      const f = decodeSafetensors(bytesOf(good));
      const json = damage(f.metadata.training);
      assert.notEqual(json, f.metadata.training, "the damage applies");
      const p = join(dir, `damaged-${name.replace(/\W+/g, "-")}.safetensors`);
      writeFileSync(p, encodeSafetensors([...f.tensors.values()], { ...f.metadata, training: json }));
      const before = bytesOf(p);
      const r = runCli(["train", corpus, "--resume", p, "--steps", "3", "--json"]);
      expectOneLineError(r, new RegExp(`damaged-.*: training state: ${why.source}`));
      assert.doesNotMatch(r.stdout + r.stderr, /NaN/);
      assert.ok(bytesOf(p).equals(before), "the checkpoint is untouched");
    });
  }
  test("nothing left behind", () => nothingLeft(dir));
});

describe("options", () => {
  test("negative numbers are values, checked by the option's own range", () => {
    expectOneLineError(train(["--steps", "1", "--clip", "-1"]), /clip must be from 0 to/);
    expectOneLineError(train(["--steps", "1", "--seed", "-1"]), /seed must be an integer from 0 to 4294967295, not -1/);
    expectOneLineError(train(["--steps", "1", "--lr", "-1e-3"]), /lr must be from 0 to .*, not -0\.001/);
    expectOneLineError(runCli(["sample", join(dir, "ie.safetensors"), "--temperature", "-1"]), /--temperature must be 0 or more/, 2);
    expectOneLineError(runCli(["sample", join(dir, "ie.safetensors"), "--temperature", "-.5"]), /--temperature must be 0 or more/, 2);
    // a negative number where the range allows one is accepted (the forget-gate bias may be negative)
    const ok = train(["--steps", "1", "--forget-bias", "-2", "--out", join(dir, "fb.safetensors"), "--json"]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(decodeCheckpoint(bytesOf(join(dir, "fb.safetensors"))).training!.options.forgetBias, -2);
    // and an unknown option is still one line, with where to look
    expectOneLineError(train(["--frobnicate"]), /Unknown option '--frobnicate'.*rnn-lab train --help/, 2);
  });

  test("every command's --help prints its help on stdout and exits 0", () => {
    for (const command of ["train", "sample", "eval", "gradcheck", "import", "export"]) {
      for (const args of [[command, "--help"], [command, "-h"], ["help", command]]) {
        const r = runCli(args);
        assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
        assert.equal(r.stderr, "");
        assert.match(r.stdout, new RegExp(`^usage:\\n  rnn-lab ${command} `), args.join(" "));
      }
    }
    assert.match(runCli(["train", "--help"]).stdout, /--force +replace an existing --out/);
    assert.match(runCli(["train", corpus, "--steps", "3", "--help"]).stdout, /^usage:/, "--help anywhere among the arguments");
  });

  test("--init-from with --resume, and --nonlinearity with an LSTM or GRU, are refused with the reason", () => {
    const ckpt = join(dir, "ie.safetensors");
    expectOneLineError(runCli(["train", corpus, "--resume", ckpt, "--init-from", ckpt]), /--resume and --init-from cannot be combined: .*give one of them/, 2);
    expectOneLineError(train(["--cell", "lstm", "--nonlinearity", "relu"]), /--nonlinearity is for --cell rnn or ctrnn only: an LSTM's gates/, 2);
    expectOneLineError(train(["--nonlinearity", "relu"]), /--nonlinearity is for --cell rnn or ctrnn only/, 2);
    expectOneLineError(train(["--cell", "gru", "--nonlinearity", "relu"]), /a GRU's gates have fixed nonlinearities/, 2);
    expectOneLineError(runCli(["gradcheck", "--cell", "lstm", "--nonlinearity", "relu"]), /--nonlinearity is for --cell rnn or ctrnn only/, 2);
    const rnn = runCli(["train", corpus, "--cell", "rnn", "--nonlinearity", "relu", ...SMALL, "--steps", "2", "--out", join(dir, "relu.safetensors")]);
    assert.equal(rnn.status, 0, rnn.stderr);
    assert.equal(decodeCheckpoint(bytesOf(join(dir, "relu.safetensors"))).spec.nonlinearity, "relu");
  });
});

test("the folder is left clean", () => {
  nothingLeft(dir);
  assert.ok(!existsSync(join(dir, ".c.txt.lock")));
});
