// rnn-lab train --task forecast, eval on a forecaster, forecast: as a user runs them (the built CLI in
// a fresh folder). Every bad input of issue 16's "Data" list ends in one line that names the row or
// column, exit status ≠ 0, and nothing written.

import assert from "node:assert/strict";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { cliPath, jsonLines, projectRoot, runCli, tempDir } from "../helpers";

const FAST = ["--steps", "30", "--hidden", "6", "--batch", "16"];

function table(rows: number, edit: (i: number, cells: string[]) => string[] = (_i, c) => c): string {
  const lines = ["day,y,x"];
  for (let i = 0; i < rows; i++) {
    const x = Math.cos(i / 5);
    const y = 20 + 4 * Math.sin((2 * Math.PI * i) / 7) + 2 * x + ((i * 7919) % 13) / 13;
    const d = new Date(Date.UTC(2021, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
    lines.push(edit(i, [d, y.toFixed(3), x.toFixed(3)]).join(","));
  }
  return lines.join("\n") + "\n";
}

/** A folder holding data.csv (and nothing else). */
function folderWith(text: string, name = "data.csv"): string {
  const dir = tempDir("rnnlab-forecast-");
  writeFileSync(join(dir, name), text);
  return dir;
}

const BASE = ["--task", "forecast", "--target", "y", "--inputs", "x", "--time-column", "day", "--lookback", "14", "--horizon", "3"];

describe("rnn-lab forecasting, as a user runs it", () => {
  test("train, then eval --json (the model and every baseline per step ahead), then forecast --csv and --json", () => {
    const dir = folderWith(table(300));
    const t = runCli(["train", "data.csv", ...BASE, ...FAST, "--out", "m.safetensors", "--loss", "gaussian"], { cwd: dir });
    assert.equal(t.status, 0, t.stderr);
    assert.match(t.stdout, /^m\.safetensors: trained in/);
    assert.match(t.stdout, /seasonal_naive/);
    assert.match(t.stderr, /300 rows: training 1–210, validation 211–255, test 256–300; season (7|14|21|28); calendar features: year, week/);
    const e = runCli(["eval", "m.safetensors", "data.csv", "--json"], { cwd: dir });
    assert.equal(e.status, 0, e.stderr);
    const r = JSON.parse(e.stdout) as { task: string; horizon: number; origins: number[]; ar: { order: number; coefficients: number[] }[]; models: Record<string, { per_step: { mae: number; coverage: number | null }[][] }> };
    assert.equal(r.task, "forecast");
    assert.deepEqual(Object.keys(r.models), ["model", "naive", "seasonal_naive", "mean", "ar", "tdnn"]);
    for (const m of Object.values(r.models)) assert.equal(m.per_step[0].length, 3);
    assert.ok(r.models.model.per_step[0].every((s) => s.coverage !== null && s.coverage >= 0 && s.coverage <= 1), "a Gaussian model has coverage");
    assert.ok(r.models.naive.per_step[0].every((s) => s.coverage === null));
    assert.equal(r.ar[0].coefficients.length, r.ar[0].order + 1);
    assert.ok(r.origins.every((o) => o >= 255 && o <= 297));
    const csv = runCli(["forecast", "m.safetensors", "data.csv", "--csv"], { cwd: dir });
    assert.equal(csv.status, 0, csv.stderr);
    const rows = csv.stdout.trim().split("\n");
    assert.deepEqual(rows[0], "day,y,y_lower,y_upper");
    assert.deepEqual(rows.slice(1).map((l) => l.split(",")[0]), ["2021-10-28", "2021-10-29", "2021-10-30"], "the three days after the last row (2021-10-27)");
    for (const l of rows.slice(1)) { const [, m, lo, hi] = l.split(",").map(Number); assert.ok(lo < m && m < hi); }
    const js = jsonLines(runCli(["forecast", "m.safetensors", "data.csv", "--json", "--horizon", "2"], { cwd: dir }).stdout)[0] as { steps: unknown[]; interval_level: number };
    assert.equal(js.steps.length, 2);
    assert.equal(js.interval_level, 0.9);
    const long = runCli(["forecast", "m.safetensors", "data.csv", "--horizon", "4"], { cwd: dir });
    assert.equal(long.status, 1);
    assert.match(long.stderr, /^rnn-lab: error: this model forecasts 3 steps at once \(direct\); ask for at most 3/);
  });

  test("--quantiles: the pinball head's outer levels bound the intervals; their coverage is the share of actual values inside them", () => {
    const dir = folderWith(table(300));
    const t = runCli(["train", "data.csv", ...BASE, ...FAST, "--out", "q.safetensors", "--quantiles", "0.1,0.5,0.9"], { cwd: dir });
    assert.equal(t.status, 0, t.stderr);
    assert.match(t.stdout, /model .* % \(80 % nominal\)/);
    const r = JSON.parse(runCli(["eval", "q.safetensors", "data.csv", "--json"], { cwd: dir }).stdout) as {
      interval_level: number; origins: number[]; models: Record<string, { overall: { coverage: number | null }[]; forecasts: { lower: number[][][]; upper: number[][][] } }>;
    };
    assert.equal(r.interval_level, 0.8);
    // the actual values from the table itself (its rows are already in time order)
    const y = table(300).trim().split("\n").slice(1).map((l) => Number(l.split(",")[1]));
    const { lower, upper } = r.models.model.forecasts;
    let inside = 0, n = 0;
    r.origins.forEach((o, i) => { for (let h = 0; h < 3; h++) { n++; if (y[o + h] >= lower[i][h][0] && y[o + h] <= upper[i][h][0]) inside++; } });
    assert.ok(Math.abs(r.models.model.overall[0].coverage! - inside / n) < 1e-12, `${r.models.model.overall[0].coverage} vs ${inside / n}`);
    const csv = runCli(["forecast", "q.safetensors", "data.csv", "--csv"], { cwd: dir }).stdout.trim().split("\n");
    assert.equal(csv[0], "day,y,y_lower,y_upper");
    for (const [flags, why] of [[["--quantiles", "0.5,0.3"], /ascend/], [["--quantiles", "0.2,1.2"], /above 0 and below 1/], [["--loss", "mse", "--quantiles", "0.5"], /needs the quantile loss/], [["--quantiles", "a"], /--quantiles needs numbers/]] as const) {
      const bad = runCli(["train", "data.csv", ...BASE, ...FAST, "--out", "bad.safetensors", ...flags], { cwd: dir });
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, why);
      assert.ok(!existsSync(join(dir, "bad.safetensors")));
    }
  });

  test("recursive forecasts run past the horizon it was trained for; a character model is not a forecaster", () => {
    const dir = folderWith(table(200));
    assert.equal(runCli(["train", "data.csv", ...BASE, ...FAST, "--strategy", "recursive", "--out", "r.safetensors"], { cwd: dir }).status, 0);
    const f = runCli(["forecast", "r.safetensors", "data.csv", "--horizon", "10", "--csv"], { cwd: dir });
    assert.equal(f.status, 0, f.stderr);
    assert.equal(f.stdout.trim().split("\n").length, 11);
    const closed = JSON.parse(runCli(["eval", "r.safetensors", "data.csv", "--json"], { cwd: dir }).stdout) as { closed_loop: boolean; models: { model: { overall: { mae: number }[] } } };
    const open = JSON.parse(runCli(["eval", "r.safetensors", "data.csv", "--json", "--open-loop"], { cwd: dir }).stdout) as typeof closed;
    assert.deepEqual([closed.closed_loop, open.closed_loop], [true, false]);
    assert.notEqual(open.models.model.overall[0].mae, closed.models.model.overall[0].mae);
    writeFileSync(join(dir, "text.txt"), "hello world, hello forecasting. ".repeat(40));
    assert.equal(runCli(["train", "text.txt", "--steps", "2", "--hidden", "4", "--seq", "8", "--batch", "2", "--out", "c.safetensors", "--threads", "1"], { cwd: dir }).status, 0);
    const wrong = runCli(["forecast", "c.safetensors", "data.csv"], { cwd: dir });
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /^rnn-lab: error: c\.safetensors: a character language model, not a forecaster; train one with rnn-lab train DATA\.csv --task forecast\n$/);
  });

  test("the bundled examples train on a fresh install (any folder, the example's path)", () => {
    for (const [file, args] of [
      ["daily-load.csv", ["--target", "load", "--inputs", "temperature", "--time-column", "date", "--lookback", "28", "--horizon", "7"]],
      ["mackey-glass.csv", ["--target", "x", "--time-column", "t", "--lookback", "32", "--horizon", "10"]],
    ] as const) {
      const dir = tempDir();
      const r = runCli(["train", join(projectRoot, "media", "examples", file), "--task", "forecast", ...args, "--steps", "20", "--hidden", "8"], { cwd: dir });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(readdirSync(dir), [file.replace(/\.csv$/, ".forecast.safetensors")]);
    }
  });
});

describe("a stopped forecaster resumes", () => {
  test("SIGTERM writes a valid checkpoint (exit 143); --resume trains on from its weights and step count; another window is refused", async () => {
    const dir = folderWith(table(300));
    const child = spawn(process.execPath, [cliPath, "train", "data.csv", ...BASE, "--hidden", "6", "--batch", "16", "--steps", "30000", "--json", "--out", "m.safetensors"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    // stop once it has reported a validation: it is in the loop
    await new Promise<void>((resolve) => child.stdout.on("data", (d: Buffer) => { out += d; if (out.includes('"type":"progress"')) resolve(); }));
    child.kill("SIGTERM");
    assert.equal(await exited, 143);
    const done = jsonLines(out).find((l) => l.type === "done") as { steps: number; stopped: string };
    assert.equal(done.stopped, "SIGTERM");
    assert.ok(done.steps > 0 && done.steps < 30000, `stopped at step ${done.steps}`);
    assert.equal(runCli(["eval", "m.safetensors", "data.csv", "--json"], { cwd: dir }).status, 0, "the checkpoint it wrote is a forecaster");
    const resumed = jsonLines(runCli(["train", "data.csv", ...BASE, "--hidden", "6", "--batch", "16", "--steps", "20", "--json", "--resume", "m.safetensors", "--out", "r.safetensors"], { cwd: dir }).stdout);
    const progress = resumed.filter((l) => l.type === "progress") as { step: number; steps: number }[];
    assert.equal(progress[0].steps, done.steps + 20, "it counts on from the stopped run's steps");
    assert.ok(progress[0].step > done.steps);
    assert.equal((resumed.find((l) => l.type === "done") as { steps: number }).steps, done.steps + 20);
    const other = runCli(["train", "data.csv", ...BASE, "--lookback", "7", "--hidden", "6", "--steps", "5", "--resume", "m.safetensors", "--out", "x.safetensors"], { cwd: dir });
    assert.equal(other.status, 1);
    assert.match(other.stderr, /--resume m\.safetensors: it was trained with another lookback/);
    assert.ok(!existsSync(join(dir, "x.safetensors")));
  });
});

describe("one writer per --out", () => {
  test("a second forecaster on an --out another live process is writing is refused at once, naming it; nothing is written", () => {
    const dir = folderWith(table(120));
    // a live process that is not this one holds the output's lock (what a first run leaves while it trains)
    const holder = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    try {
      writeFileSync(join(dir, ".m.safetensors.lock"), JSON.stringify({ pid: holder.pid, host: hostname(), since: "2026-12-02T00:00:00.000Z" }));
      const r = runCli(["train", "data.csv", ...BASE, ...FAST, "--out", "m.safetensors"], { cwd: dir });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr.trim(), new RegExp(`^rnn-lab: error: m\\.safetensors is being written by another process \\(pid ${holder.pid} on `));
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.equal(existsSync(join(dir, "m.safetensors")), false, "no checkpoint written");
    } finally {
      holder.kill();
    }
  });
});

describe("bad input: one line naming the row or column, nothing written", () => {
  const cases: [string, string, string[], RegExp][] = [
    ["a missing cell without --fill", table(120, (i, c) => (i === 40 ? [c[0], "", c[2]] : c)), [], /^data\.csv:42: column "y" is empty; fill gaps with --fill previous or --fill linear, or fix the file$/],
    ["a cell that is not a number", table(120, (i, c) => (i === 10 ? [c[0], c[1], "warm"] : c)), [], /^data\.csv:12: column "x" holds "warm", not a number$/],
    ["a time that does not parse", table(120, (i, c) => (i === 7 ? ["2021-13-45x", c[1], c[2]] : c)), [], /^data\.csv:9: the time column "day" holds "2021-13-45x", not an ISO 8601 date/],
    ["two rows at one time", table(120, (i, c) => (i === 8 ? ["2021-01-08", c[1], c[2]] : c)), [], /^data\.csv:10: the same time as line 9 \(2021-01-08\); one row per time step$/],
    ["a target column that is not there", table(120), ["--target", "z"], /^data\.csv:1: no column "z" \(target\); the columns are "day", "y", "x"$/],
    ["an input column that is not there", table(120), ["--inputs", "w"], /^data\.csv:1: no column "w" \(input\)/],
    ["a time column that is not there", table(120), ["--time-column", "when"], /^data\.csv:1: no column "when" \(time\)/],
    ["the target also an input", table(120), ["--inputs", "y"], /^data\.csv: the column "y" is given twice/],
    ["a ragged row", table(120, (i, c) => (i === 5 ? [...c, "9"] : c)), [], /^data\.csv:7: not a CSV table/],
    ["a header and no rows", "day,y,x\n", [], /^data\.csv: needs a header row and at least one row of values$/],
    ["too few rows for the window", table(20), [], /^the training span has 14 rows: too few for --lookback 14 and --horizon 3 \(it needs at least 17\)/],
    ["a test span shorter than the horizon", table(120), ["--test-frac", "0.01"], /^the test span has 1 rows, fewer than --horizon 3/],
    ["--test-frac and --test-from together", table(120), ["--test-from", "2030-01-01", "--test-frac", "0"], /^give --test-frac or --test-from, not both$/],
    ["--test-from past the end", table(120), ["--test-from", "2030-01-01"], /^--test-from 2030-01-01 is after the table's last time/],
    ["--val-frac out of range", table(120), ["--val-frac", "1.5"], /^--val-frac must be from 0 to below 1, not 1\.5$/],
    ["an unknown --fill", table(120), ["--fill", "mean"], /^--fill must be one of previous, linear, not "mean"$/],
    ["an unknown --loss", table(120), ["--loss", "huber"], /^--loss must be one of mse, mae, gaussian, quantile, not "huber"$/],
    ["no --target", table(120), ["--target", ""], /^--task forecast needs --target COL/],
    ["a lookback of 0", table(120), ["--lookback", "0"], /^--lookback must be a whole number ≥ 1, not 0$/],
  ];
  for (const [what, text, extra, message] of cases) {
    test(what, () => {
      const dir = folderWith(text);
      // later flags replace earlier ones (parseArgs keeps the last)
      const r = runCli(["train", "data.csv", ...BASE, ...extra, ...FAST], { cwd: dir });
      assert.notEqual(r.status, 0);
      const lines = r.stderr.trim().split("\n");
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0].replace(/^rnn-lab: error: /, ""), message);
      assert.deepEqual(readdirSync(dir), ["data.csv"], "nothing written");
    });
  }

  test("--test-from without a time column", () => {
    const dir = folderWith(table(120));
    const r = runCli(["train", "data.csv", "--task", "forecast", "--target", "y", "--lookback", "14", "--horizon", "3", "--test-from", "2021-03-01", ...FAST], { cwd: dir });
    assert.equal(r.status, 1);
    assert.equal(r.stderr, "rnn-lab: error: --test-from needs --time-column (the time the test span starts at)\n");
    assert.deepEqual(readdirSync(dir), ["data.csv"]);
  });

  test("--fill previous and --fill linear fill the gap and say how many cells", () => {
    const dir = folderWith(table(200, (i, c) => (i === 40 || i === 41 ? [c[0], "NA", c[2]] : c)));
    for (const fill of ["previous", "linear"]) {
      const r = runCli(["train", "data.csv", ...BASE, ...FAST, "--fill", fill, "--out", `${fill}.safetensors`], { cwd: dir });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`filled 2 missing cells with --fill ${fill} \\(y 2\\)`));
      assert.ok(existsSync(join(dir, `${fill}.safetensors`)));
    }
  });

  test("rows out of time order are sorted and said so; an existing --out is not replaced without --force", () => {
    const lines = table(150).trim().split("\n");
    const dir = folderWith([lines[0], ...lines.slice(1).reverse()].join("\n") + "\n");
    writeFileSync(join(dir, "m.safetensors"), "mine");
    const refused = runCli(["train", "data.csv", ...BASE, ...FAST, "--out", "m.safetensors"], { cwd: dir });
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /^rnn-lab: error: m\.safetensors already exists .*--force to replace it\n$/);
    const r = runCli(["train", "data.csv", ...BASE, ...FAST, "--out", "m.safetensors", "--force"], { cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /the rows were not in time order; sorted by day/);
  });
});
