// A classifier's, tagger's or segmenter's training from the choices of Train Classifier / Tagger /
// Word Segmenter on This File…, run by the extension's training worker (its "textTask" message: the
// engine's prepareTextTask and the one TrainingSession). Its files sit in the run store's
// text-tasks/ folder, one pair per run:
//   <runs>/text-tasks/<file stem>.<task>/<time>.safetensors   the checkpoint (best validation F1)
//   <runs>/text-tasks/<file stem>.<task>/<time>.json          what it was trained on, its state, every validation
// Each validation's accuracy and F1 shows in the status bar as it happens; at the end a message
// offers the predictions in the file and (a classifier) its classification report.

import * as vscode from "vscode";
import { Worker } from "node:worker_threads";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { writeJsonAtomic } from "../engine/runs/runStore";
import { formatFromName, parseTaggingData, parseTextRecords } from "../engine/tasks/labelledText";
import { WorkerChannel } from "../protocol/messageChannel";
import { TrainingEvent, isTrainingEvent } from "../protocol/trainingWorker";
import type { TextTaskChoice } from "./textTaskCommands";
import { errorText } from "./errorText";
import { runFiles } from "./forecastTraining";
import { prompts } from "./prompts";
import { runsRoot } from "./settings";

export const TEXT_TASKS_FOLDER = "text-tasks";

/** One text task's run, as its <time>.json records it. */
export interface TextTaskRecord {
  task: TextTaskChoice["task"];
  data: string;
  textColumn?: string;
  labelColumn?: string;
  cell: string;
  bidirectional: boolean;
  layers: number;
  hidden: number;
  created: string;
  state: "training" | "done" | "failed" | "stopped";
  checkpoint: string;
  /** classes or tags, and how many training records (characters, for tags) carry each */
  names: string[];
  counts: number[];
  validations: { step: number; valLoss: number; valAccuracy: number; valF1: number }[];
  bestValAccuracy?: number | null;
  bestValF1?: number | null;
  seconds?: number;
  message?: string;
}

/** Every text task's run record under the runs folder, newest first (a few small JSON files: read on the host's thread). */
export function listTextTaskRecords(root: string): { path: string; record: TextTaskRecord }[] {
  const top = join(root, TEXT_TASKS_FOLDER);
  if (!existsSync(top)) return [];
  const out: { path: string; record: TextTaskRecord }[] = [];
  for (const dir of readdirSync(top, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    for (const f of readdirSync(join(top, dir.name)).filter((n) => n.endsWith(".json"))) {
      try {
        const record = JSON.parse(readFileSync(join(top, dir.name, f), "utf8")) as TextTaskRecord;
        if (typeof record.checkpoint === "string" && Array.isArray(record.names)) out.push({ path: join(top, dir.name, f), record });
      } catch { /* a record being written or damaged: left out until it reads */ }
    }
  }
  return out.sort((a, b) => (a.record.created < b.record.created ? 1 : -1));
}

/** "classifier", "tagger", "word segmenter": a task as the explorer and the panels name it. */
export function textTaskName(task: TextTaskRecord["task"]): string {
  return { classify: vscode.l10n.t("classifier"), tag: vscode.l10n.t("tagger"), segment: vscode.l10n.t("word segmenter") }[task];
}

/** Where a run's record sits: beside its checkpoint, <time>.safetensors → <time>.json. */
export function recordPathOf(r: { checkpoint: string }): string {
  return r.checkpoint.replace(/\.safetensors$/, ".json");
}

/** The record beside a text task's checkpoint, or null for any other checkpoint. */
export function textTaskRecordOf(checkpoint: string): TextTaskRecord | null {
  const path = recordPathOf({ checkpoint });
  if (path === checkpoint || !existsSync(path)) return null;
  try {
    const record = JSON.parse(readFileSync(path, "utf8")) as TextTaskRecord;
    return typeof record.checkpoint === "string" && Array.isArray(record.names) ? record : null;
  } catch {
    return null;
  }
}

const SAMPLE_BYTES = 64 * 1024;

/** The text of the first record of the file a text task was trained on (what its gate heatmap reads when nothing is selected); null when it cannot be read. */
export function firstRecordText(record: TextTaskRecord): string | null {
  if (!existsSync(record.data)) return null;
  try {
    // the file's start, cut at its last whole line (a training file can be large)
    const head = readFileSync(record.data).subarray(0, SAMPLE_BYTES).toString("utf8");
    const whole = head.length < SAMPLE_BYTES ? head : head.slice(0, head.lastIndexOf("\n") + 1);
    const format = formatFromName(record.data, record.task);
    if (record.task === "classify") {
      if (format !== "csv" && format !== "tsv" && format !== "jsonl") return null;
      return parseTextRecords(whole, record.data, { format, textColumn: record.textColumn }).texts.find((t) => t.length > 0) ?? null;
    }
    if (format === "csv" || format === "tsv") return null;
    return parseTaggingData(whole, record.data, format).records[0]?.chars.join("") ?? null;
  } catch {
    return null; // the file changed since: the command asks for a selection instead
  }
}

export interface TextTaskTrainingDeps { log: vscode.LogOutputChannel; extensionPath: string }

const pct = (v: number | null | undefined) => (v === null || v === undefined ? "—" : `${(100 * v).toFixed(1)} %`);
const f1 = (v: number | null | undefined) => (v === null || v === undefined ? "—" : v.toFixed(3));

/** The runs training now, by their record's path (a panel follows one). */
export const runningTextTasks = new Map<string, TextTaskRun>();

export class TextTaskRun {
  private readonly updates = new Set<(r: TextTaskRecord) => void>();
  private readonly channel: WorkerChannel<never, never, never, TrainingEvent>;
  readonly record: TextTaskRecord;
  readonly finished: Promise<TextTaskRecord>;
  private finish!: (r: TextTaskRecord) => void;

  constructor(readonly choice: TextTaskChoice, readonly checkpoint: string, private readonly recordPath: string, private readonly deps: TextTaskTrainingDeps) {
    this.record = {
      task: choice.task, data: choice.file, ...(choice.textColumn ? { textColumn: choice.textColumn, labelColumn: choice.labelColumn } : {}), cell: choice.cell, bidirectional: choice.bidirectional,
      layers: choice.layers, hidden: choice.hidden, created: new Date().toISOString(), state: "training", checkpoint, names: choice.labels, counts: [], validations: [],
    };
    this.finished = new Promise((resolve) => { this.finish = resolve; });
    this.channel = new WorkerChannel("training worker", () => new Worker(join(deps.extensionPath, "dist", "trainingWorker.js")), { event: isTrainingEvent }, {
      onEvent: (e) => this.event(e),
      onFailure: (why) => this.end("failed", why),
    });
  }

  /** Called with the record after each change (a validation, the end). */
  onDidUpdate(listener: (r: TextTaskRecord) => void): vscode.Disposable {
    this.updates.add(listener);
    return { dispose: () => this.updates.delete(listener) };
  }

  get recordFile(): string { return this.recordPath; }

  start(): void {
    runningTextTasks.set(this.recordPath, this);
    this.save();
    const c = this.choice;
    this.channel.send({
      type: "textTask",
      request: { kind: c.task, data: c.file, ...(c.textColumn ? { textColumn: c.textColumn } : {}), ...(c.labelColumn ? { labelColumn: c.labelColumn } : {}), bidirectional: c.bidirectional, cell: c.cell, layers: c.layers, hidden: c.hidden, seconds: c.budget.seconds, out: this.checkpoint },
    });
    this.deps.log.info(`${c.task}: training ${c.cell} ${c.layers}×${c.hidden}${c.bidirectional ? " bidirectional" : ""} on ${c.file} for ${c.budget.seconds} s into ${this.checkpoint}`);
  }

  private event(e: TrainingEvent): void {
    if (e.type === "textTaskStarted") {
      this.record.names = e.names;
      this.record.counts = e.counts;
      this.save();
    } else if (e.type === "textTaskEval") {
      this.record.validations.push({ step: e.step, valLoss: e.valLoss, valAccuracy: e.valAccuracy, valF1: e.valF1 });
      this.save();
      vscode.window.setStatusBarMessage(vscode.l10n.t("RNN Lab: {0} step {1} · validation accuracy {2}, F1 {3}", basename(this.choice.file), e.step, pct(e.valAccuracy), f1(e.valF1)), 10_000);
    } else if (e.type === "textTaskDone") {
      Object.assign(this.record, { bestValAccuracy: e.bestValAccuracy, bestValF1: e.bestValF1, seconds: e.seconds });
      this.end(e.stopped ? "stopped" : "done");
      const predict = vscode.l10n.t("Predict on This File"), report = vscode.l10n.t("Show Classification Report");
      const buttons = this.choice.task === "classify" ? [predict, report] : [predict];
      void prompts.info(vscode.l10n.t("RNN Lab: trained on {0} in {1} steps: best validation accuracy {2}, F1 {3}.", basename(this.choice.file), e.steps, pct(e.bestValAccuracy), f1(e.bestValF1)), ...buttons).then((b) => {
        const args = { checkpoint: this.checkpoint, ...(this.choice.textColumn ? { textColumn: this.choice.textColumn, labelColumn: this.choice.labelColumn } : {}) };
        if (b === predict) void vscode.commands.executeCommand("rnnLab.predictWithModel", vscode.Uri.file(this.choice.file), args);
        if (b === report) void vscode.commands.executeCommand("rnnLab.showClassificationReport", vscode.Uri.file(this.choice.file), args);
      });
    } else if (e.type === "error") {
      this.end("failed", errorText(e));
    }
  }

  private end(state: TextTaskRecord["state"], why?: string): void {
    if (this.record.state !== "training") return;
    this.record.state = state;
    if (why) this.record.message = why;
    runningTextTasks.delete(this.recordPath);
    this.save();
    void this.channel.stop("the run ended");
    if (state === "failed") void prompts.error(vscode.l10n.t("RNN Lab: training on {0} failed: {1}", basename(this.choice.file), why ?? ""));
    this.deps.log.info(`${this.choice.task} ${this.checkpoint}: ${state}${why ? ` (${why})` : ""}`);
    this.finish(this.record);
  }

  /** Asks the worker to stop after its current step; the best model so far is kept. */
  stop(): void {
    this.channel.send({ type: "stop" } as never);
  }

  private save(): void {
    try {
      writeJsonAtomic(this.recordPath, this.record);
    } catch (e) {
      this.deps.log.error(`cannot write ${this.recordPath}: ${(e as Error).message}`);
    }
    for (const l of this.updates) l(this.record);
  }
}

/** Makes the run's folder and starts it in a training worker; undefined (said) without a workspace folder or when the folder cannot be made. */
export async function startTextTask(choice: TextTaskChoice, deps: TextTaskTrainingDeps): Promise<TextTaskRun | undefined> {
  const root = runsRoot();
  if (!root) {
    void prompts.error(vscode.l10n.t("RNN Lab: models and runs are saved in the workspace; open a folder first."));
    return undefined;
  }
  const files = runFiles(root, TEXT_TASKS_FOLDER, `${basename(choice.file, extname(choice.file))}.${choice.task}`);
  if (!files) return undefined;
  const run = new TextTaskRun(choice, files.checkpoint, files.record, deps);
  run.start();
  return run;
}
