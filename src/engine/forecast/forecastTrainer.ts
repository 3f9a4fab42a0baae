// A forecaster's run: the table read and split by time, the scaling fitted on the training span,
// windows drawn from the training span only (every target a window reads lies before trainEnd),
// trained by the one training loop (TrainingSession on the Trainer) through the forecasting task
// (tasks/forecastTask.ts: its batches, values head and closed-loop validation MAE, by which the best
// weights are kept), then the checkpoint written: the best weights, and where training stands so
// that --resume continues exactly. Nothing at or after valEnd (the test span) is read before the
// final evaluation.

import { createHash } from "node:crypto";
import { dirname } from "node:path";
import { performance } from "node:perf_hooks";
import { InputError } from "../messages/inputError";
import { checkOutputNotLocked, checkOutputPath, describeWriteFailure, lockOutput, unlockOutput } from "../files/outputFile";
import { removeStaleTempFiles, writeFileAtomic } from "../files/checkpointFile";
import type { ModelSpec } from "../model/modelSpec";
import { validateSpec } from "../model/modelSpec";
import { CharVocabulary } from "../model/charVocabulary";
import { FORECAST_TRAIN_DEFAULTS } from "../model/defaults";
import { LIMITS } from "../core/limits";
import type { Model } from "../files/checkpoint";
import { NonFiniteLossError, Trainer } from "../training/trainer";
import { TrainingSession } from "../training/trainingSession";
import { DEFAULT_TRAIN_OPTIONS, type TrainOptions } from "../training/trainOptions";
import { ForecastBatches, ForecastTask, type ForecastData } from "../tasks/forecastTask";
import { detectSeason } from "./seasonality";
import { fitBaselines } from "./baselines";
import { naiveScale } from "./forecastMetrics";
import { NumericSeries, fitScaling, readNumericSeries, splitByTime } from "./numericSeries";
import { calendarFeaturesFor, featureMatrix, featureWidth } from "./forecastFeatures";
import { encodeForecastCheckpoint, quantileLevelsProblem, readForecastCheckpoint, type ForecastTrainingState, type ForecastTrainingSummary } from "./forecastCheckpoint";
import { describeSpec } from "../model/modelSpec";
import { DEFAULT_QUANTILES } from "../tasks/forecastTask";
import { LoadedForecastModel, evaluate } from "./forecastEngine";
import { BATCH_NORM_FORECAST_REFUSAL, BIDIRECTIONAL_REFUSAL, FORECAST_LOSSES, FORECAST_NETWORK_FIELDS, type ForecastEvaluation, type ForecastSpec, type ForecastTrainProgress, type ForecastTrainRequest } from "./forecastModel";

/** The defaults of `rnn-lab train --task forecast` and of the editor's Train Forecaster (written once, in model/defaults.ts). */
export { FORECAST_TRAIN_DEFAULTS };

/** Evenly spaced origins o in [first, last], at most `count`. */
function spread(first: number, last: number, count: number): number[] {
  if (last < first) return [];
  const n = Math.min(count, last - first + 1);
  return [...new Set(Array.from({ length: n }, (_, i) => Math.round(first + (n === 1 ? 0 : (i * (last - first)) / (n - 1)))))];
}

export interface PreparedForecast { series: NumericSeries; spec: ForecastSpec; network: ModelSpec }

/** Reads and checks everything a run needs, before anything is trained or written (every refusal an InputError of one line). */
export function prepareForecast(r: ForecastTrainRequest): PreparedForecast {
  const positive = (v: number | undefined, name: string) => {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new InputError(`${name} must be a whole number ≥ 1, not ${v}`);
  };
  positive(r.lookback, "--lookback");
  positive(r.horizon, "--horizon");
  positive(r.backtest, "--backtest");
  positive(r.season, "--season");
  if (r.arOrder !== undefined && (!Number.isInteger(r.arOrder) || r.arOrder < 0)) throw new InputError(`--ar-order must be a whole number ≥ 0, not ${r.arOrder}`);
  const strategy = r.strategy ?? FORECAST_TRAIN_DEFAULTS.strategy;
  const loss = r.loss ?? (r.quantiles ? "quantile" : FORECAST_TRAIN_DEFAULTS.loss);
  if (!["direct", "recursive"].includes(strategy)) throw new InputError(`--strategy must be direct or recursive, not ${strategy}`);
  if (!FORECAST_LOSSES.includes(loss)) throw new InputError(`--loss must be one of ${FORECAST_LOSSES.join(", ")}, not ${loss}`);
  if (r.quantiles && loss !== "quantile") throw new InputError(`--quantiles needs the quantile loss, not --loss ${loss}`);
  const quantiles = loss === "quantile" ? r.quantiles?.slice() ?? DEFAULT_QUANTILES.slice() : undefined;
  const levelsProblem = quantiles ? quantileLevelsProblem(quantiles) : null;
  if (levelsProblem) throw new InputError(`--quantiles: ${levelsProblem}`);
  const series = readNumericSeries(r.data, { target: r.targets, inputs: r.inputs, timeColumn: r.timeColumn, fill: r.fill ?? "none" });
  let testFromStep: number | undefined;
  if (r.testFrom !== undefined) {
    if (!series.time) throw new InputError("--test-from needs --time-column (the time the test span starts at)");
    const t = series.timeKind === "date" ? Date.parse(r.testFrom.length === 7 ? `${r.testFrom}-01` : r.testFrom) : Number(r.testFrom);
    if (!Number.isFinite(t)) throw new InputError(`--test-from ${r.testFrom} is not ${series.timeKind === "date" ? "an ISO 8601 date or time" : "a number"}, as the time column is`);
    testFromStep = series.time.findIndex((x) => x >= t);
    if (testFromStep < 0) throw new InputError(`--test-from ${r.testFrom} is after the table's last time; nothing would be left to test on`);
  }
  const { trainEnd, valEnd } = splitByTime(series.steps, {
    valFraction: r.valFraction ?? FORECAST_TRAIN_DEFAULTS.valFraction, testFraction: r.testFraction ?? FORECAST_TRAIN_DEFAULTS.testFraction, testFromStep,
  });
  const L = r.lookback, H = r.horizon;
  const lastTrainOrigin = strategy === "direct" ? trainEnd - H : trainEnd - 1;
  if (lastTrainOrigin < L) throw new InputError(`the training span has ${trainEnd} rows: too few for --lookback ${L} and --horizon ${H} (it needs at least ${L + (strategy === "direct" ? H : 1)}); shorten them or give more rows`);
  if (series.steps - valEnd < H) throw new InputError(`the test span has ${series.steps - valEnd} rows, fewer than --horizon ${H}; give a larger --test-frac or an earlier --test-from`);
  const scaling = fitScaling(series, trainEnd);
  const calendar = r.calendar === false ? [] : calendarFeaturesFor(series);
  const firstTarget = Float64Array.from({ length: trainEnd }, (_, i) => series.values[i * series.columns.length]);
  const season = r.season ?? detectSeason(firstTarget, Math.min(Math.floor(trainEnd / 3), 400));
  const D = featureWidth(series.columns.length, calendar);
  const n = r.network ?? {};
  const refused = Object.keys(n).filter((k) => !(FORECAST_NETWORK_FIELDS as readonly string[]).includes(k));
  if (refused.includes("bidirectional")) throw new InputError(BIDIRECTIONAL_REFUSAL);
  if (n.norm === "batch") throw new InputError(BATCH_NORM_FORECAST_REFUSAL);
  if (refused.length) throw new InputError(`a forecaster's network has no option ${refused[0]} (it takes ${FORECAST_NETWORK_FIELDS.join(", ")})`);
  // the cell options only where given (absent = the cell's default), as the language model's spec keeps them
  const options = Object.fromEntries((["gruReset", "norm", "tau", "learnTau", "dt", "additiveForm"] as const).filter((k) => n[k] !== undefined).map((k) => [k, n[k]]));
  const network: ModelSpec = {
    cell: n.cell ?? FORECAST_TRAIN_DEFAULTS.cell, nonlinearity: n.nonlinearity ?? "tanh", layers: n.layers ?? FORECAST_TRAIN_DEFAULTS.layers,
    hidden: n.hidden ?? FORECAST_TRAIN_DEFAULTS.hidden, embed: 0, vocabSize: D, peephole: n.peephole ?? false, coupled: n.coupled ?? false, residual: n.residual ?? false,
    ...options,
  };
  validateSpec(network);
  const spec: ForecastSpec = {
    targets: series.columns.slice(0, series.targets), inputs: series.columns.slice(series.targets),
    timeColumn: r.timeColumn ?? null, timeKind: series.timeKind,
    calendar, fill: r.fill ?? "none", lookback: L, horizon: H, strategy, loss, ...(quantiles ? { quantiles } : {}),
    scaling: { columns: series.columns.slice(), mean: Array.from(scaling.mean), std: Array.from(scaling.std) },
    split: { steps: series.steps, trainEnd, valEnd, testFromTime: series.time?.[valEnd] ?? null },
    season, arOrder: r.arOrder ?? null, backtest: r.backtest ?? FORECAST_TRAIN_DEFAULTS.backtest,
  };
  return { series, spec, network };
}

/** What a user should know about the table before training: cells filled, rows sorted, irregular spacing, the spans and the season. */
export function describePrepared({ series, spec }: PreparedForecast): string[] {
  const notes: string[] = [];
  const filled = series.filled.map((n, j) => [series.columns[j], n] as const).filter(([, n]) => n > 0);
  if (filled.length) notes.push(`filled ${filled.reduce((a, [, n]) => a + n, 0)} missing cells with --fill ${spec.fill} (${filled.map(([c, n]) => `${c} ${n}`).join(", ")})`);
  if (series.sorted) notes.push(`the rows were not in time order; sorted by ${spec.timeColumn}`);
  if (series.spacing && series.spacing.irregular > 0) notes.push(`irregular spacing: ${series.spacing.irregular} of ${series.steps - 1} steps differ from the usual ${series.spacing.step}`);
  const sp = spec.split;
  notes.push(`${series.steps} rows: training 1–${sp.trainEnd}, validation ${sp.trainEnd + 1}–${sp.valEnd}, test ${sp.valEnd + 1}–${sp.steps}; season ${spec.season}${spec.calendar.length ? `; calendar features: ${spec.calendar.join(", ")}` : ""}`);
  return notes;
}

export async function trainForecasterRun(r: ForecastTrainRequest, progress?: (p: ForecastTrainProgress) => void, signal?: AbortSignal, notes?: (lines: string[]) => void): Promise<{ checkpoint: string; evaluation: ForecastEvaluation; seconds: number; bestStep: number; steps: number; stopped: boolean }> {
  checkOutputPath({ out: r.out, kind: "file", inputs: [r.data], force: r.overwrite ?? false });
  // one writer per output for the whole run, as for text training: a second run on the same --out is
  // refused at once, naming the first, instead of replacing its checkpoint when it finishes
  checkOutputNotLocked(r.out);
  lockOutput(r.out);
  removeStaleTempFiles(dirname(r.out)); // what a run killed mid-write left beside its checkpoint
  let trained: Awaited<ReturnType<typeof trainPrepared>>;
  let prepared: PreparedForecast;
  try {
    prepared = prepareForecast(r);
    notes?.(describePrepared(prepared));
    const from = r.resumeFrom === undefined ? undefined : resumePoint(r.resumeFrom, prepared);
    // the periodic checkpoints and the final one are the same file, each written whole (atomically)
    // while the run holds its lock: a run killed between them leaves the last one, which --resume continues
    const write = (t: TrainedForecast) => {
      try {
        writeFileAtomic(r.out, encodeForecastCheckpoint({ network: prepared.network, spec: prepared.spec, params: t.params, training: t.summary, state: t.state }));
      } catch (e) {
        throw describeWriteFailure(e, r.out);
      }
    };
    trained = await trainPrepared(prepared.series, prepared.spec, prepared.network, r, progress, signal, from, write);
    write(trained);
  } finally {
    unlockOutput(r.out);
  }
  const { series, spec, network } = prepared;
  const model = new LoadedForecastModel(spec, network, trained.params);
  return { checkpoint: r.out, evaluation: evaluate(model, series), seconds: trained.summary.seconds, bestStep: trained.summary.bestStep, steps: trained.summary.steps, stopped: trained.stopped };
}

/** Where a resumed run starts: a checkpoint of the same network and task (the same table, columns, window, loss and split): its best weights, the steps it had trained, and (when it kept it) where its training stands. */
export interface ResumePoint { params: Float32Array; steps: number; bestStep?: number; state?: ForecastTrainingState | null }

/** The checkpoint at path as the start of `prepared`'s run, or an InputError naming what differs. */
export function resumePoint(path: string, prepared: PreparedForecast): ResumePoint {
  const c = readForecastCheckpoint(path);
  if (JSON.stringify(c.network) !== JSON.stringify(prepared.network)) throw new InputError(`--resume ${path}: its network is ${describeSpec(c.network)}, this run's ${describeSpec(prepared.network)}; give the same --cell, its options, --layers and --hidden`);
  const differs = (Object.keys(prepared.spec) as (keyof ForecastSpec)[]).filter((k) => k !== "backtest" && JSON.stringify(c.spec[k]) !== JSON.stringify(prepared.spec[k]));
  if (differs.length) throw new InputError(`--resume ${path}: it was trained with another ${differs.join(", ")} (the table, its columns, the window, the loss and the split must be the same)`);
  return { params: c.params, steps: c.training?.steps ?? 0, bestStep: c.training?.bestStep, state: c.state ?? null };
}

/** What the forecaster's optimisation is, as the one loop's options (Adam, global-norm clipping, the scaled initialisation, one window = the lookback). */
function trainOptions(L: number, r: { batch: number; lr: number; seed: number; dropout: number }): TrainOptions {
  return { ...DEFAULT_TRAIN_OPTIONS, batch: r.batch, seq: L, lr: r.lr, optimizer: "adam", beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0,
    clip: FORECAST_TRAIN_DEFAULTS.clip, dropout: r.dropout, lrDecay: 1, lrDecayEvery: 0, seed: r.seed, init: "scaled", forgetBias: 1, valFraction: 0 };
}

/** A forecaster has no characters; the Trainer's snapshot carries this placeholder, which no forecast checkpoint stores. */
const NO_VOCABULARY = new CharVocabulary({ chars: ["0", "1"], unk: -1 });

export interface TrainedForecast {
  /** the best validation weights (the latest when nothing validated) */
  params: Float32Array;
  summary: ForecastTrainingSummary;
  /** where training stands after the last step: what a resumed run continues from */
  state: ForecastTrainingState;
  stopped: boolean;
}

/**
 * A forecaster's run on the one training loop (training/trainingSession.ts on the Trainer, with its
 * shard threads when threads > 1): the ForecastTask supplies the batches (the training span's windows,
 * each epoch in its own seeded order), the values head, and the validation (closed-loop MAE on the
 * validation span, which keep-best selects by). The leakage test calls it on tables that differ only
 * in the test span. from: a checkpoint to go on from (exactly, when it kept its training state).
 * saveCheckpoint: called every checkpointEvery steps with the run as it stands (what the end returns).
 */
export async function trainPrepared(series: NumericSeries, spec: ForecastSpec, network: ModelSpec, r: Pick<ForecastTrainRequest, "batch" | "lr" | "steps" | "seed" | "dropout" | "threads" | "checkpointEvery">, progress?: (p: ForecastTrainProgress) => void, signal?: AbortSignal, from?: ResumePoint, saveCheckpoint?: (t: TrainedForecast) => void): Promise<TrainedForecast> {
  const { trainEnd, valEnd } = spec.split;
  const L = spec.lookback, H = spec.horizon;
  const steps = r.steps ?? FORECAST_TRAIN_DEFAULTS.steps, lr = r.lr ?? FORECAST_TRAIN_DEFAULTS.lr, seed = r.seed ?? FORECAST_TRAIN_DEFAULTS.seed, dropout = r.dropout ?? 0;
  // only the rows before valEnd exist for training and validation
  const visible: NumericSeries = { ...series, steps: valEnd, values: series.values.subarray(0, valEnd * series.columns.length), time: series.time?.slice(0, valEnd) ?? null };
  const features = featureMatrix(visible, spec.scaling, spec.calendar, valEnd, visible.time);
  const lastOrigin = spec.strategy === "direct" ? trainEnd - H : trainEnd - 1;
  const trainOrigins = Array.from({ length: lastOrigin - L + 1 }, (_, i) => L + i);
  const batch = Math.min(r.batch ?? FORECAST_TRAIN_DEFAULTS.batch, trainOrigins.length);
  if (L > LIMITS.seq.max) throw new InputError(`--lookback ${L} is over the ${LIMITS.seq.max} steps a training window may have`);
  if (batch > LIMITS.batch.max) throw new InputError(`--batch ${batch} is over the ${LIMITS.batch.max} windows a batch may have`);
  const valOrigins = spread(Math.max(trainEnd, L), valEnd - H, 64);
  // the line to beat: the best baseline's validation MAE on the first target
  const firstTarget = Float64Array.from({ length: valEnd }, (_, i) => series.values[i * series.columns.length]);
  const baselines = fitBaselines(firstTarget.subarray(0, trainEnd), { season: Math.min(spec.season, trainEnd), arOrder: spec.arOrder ?? undefined });
  const baselineMaes = Object.entries(baselines.forecasters).map(([name, f]) => {
    let s = 0;
    for (const o of valOrigins) { const p = f(firstTarget.subarray(0, o), H); for (let h = 0; h < H; h++) s += Math.abs(p[h] - firstTarget[o + h]); }
    return { name, mae: s / (valOrigins.length * H) };
  });
  const bestBaseline = valOrigins.length ? baselineMaes.reduce((a, b) => (b.mae < a.mae ? b : a)) : null;
  const baselineValMae = bestBaseline?.mae ?? NaN;
  const maseScale = naiveScale(firstTarget.subarray(0, trainEnd)); // MASE's denominator, from the training span as the evaluation's

  const task = new ForecastTask(spec, network.vocabSize);
  const options = trainOptions(L, { batch, lr, seed, dropout });
  const width = network.vocabSize;
  const corpus = { files: [series.file], sha256: createHash("sha256").update(new Uint8Array(series.values.buffer, series.values.byteOffset, series.values.byteLength)).digest("hex"), chars: valEnd, trainChars: trainEnd };
  // another --batch cuts the epoch differently: the run goes on from the next epoch's start (weights and moments as they were)
  const position = from?.state && from.state.progress.options.batch !== batch ? { ...from.state.progress, epoch: from.state.progress.epoch + 1, window: 0 } : from?.state?.progress;
  const resumeFrom: Model | null = from ? {
    spec: network, vocab: NO_VOCABULARY, task: task.checkpoint(), params: from.state?.params ?? from.params,
    // the hidden state is never carried from one window to the next: zeros, sized for this run's batch
    training: from.state && position ? { ...position, options, moment1: from.state.moment1, moment2: from.state.moment2, hidden: new Float32Array(network.layers * batch * network.hidden), cell: null } : null,
  } : null;
  const trainer = new Trainer<ForecastData, ForecastBatches>(network, NO_VOCABULARY,
    { train: { features, width, origins: trainOrigins, shuffle: seed }, val: { features, width, origins: valOrigins } },
    options, corpus, resumeFrom, undefined, r.threads ?? 1, task);
  try {
    const start = trainer.step; // a file without a training state resumes its weights as a new run: step 0
    let best: Float32Array | null = null, bestStep = from ? from.bestStep ?? start : start;
    if (from?.state) best = from.params; // its best so far, until this run beats it (the trainer kept its best metric)
    const evalEvery = Math.max(1, Math.floor(steps / FORECAST_TRAIN_DEFAULTS.validations));
    const report = (step: number, valMae: number | null, valRmse: number | null) => progress?.({
      step, steps: start + steps, trainLoss: trainer.lastLoss, valMae, valRmse, baselineValMae,
      valMase: valMae === null ? null : valMae / maseScale, baselineValMase: baselineValMae / maseScale, ...(bestBaseline ? { baselineName: bestBaseline.name } : {}),
    });
    // the run as it stands after `model` (a Trainer snapshot): its kept best (the latest when nothing validated yet) and where training is
    const standing = (model: Model, stopped: boolean): TrainedForecast => {
      const { moment1, moment2, hidden, cell, ...position } = model.training!;
      void hidden; void cell;
      return {
        params: best ?? model.params,
        summary: { steps: trainer.step, seconds: session.seconds, bestStep: best === null ? trainer.step : bestStep, bestValLoss: trainer.bestSelection, trainLoss: trainer.lastLoss, settings: { batch, lr, seed, dropout } },
        state: { params: model.params, moment1, moment2, progress: position },
        stopped,
      };
    };
    const checkpointEvery = r.checkpointEvery ?? FORECAST_TRAIN_DEFAULTS.checkpointEvery;
    if (!Number.isInteger(checkpointEvery) || checkpointEvery < 0) throw new InputError(`--checkpoint-every must be a whole number ≥ 0, not ${checkpointEvery}`);
    let last: Model | null = null, finishing = false;
    const session: TrainingSession = new TrainingSession(trainer as unknown as Trainer, { budget: { steps }, evalEvery, sampleEvery: 0, sampleLength: 0, checkpointEvery: saveCheckpoint ? checkpointEvery : 0, tensorNorms: false }, {
      saveCheckpoint: (model) => {
        last = model;
        if (finishing || !saveCheckpoint) return "memory";
        saveCheckpoint(standing(model, false));
        return "periodic";
      },
      saveBest: (model) => { best = model.params; bestStep = model.training?.step ?? trainer.step; },
      onValidation: (step, v) => report(step, v.metrics.val_mae, v.metrics.val_rmse),
      // no validation windows (a validation span shorter than the horizon): progress on the same schedule, without a validation
      onStep: (s) => { if (!valOrigins.length && (s.step % evalEvery === 0 || s.step === start + steps)) report(s.step, null, null); },
    });
    let lastYield = performance.now();
    try {
      while (!session.budgetSpent) {
        // a turn of the event loop every 20 ms: progress is delivered and an abort is seen
        if (performance.now() - lastYield > 20) { await new Promise((resolve) => setImmediate(resolve)); lastYield = performance.now(); }
        if (signal?.aborted) break;
        session.step();
      }
    } catch (e) {
      if (e instanceof NonFiniteLossError) throw new InputError(`training diverged at step ${e.step + 1} (loss ${e.loss}); lower --lr`);
      throw e;
    }
    const stopped = !session.budgetSpent;
    finishing = true;
    session.finish(stopped ? "stopped" : "done");
    // nothing validated (stopped before the first validation, or no validation span): the weights as they are now
    return standing(last as unknown as Model, stopped);
  } finally {
    trainer.dispose();
  }
}
