// Issue 13's "limits that accept what cannot run" and "checks that are missing", through the real
// CLI: sizes refused before allocating (with the figure and the limit), checkpoints whose metadata
// lies, weights that overflow, and inputs that are not regular UTF-8 files.

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { decodeSafetensors, encodeSafetensors, NamedTensor } from "../../src/engine/interop/safetensors";
import { decodeCheckpoint } from "../../src/engine/files/checkpoint";
import { bundledCorpus, cliPath, jsonLines, tempDir } from "../helpers";

const dir = tempDir("rnnlab-limits-");
const corpus = join(dir, "small.txt");
const text = readFileSync(bundledCorpus, "utf8").slice(0, 30000);
writeFileSync(corpus, text);
const SMALL = ["--layers", "1", "--hidden", "16", "--batch", "8", "--seq", "16", "--eval-every", "0", "--threads", "1"];
const HAVE_TIME = existsSync("/usr/bin/time");

interface Run { status: number; stdout: string; stderr: string; seconds: number; peakKiB: number | null }

/** The CLI as a user runs it, with a time limit (a hang fails the test) and, where /usr/bin/time exists, its peak RSS. */
function cli(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Run {
  const t0 = performance.now();
  const cmd = HAVE_TIME ? "/usr/bin/time" : process.execPath;
  const argv = HAVE_TIME ? ["-f", "peak-rss-kib %M", process.execPath, cliPath, ...args] : [cliPath, ...args];
  const r = spawnSync(cmd, argv, { cwd: dir, encoding: "utf8", timeout: timeoutMs, env: { ...process.env, RNN_LAB_DEBUG: "", ...env } });
  let stderr = r.stderr ?? "";
  let peakKiB: number | null = null;
  const m = /peak-rss-kib (\d+)\s*$/.exec(stderr);
  if (m) {
    peakKiB = Number(m[1]);
    stderr = stderr.slice(0, m.index).replace(/Command exited with non-zero status \d+\n$/, "");
  }
  assert.notEqual(r.signal, "SIGTERM", `rnn-lab ${args.join(" ")} did not finish in ${timeoutMs} ms (hung?)`);
  return { status: r.status ?? -1, stdout: r.stdout ?? "", stderr, seconds: (performance.now() - t0) / 1000, peakKiB };
}

function expectRefusal(r: Run, pattern: RegExp, status = 1): void {
  assert.equal(r.status, status, `exit status (stderr: ${r.stderr})`);
  const lines = r.stderr.trim().split("\n");
  const errors = lines.filter((l) => l.startsWith("rnn-lab: error: "));
  assert.equal(errors.length, 1, `one error line, got:\n${r.stderr}`);
  assert.equal(lines[lines.length - 1], errors[0], "the error is the last line");
  assert.match(errors[0], pattern);
  assert.doesNotMatch(r.stderr, /looks like a bug|\n\s+at |Cannot read properties|RuntimeError|TypeError/);
}

function file(name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** A checkpoint's tensors and metadata, edited, written back as safetensors. */
function edited(from: string, name: string, edit: (md: Record<string, string>, tensors: NamedTensor[]) => NamedTensor[] | void): string {
  const f = decodeSafetensors(readFileSync(from));
  const md = { ...f.metadata };
  let tensors = [...f.tensors.values()];
  tensors = edit(md, tensors) ?? tensors;
  return file(name, encodeSafetensors(tensors, md));
}

const trained = join(dir, "trained.safetensors");
const peephole = join(dir, "peephole.safetensors");
const embedded = join(dir, "embedded.safetensors");
before(() => {
  const e = cli(["train", corpus, ...SMALL, "--embed", "8", "--steps", "2", "--out", embedded]);
  assert.equal(e.status, 0, e.stderr);
  const r = cli(["train", corpus, ...SMALL, "--steps", "3", "--out", trained]);
  assert.equal(r.status, 0, r.stderr);
  const p = cli(["train", corpus, ...SMALL, "--peephole", "--steps", "2", "--out", peephole]);
  assert.equal(p.status, 0, p.stderr);
});

describe("sizes that cannot run are refused before anything is allocated", () => {
  test("--hidden over the limit (it was accepted up to 8192 and crashed after gigabytes)", () => {
    const r = cli(["train", corpus, "--hidden", "8192", "--steps", "1", "--out", join(dir, "h8192.safetensors")]);
    expectRefusal(r, /hidden size must be 1 to 4096, not 8192/);
    assert.ok(r.seconds < 10);
  });

  test("a model that would outgrow wasm32's 4 GiB says so, with the figure", () => {
    const r = cli(["train", corpus, "--hidden", "4096", "--layers", "2", "--steps", "1", "--out", join(dir, "h4096.safetensors")]);
    expectRefusal(r, /training LSTM 2×4096 .*needs \d+\.\d\d GiB in one WebAssembly memory, over the 4 GiB that 32-bit WebAssembly can address/);
    assert.ok(r.seconds < 10, `refused in ${r.seconds} s`);
    if (r.peakKiB !== null) assert.ok(r.peakKiB < 200 * 1024, `peak ${r.peakKiB} KiB`);
  });

  test("a run over the 2 GiB default cap names the figure, the limit and how to raise it", () => {
    const r = cli(["train", corpus, "--hidden", "3000", "--layers", "1", "--steps", "1", "--out", join(dir, "h3000.safetensors")]);
    expectRefusal(r, /needs about \d+\.\d\d GiB of memory \(.*\), over the 2\.00 GiB limit; .*--max-memory or RNN_LAB_MAX_MEMORY/);
    assert.ok(r.seconds < 10);
    if (r.peakKiB !== null) assert.ok(r.peakKiB < 200 * 1024, `peak ${r.peakKiB} KiB`);
  });

  test("--max-memory and RNN_LAB_MAX_MEMORY set the cap", () => {
    expectRefusal(cli(["train", corpus, ...SMALL, "--hidden", "600", "--steps", "1", "--max-memory", "100M", "--out", join(dir, "cap.safetensors")]), /over the 100\.0 MiB limit/);
    expectRefusal(cli(["train", corpus, ...SMALL, "--hidden", "600", "--steps", "1", "--out", join(dir, "cap.safetensors")], { RNN_LAB_MAX_MEMORY: "100M" }), /over the 100\.0 MiB limit/);
    const ok = cli(["train", corpus, ...SMALL, "--steps", "1", "--max-memory", "200M", "--out", join(dir, "cap-ok.safetensors")]);
    assert.equal(ok.status, 0, ok.stderr);
    expectRefusal(cli(["train", corpus, ...SMALL, "--max-memory", "plenty"]), /--max-memory: a memory size is a number/, 2);
    expectRefusal(cli(["sample", trained, "--max-memory", "20M"]), /trained\.safetensors: loading .* over the 20\.0 MiB limit/);
  });
});

describe("checkpoint metadata is checked against a schema and the tensors present", () => {
  const md0 = () => decodeSafetensors(readFileSync(trained)).metadata;

  function headerOnly(name: string, model: object, tensors: Record<string, object>): string {
    const m = JSON.parse(md0().model);
    const header = JSON.stringify({ __metadata__: { format: "rnn-lab", format_version: "1", model: JSON.stringify({ ...m, ...model }), vocab: md0().vocab }, ...tensors });
    const padded = header + " ".repeat((8 - (header.length % 8)) % 8);
    const out = new Uint8Array(8 + padded.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(padded.length), true);
    out.set(new TextEncoder().encode(padded), 8);
    return file(name, out);
  }

  test("a small header-only file that claims a huge LSTM is refused at once, in little memory (it used 3–4 GB and trapped)", () => {
    const claims = [
      headerOnly("claim-8192.safetensors", { layers: 4, hidden: 8192 }, {}),
      headerOnly("claim-4096.safetensors", { layers: 4, hidden: 4096 }, { "rnn.weight_ih_l0": { dtype: "F32", shape: [16384, 65], data_offsets: [0, 0] } }),
      headerOnly("claim-1500.safetensors", { layers: 2, hidden: 1500 }, {}),
    ];
    assert.ok(readFileSync(claims[0]).length < 1024);
    for (const c of claims) {
      for (const command of [["sample", c], ["eval", c, corpus]]) {
        const r = cli(command);
        expectRefusal(r, new RegExp(`${c.split("/").pop()!.replace(".", "\\.")}: `));
        assert.ok(r.seconds < 5, `${command[0]} ${c}: ${r.seconds} s`);
        if (r.peakKiB !== null) assert.ok(r.peakKiB < 200 * 1024, `${command[0]} ${c}: peak ${r.peakKiB} KiB`);
      }
    }
    expectRefusal(cli(["sample", claims[0]]), /hidden size must be 1 to 4096, not 8192/);
    expectRefusal(cli(["sample", claims[2]]), /tensor rnn\.weight_ih_l0 is missing/);
  });

  test("a peephole file declared peephole:false is refused (its peephole tensors used to be ignored)", () => {
    const lie = edited(peephole, "no-peep.safetensors", (md) => { md.model = JSON.stringify({ ...JSON.parse(md.model), peephole: false }); });
    expectRefusal(cli(["sample", lie, "--length", "5"]), /no-peep\.safetensors: tensor rnn\.weight_c[ifo]_l0 does not belong to LSTM 1×16.*\(peephole weights in a model declared without peepholes\)/);
    const missing = edited(trained, "yes-peep.safetensors", (md) => { md.model = JSON.stringify({ ...JSON.parse(md.model), peephole: true }); });
    expectRefusal(cli(["sample", missing, "--length", "5"]), /yes-peep\.safetensors: tensor rnn\.weight_ci_l0 is missing/);
  });

  test("an extra tensor, a wrong shape or a non-F32 tensor is refused", () => {
    const extra = edited(trained, "extra.safetensors", (_, t) => [...t, { name: "something.else", shape: [2], data: new Float32Array(2) }]);
    expectRefusal(cli(["sample", extra]), /extra\.safetensors: tensor something\.else does not belong to/);
    const shape = edited(trained, "shape.safetensors", (_, t) => t.map((x) => x.name === "head.bias" ? { ...x, shape: [x.data.length, 1] } : x));
    expectRefusal(cli(["sample", shape]), /shape\.safetensors: tensor head\.bias has shape \[\d+,1\], the model needs \[\d+\]/);
  });

  test("a damaged step is refused on --resume (it ran, printed 'done: NaN steps' and wrote NaN weights)", () => {
    const before = readFileSync(trained);
    for (const [name, step, pattern] of [["step-str", "\"12x\"", /step must be an integer from 0/], ["step-big", "99999999", /step 99999999 does not match epoch 0 and window 3/], ["step-neg", "-4", /step must be an integer from 0/]] as const) {
      const bad = edited(trained, `${name}.safetensors`, (md) => { md.training = md.training.replace(/"step":\d+/, `"step":${step}`); });
      const copy = readFileSync(bad);
      expectRefusal(cli(["train", corpus, "--resume", bad, "--steps", "2"]), new RegExp(`${name}\\.safetensors: training state: ${pattern.source}`));
      assert.deepEqual(readFileSync(bad), copy, "the checkpoint is left as it was");
    }
    assert.deepEqual(readFileSync(trained), before);
  });

  test("fields of the wrong type give a message about the file, never an internal TypeError", () => {
    const cases: [string, (md: Record<string, string>) => void, RegExp][] = [
      ["opts-null", (md) => { md.training = JSON.stringify({ ...JSON.parse(md.training), options: null }); }, /training state: options is not an object/],
      ["corpus-num", (md) => { md.training = JSON.stringify({ ...JSON.parse(md.training), corpus: 7 }); }, /training state: corpus is not an object/],
      ["sha", (md) => { const t = JSON.parse(md.training); md.training = JSON.stringify({ ...t, corpus: { ...t.corpus, sha256: 64 } }); }, /corpus\.sha256 must be a string, not 64/],
      ["unk", (md) => { md.vocab = JSON.stringify({ ...JSON.parse(md.vocab), unk: "none" }); }, /<unk> index must be an integer/],
      ["unk-range", (md) => { md.vocab = JSON.stringify({ ...JSON.parse(md.vocab), unk: 999 }); }, /<unk> index 999 is out of range/],
      ["rng", (md) => { md.training = JSON.stringify({ ...JSON.parse(md.training), rng: [1, 2, "3", 4] }); }, /rng must be 4 unsigned 32-bit integers/],
      ["loss", (md) => { md.training = JSON.stringify({ ...JSON.parse(md.training), bestValLoss: "low" }); }, /bestValLoss must be a number/],
      ["model-arr", (md) => { md.model = "[1,2]"; }, /invalid model: the model description is not an object|cell must be/],
      ["hidden-str", (md) => { md.model = JSON.stringify({ ...JSON.parse(md.model), hidden: "16" }); }, /hidden size must be 1 to 4096, not "16"/],
      ["vocab-missing", (md) => { delete md.vocab; }, /metadata "vocab" is missing/],
      ["batch-huge", (md) => { const t = JSON.parse(md.training); md.training = JSON.stringify({ ...t, options: { ...t.options, batch: 1e9 } }); }, /batch must be an integer from 1 to 4096/],
    ];
    for (const [name, edit, pattern] of cases) {
      const bad = edited(trained, `${name}.safetensors`, edit);
      expectRefusal(cli(["sample", bad, "--length", "3"]), new RegExp(`${name}\\.safetensors: .*${pattern.source}`));
    }
  });
});

describe("non-finite results are errors, not output", () => {
  test("huge finite weights (±3e38): eval and sample exit 1 with one line (eval printed 'NaN nats/char' and exited 0)", () => {
    // ±3e38 (finite in float32) in a scattered pattern: sums of weights overflow to +Infinity and
    // −Infinity, whose sum is NaN (at ±1e30 these small models give huge but finite losses)
    const huge = edited(embedded, "huge.safetensors", (md, t) => {
      delete md.training;
      return t.filter((x) => !x.name.startsWith("optimizer.") && !x.name.startsWith("state.")).map((x) => ({ ...x, data: x.data.map((_, i) => ((i * 7919) % 13) % 2 ? 3e38 : -3e38) }));
    });
    assert.ok(decodeCheckpoint(readFileSync(huge)).params.every((v) => Math.abs(v) === Math.fround(3e38)), "the file itself is valid: every weight is finite");
    const e = cli(["eval", huge, corpus]);
    expectRefusal(e, /the model's weights overflow: its loss on the text is (NaN|Infinity) \(its largest weight is 3\.00e\+38\)/);
    assert.equal(e.stdout, "");
    expectRefusal(cli(["eval", huge, corpus, "--json"]), /the model's weights overflow/);
    expectRefusal(cli(["sample", huge, "--length", "20"]), /the model's weights overflow: the next character's score is (NaN|Infinity|-Infinity)/);
  });

  test("trained weights scaled by 1e30: eval refuses a loss of ~1e30 nats/char as an overflow", () => {
    const scaled = edited(trained, "scaled.safetensors", (md, t) => {
      delete md.training;
      return t.filter((x) => !x.name.startsWith("optimizer.") && !x.name.startsWith("state.")).map((x) => ({ ...x, data: x.data.map((v) => v * 1e30) }));
    });
    expectRefusal(cli(["eval", scaled, corpus]), /the model's weights overflow: its loss on the text is \d\.\d\de\+\d+ nats per character, beyond what float32 probabilities can express \(103\)/);
  });
});

describe("inputs that are not regular UTF-8 files", () => {
  const servers: { close(): void }[] = [];
  after(() => { for (const s of servers) s.close(); });

  test("UTF-16 LE and BE text (with a BOM) trains exactly as its UTF-8 version (it was refused as binary)", () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
    const be = Buffer.from(le);
    be.swap16();
    be[0] = 0xfe; be[1] = 0xff;
    const out = (n: string) => join(dir, `${n}.safetensors`);
    const runs = [["utf8", corpus], ["utf16le", file("le.txt", le)], ["utf16be", file("be.txt", be)]] as const;
    // the UTF-8 text's training length, once (a second write to the same --out is refused, docs/safety.md)
    const utf8TrainChars = jsonLines(cli(["train", corpus, ...SMALL, "--steps", "1", "--out", out("x"), "--json"]).stdout)[0].train_chars;
    for (const [name, path] of runs) {
      const r = cli(["train", path, ...SMALL, "--steps", "3", "--out", out(name), "--json"]);
      assert.equal(r.status, 0, `${name}: ${r.stderr}`);
      assert.equal(jsonLines(r.stdout)[0].train_chars, utf8TrainChars);
    }
    const models = runs.map(([name]) => decodeCheckpoint(readFileSync(out(name))));
    for (const m of models.slice(1)) {
      assert.deepEqual(m.vocab.chars, models[0].vocab.chars);
      assert.equal(m.training!.corpus.sha256, models[0].training!.corpus.sha256, "the same text, so the same hash (resume across encodings works)");
      assert.deepEqual(m.params, models[0].params);
    }
    const resumed = cli(["train", runs[1][1], "--resume", out("utf8"), "--steps", "1", "--out", out("resumed")]);
    assert.equal(resumed.status, 0, resumed.stderr);
  });

  test("UTF-32 is named; a NUL byte after the first MiB is found", () => {
    const u32 = Buffer.alloc(4 + 4 * 40);
    u32.set([0xff, 0xfe, 0, 0]);
    for (let i = 0; i < 40; i++) u32.writeUInt32LE(0x61 + (i % 5), 4 + 4 * i);
    expectRefusal(cli(["train", file("u32.txt", u32)]), /u32\.txt is UTF-32 text \(little-endian, by its byte-order mark\); convert it to UTF-8/);
    const late = Buffer.concat([Buffer.from(text.repeat(40)), Buffer.from([0]), Buffer.from("tail")]);
    assert.ok(late.length > 1.1 * 2 ** 20);
    expectRefusal(cli(["train", file("late-nul.txt", late), "--steps", "1"]), new RegExp(`late-nul\\.txt looks binary \\(it contains a NUL byte at byte ${(late.length - 5).toLocaleString("en")}\\)`));
    expectRefusal(cli(["eval", trained, file("late-nul2.txt", late)]), /late-nul2\.txt looks binary/);
  });

  test("FIFOs, sockets, devices, /proc files and folders are refused with what they are (never 'is empty', never a hang)", async () => {
    const fifo = join(dir, "pipe.txt");
    execFileSync("mkfifo", [fifo]);
    expectRefusal(cli(["train", fifo], {}, 15_000), /pipe\.txt is a named pipe \(FIFO\), not a text file/);
    expectRefusal(cli(["eval", trained, fifo], {}, 15_000), /pipe\.txt is a named pipe \(FIFO\)/);
    const sock = join(dir, "sock.txt");
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    servers.push(server);
    expectRefusal(cli(["train", sock]), /sock\.txt is a socket, not a text file/);
    expectRefusal(cli(["train", "/dev/zero"], {}, 15_000), /\/dev\/zero is a character device, not a text file/);
    expectRefusal(cli(["train", "/proc/self/status"]), /\/proc\/self\/status is a kernel pseudo-file \(under \/proc\)/);
    const folder = join(dir, "folder.txt");
    mkdirSync(folder);
    expectRefusal(cli(["train", folder]), /folder\.txt is a folder, not a text file/);
    expectRefusal(cli(["train", corpus, "/dev/null"]), /\/dev\/null is a character device/);
  });
});
