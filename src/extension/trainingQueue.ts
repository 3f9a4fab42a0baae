// Training runs as the editor sees them: one trains at a time (in its own worker), the others wait
// in a queue. The active run owns a status-bar item, a cancellable progress notification and its
// lines in the log; pausing writes a checkpoint and keeps the worker; disposing stops everything.

import * as vscode from "vscode";
import { Worker } from "node:worker_threads";
import { basename, join } from "node:path";
import { readRunManifest, releaseRunLock, updateRunManifest } from "../engine/runs/runStore";
import { ValidationTrend } from "../engine/training/validationTrend";
import { TrainingEvent, ToTrainingWorker, isTrainingEvent } from "../protocol/trainingWorker";
import { setContext } from "./prompts";
import { clock } from "../protocol/clock";
import { WorkerChannel } from "../protocol/messageChannel";

export interface QueuedRun {
  modelDir: string;
  runDir: string;
  label: string; // the model's name, for messages
  sources?: vscode.Uri[]; // files the text came from: a change or deletion during training is reported
}

type Finished = Extract<TrainingEvent, { type: "done" } | { type: "error" }>;

export class ActiveRun implements vscode.Disposable {
  private readonly channel: WorkerChannel<never, never, never, TrainingEvent>;
  private readonly status: vscode.StatusBarItem;
  private finished = false;
  private readonly done: Promise<Finished>;
  private progress: { report: (v: { message?: string; increment?: number }) => void } | null = null;
  private reported = 0;
  paused = false;
  step = 0;
  threads: number | undefined;
  kernels: string | undefined;
  lastLoss: number | null = null;
  lastValLoss: number | null = null;
  lastProgress: Extract<TrainingEvent, { type: "progress" }> | null = null;
  /** Set when the validation loss has stayed above its best for several evaluations (the dashboard shows it with the next eval). */
  overfitWarning: string | null = null;
  private readonly trend = new ValidationTrend();
  /** Stop was asked for: the worker is writing its last checkpoint. */
  stopping = false;
  private hideNotification: (() => void) | null = null;
  /** Whether the progress notification is showing (it hides once the run's dashboard is open, which shows the same and more). */
  notificationVisible = true;
  private readonly events = new vscode.EventEmitter<TrainingEvent>();
  /** Every event of the run, after the status bar and log have it (the dashboard listens). */
  readonly onEvent = this.events.event;

  constructor(extensionPath: string, readonly run: QueuedRun, private readonly log: vscode.LogOutputChannel, private readonly onChange: () => void) {
    this.status = vscode.window.createStatusBarItem("rnnLab.training", vscode.StatusBarAlignment.Left, 10);
    this.status.name = vscode.l10n.t("RNN Lab training");
    this.status.text = "$(sync~spin) " + vscode.l10n.t("RNN Lab: starting {0}", run.label);
    this.status.command = { title: vscode.l10n.t("Open Training Dashboard"), command: "rnnLab.openTrainingDashboard", arguments: [{ runDir: run.runDir }] };
    this.status.tooltip = vscode.l10n.t("RNN Lab is training {0}; click for its dashboard", run.label);
    this.status.show();
    let resolveDone: (e: Finished) => void = () => undefined;
    this.done = new Promise((resolve) => { resolveDone = resolve; });
    // every event is checked (isTrainingEvent); a worker that fails or exits before "done" ends the run with an error
    this.channel = new WorkerChannel("training worker", () => new Worker(join(extensionPath, "dist", "trainingWorker.js")), { event: isTrainingEvent }, {
      onEvent: (e) => {
        this.handle(e);
        if (e.type === "done" || e.type === "error") resolveDone(e);
      },
      onFailure: (why) => {
        if (this.finished) return;
        const e: Finished = { type: "error", message: why, step: null };
        this.handle(e);
        resolveDone(e);
      },
      onMalformed: (m) => log.warn(`ignored an unreadable message from the training worker: ${JSON.stringify(m)?.slice(0, 200)}`),
    });
    const hidden = new Promise<void>((resolve) => { this.hideNotification = resolve; });
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t("RNN Lab: training {0}", run.label), cancellable: true }, (progress, token) => {
      this.progress = progress;
      token.onCancellationRequested(() => this.stop());
      return Promise.race([this.done, hidden]);
    }).then(() => { this.notificationVisible = false; this.progress = null; });
    this.post({ type: "open", modelDir: run.modelDir, runDir: run.runDir });
    for (const uri of run.sources ?? []) this.watchSource(uri);
  }

  private readonly watchers: vscode.Disposable[] = [];
  /** What happened to the source files during the run; the user is told once of each kind. */
  readonly sourceEvents = new Set<"changed" | "deleted">();

  /** The run trains on the copy in its model folder; tell the user that editing the source changes nothing in it. */
  private watchSource(uri: vscode.Uri): void {
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.joinPath(uri, ".."), uri.path.split("/").pop()!));
    // Watchers coalesce and delay events (the write that created the file can arrive after the run
    // started; a delete can arrive as a change), so every event is answered by looking at the file.
    const stamp = (s: vscode.FileStat) => `${s.size}:${s.mtime}`;
    const started = Promise.resolve(vscode.workspace.fs.stat(uri)).then(stamp, () => null);
    const look = async () => {
      const now = await Promise.resolve(vscode.workspace.fs.stat(uri)).then(stamp, () => null);
      const how = now === null ? "deleted" : now !== (await started) ? "changed" : null;
      if (!how || this.sourceEvents.has(how)) return; // every checkpoint looks again: say it once
      this.sourceEvents.add(how);
      this.log.info(`${this.run.label}: ${uri.fsPath} was ${how} during training; the run goes on with the text as it was when it started (${join(this.run.modelDir, "corpus.txt")})`);
      const text = how === "changed"
        ? vscode.l10n.t("RNN Lab: {0} changed during training. This run goes on with the text as it was when it started (a copy is in the model folder); train again to use the new text.", vscode.workspace.asRelativePath(uri))
        : vscode.l10n.t("RNN Lab: {0} was deleted during training. Nothing is lost: this run trains on the copy in the model folder.", vscode.workspace.asRelativePath(uri));
      void vscode.window.showInformationMessage(text);
    };
    this.watchers.push(watcher, watcher.onDidChange(look), watcher.onDidDelete(look), watcher.onDidCreate(look));
    this.lookAtSources.push(look);
  }

  /** Watchers are best effort: each checkpoint also looks at the sources, so a missed event is caught late rather than never. */
  private readonly lookAtSources: (() => Promise<void>)[] = [];

  /** Resolves with the run's last event ("done" or "error"). */
  get finishedEvent(): Promise<Finished> { return this.done; }

  /** Hides the progress notification for good (the dashboard is open and shows the same; the status bar item stays). */
  hideProgressNotification(): void { this.hideNotification?.(); }

  stop(): void {
    if (this.finished) return;
    this.post({ type: "stop" });
    if (this.stopping) return;
    this.stopping = true;
    this.status.text = "$(loading~spin) " + vscode.l10n.t("RNN Lab: stopping {0} (writing its last checkpoint)…", this.run.label);
    this.log.info(`${this.run.label}: stop requested at step ${this.step}`);
  }
  pause(): void { if (!this.finished && !this.paused) this.post({ type: "pause" }); }
  resume(): void { if (!this.finished && this.paused) this.post({ type: "resume" }); }

  private post(m: ToTrainingWorker): void {
    this.channel.send(m);
  }

  private handle(e: TrainingEvent): void {
    this.report(e);
    if (e.type === "progress") this.lastProgress = e;
    if (e.type === "checkpoint" || e.type === "done") for (const look of this.lookAtSources) void look();
    this.events.fire(e);
    if (e.type === "done" || e.type === "error") this.events.dispose();
  }

  private report(e: TrainingEvent): void {
    const name = this.run.label;
    switch (e.type) {
      case "started":
        this.threads = e.threads;
        this.kernels = e.kernels;
        this.step = e.step;
        this.log.info(`${name}: ${e.how === "fresh" ? "training" : e.how === "resumed" ? `resuming at step ${e.step}` : e.how === "continued" ? `continuing from step ${e.step}` : "training from imported weights"} ${e.description}; ${e.params.toLocaleString("en")} parameters, ${e.trainChars.toLocaleString("en")} training + ${e.valChars.toLocaleString("en")} validation characters, ${e.threads} thread(s), ${e.kernels} kernels; run folder ${this.run.runDir}`);
        break;
      case "progress": {
        this.step = e.step;
        this.lastLoss = e.loss;
        const eta = e.etaSeconds === null ? "?" : clock(e.etaSeconds);
        const line = vscode.l10n.t("step {0} · loss {1} · {2} chars/s · ETA {3}", e.step, e.loss.toFixed(3), Math.round(e.charsPerSecond).toLocaleString(), eta);
        if (!this.stopping) this.status.text = `$(sync~spin) RNN Lab: ${line}`;
        const pct = Math.round(100 * e.fraction);
        this.progress?.report({ message: line, increment: pct - this.reported });
        this.reported = pct;
        this.log.trace(`${name}: step ${e.step} loss ${e.loss.toFixed(4)} |g| ${e.gradNorm.toFixed(3)}${e.clipped ? " (clipped)" : ""} lr ${e.lr.toExponential(2)}`);
        break;
      }
      case "eval":
        this.lastValLoss = e.valLoss;
        this.log.info(`${name}: step ${e.step}: validation loss ${e.valLoss.toFixed(4)} nats/char${e.improved ? " (best so far: best.safetensors)" : ""}`);
        {
          const notice = this.trend.add(e.step, e.valLoss);
          if (notice) {
            this.log.warn(`${name}: validation loss has not improved for ${notice.evaluations} evaluations (best ${notice.best.toFixed(4)} nats/char at step ${notice.bestStep}, now ${notice.latest.toFixed(4)}): the model may be overfitting its text; best.safetensors keeps the best checkpoint (step ${notice.bestStep})`);
            this.overfitWarning = vscode.l10n.t("Validation loss has not improved for {0} evaluations (best {1} nats/char at step {2}, now {3}): the model may be overfitting. best.safetensors keeps the best checkpoint.", notice.evaluations, notice.best.toFixed(3), notice.bestStep, notice.latest.toFixed(3));
          } else if (e.improved) this.overfitWarning = null;
        }
        this.onChange();
        break;
      case "checkpoint":
        this.log.info(`${name}: checkpoint at step ${e.step}: ${basename(e.path)}`);
        this.onChange();
        break;
      case "sample":
        this.log.info(`${name}: sample at step ${e.step}:\n${e.text}`);
        break;
      case "paused":
        this.paused = true;
        this.status.text = "$(debug-pause) " + vscode.l10n.t("RNN Lab: paused at step {0}", e.step);
        this.log.info(`${name}: paused at step ${e.step} (checkpoint ${basename(e.checkpoint)})`);
        this.onChange();
        break;
      case "resumed":
        this.paused = false;
        this.log.info(`${name}: resumed at step ${e.step}`);
        this.onChange();
        break;
      case "done":
        this.log.info(`${name}: ${e.stopped ? "stopped" : "done"} at step ${e.step}: ${e.seconds.toFixed(1)} s (${Math.round(e.charsPerSecond).toLocaleString("en")} chars/s), validation ${e.valLoss === null ? "n/a" : e.valLoss.toFixed(4)} nats/char; checkpoint ${e.checkpoint}`);
        this.finish();
        break;
      case "error":
        this.log.error(`${name}: training failed${e.step === null ? "" : ` at step ${e.step}`}: ${e.message}`);
        this.finish();
        break;
    }
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const w of this.watchers) w.dispose();
    this.status.dispose();
    void this.channel.stop("the run finished");
    this.onChange();
  }

  /**
   * Closing the window: the worker ends and the lock is given back; the run keeps its "training"
   * state and last checkpoint, so it shows as interrupted and resumes from there.
   */
  dispose(): void {
    this.events.dispose();
    if (this.finished) return;
    this.finished = true;
    for (const w of this.watchers) w.dispose();
    this.status.dispose();
    void this.channel.stop("the window closed").then(() => releaseRunLock(this.run.runDir));
  }
}

export class TrainingQueue implements vscode.Disposable {
  active: ActiveRun | null = null;
  private readonly waiting: QueuedRun[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly extensionPath: string, private readonly log: vscode.LogOutputChannel) {
    // what the palette and menus show depends on it: Stop, Pause and Resume only when they can act
    this.onDidChange(() => this.updateContext());
  }

  private updateContext(): void {
    setContext("rnnLab.training", !!this.active);
    setContext("rnnLab.paused", !!this.active?.paused);
    setContext("rnnLab.queued", this.waiting.length > 0);
  }

  get queued(): readonly QueuedRun[] { return this.waiting; }

  /** Starts the run now, or after the ones already waiting. Returns the run once it starts. */
  enqueue(run: QueuedRun): Promise<ActiveRun> {
    return new Promise((resolve) => {
      (run as QueuedRun & { started?: (r: ActiveRun) => void }).started = resolve;
      this.waiting.push(run);
      this.log.info(`${run.label}: ${this.active ? `queued behind ${this.active.run.label}` : "starting"}`);
      this.next();
      this.changed.fire();
    });
  }

  isActive(runDir: string): boolean { return this.active?.run.runDir === runDir; }

  private next(): void {
    if (this.active) return;
    const run = this.waiting.shift();
    if (!run) return;
    const active = new ActiveRun(this.extensionPath, run, this.log, () => this.changed.fire());
    this.active = active;
    (run as QueuedRun & { started?: (r: ActiveRun) => void }).started?.(active);
    void active.finishedEvent.then(() => {
      if (this.active === active) this.active = null;
      this.next();
      this.changed.fire();
    });
  }

  /** Removes a waiting run (its folder stays, as "stopped" with no steps). */
  cancelQueued(runDir: string): void {
    const i = this.waiting.findIndex((r) => r.runDir === runDir);
    if (i < 0) return;
    this.waiting.splice(i, 1);
    try {
      if (readRunManifest(runDir).state === "queued") updateRunManifest(runDir, { state: "stopped" });
    } catch {
      // its folder is gone: nothing to record
    }
    this.changed.fire();
  }

  dispose(): void {
    this.waiting.length = 0;
    this.active?.dispose();
    this.active = null;
    this.changed.dispose();
  }
}
