// The lock file under contention: processes that find the same stale lock at the same moment
// (several CLI runs started on one --out after a crash, or two windows resuming one run) must not
// both come away holding it, and a lock being written by a live process is never taken for stale.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { acquireLockFile, readLockFile, releaseLockFile } from "../../src/engine/files/fileLock";

const dir = process.env.RNN_LAB_LOCK_CONTENDER ? "" : mkdtempSync(join(tmpdir(), "rnnlab-lock-"));
if (dir) after(() => rmSync(dir, { recursive: true, force: true }));

/** A pid that is certainly not running: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((r) => child.on("exit", r));
  return child.pid!;
}

// Each contender is this file run again with RNN_LAB_LOCK_CONTENDER = the lock's path. Loaded, it
// says "ready"; the test, once all are ready, sends a start time a little ahead; each spins to it,
// tries once, prints "won" or "lost", and keeps running (holding what it won) until the test has
// heard from all of them and ends it, so no later contender finds a winner gone.
const contender = process.env.RNN_LAB_LOCK_CONTENDER;
if (contender) {
  process.stdout.write("ready\n");
  process.stdin.once("data", (d) => {
    const startAt = Number(String(d).trim());
    while (Date.now() < startAt) { /* spin to the common start */ }
    process.stdout.write(acquireLockFile(contender) === null ? "won\n" : "lost\n");
  });
}

async function race(path: string, processes: number): Promise<string[]> {
  const children = Array.from({ length: processes }, () => spawn(process.execPath, [__filename], { env: { ...process.env, RNN_LAB_LOCK_CONTENDER: path }, stdio: ["pipe", "pipe", "inherit"] }));
  const lines = children.map((child) => {
    const said: string[] = [];
    const waiters: (() => void)[] = [];
    let buffer = "";
    child.stdout!.on("data", (d) => {
      buffer += d;
      for (let i; (i = buffer.indexOf("\n")) >= 0; buffer = buffer.slice(i + 1)) said.push(buffer.slice(0, i));
      waiters.splice(0).forEach((w) => w());
    });
    return (n: number) => new Promise<string>((resolve, reject) => {
      const check = () => (said.length >= n ? resolve(said[n - 1]) : waiters.push(check));
      child.once("exit", () => reject(new Error(`a contender exited after saying ${said.join(",")}`)));
      check();
    });
  });
  try {
    await Promise.all(lines.map((line) => line(1)));
    const startAt = Date.now() + 50;
    for (const child of children) child.stdin!.write(`${startAt}\n`);
    return await Promise.all(lines.map((line) => line(2)));
  } finally {
    for (const child of children) child.kill();
  }
}

if (!contender) describe("lock file", () => {
  it("of N processes that find one stale lock at the same moment, exactly one takes it (12 rounds × 6 processes)", async () => {
    const dead = await deadPid();
    const rounds: number[] = [];
    for (let round = 0; round < 12; round++) {
      const path = join(dir, `race${round}.lock`);
      writeFileSync(path, JSON.stringify({ pid: dead, host: hostname(), since: "2026-01-01T00:00:00.000Z" }));
      const outputs = await race(path, 6);
      rounds.push(outputs.filter((o) => o === "won").length);
      assert.ok(outputs.every((o) => o === "won" || o === "lost"), outputs.join(","));
    }
    assert.deepEqual(rounds, rounds.map(() => 1), `winners per round: ${rounds.join(" ")}`);
  });

  it("a lock file just created and not yet written by a live process is not stale", () => {
    const path = join(dir, "empty.lock");
    writeFileSync(path, ""); // what another process's open(O_EXCL) leaves before its write
    const held = acquireLockFile(path);
    assert.notEqual(held, null, "an empty lock file is somebody's lock in the making, not ours to take");
    rmSync(path);
  });

  it("a stale lock is taken over, the owner is recorded, and releasing removes only our own", async () => {
    const path = join(dir, "stale.lock");
    writeFileSync(path, JSON.stringify({ pid: await deadPid(), host: hostname(), since: "x" }));
    assert.equal(acquireLockFile(path), null);
    assert.equal(readLockFile(path)?.pid, process.pid);
    releaseLockFile(path);
    assert.equal(readLockFile(path), null);
  });
});
