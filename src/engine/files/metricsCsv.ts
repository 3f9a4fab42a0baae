// A run's metrics as one CSV table for a spreadsheet or pandas: one row per optimizer step, the
// validation loss on the rows of the steps it was measured at (empty elsewhere), then one column
// per tensor's gradient norm. Units in the headers; numbers in plain JavaScript notation (1e-6, not localised).

import type { RunMetrics } from "../runs/runMetrics";

const quote = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export function metricsCsv(m: RunMetrics, tensorNames: string[], charsPerEpoch = 0): string {
  const evals = new Map(m.evals.map((e) => [e.step, e.valLoss]));
  const head = ["step", ...(charsPerEpoch > 0 ? ["epoch"] : []), "chars_seen", "seconds", "train_loss_nats_per_char", "val_loss_nats_per_char", "grad_norm", "clipped", "learning_rate", ...tensorNames.map((n) => `grad_norm_${n}`)];
  const rows = m.steps.map((s) => [
    String(s.step), ...(charsPerEpoch > 0 ? [String(s.chars / charsPerEpoch)] : []), String(s.chars), String(s.seconds), String(s.loss),
    evals.has(s.step) ? String(evals.get(s.step)) : "", String(s.gradNorm), s.clipped ? "1" : "0", String(s.lr),
    ...tensorNames.map((_, k) => (s.tensorNorms && Number.isFinite(s.tensorNorms[k]) ? String(s.tensorNorms[k]) : "")),
  ]);
  return [head, ...rows].map((r) => r.map(quote).join(",")).join("\n") + "\n";
}
