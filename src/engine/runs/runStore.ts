// Models and runs on disk, under the workspace's runs folder (".rnnlab" by default):
//
//   <model>/model.json            what the model is: spec, vocabulary, where its text came from
//   <model>/corpus.txt            the training text as it was when the model was made, so a run
//                                 continues exactly even if the source file changes or disappears
//   <model>/runs/<run>/run.json   one training run: settings, budget, state, best validation loss
//   <model>/runs/<run>/metrics.jsonl, samples.txt
//   <model>/runs/<run>/checkpoints/step-NNNNNNNN.safetensors, best.safetensors
//   <model>/runs/<run>/run.lock   held by the process that trains it: one writer per run folder
//
// JSON files are written atomically; readers treat anything unreadable as a damaged entry, never
// as a reason to fail the listing.

import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { removeStaleTempFiles, writeFileAtomic, writeFileAtomicAsync } from "../files/checkpointFile";
import { LockOwner, acquireLockFile, lockOwnerIsLive, readLockFile, releaseLockFile } from "../files/fileLock";
import { InputError, userError } from "../messages/inputError";
import { ModelSpec, validateSpec } from "../model/modelSpec";
import { CharVocabulary, VocabularyJson } from "../model/charVocabulary";
import { TrainOptions, validateTrainOptions } from "../training/trainOptions";

export const STORE_VERSION = 1;

export interface ModelManifest {
  version: number;
  name: string; // shown in the explorer; renaming changes only this
  created: string; // ISO time
  spec: ModelSpec;
  vocab: VocabularyJson;
  corpus: { files: string[]; chars: number; sha256: string };
}

export type RunState = "queued" | "training" | "paused" | "done" | "stopped" | "failed";

export interface RunBudget { steps?: number; seconds?: number; epochs?: number }

export interface RunPlan {
  budget: RunBudget;
  threads: number;
  checkpointEvery: number; // steps between checkpoints (and the most work a crash can lose)
  keepCheckpoints: number; // periodic checkpoints kept besides best.safetensors
  evalEvery: number; // steps between validation losses
  sampleEvery: number; // steps between samples written to samples.txt (0 = none)
  sampleLength: number;
}

export interface RunManifest {
  version: number;
  id: string;
  created: string;
  options: TrainOptions;
  plan: RunPlan;
  /** A run that started from another run's checkpoint. */
  parent: { run: string; checkpoint: string; step: number } | null;
  state: RunState;
  message: string | null; // why it failed, for the explorer's tooltip
  step: number;
  bestValLoss: number | null;
  lastValLoss: number | null;
  /** Where this run began (step, cumulative training seconds, epoch), set when it first trains: its budget counts from here. */
  startStep?: number;
  startElapsed?: number;
  startEpoch?: number;
  updated: string;
  /** What the user calls the run (Rename Run…), a note (Edit Run Notes…) and tags (Tag Run…): shown in the explorer and the comparison. */
  label?: string;
  notes?: string;
  tags?: string[];
}

/** The user's own fields of a run, checked on every read: a hand-edited run.json with a wrong type is refused, not shown half-read. */
export const RUN_TEXT_LIMITS = { label: 200, notes: 10_000, tag: 50, tags: 50 };

export type RunLock = LockOwner;

export class StoreError extends InputError {}

export const modelManifestPath = (modelDir: string) => join(modelDir, "model.json");
export const corpusPath = (modelDir: string) => join(modelDir, "corpus.txt");
export const runDir = (modelDir: string, runId: string) => join(modelDir, "runs", runId);
export const runManifestPath = (dir: string) => join(dir, "run.json");
export const metricsPath = (dir: string) => join(dir, "metrics.jsonl");
export const samplesPath = (dir: string) => join(dir, "samples.txt");
export const checkpointsDir = (dir: string) => join(dir, "checkpoints");
export const bestCheckpointPath = (dir: string) => join(checkpointsDir(dir), "best.safetensors");
export const stepCheckpointPath = (dir: string, step: number) => join(checkpointsDir(dir), `step-${String(step).padStart(8, "0")}.safetensors`);
const lockPath = (dir: string) => join(dir, "run.lock");

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, new TextEncoder().encode(JSON.stringify(value, null, 2) + "\n"));
}

function writeJsonAtomicAsync(path: string, value: unknown): Promise<void> {
  return writeFileAtomicAsync(path, new TextEncoder().encode(JSON.stringify(value, null, 2) + "\n"));
}

function readJson<T>(path: string): T {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw userError(StoreError, "cannotRead", path, (e as NodeJS.ErrnoException).code ?? String(e));
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw userError(StoreError, "notJson", path);
  }
}

function checkVersion(path: string, version: unknown): void {
  if (typeof version !== "number") throw userError(StoreError, "noFormatVersion", path);
  if (version > STORE_VERSION) throw userError(StoreError, "newerStore", path, version, STORE_VERSION);
}

export function readModelManifest(modelDir: string): ModelManifest {
  const path = modelManifestPath(modelDir);
  const m = readJson<ModelManifest>(path);
  checkVersion(path, m.version);
  if (typeof m.name !== "string" || !m.spec || !m.vocab) throw userError(StoreError, "modelManifestIncomplete", path);
  return m;
}

export function readRunManifest(dir: string): RunManifest {
  const path = runManifestPath(dir);
  const r = readJson<RunManifest>(path);
  checkVersion(path, r.version);
  if (typeof r.id !== "string" || !r.options || !r.plan) throw userError(StoreError, "runManifestIncomplete", path);
  const L = RUN_TEXT_LIMITS;
  if (r.label !== undefined && (typeof r.label !== "string" || r.label.length > L.label)) throw userError(StoreError, "runManifestBadField", path, "label", `a text of at most ${L.label} characters`);
  if (r.notes !== undefined && (typeof r.notes !== "string" || r.notes.length > L.notes)) throw userError(StoreError, "runManifestBadField", path, "notes", `a text of at most ${L.notes} characters`);
  if (r.tags !== undefined && (!Array.isArray(r.tags) || r.tags.length > L.tags || !r.tags.every((t) => typeof t === "string" && t.length > 0 && t.length <= L.tag))) {
    throw userError(StoreError, "runManifestBadField", path, "tags", `a list of at most ${L.tags} tags of 1 to ${L.tag} characters`);
  }
  return r;
}

/** A folder name from a free-form name: letters (any script), digits, dot, dash, underscore. */
export function slug(name: string): string {
  const s = name.normalize("NFC").replace(/[^\p{L}\p{N}._-]+/gu, "-").replace(/^[-.]+|-+$/g, "").slice(0, 60);
  return s || "model";
}

/** A new folder under `parent` named `base`, `base-2`, … whichever is free. */
function freshFolder(parent: string, base: string): string {
  for (let k = 1; ; k++) {
    const dir = join(parent, k === 1 ? base : `${base}-${k}`);
    if (!existsSync(dir)) return dir;
  }
}

/** Creates a model folder with its manifest and a copy of its training text (async: the editor calls it). */
export async function createModel(root: string, manifest: Omit<ModelManifest, "version" | "created">, text: string): Promise<string> {
  validateSpec(manifest.spec); // before anything is written
  const dir = freshFolder(root, slug(manifest.name));
  await writeFileAtomicAsync(corpusPath(dir), new TextEncoder().encode(text));
  await writeJsonAtomicAsync(modelManifestPath(dir), { version: STORE_VERSION, created: new Date().toISOString(), ...manifest });
  return dir;
}

/**
 * A new model from its training text: the vocabulary (over the cap, the rarest characters share
 * <unk>), the text's length in code points and its SHA-256, then the folder. The heavy part of
 * starting a run; the extension calls it in its corpus worker.
 */
export async function createModelFromText(root: string, model: { name: string; spec: Omit<ModelSpec, "vocabSize">; files: string[] }, text: string, vocabCap: number): Promise<{ modelDir: string; spec: ModelSpec }> {
  const { vocab } = CharVocabulary.fromText(text, vocabCap);
  const spec: ModelSpec = { ...model.spec, vocabSize: vocab.size };
  const modelDir = await createModel(root, {
    name: model.name, spec, vocab: vocab.toJSON(),
    corpus: { files: model.files, chars: [...text].length, sha256: createHash("sha256").update(text).digest("hex") },
  }, text);
  return { modelDir, spec };
}

/** Creates a run folder (state "queued") and returns its path; the options are validated before anything is written. */
export async function createRun(modelDir: string, options: TrainOptions, plan: RunPlan, parent: RunManifest["parent"]): Promise<string> {
  validateTrainOptions(options);
  const runsRoot = join(modelDir, "runs");
  const existing = existsSync(runsRoot) ? readdirSync(runsRoot).length : 0;
  const created = new Date().toISOString();
  const dir = freshFolder(runsRoot, `${String(existing + 1).padStart(3, "0")}-${created.slice(0, 19).replace(/[:T]/g, "-")}`);
  const manifest: RunManifest = {
    version: STORE_VERSION, id: dir.slice(runsRoot.length + 1), created, options, plan, parent, state: "queued", message: null,
    step: parent?.step ?? 0, bestValLoss: null, lastValLoss: null, updated: created,
  };
  await writeJsonAtomicAsync(runManifestPath(dir), manifest);
  return dir;
}

export function updateRunManifest(dir: string, change: Partial<RunManifest>): RunManifest {
  const next = { ...readRunManifest(dir), ...change, updated: new Date().toISOString() };
  writeJsonAtomic(runManifestPath(dir), next);
  return next;
}

/** Periodic checkpoints, oldest first, with their step. */
export function listStepCheckpoints(dir: string): { step: number; path: string }[] {
  const cdir = checkpointsDir(dir);
  if (!existsSync(cdir)) return [];
  return readdirSync(cdir)
    .map((f) => ({ f, m: /^step-(\d+)\.safetensors$/.exec(f) }))
    .filter((x) => x.m)
    .map((x) => ({ step: Number(x.m![1]), path: join(cdir, x.f) }))
    .sort((a, b) => a.step - b.step);
}

/** Deletes all but the newest `keep` periodic checkpoints. */
export function pruneStepCheckpoints(dir: string, keep: number): void {
  const all = listStepCheckpoints(dir);
  for (const c of all.slice(0, Math.max(0, all.length - Math.max(1, keep)))) rmSync(c.path, { force: true });
}

/** Drops metric lines recorded after `step` (they belong to work a crash lost and will be redone). */
export function truncateMetrics(dir: string, step: number): void {
  const path = metricsPath(dir);
  if (!existsSync(path)) return;
  const kept = readFileSync(path, "utf8").split("\n").filter((line) => {
    if (!line) return false;
    try {
      const s = (JSON.parse(line) as { step?: number }).step;
      return typeof s !== "number" || s <= step;
    } catch {
      return false; // a line cut by the crash
    }
  });
  writeFileAtomic(path, new TextEncoder().encode(kept.map((l) => l + "\n").join("")));
}

export function readLock(dir: string): RunLock | null {
  return readLockFile(lockPath(dir));
}

/** Held by a process that still runs (or by another machine, which we cannot ask). */
export const lockIsLive = lockOwnerIsLive;

/**
 * Takes the run's lock for this process, or throws a StoreError naming who holds it. A lock left by
 * a process that no longer runs (a crash, a closed window) is taken over (fileLock.ts).
 */
export function acquireRunLock(dir: string): void {
  let held;
  try {
    held = acquireLockFile(lockPath(dir));
  } catch (e) {
    throw userError(StoreError, "cannotWriteRun", dir, (e as NodeJS.ErrnoException).code ?? String(e));
  }
  if (held) throw userError(StoreError, "runLocked", held.pid, held.host, held.since);
  // temporary files of writers that were killed mid-write (never those of a live process)
  for (const folder of [dir, checkpointsDir(dir)]) removeStaleTempFiles(folder);
}

export function releaseRunLock(dir: string): void {
  releaseLockFile(lockPath(dir));
}

export interface StoredRun {
  dir: string;
  manifest: RunManifest | null;
  error: string | null;
  /** "training" or "paused" in run.json, but nobody holds the lock: a closed window or a crash. */
  interrupted: boolean;
  checkpoints: { step: number; path: string }[];
  best: string | null;
}

export interface StoredModel {
  dir: string;
  manifest: ModelManifest | null;
  error: string | null;
  runs: StoredRun[];
}

function readRun(dir: string): StoredRun {
  const checkpoints = listStepCheckpoints(dir);
  const best = existsSync(bestCheckpointPath(dir)) ? bestCheckpointPath(dir) : null;
  try {
    const manifest = readRunManifest(dir);
    const interrupted = (manifest.state === "training" || manifest.state === "paused") && !lockIsLive(readLock(dir));
    return { dir, manifest, error: null, interrupted, checkpoints, best };
  } catch (e) {
    return { dir, manifest: null, error: (e as Error).message, interrupted: false, checkpoints, best };
  }
}

/** Every model folder under `root`, newest run last; damaged entries come back with their error. */
export function listModels(root: string): StoredModel[] {
  if (!existsSync(root)) return [];
  const models: StoredModel[] = [];
  for (const name of readdirSync(root).sort()) {
    const dir = join(root, name);
    if (!statSync(dir).isDirectory() || !existsSync(modelManifestPath(dir))) continue;
    let manifest: ModelManifest | null = null, error: string | null = null;
    try {
      manifest = readModelManifest(dir);
    } catch (e) {
      error = (e as Error).message;
    }
    const runsRoot = join(dir, "runs");
    const runs = existsSync(runsRoot) ? readdirSync(runsRoot).sort().map((r) => readRun(join(runsRoot, r))) : [];
    models.push({ dir, manifest, error, runs });
  }
  return models;
}

/** The newest checkpoint of a model: the last periodic one of its newest run that has one. */
export function latestCheckpoint(model: StoredModel): { run: StoredRun; step: number; path: string } | null {
  for (let k = model.runs.length - 1; k >= 0; k--) {
    const run = model.runs[k];
    const last = run.checkpoints[run.checkpoints.length - 1];
    if (last) return { run, ...last };
  }
  return null;
}
