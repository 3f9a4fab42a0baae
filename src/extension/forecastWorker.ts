// The forecast worker: reads CSV/TSV tables and computes what the forecast panel, the quick picks
// and the CSV hover show (column previews, the baselines' backtest, the forecasts from one row), off
// the extension host's thread. Tables and series are kept by file and version, so hovering along a
// file parses it once.

import { parentPort } from "node:worker_threads";
import { statSync } from "node:fs";
import { readTextFile } from "../engine/files/corpusFile";
import { baselineReport, baselinesFrom, suggestWindow } from "../engine/forecast/baselineReport";
import { NumericSeries, parseNumericSeries, splitByTime } from "../engine/forecast/numericSeries";
import { delimiterOf, previewTable } from "../engine/forecast/tablePreview";
import { InputError, translatableOf } from "../engine/messages/inputError";
import { ForecastPoint, ForecastRequest, ForecastResult, SeriesChoice, SeriesData, TableSource, isForecastRequest } from "../protocol/forecastWorker";
import { buffersOf, serveRequests } from "../protocol/messageChannel";
import { loadForecaster, modelForecastsFor } from "../engine/forecast/modelBacktest";
import type { ForecastModel } from "../engine/forecast/forecastModel";
import { spansOf } from "../engine/forecast/forecastEngine";
import { FORECAST_TRAIN_DEFAULTS } from "../engine/forecast/forecastTrainer";

const port = parentPort;
if (!port) throw new Error("forecastWorker runs only as a worker thread");

const KEEP = 4;
/** Forecast origins of a backtest without a trained model's own count. */
const DEFAULT_ORIGINS = 100;
const texts = new Map<string, string>();
const series = new Map<string, NumericSeries>();

/** The host named a text this worker no longer keeps: it sends the text again. */
class StaleText extends Error {}

function remember<T>(map: Map<string, T>, key: string, make: () => T): T {
  let v = map.get(key);
  if (v === undefined) {
    v = make();
    map.set(key, v);
    while (map.size > KEEP) map.delete(map.keys().next().value as string);
  }
  return v;
}

/** The table's text and a key that changes when it does (the editor's version, else the file's mtime). */
function tableText(source: TableSource): { key: string; text: string } {
  if (source.version !== undefined) {
    // an editor's text: sent with each new version, then named by the version alone
    const key = `${source.file}#v${source.version}`;
    if (source.text === undefined && !texts.has(key)) throw new StaleText(`${source.file}: version ${source.version} is no longer kept`);
    return { key, text: remember(texts, key, () => source.text!) };
  }
  const key = `${source.file}#m${statSync(source.file).mtimeMs}`;
  return { key, text: remember(texts, key, () => readTextFile(source.file)) };
}

function seriesOf(source: TableSource, choice: SeriesChoice): NumericSeries {
  const { key, text } = tableText(source);
  return remember(series, `${key}|${choice.target}|${choice.timeColumn ?? ""}|${choice.fill}`, () =>
    parseNumericSeries(text, source.file, { target: [choice.target], timeColumn: choice.timeColumn, fill: choice.fill, delimiter: delimiterOf(source.file) }));
}

function seriesData(s: NumericSeries, column: string): SeriesData {
  const w = s.columns.length;
  return {
    column, values: Float64Array.from({ length: s.steps }, (_, i) => s.values[i * w]), time: s.time ? Float64Array.from(s.time) : null, timeKind: s.timeKind,
    lines: Int32Array.from(s.lines), filled: s.filled[0] ?? 0, sorted: s.sorted, spacing: s.spacing,
  };
}

/** A trained forecaster's checkpoint, or why it cannot be read (the panel then shows the baselines and says why). */
function forecaster(checkpoint: string | undefined): { model: ForecastModel | null; error?: string } {
  if (!checkpoint) return { model: null };
  try { return { model: loadForecaster(checkpoint) }; } catch (e) { return { model: null, error: (e as Error).message }; }
}

/** What a report is made on: the model's split, horizon, backtest, season and AR order when there is a model (so the numbers are `rnn-lab eval`'s), else the trainer's default spans. */
function plan(r: Extract<ForecastRequest, { type: "report" | "forecastFrom" }>, model: ForecastModel | null) {
  const s = seriesOf(r.source, { ...r.series, fill: model?.spec.fill ?? r.series.fill });
  const data = seriesData(s, r.series.target);
  const { trainEnd, valEnd } = model ? spansOf(model.spec, s) : splitByTime(s.steps, {
    valFraction: r.series.valFraction ?? FORECAST_TRAIN_DEFAULTS.valFraction, testFraction: r.series.testFraction ?? FORECAST_TRAIN_DEFAULTS.testFraction,
  });
  const horizon = r.horizon ?? model?.horizon ?? suggestWindow(data.values.subarray(0, trainEnd)).horizon;
  return { s, data, trainEnd, valEnd, horizon, season: model?.spec.season, arOrder: model?.spec.arOrder ?? undefined };
}

function handle(r: ForecastRequest): { result: ForecastResult; transfer: ArrayBuffer[] } {
  switch (r.type) {
    case "preview": {
      const { text } = tableText(r.source);
      return { result: { type: "preview", preview: previewTable(text, r.source.file, delimiterOf(r.source.file)) }, transfer: [] };
    }
    case "report": {
      const f = forecaster(r.checkpoint);
      const { s, data, trainEnd, valEnd, horizon, season, arOrder } = plan(r, f.model);
      if (s.steps - valEnd < horizon) throw new InputError(`${r.source.file}: the test span has ${s.steps - valEnd} rows, fewer than the horizon ${horizon}; forecast fewer steps or set aside a larger test span`);
      const report = baselineReport(data.values, {
        trainEnd, valEnd, horizon, origins: r.origins ?? f.model?.spec.backtest ?? DEFAULT_ORIGINS, season: r.season ?? season, arOrder: r.arOrder ?? arOrder,
      });
      const m = f.model ? modelForecastsFor(r.checkpoint!, s, { trainEnd, valEnd, origins: report.origins, horizon }) : null;
      if (m?.model) report.models.unshift(m.model);
      const modelError = f.error ?? m?.error;
      const result: ForecastResult = { type: "report", series: data, report, model: m?.info ?? null, ...(modelError ? { modelError } : {}) };
      return { result, transfer: buffersOf(data.values, data.lines, ...(data.time ? [data.time] : []), ...report.models.flatMap((x) => [x.forecasts, x.residuals, x.residualAcf, ...(x.lower ? [x.lower] : []), ...(x.upper ? [x.upper] : [])])) };
    }
    case "forecastFrom": {
      const f = forecaster(r.checkpoint);
      const { s, data, trainEnd, valEnd, horizon } = plan(r, f.model);
      const index = data.lines.indexOf(r.line);
      if (index < 0) throw new InputError(`${r.source.file}:${r.line}: not a row of values`);
      const origin = index + 1; // the row itself is the last value seen
      const forecasts: ForecastPoint[] = baselinesFrom(data.values, trainEnd, origin, horizon, f.model?.spec.season).map((b) => ({ name: b.name, forecast: b.forecast, lower: b.lower, upper: b.upper }));
      const m = f.model ? modelForecastsFor(r.checkpoint!, s, { trainEnd, valEnd, origins: [origin], horizon }) : null;
      if (m?.model) forecasts.unshift({ name: m.model.name, forecast: m.model.forecasts, lower: m.model.lower, upper: m.model.upper });
      const next = Array.from({ length: horizon }, (_, h) => (origin + h < s.steps ? data.values[origin + h] : null));
      const modelError = f.error ?? m?.error;
      return {
        result: { type: "forecastFrom", column: r.series.target, origin, line: r.line, time: data.time ? data.time[index] : null, timeKind: data.timeKind, next, forecasts, model: m?.info ?? null, ...(modelError ? { modelError } : {}) },
        transfer: [],
      };
    }
  }
}

serveRequests<ForecastRequest, ForecastResult>(port, isForecastRequest, (r, reply) => {
  try {
    const { result, transfer } = handle(r);
    reply.ok(result, transfer);
  } catch (e) {
    // a RangeError from the engine is about the user's data or choices too (a span shorter than the horizon)
    reply.fail(e instanceof Error ? e.message : String(e), { ...translatableOf(e), ...(e instanceof StaleText ? { stale: true } : {}) });
  }
});
