// Inside a real VS Code extension host: activation, commands, a training run that leaves a
// checkpoint and shows in the explorer, hovers, surprisal decorations, the file-loss lens, the
// queue, resuming an interrupted run, and bad input (binary file, damaged or newer checkpoints).

import assert from "node:assert/strict";
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, hostname } from "node:os";
import { join } from "node:path";
import * as vscode from "vscode";
import type { RnnLabApi } from "../../../src/extension/extension";
import type { ExplorerNode } from "../../../src/extension/modelExplorer";
import { readRunManifest, updateRunManifest } from "../../../src/engine/runStore";

const EXTENSION_ID = "rnn-lab.rnn-lab";
let api: RnnLabApi;
const ws = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
const corpus = () => vscode.Uri.file(join(ws(), "corpus.txt"));

interface Run { threads?: number; kernels?: string; run: { modelDir: string; runDir: string }; finishedEvent: Promise<{ type: string; checkpoint?: string; step?: number; message?: string; stopped?: boolean }> }

interface Stall { worstStall: number; worstBusy: number; waitInWorst: number }

/** The host thread's time on a CPU and waiting for one (ns), from Linux's schedstat. */
function hostSchedstat(): [number, number] {
  const [run, wait] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, "utf8").split(" ").map(Number);
  return [run, wait];
}

/**
 * The longest gap between 10 ms timer callbacks on the host's thread while `during` runs
 * (worstStall), and how much of each gap the thread spent running (worstBusy: work on the event
 * loop, ours or another extension's) or waiting for a CPU (the machine being busy).
 */
async function worstTimerGap<T>(during: () => Promise<T>): Promise<{ value: T } & Stall> {
  let worstStall = 0, worstBusy = 0, waitInWorst = 0, last = performance.now(), [run0, wait0] = hostSchedstat();
  const timer = setInterval(() => {
    const now = performance.now(), [run, wait] = hostSchedstat();
    const gap = now - last - 10, busy = (run - run0) / 1e6, waited = (wait - wait0) / 1e6;
    if (gap > worstStall) { worstStall = gap; waitInWorst = waited; }
    worstBusy = Math.max(worstBusy, busy);
    last = now; run0 = run; wait0 = wait;
  }, 10);
  try {
    return { value: await during(), worstStall, worstBusy, waitInWorst };
  } finally {
    clearInterval(timer);
  }
}

async function settings(values: Record<string, unknown>): Promise<void> {
  const config = vscode.workspace.getConfiguration("rnnLab");
  for (const [k, v] of Object.entries(values)) await config.update(k, v, vscode.ConfigurationTarget.Workspace);
}

async function openCorpus(): Promise<vscode.TextEditor> {
  return vscode.window.showTextDocument(await vscode.workspace.openTextDocument(corpus()));
}

async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function modelNodes(): Extract<ExplorerNode, { kind: "model" }>[] {
  return api.explorer.getChildren().filter((n): n is Extract<ExplorerNode, { kind: "model" }> => n.kind === "model");
}

describe("RNN Lab in VS Code", () => {
  before(async () => {
    const ext = vscode.extensions.getExtension<RnnLabApi>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed`);
    api = await ext.activate();
    await settings({ hiddenSize: 48, layers: 1, threads: 0, checkpointEvery: 20, evalEvery: 20, sampleEvery: 0, trainingSteps: 0 });
  });

  it("activates in under 50 ms of the host's time", () => {
    console.log(`activation took ${api.activationMs.toFixed(1)} ms`);
    assert.ok(api.activationMs < 50, `${api.activationMs.toFixed(1)} ms`);
  });

  it("registers every command it contributes, and the model explorer", async () => {
    const commands = await vscode.commands.getCommands(true);
    const contributed = (vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
    assert.ok(contributed.length >= 20, contributed.join(", "));
    for (const c of contributed) assert.ok(commands.includes(c), c);
  });

  let first: Run;
  it("trains on the current file in a worker, leaves checkpoints, shows the model in the explorer; the host never stalls 50 ms", async () => {
    await openCorpus();
    const idle = await worstTimerGap(() => new Promise((r) => setTimeout(r, 3000)));
    const { value: run, ...stall } = await worstTimerGap(async () => {
      const r = await vscode.commands.executeCommand<Run>("rnnLab.trainOnCurrentFile", { cell: "gru", steps: 60 });
      assert.ok(r, "the command returns the run");
      await r.finishedEvent;
      return r;
    });
    first = run;
    const done = await run.finishedEvent;
    assert.equal(done.type, "done", done.message);
    assert.equal(done.step, 60);
    assert.ok(existsSync(done.checkpoint!), done.checkpoint);
    const bytes = readFileSync(done.checkpoint!);
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString("utf8"));
    assert.deepEqual(header["rnn.weight_hh_l0"].shape, [144, 48], "a GRU 1×48 in PyTorch's layout");
    assert.equal(run.threads, Math.max(1, availableParallelism() - 1), "default threads: cores − 1");
    const f = (x: number) => x.toFixed(1);
    console.log(`trained ${done.step} steps on ${run.threads} thread(s), ${run.kernels} kernels; host: longest timer gap ${f(stall.worstStall)} ms (of it ${f(stall.waitInWorst)} ms waiting for a CPU), longest run of work on its thread ${f(stall.worstBusy)} ms; idle: gap ${f(idle.worstStall)} ms, work ${f(idle.worstBusy)} ms`);
    assert.ok(stall.worstBusy < 50, `the extension host's thread was busy for ${f(stall.worstBusy)} ms at a stretch`);
    assert.ok(stall.worstStall - stall.waitInWorst < 50, `the extension host's loop stalled ${f(stall.worstStall)} ms, ${f(stall.worstStall - stall.waitInWorst)} ms of it not waiting for a CPU`);
    const node = await until("the model in the explorer", () => modelNodes().find((n) => n.model.dir === run.run.modelDir && n.state === "done"));
    const item = api.explorer.getTreeItem(node);
    assert.match(String(item.description), /GRU 1×48 · \d+K params · best \d\.\d{3} · done/);
    const runs = api.explorer.getChildren(node);
    assert.equal(runs.length, 1);
    const files = api.explorer.getChildren(runs[0]).map((n) => api.explorer.getTreeItem(n).label);
    assert.deepEqual(files, ["best", "step 60", "step 40", "step 20", "metrics"]);
    await until("the finished run to become the active model", () => api.client.model?.checkpoint.startsWith(run.run.modelDir));
  });

  it("hovers show the active model's top predictions and the actual character's surprisal", async () => {
    await until("an active model", () => api.client.model);
    const editor = await openCorpus();
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", editor.document.uri, new vscode.Position(3, 5));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === "string" ? c : (c as vscode.MarkdownString).value))).join("\n");
    assert.match(text, /RNN Lab: next character/);
    assert.match(text, /\d+\.\d%/);
    assert.match(text, /surprisal \d+\.\d\d bits/);
    // hovering along a line: p95 of 40 successive positions through the real provider
    const times: number[] = [];
    for (let c = 0; c < 40; c++) {
      const t0 = performance.now();
      await vscode.commands.executeCommand("vscode.executeHoverProvider", editor.document.uri, new vscode.Position(10, c));
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(`hover through VS Code: median ${times[20].toFixed(1)} ms, p95 ${times[37].toFixed(1)} ms`);
  });

  it("surprisal highlighting decorates the visible text", async () => {
    const editor = await openCorpus();
    const applied = new Promise<void>((resolve) => api.surprisal.onDidApply((e) => { if (e.document === editor.document) resolve(); }));
    await vscode.commands.executeCommand("rnnLab.toggleSurprisal");
    await applied;
    const bands = api.surprisal.applied.get(editor)!;
    const total = bands.reduce((n, b) => n + b.length, 0);
    console.log(`surprisal: ${bands.map((b) => b.length).join("/")} characters per band`);
    assert.ok(total > 50, `${total} decorated characters`);
    await vscode.commands.executeCommand("rnnLab.toggleSurprisal");
    await until("decorations cleared", () => !api.surprisal.applied.has(editor));
  });

  it("the file-loss lens shows the model's mean loss on the file", async () => {
    const editor = await openCorpus();
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>("vscode.executeCodeLensProvider", editor.document.uri, 1);
    const titles = lenses.map((l) => l.command?.title ?? "");
    assert.ok(titles.some((t) => /RNN Lab: \d\.\d{3} nats\/char/.test(t)), titles.join(" | "));
  });

  it("a second run while one trains waits in the queue and starts after it", async () => {
    await openCorpus();
    const a = await vscode.commands.executeCommand<Run>("rnnLab.trainOnCurrentFile", { cell: "rnn", steps: 40 });
    const b = vscode.commands.executeCommand<Run>("rnnLab.trainOnCurrentFile", { cell: "lstm", steps: 10, whenBusy: "queue" });
    await until("the second run in the queue", () => api.queue.queued.length === 1);
    await a.finishedEvent;
    const second = await b;
    assert.equal((await second.finishedEvent).type, "done");
  });

  it("pause and resume from the command palette", async () => {
    await openCorpus();
    const run = await vscode.commands.executeCommand<Run>("rnnLab.trainOnCurrentFile", { cell: "lstm", steps: 100000 });
    await until("a few steps", () => (api.queue.active?.step ?? 0) > 3);
    await vscode.commands.executeCommand("rnnLab.pauseResumeTraining");
    await until("paused", () => api.queue.active?.paused);
    assert.equal(readRunManifest(run.run.runDir).state, "paused");
    await vscode.commands.executeCommand("rnnLab.pauseResumeTraining");
    await until("resumed", () => api.queue.active && !api.queue.active.paused);
    await vscode.commands.executeCommand("rnnLab.stopTraining");
    const done = await run.finishedEvent;
    assert.equal(done.stopped, true);
  });

  it("a run interrupted by a closed window continues from its last checkpoint", async () => {
    // the first run's model, copied, with its run left "training" by a process that is gone
    const copy = first.run.modelDir + "-interrupted";
    cpSync(first.run.modelDir, copy, { recursive: true });
    const runDir = join(copy, "runs", readRunManifest(first.run.runDir).id);
    updateRunManifest(runDir, { state: "training", plan: { ...readRunManifest(runDir).plan, budget: { steps: 80 } } });
    writeFileSync(join(runDir, "run.lock"), JSON.stringify({ pid: 2 ** 22 + 4321, host: hostname(), since: "yesterday" }));
    await api.explorer.refresh();
    const node = modelNodes().find((n) => n.model.dir === copy)!;
    assert.equal(node.state, "interrupted");
    const runNode = api.explorer.getChildren(node)[0];
    const resumed = await vscode.commands.executeCommand<Run>("rnnLab.continueTraining", runNode);
    const done = await resumed.finishedEvent;
    assert.equal(done.type, "done", done.message);
    assert.equal(done.step, 80, "60 steps before, 20 more to its budget of 80");
  });

  it("a training file deleted during training: the user is told, and the run finishes on its copy", async () => {
    const file = join(ws(), "doomed.txt");
    writeFileSync(file, readFileSync(corpus().fsPath, "utf8").slice(0, 20000));
    const run = await vscode.commands.executeCommand<Run & { sourceEvent: string | null }>("rnnLab.trainOnCurrentFile", { cell: "rnn", steps: 150, file });
    await until("a few steps", () => (api.queue.active?.step ?? 0) > 2);
    await vscode.workspace.fs.delete(vscode.Uri.file(file));
    await until("the deletion noticed", () => run.sourceEvent === "deleted");
    const done = await run.finishedEvent;
    assert.equal(done.type, "done", done.message);
    assert.equal(done.step, 150);
  });

  it("bad input: a binary file, a damaged checkpoint and a newer-format checkpoint are refused without losing the active model", async () => {
    const before = api.client.model?.checkpoint;
    assert.ok(before);
    const binary = join(ws(), "image.bin");
    writeFileSync(binary, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13, 0xff, 0xfe]));
    const run = await vscode.commands.executeCommand("rnnLab.trainOnCurrentFile", { cell: "lstm", steps: 5, file: binary });
    assert.equal(run, undefined, "nothing trains on a binary file");
    const damaged = join(ws(), "damaged.safetensors");
    writeFileSync(damaged, "this is not a checkpoint");
    assert.equal(await vscode.commands.executeCommand("rnnLab.setActiveModel", { kind: "checkpoint", model: null, path: damaged, step: null, best: false }), false);
    const newer = join(ws(), "newer.safetensors");
    const bytes = readFileSync(before!);
    const n = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString("utf8"));
    header.__metadata__.format_version = "99";
    const h = Buffer.from(JSON.stringify(header).padEnd(n, " "));
    writeFileSync(newer, Buffer.concat([bytes.subarray(0, 8), h.subarray(0, n), bytes.subarray(8 + n)]));
    assert.equal(await vscode.commands.executeCommand("rnnLab.setActiveModel", { kind: "checkpoint", model: null, path: newer, step: null, best: false }), false);
    assert.equal(api.client.model?.checkpoint, before, "the active model is still the one before");
    await api.explorer.refresh();
    const others = api.explorer.getChildren().find((n) => n.kind === "others");
    assert.ok(others, "checkpoints outside the runs folder are listed");
  });
});
