// Inside a real VS Code extension host: the extension activates, its commands exist, training from
// the editor runs in a worker (the host's event loop never stalls) and leaves a checkpoint.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import * as vscode from "vscode";

const EXTENSION_ID = "rnn-lab.rnn-lab";

describe("RNN Lab in VS Code", () => {
  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed`);
    await ext.activate();
  });

  it("registers its commands", async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const c of ["rnnLab.trainOnCurrentFile", "rnnLab.stopTraining", "rnnLab.runGradientCheck"]) assert.ok(commands.includes(c), c);
  });

  it("trains on the current file in a worker, on the configured threads, without stalling the host", async () => {
    const config = vscode.workspace.getConfiguration("rnnLab");
    await config.update("trainingSeconds", 4, vscode.ConfigurationTarget.Workspace);
    await config.update("hiddenSize", 48, vscode.ConfigurationTarget.Workspace);
    await config.update("layers", 1, vscode.ConfigurationTarget.Workspace);
    await config.update("threads", 2, vscode.ConfigurationTarget.Workspace);
    const file = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, "corpus.txt");
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));

    // The longest gap between timer callbacks on the host's thread while the run trains.
    let worstStall = 0, last = performance.now();
    const timer = setInterval(() => { const now = performance.now(); worstStall = Math.max(worstStall, now - last - 10); last = now; }, 10);
    const run = await vscode.commands.executeCommand<{ finishedEvent: Promise<{ type: string; checkpoint?: string; step?: number; message?: string }> }>("rnnLab.trainOnCurrentFile", { cell: "gru" });
    assert.ok(run, "the command returns the run");
    const done = await run.finishedEvent;
    clearInterval(timer);
    assert.equal(done.type, "done", done.message);
    assert.ok(done.step! > 5, `steps: ${done.step}`);
    assert.ok(existsSync(done.checkpoint!), done.checkpoint);
    const header = readFileSync(done.checkpoint!).subarray(8, 400).toString("utf8");
    assert.match(header, /rnn.weight_hh_l0/);
    assert.ok(worstStall < 50, `the extension host stalled for ${worstStall.toFixed(1)} ms`);
    console.log(`trained ${done.step} steps; longest host stall ${worstStall.toFixed(1)} ms`);
  });

  it("Stop Training with nothing training says so and does nothing else", async () => {
    await vscode.commands.executeCommand("rnnLab.stopTraining");
  });
});
