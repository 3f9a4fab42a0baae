// Training a forecaster: the table read and split by time, the scaling fitted on the training span,
// windows drawn from the training span only (every target a window reads lies before trainEnd), Adam
// on the core's regression head, the validation span's MAE measured as the evaluation measures it
// (the same forecasts, closed loop), the best validation weights kept and written as the checkpoint.
// Nothing at or after valEnd (the test span) is read before the final evaluation.

import { performance } from "node:perf_hooks";
import { InputError } from "../messages/inputError";
import { checkOutputNotLocked, checkOutputPath, describeWriteFailure, lockOutput, unlockOutput } from "../files/outputFile";
import { writeFileAtomic } from "../files/checkpointFile";
import { initialiseParameters } from "../model/initialise";
import type { ModelSpec } from "../model/modelSpec";
import { validateSpec } from "../model/modelSpec";
import { mulberry32 } from "../model/seededRandom";
import { FORECAST_TRAIN_DEFAULTS } from "../model/defaults";
import { OptimizerCode } from "../core/coreAbi";
import { detectSeason } from "./seasonality";
import { fitBaselines } from "./baselines";
import { NumericSeries, fitScaling, readNumericSeries, splitByTime } from "./numericSeries";
import { calendarFeaturesFor, featureMatrix, featureWidth } from "./forecastFeatures";
import { ForecastNetwork } from "./forecastNetwork";
import { encodeForecastCheckpoint, quantileLevelsProblem, readForecastCheckpoint } from "./forecastCheckpoint";
import { describeSpec } from "../model/modelSpec";
import { DEFAULT_QUANTILES } from "../tasks/forecastTask";
import { LoadedForecastModel, evaluate } from "./forecastEngine";
import { BATCH_NORM_FORECAST_REFUSAL, BIDIRECTIONAL_REFUSAL, FORECAST_LOSSES, FORECAST_NETWORK_FIELDS, type ForecastEvaluation, type ForecastSpec, type ForecastTrainProgress, type ForecastTrainRequest } from "./forecastModel";

/** The defaults of `rnn-lab train --task forecast` and of the editor's Train Forecaster (written once, in model/defaults.ts). */
export { FORECAST_TRAIN_DEFAULTS };

/** Standardised MAE of the forecasts at origins against the table, averaged over targets and steps (the selection criterion), and the first target's MAE and RMSE in data units. */
function validationError(model: LoadedForecastModel, series: NumericSeries, origins: number[]): { standard: number; mae: number; rmse: number } {
  const p = model.forecastAt(series, origins, { closedLoop: true });
  const w = series.columns.length, K = model.targets.length, std = model.scaling.std;
  let standard = 0, abs = 0, sq = 0, n = 0;
  p.mean.forEach((perStep, i) => perStep.forEach((m, h) => {
    for (let k = 0; k < K; k++) {
      const e = m[k] - series.values[(origins[i] + h) * w + k];
      standard += Math.abs(e) / std[k];
      if (k === 0) { abs += Math.abs(e); sq += e * e; n++; }
    }
  }));
  return { standard: standard / (n * K), mae: abs / n, rmse: Math.sqrt(sq / n) };
}

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
  let trained: Awaited<ReturnType<typeof trainPrepared>>;
  let prepared: PreparedForecast;
  try {
    prepared = prepareForecast(r);
    notes?.(describePrepared(prepared));
    const from = r.resumeFrom === undefined ? undefined : resumePoint(r.resumeFrom, prepared);
    trained = await trainPrepared(prepared.series, prepared.spec, prepared.network, r, progress, signal, from);
    const bytes = encodeForecastCheckpoint({ network: prepared.network, spec: prepared.spec, params: trained.params, training: trained.summary });
    try {
      writeFileAtomic(r.out, bytes);
    } catch (e) {
      throw describeWriteFailure(e, r.out);
    }
  } finally {
    unlockOutput(r.out);
  }
  const { series, spec, network } = prepared;
  const model = new LoadedForecastModel(spec, network, trained.params);
  return { checkpoint: r.out, evaluation: evaluate(model, series), seconds: trained.summary.seconds, bestStep: trained.summary.bestStep, steps: trained.summary.steps, stopped: trained.stopped };
}

/** Where a resumed run starts: a checkpoint of the same network and task (the same table, columns, window, loss and split), its weights and the steps it had trained. */
export interface ResumePoint { params: Float32Array; steps: number }

/** The checkpoint at path as the start of `prepared`'s run, or an InputError naming what differs. */
export function resumePoint(path: string, prepared: PreparedForecast): ResumePoint {
  const c = readForecastCheckpoint(path);
  if (JSON.stringify(c.network) !== JSON.stringify(prepared.network)) throw new InputError(`--resume ${path}: its network is ${describeSpec(c.network)}, this run's ${describeSpec(prepared.network)}; give the same --cell, its options, --layers and --hidden`);
  const differs = (Object.keys(prepared.spec) as (keyof ForecastSpec)[]).filter((k) => k !== "backtest" && JSON.stringify(c.spec[k]) !== JSON.stringify(prepared.spec[k]));
  if (differs.length) throw new InputError(`--resume ${path}: it was trained with another ${differs.join(", ")} (the table, its columns, the window, the loss and the split must be the same)`);
  return { params: c.params, steps: c.training?.steps ?? 0 };
}

/** The training loop proper, on a prepared run (the leakage test calls it on tables that differ only in the test span). from: start from these weights (fresh Adam moments), counting on from its steps. */
export async function trainPrepared(series: NumericSeries, spec: ForecastSpec, network: ModelSpec, r: Pick<ForecastTrainRequest, "batch" | "lr" | "steps" | "seed" | "dropout">, progress?: (p: ForecastTrainProgress) => void, signal?: AbortSignal, from?: ResumePoint) {
  const started = performance.now();
  const { trainEnd, valEnd } = spec.split;
  const L = spec.lookback, H = spec.horizon;
  const steps = r.steps ?? FORECAST_TRAIN_DEFAULTS.steps, lr = r.lr ?? FORECAST_TRAIN_DEFAULTS.lr, seed = r.seed ?? FORECAST_TRAIN_DEFAULTS.seed, dropout = r.dropout ?? 0;
  // only the rows before valEnd exist for training and validation
  const visible: NumericSeries = { ...series, steps: valEnd, values: series.values.subarray(0, valEnd * series.columns.length), time: series.time?.slice(0, valEnd) ?? null };
  const features = featureMatrix(visible, spec.scaling, spec.calendar, valEnd, visible.time);
  const net = new ForecastNetwork(spec, network);
  if (from) net.core.params().set(from.params);
  else initialiseParameters(net.core, network, "scaled", 1, seed);
  const before = from?.steps ?? 0;
  const lastOrigin = spec.strategy === "direct" ? trainEnd - H : trainEnd - 1;
  const trainOrigins = Array.from({ length: lastOrigin - L + 1 }, (_, i) => L + i);
  const batch = Math.min(r.batch ?? FORECAST_TRAIN_DEFAULTS.batch, trainOrigins.length);
  const random = mulberry32(seed);
  const valOrigins = spread(Math.max(trainEnd, L), valEnd - H, 64);
  // the line to beat: the best baseline's validation MAE on the first target
  const firstTarget = Float64Array.from({ length: valEnd }, (_, i) => series.values[i * series.columns.length]);
  const baselines = fitBaselines(firstTarget.subarray(0, trainEnd), { season: Math.min(spec.season, trainEnd), arOrder: spec.arOrder ?? undefined });
  const baselineValMae = valOrigins.length ? Math.min(...Object.values(baselines.forecasters).map((f) => {
    let s = 0;
    for (const o of valOrigins) { const p = f(firstTarget.subarray(0, o), H); for (let h = 0; h < H; h++) s += Math.abs(p[h] - firstTarget[o + h]); }
    return s / (valOrigins.length * H);
  })) : NaN;
  let order = trainOrigins.slice(), cursor = order.length;
  let best: Float32Array = Float32Array.from(net.core.params()), bestStep = before, bestVal: number | null = null, trainLoss = NaN, trained = 0;
  const validateEvery = Math.max(1, Math.floor(steps / FORECAST_TRAIN_DEFAULTS.validations));
  let lastYield = performance.now();
  for (let step = 1; step <= steps; step++) {
    // a turn of the event loop every 20 ms: progress is delivered and an abort is seen
    if (performance.now() - lastYield > 20) { await new Promise((resolve) => setImmediate(resolve)); lastYield = performance.now(); }
    if (signal?.aborted) break;
    trained = step;
    if (cursor + batch > order.length) {
      // a fresh permutation of the training windows each epoch (Fisher–Yates on the seeded generator)
      order = trainOrigins.slice();
      for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(random() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
      cursor = 0;
    }
    net.loadTrainingBatch(features, order.slice(cursor, cursor + batch));
    cursor += batch;
    net.core.zeroGrads();
    net.core.setDropoutKey((seed * 2654435761 + step) >>> 0);
    const loss = net.core.forward(true, dropout, true);
    net.core.backward();
    net.core.clipGradients(FORECAST_TRAIN_DEFAULTS.clip);
    net.core.optimizerStep(OptimizerCode.Adam, lr, 0.9, 0.999, 1e-8, 0, step);
    trainLoss = loss;
    if (!Number.isFinite(loss)) throw new InputError(`training diverged at step ${step} (loss ${loss}); lower --lr`);
    if (step % validateEvery === 0 || step === steps) {
      let valMae: number | null = null, valRmse: number | null = null;
      if (valOrigins.length) {
        const probe = new LoadedForecastModel(spec, network, net.core.params());
        const v = validationError(probe, visible, valOrigins);
        valMae = v.mae; valRmse = v.rmse;
        if (bestVal === null || v.standard < bestVal) { bestVal = v.standard; best = Float32Array.from(net.core.params()); bestStep = before + step; }
      } else {
        best = Float32Array.from(net.core.params()); bestStep = before + step;
      }
      progress?.({ step: before + step, steps: before + steps, trainLoss: loss, valMae, valRmse, baselineValMae });
    }
  }
  // stopped before the first validation: the weights as they are now (a valid checkpoint that resumes from here)
  if (trained > 0 && trained < steps && bestStep === before) { best = Float32Array.from(net.core.params()); bestStep = before + trained; }
  return { params: best, summary: { steps: before + trained, seconds: (performance.now() - started) / 1000, bestStep, bestValLoss: bestVal, trainLoss, settings: { batch, lr, seed, dropout } }, stopped: trained < steps };
}
