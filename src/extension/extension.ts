// The VS Code side of RNN Lab: thin glue over the engine, which runs in worker threads.
// This first version contributes one command, "RNN Lab: Run Gradient Check".

import * as vscode from "vscode";
import { Worker } from "node:worker_threads";
import { join } from "node:path";
import type { ModelSpec } from "../engine/modelSpec";
import type { GradientCheckReply, GradientCheckRequest } from "../protocol/gradientCheckWorker";

const THRESHOLD = 1e-6;

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel("RNN Lab", { log: true });
  context.subscriptions.push(log, vscode.commands.registerCommand("rnnLab.runGradientCheck", () => runGradientCheck(context, log)));
}

export function deactivate(): void {}

function checkedModels(): ModelSpec[] {
  const base = { nonlinearity: "tanh" as const, hidden: 4, embed: 0, vocabSize: 6, peephole: false, coupled: false, residual: false };
  const specs: ModelSpec[] = [];
  for (const layers of [1, 2]) {
    specs.push({ ...base, cell: "rnn", layers }, { ...base, cell: "lstm", layers }, { ...base, cell: "lstm", layers, peephole: true }, { ...base, cell: "gru", layers });
  }
  return specs;
}

async function runGradientCheck(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): Promise<void> {
  log.show(true);
  log.info("gradient check: analytic vs finite-difference gradients (f64), threshold " + THRESHOLD);
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: "RNN Lab: gradient check", cancellable: true }, (progress, token) =>
    new Promise<void>((resolve) => {
      const worker = new Worker(join(context.extensionPath, "dist", "gradientCheckWorker.js"));
      const specs = checkedModels();
      let done = 0, worst = 0;
      const finish = () => { void worker.terminate(); resolve(); };
      token.onCancellationRequested(finish);
      worker.on("error", (e) => { log.error(`gradient check failed: ${e.message}`); void vscode.window.showErrorMessage(`RNN Lab: gradient check failed: ${e.message}`); finish(); });
      worker.on("message", (m: GradientCheckReply) => {
        if (m.type === "result") {
          done++;
          progress.report({ increment: 100 / specs.length, message: `${done}/${specs.length}` });
          const w = Math.max(...m.tensors.map((t) => t.maxRelError));
          worst = Math.max(worst, w);
          log.info(`${m.spec.cell}${m.spec.peephole ? " (peepholes)" : ""}, ${m.spec.layers} layer(s): worst ${w.toExponential(2)} ${w < THRESHOLD ? "ok" : "FAIL"}`);
          for (const t of m.tensors) log.info(`    ${t.name}: max ${t.maxRelError.toExponential(2)}, mean ${t.meanRelError.toExponential(2)}`);
        } else if (m.type === "done") {
          const ok = worst < THRESHOLD;
          const text = `RNN Lab: gradient check ${ok ? "passed" : "FAILED"} for ${done} models (worst relative error ${worst.toExponential(2)}).`;
          if (ok) void vscode.window.showInformationMessage(text);
          else void vscode.window.showErrorMessage(text);
          finish();
        } else {
          log.error(m.message);
          void vscode.window.showErrorMessage(`RNN Lab: ${m.message}`);
          finish();
        }
      });
      const request: GradientCheckRequest = { type: "gradientCheck", specs };
      worker.postMessage(request);
    }));
}
