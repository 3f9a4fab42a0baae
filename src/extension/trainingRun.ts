// One training run as the editor sees it: it owns its worker thread, its status-bar item and its
// progress notification, and disposing it stops everything it started.

import * as vscode from "vscode";
import { Worker } from "node:worker_threads";
import { join } from "node:path";
import type { ToTrainingWorker, TrainRequest, TrainingEvent } from "../protocol/trainingWorker";

export class TrainingRun implements vscode.Disposable {
  private readonly worker: Worker;
  private readonly status: vscode.StatusBarItem;
  private finished = false;
  private readonly done: Promise<TrainingEvent>;
  /** As the worker reported when it started. */
  threads: number | undefined;
  kernels: string | undefined;

  constructor(extensionPath: string, readonly request: TrainRequest, private readonly log: vscode.LogOutputChannel) {
    this.status = vscode.window.createStatusBarItem("rnnLab.training", vscode.StatusBarAlignment.Left, 10);
    this.status.name = "RNN Lab training";
    this.status.text = "$(sync~spin) RNN Lab: starting";
    this.status.command = "rnnLab.stopTraining";
    this.status.tooltip = "RNN Lab is training; click to stop (the checkpoint is kept)";
    this.status.show();
    this.worker = new Worker(join(extensionPath, "dist", "trainingWorker.js"));
    this.done = new Promise((resolve) => {
      this.worker.on("message", (e: TrainingEvent) => {
        this.onEvent(e);
        if (e.type === "done" || e.type === "error") resolve(e);
      });
      this.worker.on("error", (err) => {
        const e: TrainingEvent = { type: "error", message: err.message };
        this.onEvent(e);
        resolve(e);
      });
    });
    this.post(request);
  }

  /** Resolves with the run's last event ("done" or "error"). */
  get finishedEvent(): Promise<TrainingEvent> { return this.done; }

  /** Asks the worker to stop after the current step; it still writes the checkpoint. */
  stop(): void {
    if (!this.finished) this.post({ type: "stop" });
  }

  private post(m: ToTrainingWorker): void {
    this.worker.postMessage(m);
  }

  private onEvent(e: TrainingEvent): void {
    switch (e.type) {
      case "started":
        this.threads = e.threads;
        this.kernels = e.kernels;
        this.log.info(`training ${e.description} on ${this.request.name}: ${e.params.toLocaleString()} parameters, ${e.trainChars.toLocaleString()} training + ${e.valChars.toLocaleString()} validation characters, ${e.threads} thread(s), ${e.kernels} kernels`);
        break;
      case "progress":
        this.status.text = `$(sync~spin) RNN Lab: step ${e.step} · loss ${e.loss.toFixed(3)} · ${Math.round(e.charsPerSecond).toLocaleString()} chars/s · ${Math.round(100 * e.fraction)}%`;
        this.log.trace(`step ${e.step} loss ${e.loss.toFixed(4)} |g| ${e.gradNorm.toFixed(3)}`);
        break;
      case "eval":
        this.log.info(`step ${e.step}: validation loss ${e.valLoss.toFixed(4)} nats/char`);
        break;
      case "done":
        this.finish();
        this.log.info(`${e.stopped ? "stopped" : "done"}: ${e.step} steps in ${e.seconds.toFixed(1)} s (${Math.round(e.charsPerSecond).toLocaleString()} chars/s), validation ${e.valLoss === null ? "n/a" : e.valLoss.toFixed(4)} nats/char; checkpoint ${e.checkpoint}`);
        break;
      case "error":
        this.finish();
        this.log.error(`training failed: ${e.message}`);
        break;
    }
  }

  private finish(): void {
    this.finished = true;
    this.status.dispose();
    void this.worker.terminate();
  }

  dispose(): void {
    this.finish();
  }
}
