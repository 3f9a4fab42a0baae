// rnn-lab train --task classify|tag|segment, eval and predict on their checkpoints, as a user runs
// them (the built CLI in a fresh folder), and every bad input of issue 15's "Data" list: one line
// naming the file and line, exit status 1, nothing written.

import assert from "node:assert/strict";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { jsonLines, runCli, tempDir } from "../helpers";

const FAST = ["--hidden", "8", "--embed", "4", "--batch", "4", "--threads", "1", "--seed", "3"];

function folderWith(files: Record<string, string>): string {
  const dir = tempDir("rnnlab-texttask-");
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

// questions start with a wh-word; the RFC 4180 corner cases (a quoted comma, a doubled quote, a newline in a field) are in the data
function moodCsv(n: number): string {
  const rows = ["text,label"];
  const q = ["what is it", "why so", "how now", "who comes here", "where is he"], s = ["it is so", "he comes", "the king is here", "I know it", "so be it"];
  for (let i = 0; i < n; i++) rows.push(i % 2 ? `${q[i % 5]} ${i},question` : `"${s[i % 5]}, ""said"" he\nagain ${i}",statement`);
  return rows.join("\n") + "\n";
}

function vowelJsonl(n: number): string {
  const words = ["banana", "kiwi", "apple", "strawberry", "plum", "orange"];
  return Array.from({ length: n }, (_, i) => {
    const text = `${words[i % 6]} ${words[(i * 7) % 6]}`;
    return JSON.stringify({ text, tags: Array.from(text, (c) => (c === " " ? "space" : "aeiou".includes(c) ? "vowel" : "consonant")) });
  }).join("\n") + "\n";
}

const SPACED = ["今天 是 个 好 日子", "我们 去 公园 玩", "今天 我们 去 公园", "好 日子", "我们 是 好 朋友"];

describe("rnn-lab classify / tag / segment, as a user runs them", () => {
  test("classify: train --json (progress and eval lines carry val_accuracy and val_f1), eval --json, predict --text and FILE", () => {
    const dir = folderWith({ "mood.csv": moodCsv(60), "new.txt": "what now\nhe comes\n" });
    const t = runCli(["train", "mood.csv", "--task", "classify", ...FAST, "--epochs", "3", "--val-frac", "0.2", "--class-weights", "balanced", "--out", "m.safetensors", "--json"], { cwd: dir });
    assert.equal(t.status, 0, t.stderr);
    const lines = jsonLines(t.stdout);
    const start = lines.find((l) => l.type === "start")!;
    assert.deepEqual(start.counts, { question: 24, statement: 24 }, "stratified: 20 % of each class held out");
    assert.equal(start.val_records, 12);
    const evals = lines.filter((l) => l.type === "eval");
    assert.ok(evals.length >= 3 && evals.every((e) => typeof e.val_accuracy === "number" && typeof e.val_f1 === "number" && typeof e.val_loss === "number"));
    assert.ok(lines.some((l) => l.type === "progress" && "val_f1" in l && "val_accuracy" in l));
    const best = Math.max(...evals.map((e) => e.val_f1 as number));
    assert.equal(lines.find((l) => l.type === "summary")!.best_val_f1, best, "the checkpoint is the best validation F1");

    const e = runCli(["eval", "m.safetensors", "mood.csv", "--json"], { cwd: dir });
    assert.equal(e.status, 0, e.stderr);
    const r = JSON.parse(e.stdout);
    assert.equal(r.task, "classify");
    assert.deepEqual(r.labels, ["question", "statement"]);
    assert.equal(r.records, 60);
    assert.deepEqual(r.per_class.map((c: { support: number }) => c.support), [30, 30]);
    assert.equal(r.confusion.flat().reduce((a: number, b: number) => a + b, 0), 60);
    const right = r.predictions.filter((p: { truth: string; predicted: string }) => p.truth === p.predicted).length;
    assert.equal(r.accuracy, right / 60, "accuracy is the share of the listed predictions that are right");
    assert.equal(r.confusion[0][0] + r.confusion[1][1], right);
    for (const k of ["loss", "macro_f1"]) assert.equal(typeof r[k], "number");
    assert.match(runCli(["eval", "m.safetensors", "mood.csv"], { cwd: dir }).stdout, /accuracy .* macro F1[\s\S]*confusion \(rows: true label/);
    // a test file of one class is fine to evaluate on (not to train on); a label the model does not know is refused at its line
    writeFileSync(join(dir, "questions.csv"), "text,label\nwhat now,question\nwhy so,question\n");
    const one = JSON.parse(runCli(["eval", "m.safetensors", "questions.csv", "--json"], { cwd: dir }).stdout);
    assert.deepEqual(one.per_class.map((c: { support: number }) => c.support), [2, 0]);
    writeFileSync(join(dir, "other.csv"), "text,label\nwhat now,question\nhm,unsure\n");
    const bad = runCli(["eval", "m.safetensors", "other.csv"], { cwd: dir });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^rnn-lab: error: other\.csv:3: the class "unsure" is not one of the model's 2 \(question, statement\)\n$/);

    const p = JSON.parse(runCli(["predict", "m.safetensors", "--text", "why is it", "--json"], { cwd: dir }).stdout);
    assert.ok(["question", "statement"].includes(p.label));
    assert.ok(Math.abs(p.probabilities.question + p.probabilities.statement - 1) < 1e-9);
    assert.equal(p.confidence, p.probabilities[p.label]);
    const f = jsonLines(runCli(["predict", "m.safetensors", "new.txt", "--json"], { cwd: dir }).stdout);
    assert.deepEqual(f.map((x) => x.line), [1, 2]);
  });

  test("tag (jsonl) and CoNLL: per-character accuracy and spans; predict gives a tag per character", () => {
    const text = vowelJsonl(40);
    const conll = text.trim().split("\n").map((l) => { const o = JSON.parse(l); return Array.from(o.text as string, (c, i) => `${c}\t${o.tags[i]}`).join("\n"); }).join("\n\n") + "\n";
    const dir = folderWith({ "v.jsonl": text, "v.conll": conll });
    for (const file of ["v.jsonl", "v.conll"]) {
      const t = runCli(["train", file, "--task", "tag", ...FAST, "--epochs", "2", "--out", `${file}.safetensors`], { cwd: dir });
      assert.equal(t.status, 0, t.stderr);
    }
    const a = JSON.parse(runCli(["eval", "v.jsonl.safetensors", "v.conll", "--json"], { cwd: dir }).stdout);
    assert.equal(a.task, "tag");
    assert.equal(a.unit, "chunks");
    assert.equal(a.records, 40);
    assert.equal(a.characters, text.trim().split("\n").reduce((n, l) => n + Array.from(JSON.parse(l).text as string).length, 0));
    for (const k of ["loss", "accuracy", "precision", "recall", "f1"]) assert.equal(typeof a[k], "number", k);
    const p = JSON.parse(runCli(["predict", "v.conll.safetensors", "--text", "kiwi pie", "--json"], { cwd: dir }).stdout);
    assert.equal(p.tags.length, 8);
    assert.ok(p.tags.every((x: string) => ["consonant", "space", "vowel"].includes(x)));
  });

  test("segment: words back from B/M/E/S, word-level scores, predict prints the text with spaces; --max-length cuts are reported", () => {
    const lines = Array.from({ length: 30 }, (_, i) => SPACED[i % 5]);
    const dir = folderWith({ "zh.txt": lines.join("\n") + "\n", "zh.val.txt": SPACED.join("\n") + "\n" });
    const t = runCli(["train", "zh.txt", "--task", "segment", "--val", "zh.val.txt", ...FAST, "--epochs", "2", "--max-length", "6", "--out", "s.safetensors"], { cwd: dir });
    assert.equal(t.status, 0, t.stderr);
    assert.match(t.stderr, /note: 1[48] records longer than --max-length 6 were cut to it \(1[24] training, [24] validation\)/);
    const e = JSON.parse(runCli(["eval", "s.safetensors", "zh.val.txt", "--json"], { cwd: dir }).stdout);
    assert.equal(e.task, "segment");
    assert.equal(e.unit, "words");
    assert.equal(e.true_spans, SPACED.join(" ").split(" ").length, "the true words are the spaced words");
    const p = JSON.parse(runCli(["predict", "s.safetensors", "--text", "今天 是 好日子", "--json"], { cwd: dir }).stdout);
    assert.equal(p.words.join(""), "今天是好日子", "spaces in the input are dropped; the words cover the text");
    assert.equal(p.segmented, p.words.join(" "));
    assert.ok(!/^[ME]|B$|M$/.test(p.tags.join("")), `an impossible B/M/E/S sequence: ${p.tags.join("")}`);
    // a bidirectional BiLSTM-CRF: the CRF's transitions are trained with the network and kept in the checkpoint
    const c = runCli(["train", "zh.txt", "--task", "segment", "--val", "zh.val.txt", ...FAST, "--epochs", "2", "--bidirectional", "--crf", "--out", "crf.safetensors", "--json"], { cwd: dir });
    assert.equal(c.status, 0, c.stderr);
    assert.deepEqual((jsonLines(c.stdout).find((l) => l.type === "start")!.model as { crf: boolean; bidirectional: boolean }), { ...(jsonLines(c.stdout).find((l) => l.type === "start")!.model as object), crf: true, bidirectional: true });
    const ce = JSON.parse(runCli(["eval", "crf.safetensors", "zh.val.txt", "--json"], { cwd: dir }).stdout);
    assert.equal(ce.unit, "words");
    assert.ok(ce.loss > 0 && Number.isFinite(ce.loss));
    const cp = JSON.parse(runCli(["predict", "crf.safetensors", "--text", "我们去公园玩", "--json"], { cwd: dir }).stdout);
    assert.equal(cp.words.join(""), "我们去公园玩");
    assert.ok(!/^[ME]|B$|M$|[BM][BS]|[ES][ME]/.test(cp.tags.join("")), `an impossible B/M/E/S sequence: ${cp.tags.join("")}`);
  });

  test("bidirectional with mean and max pooling: train, eval and predict; options refused with the reason", () => {
    const dir = folderWith({ "mood.csv": moodCsv(40) });
    for (const pool of ["mean", "max"]) {
      const t = runCli(["train", "mood.csv", "--task", "classify", ...FAST, "--epochs", "1", "--bidirectional", "--pool", pool, "--cell", "gru", "--out", `${pool}.safetensors`], { cwd: dir });
      assert.equal(t.status, 0, t.stderr);
      assert.match(t.stderr, /training classify GRU 1×8, bidirectional, embedding 4, vocabulary \d+; 834 parameters/);
      const e = JSON.parse(runCli(["eval", `${pool}.safetensors`, "mood.csv", "--json"], { cwd: dir }).stdout);
      assert.equal(e.records, 40);
    }
    for (const [args, why] of [
      [["--val-frac", "0.1", "--val", "mood.csv"], /give --val FILE or --val-frac F, not both/],
      [["--crf"], /--crf is for --task tag or segment/],
      [["--bidirectional", "--cell", "mingru"], /cannot be bidirectional/],
    ] as const) {
      const r = runCli(["train", "mood.csv", "--task", "classify", ...FAST, ...args, "--out", "no.safetensors"], { cwd: dir });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, why);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
    assert.ok(!readdirSync(dir).includes("no.safetensors"));
  });

  test("--resume continues a run exactly: 2 epochs at once = 1 epoch, then 1 more resumed (the same last training loss, bit for bit)", () => {
    const dir = folderWith({ "v.jsonl": vowelJsonl(40) });
    const args = ["train", "v.jsonl", "--task", "tag", ...FAST, "--bidirectional", "--crf", "--json"];
    const whole = jsonLines(runCli([...args, "--epochs", "2", "--out", "whole.safetensors"], { cwd: dir }).stdout).find((l) => l.type === "summary")!;
    const first = runCli([...args, "--epochs", "1", "--out", "part.safetensors"], { cwd: dir });
    assert.equal(first.status, 0, first.stderr);
    const refused = runCli(["train", "v.jsonl", "--task", "tag", "--resume", "part.safetensors", "--hidden", "9"], { cwd: dir });
    assert.match(refused.stderr, /--hidden cannot change when resuming/);
    const rest = runCli(["train", "v.jsonl", "--task", "tag", "--threads", "1", "--resume", "part.safetensors", "--epochs", "1", "--json"], { cwd: dir });
    assert.equal(rest.status, 0, rest.stderr);
    const end = jsonLines(rest.stdout).find((l) => l.type === "summary")!;
    assert.equal(end.step, whole.step);
    assert.equal(end.loss, whole.loss);
    // --out is the last state (resumed from), --best the best validation model: the two runs' best models evaluate the same, bit for bit
    assert.ok(readdirSync(dir).includes("whole.best.safetensors") && readdirSync(dir).includes("part.best.safetensors"));
    const evalOf = (ckpt: string) => { const e = runCli(["eval", ckpt, "v.jsonl", "--json"], { cwd: dir }); assert.equal(e.status, 0, e.stderr); return JSON.parse(e.stdout); };
    assert.deepEqual(evalOf("part.best.safetensors"), evalOf("whole.best.safetensors"));
    assert.deepEqual(evalOf("part.safetensors"), evalOf("whole.safetensors"));
    const again = runCli(["train", "v.jsonl", "--task", "tag", "--resume", "part.safetensors", "--best", "part.safetensors"], { cwd: dir });
    assert.equal(again.status, 2);
    assert.match(again.stderr, /--best must differ from --out/);
    writeFileSync(join(dir, "w.jsonl"), vowelJsonl(41));
    const other = runCli(["train", "w.jsonl", "--task", "tag", "--resume", "part.safetensors", "--out", "x.safetensors"], { cwd: dir });
    assert.equal(other.status, 1);
    assert.match(other.stderr, /the data differs from the run's \(v\.jsonl\); resuming needs the same files/);
  });

  describe("bad input: one line naming the file and line, nothing written", () => {
    const cases: [string, string, string[], RegExp][] = [
      ["a missing column", "data.csv", ["--task", "classify", "--label-column", "sentiment"], /^rnn-lab: error: data\.csv:1: no column "sentiment"; the columns are "text", "label"/],
      ["an empty text", "data.csv", ["--task", "classify"], /^rnn-lab: error: data\.csv:4: the text is empty\n$/],
      ["a label column with one class", "one.csv", ["--task", "classify"], /^rnn-lab: error: one\.csv: every record has the label "yes"; a classifier needs at least two classes\n$/],
      ["more classes than the cap", "many.csv", ["--task", "classify", "--max-classes", "2"], /^rnn-lab: error: many\.csv: 3 different labels, more than the 2 a classifier takes here; is "label" the label column\?\n$/],
      ["tags whose length differs from the text's code points", "bad.jsonl", ["--task", "tag"], /^rnn-lab: error: bad\.jsonl:2: 2 tags for 3 characters/],
      ["a CoNLL line with one column", "bad.conll", ["--task", "tag"], /^rnn-lab: error: bad\.conll:3: one column; a CoNLL line is the character, a tab, and its tag\n$/],
      ["a segment line of only spaces", "bad.txt", ["--task", "segment"], /^rnn-lab: error: bad\.txt:2: only spaces/],
      ["a format it cannot tell", "data.txt", ["--task", "classify"], /^rnn-lab: error: data\.txt: cannot tell its format from the name; classification reads \.csv, \.tsv or \.jsonl/],
    ];
    const files: Record<string, string> = {
      "data.csv": "text,label\nhello,a\nbye,b\n\"  \",a\n",
      "one.csv": "text,label\nhello,yes\nbye,yes\n",
      "many.csv": "text,label\nhello,a\nbye,b\nso,c\n",
      "bad.jsonl": `${JSON.stringify({ text: "ab", tags: ["x", "y"] })}\n${JSON.stringify({ text: "abc", tags: ["x", "y"] })}\n`,
      "bad.conll": "a\tB-X\nb\tI-X\nc\n",
      "bad.txt": "今天 是\n   \n",
      "data.txt": "hello\n",
    };
    for (const [what, file, args, message] of cases) {
      test(what, () => {
        const dir = folderWith(files);
        const before = readdirSync(dir).sort();
        const r = runCli(["train", file, ...args, ...FAST, "--out", "out.safetensors"], { cwd: dir });
        assert.equal(r.status, 1, r.stderr);
        assert.match(r.stderr, message);
        assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
        assert.deepEqual(readdirSync(dir).sort(), before, "nothing written");
      });
    }
  });
});
