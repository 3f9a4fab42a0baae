// Which trained forecaster belongs to a CSV column: the newest finished run in the run store's
// forecasts/ folder (forecastTraining.ts writes one record and one checkpoint per run) trained on that
// file with that target. The forecast panel and the CSV hover show its forecasts beside the
// baselines; without one they show the baselines alone. The folder holds a few small JSON files per
// table, so reading them on the host's thread is cheap.

import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { runsRoot } from "./settings";

export const FORECASTS_FOLDER = "forecasts";

/** One forecaster's run, as its <time>.json records it. */
export interface ForecastRecord {
  data: string;
  target: string;
  inputs: string[];
  /** what Train Forecaster was given besides the columns (to resume the run); absent in records made before they were kept */
  timeColumn?: string;
  fill?: "none" | "previous" | "linear";
  lookback: number;
  horizon: number;
  cell: string;
  /** the cell variant's spec fields (gruReset, norm, tau …; absent: the cell's defaults), to resume the same network */
  cellOptions?: Record<string, unknown>;
  created: string;
  quantiles?: number[];
  /** the checkpoint this run started from (a resumed run) */
  resumedFrom?: string;
  state: "training" | "done" | "failed" | "stopped";
  checkpoint: string;
  /** every validation: MAE and RMSE in the data's units, and MASE (absent in records made before it was kept) */
  validations: { step: number; valMae: number; valRmse: number; valMase?: number }[];
  /** the best baseline's validation MAE: the line to beat */
  baselineValMae: number | null;
  /** … its MASE, and which baseline it is (absent in older records) */
  baselineValMase?: number | null;
  baselineName?: string;
  /** the task's own result, as a text task's record keeps its best F1: the validation the checkpoint holds (its step, MAE and MASE) */
  bestStep?: number | null;
  bestValMae?: number | null;
  bestValMase?: number | null;
  /** the run's budget in optimizer steps (counting a resumed run's earlier steps) */
  steps?: number;
  /** the steps it trained, when it ended (a stopped run: fewer than steps) */
  stepsDone?: number;
  message?: string;
  modelMae?: number;
  bestBaseline?: string;
  bestBaselineMae?: number;
  seconds?: number;
}

/** Every run recorded for `file`'s column `target`, newest first, with the path of its record. */
export function forecastRecords(file: string, target: string): (ForecastRecord & { path: string })[] {
  return allForecastRecords().filter((r) => r.data === file && r.target === target);
}

/** Every forecaster's run recorded under the runs folder, newest first, with the path of its record (a few small JSON files). */
export function allForecastRecords(): (ForecastRecord & { path: string })[] {
  const root = runsRoot();
  const dir = root && join(root, FORECASTS_FOLDER);
  if (!dir || !existsSync(dir)) return [];
  const out: (ForecastRecord & { path: string })[] = [];
  for (const sub of readdirSync(dir, { withFileTypes: true })) {
    if (!sub.isDirectory()) continue;
    for (const f of readdirSync(join(dir, sub.name))) {
      if (!f.endsWith(".json")) continue;
      try {
        const path = join(dir, sub.name, f);
        const r = JSON.parse(readFileSync(path, "utf8")) as ForecastRecord;
        if (typeof r.target === "string" && typeof r.checkpoint === "string" && Array.isArray(r.validations)) out.push({ ...r, path });
      } catch {
        // a record being written, or not ours: skipped
      }
    }
  }
  return out.sort((a, b) => b.created.localeCompare(a.created));
}

/** The checkpoint of the newest finished (or stopped: it wrote its best weights) forecaster of `file`'s column `target`, or undefined. */
export function forecastCheckpointFor(file: string, target: string): string | undefined {
  return forecastRecords(file, target).find((r) => (r.state === "done" || r.state === "stopped") && existsSync(r.checkpoint))?.checkpoint;
}

/** A forecaster's run record as its file holds it, or null when it cannot be read. */
export function readForecastRecord(path: string): ForecastRecord | null {
  try { return JSON.parse(readFileSync(path, "utf8")) as ForecastRecord; } catch { return null; }
}
