// The forecasting commands: `rnn-lab train DATA.csv --task forecast …`, `rnn-lab eval CKPT DATA.csv`
// on a forecasting checkpoint, and `rnn-lab forecast CKPT DATA.csv`. main.ts parses the command line
// (its parser and usage errors are passed in) and dispatches here.

import { basename, extname } from "node:path";
import { CELL_TYPES } from "../engine/model/cells";
import type { CellType } from "../engine/model/modelSpec";
import { evaluateForecast, forecastAfterEnd, loadForecastModel, readForecastTable } from "../engine/forecast/forecastModel";
import { BIDIRECTIONAL_REFUSAL, FORECASTER_NAMES, FORECAST_LOSSES } from "../engine/forecast/forecastModel";
import { CELL_OPTION_FLAGS, cellOptionFlags, gruResetFlag } from "./cellFlags";
import type { ForecastEvaluation, ForecastLoss, ForecastStrategy, ForecastTrainRequest, StepMetrics } from "../engine/forecast/forecastModel";
import { DEFAULT_QUANTILES } from "../engine/tasks/forecastTask";
import { FORECAST_TRAIN_DEFAULTS, trainForecasterRun } from "../engine/forecast/forecastTrainer";
import { MAX_THREADS, trainingThreads } from "../engine/model/defaults";
import type { FillMethod } from "../engine/forecast/numericSeries";

export type Flags = Record<string, string | boolean | string[] | undefined>;
export interface CliKit {
  parse(command: string, args: string[], options: Record<string, "string" | "boolean" | "strings">, positionals: [number, number]): { flags: Flags; files: string[] };
  usage(message: string): Error;
}

export const FORECAST_TRAIN_FLAGS = {
  task: "string", target: "string", inputs: "string", "time-column": "string", fill: "string", lookback: "string", horizon: "string",
  strategy: "string", loss: "string", quantiles: "string", "val-frac": "string", "test-frac": "string", "test-from": "string", season: "string",
  "ar-order": "string", backtest: "string", "no-calendar": "boolean", cell: "string", nonlinearity: "string", layers: "string",
  hidden: "string", residual: "boolean", batch: "string", lr: "string", steps: "string", seed: "string", dropout: "string",
  out: "string", force: "boolean", json: "boolean", "max-memory": "string", threads: "string", resume: "string", "checkpoint-every": "string",
  peephole: "boolean", coupled: "boolean", ...CELL_OPTION_FLAGS, bidirectional: "boolean",
} as const;

export const FORECAST_USAGE = `  rnn-lab train DATA.csv --task forecast --target COL[,COL] [--inputs COL,…] [--time-column COL] [--fill previous|linear]
                        --lookback L --horizon H [--strategy direct|recursive] [--loss mse|mae|gaussian|quantile] [--quantiles 0.1,0.5,0.9]
                        [--val-frac F --test-frac F | --test-from TIME] [--season S] [--ar-order P] [--backtest N] [--out CKPT] [--json]
  rnn-lab forecast CKPT DATA.csv [--horizon H] [--json | --csv]`;

export const FORECAST_HELP = `forecast options (rnn-lab train DATA.csv --task forecast; defaults in brackets; docs/forecasting.md):
  --target COL[,COL]   the series to forecast   --inputs COL,…   exogenous columns known at each step
  --time-column COL    ISO 8601 dates or numbers; rows are sorted by it (else the row order); dates add calendar features (--no-calendar: none)
  --fill previous|linear   fill missing cells (else a missing cell is refused with its row and column)
  --lookback L   steps the network reads   --horizon H   steps ahead   --strategy direct|recursive [${FORECAST_TRAIN_DEFAULTS.strategy}]
  --loss mse|mae|gaussian|quantile [${FORECAST_TRAIN_DEFAULTS.loss}] (gaussian: mean and variance, 90 % intervals)
  --quantiles T,T,…  quantile levels in (0, 1), ascending (pinball loss; [${DEFAULT_QUANTILES.join(",")}] with --loss quantile): the level nearest 0.5 is the
                     forecast, the lowest and highest bound the interval
  --val-frac F [${FORECAST_TRAIN_DEFAULTS.valFraction}]   --test-frac F [${FORECAST_TRAIN_DEFAULTS.testFraction}]   --test-from TIME   spans by time, never shuffled
  --season S [from the autocorrelation]   --ar-order P [by AIC]   --backtest N [${FORECAST_TRAIN_DEFAULTS.backtest}] origins over the test span
  --cell ${CELL_TYPES.join("|")} [${FORECAST_TRAIN_DEFAULTS.cell}]   --layers N [${FORECAST_TRAIN_DEFAULTS.layers}]   --hidden N [${FORECAST_TRAIN_DEFAULTS.hidden}]   --dropout F [0]
  cell options as for a language model (rnn-lab help): --nonlinearity --peephole --coupled --residual --gru-reset --norm --tau --learn-tau --dt --additive-form
  no --bidirectional: the head reads each step's output, which a backward direction would have computed from the window's future
  --batch N [${FORECAST_TRAIN_DEFAULTS.batch}]   --lr F [${FORECAST_TRAIN_DEFAULTS.lr}]   --steps N [${FORECAST_TRAIN_DEFAULTS.steps}]   --seed N [${FORECAST_TRAIN_DEFAULTS.seed}]
  --threads N [cores - 1, 1 to ${MAX_THREADS}]   each batch's windows split over N threads (the same run up to float summation order)
  --out CKPT [DATA.forecast.safetensors in the current folder]   --force   --json
  --checkpoint-every N [${FORECAST_TRAIN_DEFAULTS.checkpointEvery}]   also write CKPT every N steps (0: only at the end), so a killed run loses at most N steps
  --resume CKPT   go on from a forecaster's checkpoint (one stopped by Ctrl-C, say) for --steps more, exactly where it
                  stood (its latest weights, Adam's moments, the epoch's order); the table, columns, window, loss and
                  network must be the ones it was trained with
  eval CKPT DATA.csv on a forecasting checkpoint: the model and every baseline (naive, seasonal_naive, mean, ar) per step ahead;
    --open-loop: a recursive model reads the actual values at each step instead of its own predictions

forecast: the next H values after DATA's last row (H ≤ the model's horizon for direct models), with
  intervals from a Gaussian (90 %) or quantile model; --csv writes time,COL,COL_lower,COL_upper rows to stdout.`;

function list(v: string | boolean | string[] | undefined): string[] | undefined {
  if (typeof v !== "string") return undefined;
  return v.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

export function int(kit: CliKit, flags: Flags, name: string): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (typeof raw !== "string" || raw.trim() === "" || !Number.isInteger(v)) throw kit.usage(`--${name} needs a whole number, not ${JSON.stringify(raw)}`);
  return v;
}

/** --quantiles 0.1,0.5,0.9: the levels as numbers (their range and order are checked with the rest of the request). */
function levels(kit: CliKit, flags: Flags): number[] | undefined {
  const parts = list(flags.quantiles);
  if (parts === undefined) return undefined;
  const v = parts.map(Number);
  if (!v.length || !v.every(Number.isFinite)) throw kit.usage(`--quantiles needs numbers between 0 and 1 separated by commas, not ${JSON.stringify(flags.quantiles)}`);
  return v;
}

export function real(kit: CliKit, flags: Flags, name: string): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(v)) throw kit.usage(`--${name} needs a number, not ${JSON.stringify(raw)}`);
  return v;
}

export function choice<T extends string>(kit: CliKit, flags: Flags, name: string, allowed: readonly T[]): T | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  if (!allowed.includes(raw as T)) throw kit.usage(`--${name} must be one of ${allowed.join(", ")}, not ${JSON.stringify(raw)}`);
  return raw as T;
}

export async function trainForecastCommand(args: string[], kit: CliKit): Promise<number> {
  const { flags, files } = kit.parse("train", args, FORECAST_TRAIN_FLAGS, [1, 1]);
  const json = flags.json === true;
  const targets = list(flags.target);
  if (!targets?.length) throw kit.usage("--task forecast needs --target COL (the column, or columns, to forecast)");
  const lookback = int(kit, flags, "lookback"), horizon = int(kit, flags, "horizon");
  if (lookback === undefined || horizon === undefined) throw kit.usage("--task forecast needs --lookback L and --horizon H");
  if (flags["test-from"] !== undefined && flags["test-frac"] !== undefined) throw kit.usage("give --test-frac or --test-from, not both");
  if (flags.bidirectional === true) throw kit.usage(`--bidirectional: ${BIDIRECTIONAL_REFUSAL}`);
  const cell = choice<CellType>(kit, flags, "cell", CELL_TYPES);
  const data = files[0];
  const request: ForecastTrainRequest = {
    data, targets, inputs: list(flags.inputs), timeColumn: flags["time-column"] as string | undefined,
    fill: choice<FillMethod>(kit, flags, "fill", ["previous", "linear"]), calendar: flags["no-calendar"] !== true,
    lookback, horizon, strategy: choice<ForecastStrategy>(kit, flags, "strategy", ["direct", "recursive"]), loss: choice<ForecastLoss>(kit, flags, "loss", FORECAST_LOSSES), quantiles: levels(kit, flags),
    valFraction: real(kit, flags, "val-frac"), testFraction: real(kit, flags, "test-frac"), testFrom: flags["test-from"] as string | undefined,
    season: int(kit, flags, "season"), arOrder: int(kit, flags, "ar-order"), backtest: int(kit, flags, "backtest"),
    network: { cell, layers: int(kit, flags, "layers"), hidden: int(kit, flags, "hidden"), residual: flags.residual === true,
      nonlinearity: choice(kit, flags, "nonlinearity", ["tanh", "relu"] as const), peephole: flags.peephole === true, coupled: flags.coupled === true,
      ...cellOptionFlags(kit, flags), ...gruResetFlag(kit, flags, cell ?? FORECAST_TRAIN_DEFAULTS.cell) },
    batch: int(kit, flags, "batch"), lr: real(kit, flags, "lr"), steps: int(kit, flags, "steps"), seed: int(kit, flags, "seed"), dropout: real(kit, flags, "dropout"),
    checkpointEvery: int(kit, flags, "checkpoint-every"),
    out: (flags.out as string | undefined) ?? `${basename(data, extname(data))}.forecast.safetensors`, overwrite: flags.force === true,
    ...(typeof flags.resume === "string" ? { resumeFrom: flags.resume } : {}),
  };
  for (const [name, v] of [["--steps", request.steps], ["--batch", request.batch], ["--hidden", request.network?.hidden], ["--layers", request.network?.layers]] as const) {
    if (v !== undefined && v < 1) throw kit.usage(`${name} must be at least 1`);
  }
  if (request.lr !== undefined && !(request.lr > 0)) throw kit.usage("--lr must be above 0");
  const threads = int(kit, flags, "threads") ?? trainingThreads();
  if (threads < 1 || threads > MAX_THREADS) throw kit.usage(`--threads must be from 1 to ${MAX_THREADS}`);
  request.threads = threads;
  if (request.dropout !== undefined && !(request.dropout >= 0 && request.dropout < 1)) throw kit.usage("--dropout must be from 0 to below 1");
  // Ctrl-C / SIGTERM: training stops after the current step and the best weights so far are written (exit 130 / 143)
  const stop = new AbortController();
  let stoppedBy: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals) => { stoppedBy = sig; stop.abort(); };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const result = await trainForecasterRun(request, (p) => {
    if (json) process.stdout.write(JSON.stringify({ type: "progress", step: p.step, steps: p.steps, train_loss: p.trainLoss, val_mae: p.valMae, val_rmse: p.valRmse, baseline_val_mae: p.baselineValMae,
      val_mase: p.valMase ?? null, baseline_val_mase: p.baselineValMase ?? null, baseline: p.baselineName ?? null }) + "\n");
    else process.stderr.write(`step ${p.step}/${p.steps}  loss ${p.trainLoss.toFixed(4)}${p.valMae === null ? "" : `  validation MAE ${fmt(p.valMae)} (best baseline ${fmt(p.baselineValMae)})`}\n`);
  }, stop.signal, (lines) => {
    if (json) process.stdout.write(JSON.stringify({ type: "data", notes: lines }) + "\n");
    else for (const line of lines) process.stderr.write(`${line}\n`);
  });
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  if (json) process.stdout.write(JSON.stringify({ type: "done", checkpoint: result.checkpoint, seconds: result.seconds, steps: result.steps, best_step: result.bestStep, stopped: stoppedBy, evaluation: evaluationJson(result.evaluation) }) + "\n");
  else process.stdout.write(`${result.checkpoint}: trained in ${result.seconds.toFixed(1)} s to step ${result.steps}${result.stopped ? " (stopped)" : ""} (best validation at step ${result.bestStep})\n\n${evaluationText(result.evaluation)}`);
  return stoppedBy === "SIGINT" ? 130 : stoppedBy === "SIGTERM" ? 143 : 0;
}

export async function evalForecastCommand(checkpoint: string, data: string, json: boolean, openLoop = false): Promise<number> {
  const model = loadForecastModel(checkpoint);
  const evaluation = evaluateForecast(model, readForecastTable(model, data), { closedLoop: !openLoop });
  process.stdout.write(json ? JSON.stringify({ type: "eval", task: "forecast", file: data, model: model.description, ...evaluationJson(evaluation) }) + "\n" : `${model.description}\n${evaluationText(evaluation)}`);
  return 0;
}

export async function forecastCommand(args: string[], kit: CliKit): Promise<number> {
  const { flags, files } = kit.parse("forecast", args, { horizon: "string", json: "boolean", csv: "boolean", "max-memory": "string" }, [2, 2]);
  if (flags.json && flags.csv) throw kit.usage("give --json or --csv, not both");
  const model = loadForecastModel(files[0]);
  const series = readForecastTable(model, files[1]);
  const p = forecastAfterEnd(model, series, { horizon: int(kit, flags, "horizon") });
  const when = (t: number | null, h: number) => (t === null ? `+${h + 1}` : series.timeKind === "date" ? new Date(t).toISOString().replace(/T00:00:00\.000Z$/, "") : String(t));
  const rows = Array.from({ length: p.horizon }, (_, h) => ({
    time: when(p.times[h], h),
    values: p.targets.map((_t, k) => ({ mean: p.mean[0][h][k], lower: p.lower?.[0][h][k] ?? null, upper: p.upper?.[0][h][k] ?? null })),
  }));
  if (flags.json) {
    process.stdout.write(JSON.stringify({ type: "forecast", file: files[1], after_step: series.steps, targets: p.targets, interval_level: p.intervalLevel, steps: rows }) + "\n");
  } else if (flags.csv) {
    const header = [series.timeKind === "row" ? "step" : model.spec.timeColumn ?? "time", ...p.targets.flatMap((t) => (p.lower ? [t, `${t}_lower`, `${t}_upper`] : [t]))];
    process.stdout.write([header.join(","), ...rows.map((r) => [r.time, ...r.values.flatMap((v) => (p.lower ? [v.mean, v.lower, v.upper] : [v.mean]))].join(","))].join("\n") + "\n");
  } else {
    process.stdout.write(`${model.description}: the next ${p.horizon} steps after ${files[1]}'s last row${p.intervalLevel === null ? "" : ` (${percent(p.intervalLevel)} intervals)`}\n`);
    for (const r of rows) process.stdout.write(`${r.time.padEnd(12)} ${r.values.map((v, k) => `${p.targets[k]} ${fmt(v.mean)}${v.lower === null ? "" : ` [${fmt(v.lower)}, ${fmt(v.upper!)}]`}`).join("  ")}\n`);
  }
  return 0;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e6 || a < 1e-3) ? v.toExponential(3) : v.toFixed(a >= 100 ? 2 : 4);
}

const NAMES = FORECASTER_NAMES;

/** 0.8 → "80 %" (a level as people read it). */
function percent(level: number): string { return `${Number((100 * level).toFixed(1))} %`; }

function metricsJson(m: StepMetrics) { return { mae: m.mae, rmse: m.rmse, mase: m.mase, smape: m.smape, coverage: m.coverage }; }

/** The evaluation for --json: metrics per forecaster, target and step, AR orders and coefficients, the origins; forecasts as lists. */
export function evaluationJson(e: ForecastEvaluation) {
  return {
    targets: e.targets, horizon: e.horizon, origins: e.origins, origin_times: e.originTimes, split: e.split, season: e.season, mase_scale: e.scale,
    closed_loop: e.closedLoop, ar: e.ar, winner: e.winner, interval_level: e.scores.model.forecasts.intervalLevel,
    models: Object.fromEntries(NAMES.map((n) => [n, {
      overall: e.scores[n].overall.map(metricsJson), per_step: e.scores[n].perStep.map((steps) => steps.map(metricsJson)),
      forecasts: { mean: e.scores[n].forecasts.mean, lower: e.scores[n].forecasts.lower, upper: e.scores[n].forecasts.upper },
    }])),
  };
}

export function evaluationText(e: ForecastEvaluation): string {
  const lines: string[] = [];
  e.targets.forEach((target, k) => {
    const sp = e.split;
    lines.push(`${target}: ${e.origins.length} forecast origins over the test span (steps ${sp.valEnd + 1}–${sp.steps} of ${sp.steps}; training 1–${sp.trainEnd}), ${e.horizon} steps ahead${e.closedLoop ? "" : ", open loop"}`);
    lines.push(`  MASE scale (in-sample one-step naive MAE) ${fmt(e.scale[k])}; season ${e.season}; AR(${e.ar[k].order}) coefficients [${e.ar[k].coefficients.map((c) => c.toFixed(4)).join(", ")}]`);
    lines.push("  forecaster        MAE        RMSE       MASE     sMAPE %   coverage");
    const best = NAMES.reduce((b, n) => (e.scores[n].overall[k].mae < e.scores[b].overall[k].mae ? n : b), NAMES[0]);
    for (const n of NAMES) {
      const m = e.scores[n].overall[k];
      lines.push(`  ${(n + (n === best ? " *" : "")).padEnd(16)} ${fmt(m.mae).padStart(10)} ${fmt(m.rmse).padStart(10)} ${m.mase.toFixed(3).padStart(9)} ${m.smape.toFixed(2).padStart(9)}   ${m.coverage === null ? "-" : `${(100 * m.coverage).toFixed(1)} % (${percent(e.scores[n].forecasts.intervalLevel ?? 0)} nominal)`}`);
    }
    lines.push("  MAE per step ahead (* = lowest):");
    lines.push(`  ${"step".padEnd(6)}${NAMES.map((n) => n.padStart(15)).join("")}`);
    for (let h = 0; h < e.horizon; h++) {
      lines.push(`  ${String(h + 1).padEnd(6)}${NAMES.map((n) => (fmt(e.scores[n].perStep[k][h].mae) + (e.winner[k][h] === n ? "*" : " ")).padStart(15)).join("")}`);
    }
    lines.push("");
  });
  return lines.join("\n");
}
