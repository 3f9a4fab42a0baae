// A forecaster's training from the choices of Train Forecaster on This File…, run by the extension's
// training worker (dist/trainingWorker.js, its "forecast" message: the forecast engine's
// trainForecaster). Its files sit in the run store's forecasts/ folder, one pair per run:
//   <runs>/forecasts/<file stem>-<target>/<time>.safetensors   the checkpoint (best validation)
//   <runs>/forecasts/<file stem>-<target>/<time>.json          what it was trained on, its state, every validation
// Each validation (MAE and RMSE in the data's units, and the best baseline's MAE: the line to beat)
// goes to the forecast panels of that file and column as it happens.

import * as vscode from "vscode";
import { Worker } from "node:worker_threads";
import { mkdirSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { writeJsonAtomic } from "../engine/runs/runStore";
import type { ForecastTrainProgress } from "../engine/forecast/forecastModel";
import { WorkerChannel } from "../protocol/messageChannel";
import { TrainingEvent, isTrainingEvent } from "../protocol/trainingWorker";
import type { ForecastTrainingData } from "../protocol/webview";
import type { ForecasterChoice } from "./forecastCommands";
import { errorText, fileErrorText } from "./errorText";
import { FORECASTS_FOLDER, ForecastRecord, readForecastRecord } from "./forecastModels";
import { prompts } from "./prompts";
import { runsRoot } from "./settings";

export interface ForecastTrainingDeps { log: vscode.LogOutputChannel; extensionPath: string }

type Listener = (file: string, target: string, training: ForecastTrainingData) => void;
const listeners = new Set<Listener>();
/** The runs training now, by file and target. */
const running = new Map<string, ForecastRun>();
const key = (file: string, target: string) => `${file}\u0000${target}`;

/** Called with each validation of any forecaster's run (the forecast panels listen). */
export function onForecastTraining(listener: Listener): vscode.Disposable {
  listeners.add(listener);
  return { dispose: () => listeners.delete(listener) };
}

/** The run training this file's column now, if any. */
export function runningForecast(file: string, target: string): ForecastRun | undefined {
  return running.get(key(file, target));
}

export class ForecastRun {
  private readonly channel: WorkerChannel<never, never, never, TrainingEvent>;
  readonly record: ForecastRecord;
  readonly finished: Promise<ForecastRecord>;
  private finish!: (r: ForecastRecord) => void;
  private stopped = false;

  constructor(readonly choice: ForecasterChoice, readonly checkpoint: string, readonly recordPath: string, private readonly deps: ForecastTrainingDeps) {
    this.record = {
      data: choice.file, target: choice.target, inputs: choice.inputs, ...(choice.timeColumn ? { timeColumn: choice.timeColumn } : {}), fill: choice.fill,
      lookback: choice.lookback, horizon: choice.horizon, cell: choice.cell, ...(choice.cellOptions ? { cellOptions: choice.cellOptions } : {}),
      created: new Date().toISOString(), state: "training", checkpoint, validations: [], baselineValMae: null, ...(choice.resumeFrom ? { resumedFrom: choice.resumeFrom } : {}),
      ...(choice.quantiles ? { quantiles: choice.quantiles } : {}),
    };
    // a resumed run's curve goes on from the stopped run's validations (its record sits beside its checkpoint)
    if (choice.resumeFrom) this.record.validations = readForecastRecord(choice.resumeFrom.replace(/\.safetensors$/, ".json"))?.validations.slice() ?? [];
    this.finished = new Promise((resolve) => { this.finish = resolve; });
    this.channel = new WorkerChannel("training worker", () => new Worker(join(deps.extensionPath, "dist", "trainingWorker.js")), { event: isTrainingEvent }, {
      onEvent: (e) => this.event(e),
      onFailure: (why) => { if (!this.stopped) this.end("failed", why); },
    });
  }

  start(): void {
    this.save();
    running.set(key(this.choice.file, this.choice.target), this);
    const c = this.choice;
    this.channel.send({
      type: "forecast",
      request: {
        data: c.file, targets: [c.target], inputs: c.inputs, ...(c.timeColumn ? { timeColumn: c.timeColumn } : {}), fill: c.fill, lookback: c.lookback, horizon: c.horizon,
        network: { cell: c.cell, ...c.cellOptions }, ...(c.budget.steps ? { steps: c.budget.steps } : {}), out: this.checkpoint, ...(c.resumeFrom ? { resumeFrom: c.resumeFrom } : {}),
        ...(c.quantiles ? { quantiles: c.quantiles } : {}),
      },
    });
    this.deps.log.info(`forecaster: training ${c.cell}${c.cellOptions ? ` ${JSON.stringify(c.cellOptions)}` : ""} on ${c.file} column ${c.target} (lookback ${c.lookback}, horizon ${c.horizon}) into ${this.checkpoint}`);
  }

  /** The run's validations so far, as the panel draws them. */
  training(): ForecastTrainingData {
    const r = this.record;
    return { state: r.state, steps: r.steps ?? this.choice.budget.steps ?? 0, validations: r.validations, baselineValMae: r.baselineValMae ?? NaN };
  }

  private event(e: TrainingEvent): void {
    if (e.type === "forecastProgress") {
      const p: ForecastTrainProgress = e.progress;
      this.record.validations.push({ step: p.step, valMae: p.valMae ?? NaN, valRmse: p.valRmse ?? NaN, ...(p.valMase !== undefined ? { valMase: p.valMase ?? NaN } : {}) });
      this.record.baselineValMae = p.baselineValMae;
      if (p.baselineValMase !== undefined) this.record.baselineValMase = p.baselineValMase;
      if (p.baselineName !== undefined) this.record.baselineName = p.baselineName;
      // the validation the checkpoint keeps: the lowest MAE so far (one target: keep-best's own choice), a resumed run's earlier ones included
      const best = this.record.validations.reduce<ForecastRecord["validations"][number] | null>((b, v) => (Number.isFinite(v.valMae) && (b === null || v.valMae < b.valMae) ? v : b), null);
      if (best) Object.assign(this.record, { bestStep: best.step, bestValMae: best.valMae, bestValMase: best.valMase ?? null });
      this.record.steps = p.steps;
      vscode.window.setStatusBarMessage(vscode.l10n.t("RNN Lab: forecaster step {0}/{1} · validation MAE {2} (best baseline {3})", p.step, p.steps, fmt(p.valMae), fmt(p.baselineValMae)), 10_000);
      this.tell();
    } else if (e.type === "forecastDone") {
      Object.assign(this.record, { modelMae: e.modelMae, bestBaseline: e.bestBaseline, bestBaselineMae: e.bestBaselineMae, seconds: e.seconds, stepsDone: e.steps });
      this.end(e.stopped ? "stopped" : "done");
      if (e.stopped) return;
      const open = vscode.l10n.t("Open Forecast Panel");
      const verdict = e.modelMae < e.bestBaselineMae ? vscode.l10n.t("it beats every baseline") : vscode.l10n.t("it does not beat the best baseline yet");
      void prompts.info(vscode.l10n.t("RNN Lab: trained a forecaster of {0}: test MAE {1}, best baseline ({2}) {3}; {4}.", this.choice.target, fmt(e.modelMae), e.bestBaseline, fmt(e.bestBaselineMae), verdict), open).then((b) => {
        if (b === open) void vscode.commands.executeCommand("rnnLab.showForecastBaselines", vscode.Uri.file(this.choice.file), { target: this.choice.target });
      });
    } else if (e.type === "error") {
      this.end("failed", errorText(e));
    }
  }

  private end(state: ForecastRecord["state"], why?: string): void {
    if (this.record.state !== "training") return;
    if (state === "failed" && this.stopped) state = "stopped"; // the worker ended while stopping: what it wrote (if anything) stands
    this.record.state = state;
    if (why) this.record.message = why;
    running.delete(key(this.choice.file, this.choice.target));
    this.save();
    this.tell();
    void this.channel.stop("the run ended");
    if (state === "failed") void prompts.error(vscode.l10n.t("RNN Lab: training the forecaster failed: {0}", why ?? ""));
    this.deps.log.info(`forecaster ${this.checkpoint}: ${state}${why ? ` (${why})` : ""}`);
    this.finish(this.record);
  }

  /** Stops the run: its loop ends after the current step and writes the best weights so far (a checkpoint Resume starts from); the record then says "stopped". */
  stop(): void {
    this.stopped = true;
    this.channel.send({ type: "stop" });
  }

  private tell(): void {
    const t = this.training();
    for (const l of listeners) l(this.choice.file, this.choice.target, t);
  }

  private save(): void {
    try {
      writeJsonAtomic(this.recordPath, this.record);
    } catch (e) {
      this.deps.log.error(`cannot write ${this.recordPath}: ${(e as Error).message}`);
    }
  }
}

const fmt = (v: number | null) => (v === null || !Number.isFinite(v) ? "—" : Number(v.toPrecision(4)).toLocaleString(vscode.env.language));

/**
 * The checkpoint and record paths of a new single-file run, <root>/<folder>/<slug>/<time>.{safetensors,json},
 * its folder made; undefined (said) when the folder cannot be made.
 */
export function runFiles(root: string, folder: string, slug: string): { checkpoint: string; record: string } | undefined {
  const dir = join(root, folder, slug.replace(/[^\w.-]+/g, "_"));
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    void prompts.error(vscode.l10n.t("RNN Lab: cannot create the run in {0}: {1}", dir, fileErrorText(e)));
    return undefined;
  }
  return { checkpoint: join(dir, `${stamp}.safetensors`), record: join(dir, `${stamp}.json`) };
}

/** Makes the run's files and starts it in a training worker; undefined (said) without a workspace folder or when its folder cannot be written. */
export async function startForecaster(choice: ForecasterChoice, deps: ForecastTrainingDeps): Promise<ForecastRun | undefined> {
  const root = runsRoot();
  if (!root) {
    void prompts.error(vscode.l10n.t("RNN Lab: models and runs are saved in the workspace; open a folder first."));
    return undefined;
  }
  if (runningForecast(choice.file, choice.target)) {
    void prompts.info(vscode.l10n.t("RNN Lab: a forecaster of {0} is training already.", choice.target));
    return undefined;
  }
  const files = runFiles(root, FORECASTS_FOLDER, `${basename(choice.file, extname(choice.file))}-${choice.target}`);
  if (!files) return undefined;
  const run = new ForecastRun(choice, files.checkpoint, files.record, deps);
  run.start();
  return run;
}
