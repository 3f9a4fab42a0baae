// Inside a real VS Code extension host: the extension activates, its commands exist, training from
// the editor runs in a worker (the host's event loop never stalls) and leaves a checkpoint.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import * as vscode from "vscode";

const EXTENSION_ID = "rnn-lab.rnn-lab";

describe("RNN Lab in VS Code", () => {
  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed`);
    await ext.activate();
  });

  it("registers every command it contributes", async () => {
    const commands = await vscode.commands.getCommands(true);
    const contributed = (vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
    assert.ok(contributed.includes("rnnLab.importPyTorchWeights") && contributed.includes("rnnLab.exportModel"), contributed.join(", "));
    for (const c of contributed) assert.ok(commands.includes(c), c);
  });

  interface Run { threads?: number; kernels?: string; finishedEvent: Promise<{ type: string; checkpoint?: string; step?: number; message?: string }> }

  /** The longest gap between 10 ms timer callbacks on the host's thread while `during` runs. */
  async function worstTimerGap<T>(during: () => Promise<T>): Promise<{ value: T; worstStall: number }> {
    let worstStall = 0, last = performance.now();
    const timer = setInterval(() => { const now = performance.now(); worstStall = Math.max(worstStall, now - last - 10); last = now; }, 10);
    try {
      return { value: await during(), worstStall };
    } finally {
      clearInterval(timer);
    }
  }

  async function trainCurrentFile(settings: Record<string, unknown>): Promise<{ run: Run; worstStall: number }> {
    const config = vscode.workspace.getConfiguration("rnnLab");
    for (const [k, v] of Object.entries({ trainingSeconds: 4, hiddenSize: 48, layers: 1, threads: 0, ...settings })) {
      await config.update(k, v, vscode.ConfigurationTarget.Workspace);
    }
    const file = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, "corpus.txt");
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
    const { value: run, worstStall } = await worstTimerGap(async () => {
      const r = await vscode.commands.executeCommand<Run>("rnnLab.trainOnCurrentFile", { cell: "gru" });
      assert.ok(r, "the command returns the run");
      await r.finishedEvent;
      return r;
    });
    return { run, worstStall };
  }

  it("trains on the current file in a worker and leaves a checkpoint; the host never stalls 50 ms", async () => {
    const idle = (await worstTimerGap(() => new Promise((r) => setTimeout(r, 4000)))).worstStall;
    const { run, worstStall } = await trainCurrentFile({});
    const done = await run.finishedEvent;
    assert.equal(done.type, "done", done.message);
    assert.ok(done.step! > 5, `steps: ${done.step}`);
    assert.ok(existsSync(done.checkpoint!), done.checkpoint);
    const bytes = readFileSync(done.checkpoint!);
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString("utf8"));
    assert.deepEqual(header["rnn.weight_hh_l0"].shape, [144, 48], "a GRU 1×48 in PyTorch's layout");
    assert.equal(run.threads, Math.max(1, availableParallelism() - 1), "default threads: cores − 1");
    console.log(`trained ${done.step} steps on ${run.threads} thread(s), ${run.kernels} kernels; longest host stall ${worstStall.toFixed(1)} ms (idle, no training: ${idle.toFixed(1)} ms)`);
    assert.ok(worstStall < 50, `the extension host stalled for ${worstStall.toFixed(1)} ms`);
  });

  it("rnnLab.threads sets the training threads", async () => {
    const { run } = await trainCurrentFile({ threads: 2, trainingSeconds: 2 });
    const done = await run.finishedEvent;
    assert.equal(done.type, "done", done.message);
    assert.equal(run.threads, 2);
  });

  it("Stop Training with nothing training says so and does nothing else", async () => {
    await vscode.commands.executeCommand("rnnLab.stopTraining");
  });
});
