// The tasks by name, written once: how a checkpoint's `task` entry (or a shard thread's copy of
// it) becomes a Task again. A new task adds its name and a case here.

import { InputError } from "../messages/inputError";
import type { ModelSpec } from "../model/modelSpec";
import { CHARACTER_MODEL, CharacterModel } from "./characterModel";
import { FORECAST, ForecastTask } from "./forecastTask";
import type { ForecastSpec } from "../forecast/forecastModel";
import { CLASSIFY, ClassifyMetadata, ClassifyTask } from "./classifyTask";
import { SEGMENT, TAG, TagMetadata, TagTask } from "./tagTask";
import type { Evaluation, Task, TaskCheckpoint } from "./task";

export const TASK_NAMES = [CHARACTER_MODEL, FORECAST, CLASSIFY, TAG, SEGMENT] as const;
export type TaskName = (typeof TASK_NAMES)[number];

/** A checkpoint without a `task` entry (every file before the task seam) holds a character model. */
export const DEFAULT_TASK: TaskCheckpoint = { name: CHARACTER_MODEL, metadata: {} };

/** The Task a checkpoint entry describes, for a model of `spec`; an InputError for a name this version does not know. */
export function restoreTask(entry: TaskCheckpoint, spec: ModelSpec): Task<unknown, Evaluation> {
  switch (entry.name) {
    case CHARACTER_MODEL: return new CharacterModel(spec.vocabSize) as Task<unknown, Evaluation>;
    case FORECAST: return new ForecastTask(entry.metadata as unknown as ForecastSpec, spec.vocabSize) as unknown as Task<unknown, Evaluation>;
    case CLASSIFY: return new ClassifyTask(entry.metadata as unknown as ClassifyMetadata, spec.vocabSize) as unknown as Task<unknown, Evaluation>;
    case TAG: case SEGMENT: return new TagTask({ ...(entry.metadata as unknown as TagMetadata), segment: entry.name === SEGMENT }, spec.vocabSize, spec.crf === true) as unknown as Task<unknown, Evaluation>;
    default: throw new InputError(`unknown task ${JSON.stringify(entry.name)}; this version of RNN Lab trains ${TASK_NAMES.join(", ")}`);
  }
}

/** Checks a `task` entry read from a file: a known name and an object of metadata; returns the reason when it is not. */
export function taskEntryProblem(raw: unknown): string | null {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return "the task entry is not an object";
  const e = raw as Record<string, unknown>;
  if (typeof e.name !== "string" || !(TASK_NAMES as readonly string[]).includes(e.name)) return `unknown task ${JSON.stringify(e.name)} (this version knows ${TASK_NAMES.join(", ")})`;
  if (typeof e.metadata !== "object" || e.metadata === null || Array.isArray(e.metadata)) return "the task's metadata is not an object";
  return null;
}
