// Shared by the unit tests: where things are, comparing arrays with tolerances, running the CLI.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Tests run from out/test/ (bundled); the project root is two folders up. */
export const projectRoot = join(__dirname, "..", "..");
export const cliPath = join(projectRoot, "dist", "cli.js");
export const bundledCorpus = join(projectRoot, "media", "corpus", "tinyshakespeare.txt");

export function tempDir(prefix = "rnnlab-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface Tolerance { atol: number; rtol: number }

/** Every |a − e| ≤ atol + rtol·|e|; the message names the worst element. Returns the worst |a − e|. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance, what: string): number {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length}, expected ${expected.length}`);
  let worst = 0, worstAt = -1, worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= tol.atol + tol.rtol * Math.abs(expected[i]))) {
      const excess = Number.isNaN(d) ? Infinity : d - (tol.atol + tol.rtol * Math.abs(expected[i]));
      if (excess > worstExcess || worstAt < 0) { worstAt = i; worstExcess = excess; }
    }
    if (d > worst || Number.isNaN(d)) worst = d;
  }
  assert.ok(worstAt < 0, `${what}: element ${worstAt} is ${actual[worstAt]}, expected ${expected[worstAt]} (atol ${tol.atol}, rtol ${tol.rtol})`);
  return worst;
}

/** An exported project's script trained 6 steps by `torchrun --nproc_per_node 2` (Gloo, one thread each) in
 * `project`. A run still going after 5 minutes is stopped (SIGTERM: torchrun's agent stops its workers) and
 * fails saying so, instead of holding the whole suite (torch 1.13's Gloo teardown could deadlock, see
 * training_loop.py's end_processes). --redirects 2 --tee 2: Debian 12's torchrun (torch 1.13 on Python
 * 3.11) fails on its default --redirects 0, because iterating an IntFlag no longer yields the zero member. */
export function torchrunTwoProcesses(project: string, script: string, port: number, out: string): string {
  const r = spawnSync("torchrun", ["--nproc_per_node", "2", "--master_port", String(port), "--redirects", "2", "--tee", "2", script, "--steps", "6", "--print-every", "3", "--out", out],
    { cwd: project, encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: "1" }, timeout: 300_000, killSignal: "SIGTERM" });
  assert.ok(r.error === undefined, `torchrun ${script} had not ended after 5 minutes (${r.error?.message}); its output: ${r.stdout}${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

export interface CliResult { status: number; stdout: string; stderr: string }

/** Runs in a fresh temporary folder unless told otherwise, so default output paths never land in the project. */
export function runCli(args: string[], options: { cwd?: string; input?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [cliPath, ...args], { cwd: options.cwd ?? tempDir("rnnlab-cli-"), input: options.input, encoding: "utf8", env: { ...process.env, RNN_LAB_DEBUG: "" } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
}
