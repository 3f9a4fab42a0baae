// A run's metrics.jsonl read back: one line per optimizer step, per validation and per sample, as
// the run driver appends them. A crash can cut the last line short: unreadable lines are skipped.

import { existsSync, readFileSync } from "node:fs";
import { metricsPath } from "./runStore";

export interface StepMetric {
  step: number;
  loss: number; // training loss of the step's window, nats/char
  gradNorm: number; // global norm before clipping
  clipped: boolean;
  lr: number;
  chars: number; // characters seen so far
  seconds: number; // training seconds so far
  tensorNorms: number[] | null; // per tensor before clipping (runs recorded before they were kept have none)
}

export interface EvalMetric { step: number; valLoss: number; chars: number; seconds: number }

export interface RunMetrics { steps: StepMetric[]; evals: EvalMetric[]; samples: { step: number; text: string }[] }

const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** Parses the lines of metrics.jsonl; a later line for the same step replaces an earlier one (a resumed run re-records its lost steps). */
export function parseRunMetrics(text: string): RunMetrics {
  const steps = new Map<number, StepMetric>(), evals = new Map<number, EvalMetric>(), samples = new Map<number, string>();
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    let o: Record<string, unknown>;
    try { o = JSON.parse(line); } catch { continue; }
    if (typeof o !== "object" || o === null || !isNum(o.step)) continue;
    if (o.type === "step" && isNum(o.loss) && isNum(o.grad_norm)) {
      steps.set(o.step, {
        step: o.step, loss: o.loss, gradNorm: o.grad_norm, clipped: o.clipped === true, lr: isNum(o.lr) ? o.lr : 0,
        chars: isNum(o.chars) ? o.chars : 0, seconds: isNum(o.seconds) ? o.seconds : 0,
        tensorNorms: Array.isArray(o.tensor_norms) && o.tensor_norms.every(isNum) ? o.tensor_norms : null,
      });
    } else if (o.type === "eval" && isNum(o.val_loss)) {
      evals.set(o.step, { step: o.step, valLoss: o.val_loss, chars: isNum(o.chars) ? o.chars : 0, seconds: isNum(o.seconds) ? o.seconds : 0 });
    } else if (o.type === "sample" && typeof o.text === "string") {
      samples.set(o.step, o.text);
    }
  }
  const byStep = <T extends { step: number }>(a: T[]) => a.sort((x, y) => x.step - y.step);
  return {
    steps: byStep([...steps.values()]),
    evals: byStep([...evals.values()]),
    samples: byStep([...samples].map(([step, text]) => ({ step, text }))),
  };
}

export function readRunMetrics(runDir: string): RunMetrics {
  const path = metricsPath(runDir);
  return parseRunMetrics(existsSync(path) ? readFileSync(path, "utf8") : "");
}
