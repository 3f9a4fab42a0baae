// RNN Lab: Run Gradient Check: analytic gradients against central finite differences (f64), in a
// worker; for one model's architecture (from the explorer) or for every cell of the registry.

import * as vscode from "vscode";
import { Worker } from "node:worker_threads";
import { join } from "node:path";
import { CELLS } from "../engine/model/cells";
import { DEFAULT_GRADCHECK_OPTIONS, GRADIENT_CHECK_THRESHOLD, stepLabel } from "../engine/insight/gradientCheck";
import type { ModelSpec } from "../engine/model/modelSpec";
import { modelCheckLabel } from "./modelDescription";
import type { TensorCheckRow } from "../protocol/webview";
import { GradientCheckReply, GradientCheckRequest, isGradientCheckReply } from "../protocol/gradientCheckWorker";
import { WorkerChannel } from "../protocol/messageChannel";

/** The cells the text tasks train bidirectionally (issue 15): their reverse tensors are a path of their own. */
const BIDIRECTIONAL_CHECKED: readonly ModelSpec["cell"][] = ["rnn", "lstm", "gru"];

/** Small versions of the architectures: the check is about the maths, not the size. */
function checkedModels(like?: ModelSpec): ModelSpec[] {
  const base = { nonlinearity: "tanh" as const, hidden: 4, embed: 0, vocabSize: 6, peephole: false, coupled: false, residual: false };
  if (like) return [{ ...like, hidden: 4, vocabSize: 6, embed: like.embed ? 3 : 0 }];
  // every registered cell and variant (the reset-before GRU's second product, a learned τ, the additive
  // state form), and with peepholes
  // where it has them (their gradients are a path of their own)
  const specs: ModelSpec[] = [];
  for (const layers of [1, 2]) {
    for (const c of CELLS) {
      for (const v of c.variants ?? [{ options: {} }]) specs.push({ ...base, cell: c.type, layers, ...v.options });
      if (c.options.includes("peephole")) specs.push({ ...base, cell: c.type, layers, peephole: true });
      // the bidirectional RNN, LSTM and GRU of the text tasks (the per-step head; --pool in the CLI checks the pooled ones)
      if (BIDIRECTIONAL_CHECKED.includes(c.type)) specs.push({ ...base, cell: c.type, layers, bidirectional: true });
    }
  }
  return specs;
}

export interface GradientCheckSummary { models: number; worst: number; passed: boolean }

/** Where the results go besides the log: the gradient-check report panel. */
export interface GradientCheckReport {
  start(settings: Record<string, string | number>, threshold: number, models: number): void;
  result(model: string, tensors: TensorCheckRow[]): void;
  done(passed: boolean, worst: number): void;
  failed(message: string): void;
}

/** "LSTM, peepholes, 2 layers": the cell, its options and the depth (a check's models all share one small hidden size). */
export function checkLabel(spec: ModelSpec): string {
  return modelCheckLabel(spec);
}

export function runGradientCheck(extensionPath: string, log: vscode.LogOutputChannel, like?: ModelSpec, report?: GradientCheckReport): Thenable<GradientCheckSummary | undefined> {
  log.info(`gradient check: analytic vs finite-difference gradients (f64), threshold ${GRADIENT_CHECK_THRESHOLD}`);
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t("RNN Lab: gradient check"), cancellable: true }, (progress, token) =>
    new Promise<GradientCheckSummary | undefined>((resolve) => {
      const specs = checkedModels(like);
      const o = DEFAULT_GRADCHECK_OPTIONS;
      report?.start({
        precision: "f64 core", "finite differences": "central, seven points: [45 (L(θ+ε) − L(θ−ε)) − 9 (L(θ+2ε) − L(θ−2ε)) + (L(θ+3ε) − L(θ−3ε))] / 60ε", "ε": [...new Set(specs.map((s) => stepLabel(s)))].join(", "),
        "relative error": "|a − n| / max(|a|, |n|)", batch: o.batch, steps: o.steps, "hidden units": specs[0].hidden, vocabulary: specs[0].vocabSize, "weight std": o.weightScale, seed: o.seed,
      }, GRADIENT_CHECK_THRESHOLD, specs.length);
      let done = 0, worst = 0;
      const failed = (message: string) => {
        log.error(`gradient check failed: ${message}`);
        report?.failed(message);
        void vscode.window.showErrorMessage(vscode.l10n.t("RNN Lab: gradient check failed: {0}", message));
        finish(undefined);
      };
      const onReply = (m: GradientCheckReply) => {
        if (m.type === "result") {
          done++;
          progress.report({ increment: 100 / specs.length, message: `${done}/${specs.length}` });
          const w = Math.max(...m.tensors.map((t) => t.maxRelError));
          worst = Math.max(worst, w);
          log.info(`${m.spec.cell}${m.spec.peephole ? " (peepholes)" : ""}${m.spec.gruReset === "before" ? " (reset before)" : ""}${m.spec.norm === "layer" ? " (layer norm)" : m.spec.norm === "batch" ? " (batch norm)" : ""}${m.spec.bidirectional ? " (bidirectional)" : ""}, ${m.spec.layers} layer(s): worst ${w.toExponential(2)} ${w < GRADIENT_CHECK_THRESHOLD ? "ok" : "FAIL"}`);
          for (const t of m.tensors) log.info(`    ${t.name}: max ${t.maxRelError.toExponential(2)}, mean ${t.meanRelError.toExponential(2)}`);
          report?.result(checkLabel(m.spec), m.tensors);
        } else if (m.type === "done") {
          const passed = worst < GRADIENT_CHECK_THRESHOLD;
          report?.done(passed, worst);
          const text = passed ? vscode.l10n.t("RNN Lab: gradient check passed for {0} models (worst relative error {1}).", done, worst.toExponential(2))
            : vscode.l10n.t("RNN Lab: gradient check FAILED for {0} models (worst relative error {1}).", done, worst.toExponential(2));
          if (passed) void vscode.window.showInformationMessage(text);
          else void vscode.window.showErrorMessage(text);
          finish({ models: done, worst, passed });
        } else {
          log.error(m.message);
          report?.failed(m.message);
          void vscode.window.showErrorMessage(vscode.l10n.t("RNN Lab: {0}", m.message));
          finish(undefined);
        }
      };
      // every reply is checked (isGradientCheckReply) before it is read; anything else ends the check
      const channel = new WorkerChannel<GradientCheckRequest, never, never, GradientCheckReply>("gradient-check worker", () => new Worker(join(extensionPath, "dist", "gradientCheckWorker.js")),
        { event: isGradientCheckReply }, { onEvent: onReply, onFailure: failed, onMalformed: () => failed("the gradient-check worker sent an unreadable reply") });
      let finished = false;
      const finish = (r: GradientCheckSummary | undefined) => {
        if (finished) return;
        finished = true;
        void channel.stop("the gradient check ended");
        resolve(r);
      };
      token.onCancellationRequested(() => finish(undefined));
      const request: GradientCheckRequest = { type: "gradientCheck", specs };
      channel.send(request);
    }));
}
