// The bodies behind forecastModel.ts's contract: a loaded forecaster (network + scaling), the
// evaluation of it and of every baseline on the same rolling origins of the test span, the forecast
// past the data's end, and the column survey of the training quick picks.

import { InputError } from "../messages/inputError";
import { readTextFile } from "../files/corpusFile";
import { csvRecords } from "../files/csvTable";
import type { ModelSpec } from "../model/modelSpec";
import { describeNetwork } from "../model/modelSpec";
import { BASELINES, backtestOrigins, fitBaselines } from "./baselines";
import { forecastErrors, intervalCoverage, naiveScale } from "./forecastMetrics";
import { extendTimes, featureMatrix } from "./forecastFeatures";
import { ForecastNetwork } from "./forecastNetwork";
import { DEFAULT_QUANTILES } from "../tasks/forecastTask";
import { INTERVAL_LEVEL } from "./forecastModel";
import { ForecastCheckpoint, readForecastCheckpoint } from "./forecastCheckpoint";
import { NumericSeries, readNumericSeries } from "./numericSeries";
import { autocorrelation, detectSeason } from "./seasonality";
import type {
  ColumnSurvey, EvaluateOptions, ForecastEvaluation, ForecastModel, ForecastOptions, ForecastPoints, ForecastSpec, ForecasterName, ForecasterScores, StepMetrics,
} from "./forecastModel";

/** z of the central 90 % normal interval (INTERVAL_LEVEL). */
const Z_90 = 1.6448536269514722;

export class LoadedForecastModel implements ForecastModel {
  private readonly net: ForecastNetwork;

  constructor(readonly spec: ForecastSpec, readonly network: ModelSpec, params: ArrayLike<number>) {
    this.net = new ForecastNetwork(spec, network);
    this.net.core.params().set(params);
    this.net.core.freezeWeights(true);
  }

  static fromCheckpoint(c: ForecastCheckpoint): LoadedForecastModel { return new LoadedForecastModel(c.spec, c.network, c.params); }

  get outputs(): number { return this.net.outputs; }
  /** Elements of the parameter block (core layout). */
  get parameterCount(): number { return this.net.core.paramCount; }
  get targets(): string[] { return this.spec.targets; }
  get inputs(): string[] { return this.spec.inputs; }
  get lookback(): number { return this.spec.lookback; }
  get horizon(): number { return this.spec.horizon; }
  get strategy() { return this.spec.strategy; }
  get loss() { return this.spec.loss; }
  get hasIntervals(): boolean { return this.spec.loss === "gaussian" || (this.spec.loss === "quantile" && (this.spec.quantiles ?? DEFAULT_QUANTILES).length >= 2); }
  get scaling() { return this.spec.scaling; }
  get description(): string {
    const s = this.spec;
    return `${describeNetwork(this.network)}, lookback ${s.lookback}, horizon ${s.horizon} ${s.strategy}, loss ${s.loss}, ${this.network.vocabSize} values per step`;
  }

  forecastAt(series: NumericSeries, origins: number[], options: ForecastOptions = {}): ForecastPoints {
    const s = this.spec;
    const horizon = options.horizon ?? s.horizon;
    const closedLoop = s.strategy === "recursive" ? options.closedLoop ?? true : true;
    if (!Number.isInteger(horizon) || horizon < 1) throw new InputError(`the horizon must be a whole number ≥ 1, not ${horizon}`);
    if (s.strategy === "direct" && horizon > s.horizon) throw new InputError(`this model forecasts ${s.horizon} steps at once (direct); ask for at most ${s.horizon}, or train it with a longer --horizon`);
    const expected = [...s.targets, ...s.inputs];
    if (series.columns.join("\u0000") !== expected.join("\u0000")) throw new InputError(`${series.file}: the model reads the columns ${expected.join(", ")}, this table gives ${series.columns.join(", ")}`);
    for (const o of origins) {
      if (!Number.isInteger(o) || o < s.lookback || o > series.steps) throw new InputError(`a forecast origin must be from ${s.lookback} (the lookback) to ${series.steps} (the table's end), not ${o}`);
    }
    const rows = s.strategy === "recursive" ? Math.max(series.steps, ...origins.map((o) => o + horizon)) : series.steps;
    const times = s.calendar.length ? extendTimes(series, rows - series.steps) : null;
    const features = featureMatrix(series, s.scaling, s.calendar, rows, times);
    const out = this.net.forecast(features, series.steps, origins, horizon, closedLoop);
    const K = s.targets.length;
    const unscale = (v: number, k: number) => v * s.scaling.std[k] + s.scaling.mean[k];
    const mean = out.mean.map((perStep) => perStep.map((m) => Array.from({ length: K }, (_, k) => unscale(m[k], k))));
    let lower: number[][][] | null = null, upper: number[][][] | null = null, intervalLevel: number | null = null;
    if (out.quantiles) {
      // the lowest and the highest level bound the interval (levels ascend; the head does not force its outputs to)
      const levels = s.quantiles ?? DEFAULT_QUANTILES, Q = levels.length;
      const bound = (pick: (v: number[]) => number) => out.quantiles!.map((perStep) => perStep.map((perLevel) => Array.from({ length: K }, (_, k) => unscale(pick(perLevel.map((q) => q[k])), k))));
      if (Q >= 2) { lower = bound((v) => Math.min(...v)); upper = bound((v) => Math.max(...v)); intervalLevel = levels[Q - 1] - levels[0]; }
    }
    if (out.logVariance) {
      intervalLevel = INTERVAL_LEVEL;
      const sd = out.logVariance.map((perStep) => perStep.map((lv) => Array.from({ length: K }, (_, k) => Math.exp(0.5 * clampLogVariance(lv[k])) * s.scaling.std[k])));
      lower = mean.map((p, i) => p.map((m, h) => m.map((v, k) => v - Z_90 * sd[i][h][k])));
      upper = mean.map((p, i) => p.map((m, h) => m.map((v, k) => v + Z_90 * sd[i][h][k])));
    }
    return { origins: origins.slice(), horizon, targets: s.targets.slice(), mean, lower, upper, intervalLevel, closedLoop };
  }
}

/** The core clamps log σ² to ±15 in the loss (regression.ts); the intervals use the same value. */
function clampLogVariance(s: number): number { return Math.max(-15, Math.min(15, s)); }

export function loadForecastModelFile(path: string): LoadedForecastModel {
  return LoadedForecastModel.fromCheckpoint(readForecastCheckpoint(path));
}

export function readTableFor(model: Pick<ForecastModel, "spec">, path: string): NumericSeries {
  const s = model.spec;
  return readNumericSeries(path, { target: s.targets, inputs: s.inputs, timeColumn: s.timeColumn ?? undefined, fill: s.fill });
}

/** The spans of this table: the checkpoint's split when the table is the training one (same length), else the test span from the same time, or the same fractions. */
export function spansOf(spec: ForecastSpec, series: NumericSeries): { trainEnd: number; valEnd: number } {
  const sp = spec.split;
  if (series.steps === sp.steps) return { trainEnd: sp.trainEnd, valEnd: sp.valEnd };
  if (series.time && sp.testFromTime !== null) {
    const valEnd = series.time.findIndex((t) => t >= sp.testFromTime!);
    const trainEnd = Math.round(valEnd * (sp.trainEnd / sp.valEnd));
    if (valEnd > 0) return { trainEnd, valEnd };
  }
  return { trainEnd: Math.round((series.steps * sp.trainEnd) / sp.steps), valEnd: Math.round((series.steps * sp.valEnd) / sp.steps) };
}

function column(series: NumericSeries, k: number, end = series.steps): Float64Array {
  const w = series.columns.length;
  return Float64Array.from({ length: end }, (_, i) => series.values[i * w + k]);
}

export function evaluate(model: ForecastModel, series: NumericSeries, options: EvaluateOptions = {}): ForecastEvaluation {
  const s = model.spec;
  const { trainEnd, valEnd } = spansOf(s, series);
  const H = s.horizon, K = s.targets.length;
  const count = options.backtest ?? s.backtest;
  if (valEnd + H > series.steps) throw new InputError(`${series.file}: the test span (${series.steps - valEnd} rows from row ${valEnd + 1}) is shorter than the horizon ${H}`);
  if (valEnd < s.lookback) throw new InputError(`${series.file}: the test span starts at step ${valEnd}, before the lookback ${s.lookback} has been read`);
  const origins = [...new Set(backtestOrigins(series.steps, valEnd, H, Math.min(count, series.steps - H - valEnd + 1)))];
  const season = options.season ?? s.season;
  const closedLoop = options.closedLoop ?? true;
  const modelPoints = model.forecastAt(series, origins, { closedLoop });
  const perTarget = Array.from({ length: K }, (_, k) => {
    const values = column(series, k);
    const train = values.subarray(0, trainEnd);
    const scale = naiveScale(train);
    const baselines = fitBaselines(train, { season: Math.min(season, trainEnd), arOrder: options.arOrder ?? s.arOrder ?? undefined });
    const forecasts: Record<string, number[][]> = { model: modelPoints.mean.map((p) => p.map((m) => m[k])) };
    for (const b of BASELINES) forecasts[b] = origins.map((o) => Array.from(baselines.forecasters[b](values.subarray(0, o), H)));
    return { values, scale, baselines, forecasts };
  });
  const names: ForecasterName[] = ["model", ...BASELINES];
  const scores = {} as Record<ForecasterName, ForecasterScores>;
  for (const name of names) {
    const metrics = (k: number, steps: number[]): StepMetrics => {
      const t = perTarget[k];
      const actual: number[] = [], forecast: number[] = [], lower: number[] = [], upper: number[] = [];
      origins.forEach((o, i) => {
        for (const h of steps) {
          actual.push(t.values[o + h]);
          forecast.push(t.forecasts[name][i][h]);
          if (name === "model" && modelPoints.lower) { lower.push(modelPoints.lower[i][h][k]); upper.push(modelPoints.upper![i][h][k]); }
        }
      });
      return { ...forecastErrors(actual, forecast, t.scale), coverage: lower.length ? intervalCoverage(actual, lower, upper) : null };
    };
    const all = Array.from({ length: H }, (_, h) => h);
    const points: ForecastPoints = name === "model" ? modelPoints : {
      origins, horizon: H, targets: s.targets.slice(), lower: null, upper: null, intervalLevel: null, closedLoop: true,
      mean: origins.map((_o, i) => Array.from({ length: H }, (_, h) => perTarget.map((t) => t.forecasts[name][i][h]))),
    };
    scores[name] = {
      perStep: perTarget.map((_t, k) => all.map((h) => metrics(k, [h]))),
      overall: perTarget.map((_t, k) => metrics(k, all)),
      forecasts: points,
    };
  }
  const winner = perTarget.map((_t, k) => Array.from({ length: H }, (_, h) => names.reduce((best, n) => (scores[n].perStep[k][h].mae < scores[best].perStep[k][h].mae ? n : best), names[0])));
  return {
    targets: s.targets.slice(), horizon: H, origins,
    originTimes: origins.map((o) => series.time?.[o] ?? null),
    split: { steps: series.steps, trainEnd, valEnd, testFromTime: series.time?.[valEnd] ?? null },
    scale: perTarget.map((t) => t.scale), season,
    ar: perTarget.map((t) => ({ order: t.baselines.ar.order, coefficients: Array.from(t.baselines.ar.coefficients) })),
    closedLoop, scores, winner,
  };
}

export function forecastPastEnd(model: ForecastModel, series: NumericSeries, options: ForecastOptions = {}): ForecastPoints & { times: (number | null)[] } {
  const points = model.forecastAt(series, [series.steps], { ...options, closedLoop: true });
  const times = extendTimes(series, points.horizon);
  return { ...points, times: Array.from({ length: points.horizon }, (_, h) => times?.[series.steps + h] ?? null) };
}

const MISSING = new Set(["", "na", "n/a", "nan", "null", "none", "-"]);
const ISO_DATE = /^\d{4}-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)?$/;

export function surveyTable(path: string): ColumnSurvey[] {
  const records = csvRecords(readTextFile(path), path, { delimiter: /\.tsv$/i.test(path) ? "\t" : ",", trim: true });
  if (records.length < 2) throw new InputError(`${path}: needs a header row and at least one row of values`);
  return records[0].cells.map((name, c) => {
    const cells = records.slice(1).map((r) => r.cells[c]);
    const present = cells.filter((v) => !MISSING.has(v.toLowerCase()));
    const numbers = present.map(Number);
    const numeric = present.length > 0 && numbers.every(Number.isFinite);
    return {
      name, numeric, dates: present.length > 0 && present.every((v) => ISO_DATE.test(v)),
      min: numeric ? numbers.reduce((a, b) => Math.min(a, b)) : null, max: numeric ? numbers.reduce((a, b) => Math.max(a, b)) : null,
      missing: cells.length - present.length, preview: cells.slice(0, 5),
    };
  });
}

/** Season from the ACF; lookback two seasons (at least 8), or the lag where the ACF first falls inside the noise band; horizon one season (at least 1). */
export function suggestWindowFor(values: ArrayLike<number>): { season: number; lookback: number; horizon: number; acf: number[] } {
  const n = values.length;
  const maxLag = Math.min(Math.floor(n / 3), 400);
  const acf = Array.from(autocorrelation(values, maxLag));
  const season = detectSeason(values, Math.min(maxLag, 400));
  const band = 1.96 / Math.sqrt(n);
  const fallOff = acf.findIndex((r, k) => k > 0 && Math.abs(r) < band);
  const lookback = season > 1 ? Math.max(8, 2 * season) : Math.max(8, fallOff > 0 ? fallOff : 16);
  return { season, lookback: Math.min(lookback, Math.max(2, Math.floor(n / 4))), horizon: season > 1 ? season : 1, acf };
}
