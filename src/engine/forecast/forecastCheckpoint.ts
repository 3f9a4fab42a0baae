// A forecasting checkpoint: one .safetensors file, like a language model's (checkpoint.ts), with the
// network's tensors under PyTorch's state_dict names and layouts ("rnn.weight_ih_l0" …, "head.weight"
// [O, hidden], "head.bias" [O]) and JSON strings in __metadata__: "model" (the ModelSpec; vocabSize =
// D, the values read per step) and "task", the task seam's entry (tasks/task.ts TaskCheckpoint):
// {"name": "forecast", "metadata": the ForecastSpec (columns, window, strategy, loss, the training
// span's scaling and split)}; "training" (a summary) when it was trained here. The tensors are the
// best validation weights. A run that can go on exactly (--resume, the editor's Resume) also holds
// where training stands, as a language model's checkpoint does: "training_state" (JSON: the
// TrainingProgress of files/checkpoint.ts: step, epoch, window, generator, options …) and, per
// tensor, "training.params.NAME" (the latest weights, which the next step updates),
// "optimizer.exp_avg.NAME" and "optimizer.exp_avg_sq.NAME" (Adam's moments), in the same layouts.

import { readFileSync } from "node:fs";
import { Core } from "../core/core";
import { RegressionLoss } from "../core/coreAbi";
import { ModelSpec, coreShape, describeSpec, fromTorchLayout, toTorchLayout, torchName, torchShape, validateSpec } from "../model/modelSpec";
import { SafetensorsError, SafetensorsHeader, encodeSafetensors, readSafetensorsHeader, tensorValues } from "../interop/safetensors";
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, CheckpointError, type TrainingProgress } from "../files/checkpoint";
import { found } from "../messages/inputError";
import { FORECAST_LOSSES, type ForecastSpec } from "./forecastModel";
import { MAX_QUANTILES } from "../core/coreAbi";
import { outputsPerValue } from "../tasks/forecastBatches";

const STRATEGIES = ["direct", "recursive"];
import { featureWidth } from "./forecastFeatures";
import { headTargets } from "./forecastNetwork";

export const FORECAST_TASK = "forecast";

/** What training leaves besides the weights (shown by eval, kept for the record). */
export interface ForecastTrainingSummary {
  steps: number; seconds: number; bestStep: number; bestValLoss: number | null; trainLoss: number;
  /** the optimisation it was trained with (absent in checkpoints written before it was kept) */
  settings?: { batch: number; lr: number; seed: number; dropout: number };
}

/** Where training stands, to continue it exactly: the latest weights (not the best), Adam's moments, and the run's position and options. */
export interface ForecastTrainingState { params: Float32Array; moment1: Float32Array; moment2: Float32Array; progress: TrainingProgress }

export interface ForecastCheckpoint {
  network: ModelSpec; spec: ForecastSpec; params: Float32Array; training: ForecastTrainingSummary | null;
  /** absent (or null) in a file of weights only, and in files written before it was kept: a resumed run then starts Adam afresh */
  state?: ForecastTrainingState | null;
}

/** The tensor blocks of a training state, by name prefix. */
const STATE_BLOCKS = [["training.params.", "params"], ["optimizer.exp_avg.", "moment1"], ["optimizer.exp_avg_sq.", "moment2"]] as const;

/** The core's tensor table for this network and head (the head's width is O, not the vocabulary). */
function slotsOf(network: ModelSpec, spec: ForecastSpec) {
  const core = new Core({ ...coreShape(network), regression: { loss: RegressionLoss.Mse, targets: headTargets(spec) * outputsPerValue(spec) } }, "f32");
  return { slots: core.tensors, total: core.paramCount };
}

export function encodeForecastCheckpoint(c: ForecastCheckpoint): Uint8Array {
  const { slots, total } = slotsOf(c.network, c.spec);
  if (c.params.length !== total) throw new CheckpointError(`cannot write a checkpoint: ${c.params.length} parameters for a model of ${total}`);
  const block = (prefix: string, values: Float32Array) => {
    if (values.length !== total) throw new CheckpointError(`cannot write a checkpoint: ${values.length} values in ${prefix || "parameters"} for a model of ${total}`);
    return slots.map((slot) => ({ name: prefix + torchName(slot), shape: torchShape(slot), data: toTorchLayout(slot, values.subarray(slot.offset, slot.offset + slot.rows * slot.cols)) }));
  };
  const tensors = block("", c.params);
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT, format_version: String(CHECKPOINT_VERSION),
    model: JSON.stringify(c.network), task: JSON.stringify({ name: FORECAST_TASK, metadata: c.spec }),
  };
  if (c.training) metadata.training = JSON.stringify(c.training);
  if (c.state) {
    for (const [prefix, key] of STATE_BLOCKS) tensors.push(...block(prefix, c.state[key]));
    metadata.training_state = JSON.stringify(c.state.progress);
  }
  return encodeSafetensors(tensors, metadata);
}

export function decodeForecastCheckpoint(bytes: Uint8Array, name: string): ForecastCheckpoint {
  const fail = (why: string): never => { throw new CheckpointError(`${name}: ${why}`); };
  let file: SafetensorsHeader;
  try {
    file = readSafetensorsHeader(bytes);
  } catch (e) {
    if (e instanceof SafetensorsError) fail(`not a valid safetensors file: ${e.message}`);
    throw e;
  }
  const md = file.metadata;
  if (md.format !== CHECKPOINT_FORMAT) fail("not an RNN Lab checkpoint (no rnn-lab format in its metadata)");
  const task = taskName(md.task);
  if (task !== FORECAST_TASK) fail(`a ${task === null || task === "character-model" ? "character language" : task} model, not a forecaster; train one with rnn-lab train DATA.csv --task forecast`);
  if (Number(md.format_version) > CHECKPOINT_VERSION) fail(`made by a newer RNN Lab (format ${md.format_version}); this one reads up to ${CHECKPOINT_VERSION}`);
  const parse = (key: string): unknown => {
    if (md[key] === undefined) fail(`metadata "${key}" is missing`);
    try { return JSON.parse(md[key]); } catch { return fail(`metadata "${key}" is not JSON`); }
  };
  const network = parse("model") as ModelSpec;
  try { validateSpec(network); } catch (e) { fail((e as Error).message); }
  const spec = validateForecastSpec((parse("task") as { metadata?: unknown }).metadata, fail);
  if (network.embed !== 0) fail("a forecaster reads values, not ids: its embedding width must be 0");
  const D = featureWidth(spec.targets.length + spec.inputs.length, spec.calendar);
  if (network.vocabSize !== D) fail(`the network reads ${network.vocabSize} values per step, the forecast description ${D}`);
  const { slots, total } = slotsOf(network, spec);
  const expected = new Map(slots.map((s) => [torchName(s), s]));
  for (const [tname, slot] of expected) {
    const t = file.entries.get(tname) ?? fail(`tensor ${tname} is missing (${describeSpec(network)} has it)`);
    if (t.shape.join(",") !== torchShape(slot).join(",")) fail(`tensor ${tname} has shape [${t.shape}], the model needs [${torchShape(slot)}]`);
    if (t.dtype !== "F32") fail(`tensor ${tname} is ${t.dtype}; RNN Lab checkpoints hold F32`);
  }
  const hasState = md.training_state !== undefined;
  const stateTensor = (tname: string) => hasState && STATE_BLOCKS.some(([prefix]) => tname.startsWith(prefix) && expected.has(tname.slice(prefix.length)));
  for (const tname of file.entries.keys()) if (!expected.has(tname) && !stateTensor(tname)) fail(`tensor ${tname} does not belong to this forecaster`);
  const read = (prefix: string) => {
    const values = new Float32Array(total);
    for (const [name, slot] of expected) {
      const tname = prefix + name;
      const t = file.entries.get(tname) ?? fail(`tensor ${tname} is missing (the training state holds one per tensor)`);
      if (t.shape.join(",") !== torchShape(slot).join(",")) fail(`tensor ${tname} has shape [${t.shape}], the model needs [${torchShape(slot)}]`);
      if (t.dtype !== "F32") fail(`tensor ${tname} is ${t.dtype}; RNN Lab checkpoints hold F32`);
      const data = tensorValues(bytes, file, t);
      for (let k = 0; k < data.length; k++) if (!Number.isFinite(data[k])) fail(`tensor ${tname} holds a non-finite value`);
      fromTorchLayout(slot, data, values.subarray(slot.offset, slot.offset + slot.rows * slot.cols));
    }
    return values;
  };
  const params = read("");
  const training = md.training === undefined ? null : (parse("training") as ForecastTrainingSummary);
  let state: ForecastTrainingState | null = null;
  if (hasState) {
    const progress = parse("training_state") as TrainingProgress;
    const whole = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
    if (typeof progress !== "object" || progress === null || !whole(progress.step) || !whole(progress.epoch) || !whole(progress.window)
      || !Array.isArray(progress.rng) || progress.rng.length !== 4 || typeof progress.options !== "object" || progress.options === null) fail("metadata \"training_state\" does not say where training stands (step, epoch, window, generator, options)");
    state = { params: read(STATE_BLOCKS[0][0]), moment1: read(STATE_BLOCKS[1][0]), moment2: read(STATE_BLOCKS[2][0]), progress };
  }
  return { network, spec, params, training, state };
}

export function readForecastCheckpoint(path: string): ForecastCheckpoint {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointError(code === "ENOENT" ? `${path} does not exist` : code === "EISDIR" ? `${path} is a folder, not a checkpoint` : `cannot read ${path} (${code ?? String(e)})`);
  }
  return decodeForecastCheckpoint(bytes, path);
}

function validateForecastSpec(raw: unknown, fail: (why: string) => never): ForecastSpec {
  const bad = (why: string): never => fail(`forecast description: ${why}`);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) bad("not an object");
  const s = raw as Record<string, unknown>;
  const names = (key: string, min: number) => {
    const v = s[key];
    if (!Array.isArray(v) || v.length < min || !v.every((x) => typeof x === "string")) bad(`${key} must be a list of column names, ${found(v)}`);
  };
  const int = (key: string, min: number, max = 1e9) => {
    const v = s[key];
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) bad(`${key} must be an integer from ${min} to ${max}, ${found(v)}`);
  };
  names("targets", 1);
  names("inputs", 0);
  names("calendar", 0);
  int("lookback", 1, 100_000);
  int("horizon", 1, 100_000);
  int("season", 1);
  int("backtest", 1);
  if (s.arOrder !== null) int("arOrder", 0);
  if (!STRATEGIES.includes(s.strategy as string)) bad(`strategy must be ${STRATEGIES.join(" or ")}, ${found(s.strategy)}`);
  if (!FORECAST_LOSSES.includes(s.loss as ForecastSpec["loss"])) bad(`loss must be one of ${FORECAST_LOSSES.join(", ")}, ${found(s.loss)}`);
  if (s.loss === "quantile" && quantileLevelsProblem(s.quantiles) !== null) bad(`quantiles: ${quantileLevelsProblem(s.quantiles)}`);
  if (!["previous", "linear", "none"].includes(s.fill as string)) bad(`fill must be none, previous or linear, ${found(s.fill)}`);
  if (!(s.calendar as string[]).every((c) => ["year", "week", "day"].includes(c))) bad("calendar features are year, week and day");
  const sc = s.scaling as ForecastSpec["scaling"] | undefined;
  const width = (s.targets as string[]).length + (s.inputs as string[]).length;
  if (!sc || !Array.isArray(sc.mean) || !Array.isArray(sc.std) || !Array.isArray(sc.columns) || sc.mean.length !== width || sc.std.length !== width
    || !sc.mean.every(Number.isFinite) || !sc.std.every((v) => Number.isFinite(v) && v > 0)) bad(`scaling must give a finite mean and a positive std for each of the ${width} columns`);
  const split = s.split as ForecastSpec["split"] | undefined;
  if (!split || ![split.steps, split.trainEnd, split.valEnd].every(Number.isInteger) || !(split.trainEnd <= split.valEnd && split.valEnd <= split.steps)) bad("split must hold steps, trainEnd ≤ valEnd ≤ steps");
  if (!(s.timeColumn === null || typeof s.timeColumn === "string")) bad(`timeColumn must be a column name or null, ${found(s.timeColumn)}`);
  return s as unknown as ForecastSpec;
}

/** Whether the file at path is a forecasting checkpoint (its metadata says task "forecast"); false for anything unreadable. */
export function isForecastCheckpointFile(path: string): boolean {
  try {
    return taskName(readSafetensorsHeader(readFileSync(path)).metadata.task) === FORECAST_TASK;
  } catch {
    return false;
  }
}

/** The task's name in a checkpoint's "task" entry; null without one (a character model from before the task seam) or when it is unreadable. */
function taskName(entry: string | undefined): string | null {
  if (entry === undefined) return null;
  try {
    const name = (JSON.parse(entry) as { name?: unknown }).name;
    return typeof name === "string" ? name : null;
  } catch {
    return null;
  }
}

/** Why a list of quantile levels cannot be a head's (null when it can): 1 to MAX_QUANTILES numbers, ascending, each in (0, 1). */
export function quantileLevelsProblem(levels: unknown): string | null {
  if (!Array.isArray(levels) || levels.length < 1 || levels.length > MAX_QUANTILES) return `give 1 to ${MAX_QUANTILES} levels, ${found(levels)}`;
  if (!levels.every((q) => typeof q === "number" && q > 0 && q < 1)) return `each level must be a number above 0 and below 1, not ${levels.join(",")}`;
  if (!levels.every((q, j) => j === 0 || q > levels[j - 1])) return `the levels must ascend without repeats, not ${levels.join(",")}`;
  return null;
}
