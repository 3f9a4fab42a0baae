// Issue 17's comparison of the cells: every registered cell variant (CELLS and their `variants`, so a
// cell or option added to the registry appears here without an edit) at the same parameter count as
// a target model (the hidden size solved per cell by hiddenForParameters), each trained for the same
// wall-clock seconds on the bundled corpus from the same seed; then the validation loss and the
// gradient flow ‖∂L_T/∂h_t‖ at distances 50 and 100 (engine/insight/gradientFlow.ts: the loss of the
// character after a 101-character window read from a zero state, geometric mean over 16 windows of
// the validation text), at initialisation and after training. The result is a markdown table.
//
// `npm run compare-cells -- --seconds N` (compareCells.ts) and `npm run bench -- --cells N` call it.

import { CELLS, CellEntry } from "../../src/engine/model/cells";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { Core } from "../../src/engine/core/core";
import { ModelSpec, coreShape } from "../../src/engine/model/modelSpec";
import { hiddenForParameters, parameterCount } from "../../src/engine/runs/experiments";
import { gradientFlow } from "../../src/engine/insight/gradientFlow";
import { initialiseParameters } from "../../src/engine/model/initialise";
import { DEFAULT_TRAIN_OPTIONS } from "../../src/engine/training/trainOptions";
import { Trainer, splitCorpus } from "../../src/engine/training/trainer";

export interface ComparisonOptions {
  seconds: number; // training time per cell
  threads: number;
  layers: number;
  /** The parameter count every cell is sized to: an LSTM of this hidden size and `layers`. */
  targetHidden: number;
  /** Only the variants whose label contains this (case-insensitive); absent = all. */
  only?: string;
}

export interface ComparisonRow {
  label: string; hidden: number; parameters: number; steps: number; valLoss: number;
  /** ‖∂L_T/∂h_t‖ of the top layer at distance 0, 50, 100: at initialisation and trained. */
  init: number[]; trained: number[];
  /** Why the cell has no numbers (it diverged, or refused the text), or absent. */
  failure?: string;
}

const DISTANCES = [0, 50, 100];

/** Every registered cell variant, in the registry's order (the cell with its defaults where it lists none). */
export function cellVariants(): { entry: CellEntry; label: string; options: Partial<ModelSpec> }[] {
  return CELLS.flatMap((entry) => (entry.variants ?? [{ label: entry.label, options: {} }]).map((v) => ({ entry, label: v.label, options: v.options as Partial<ModelSpec> })));
}

export function compareCells(text: string, o: ComparisonOptions, progress: (line: string) => void = () => {}): { target: number; rows: ComparisonRow[] } {
  const { vocab } = CharVocabulary.fromText(text);
  const split = splitCorpus(vocab.encode(text), DEFAULT_TRAIN_OPTIONS.valFraction);
  const valText = text.slice(text.length - Math.floor(text.length * DEFAULT_TRAIN_OPTIONS.valFraction));
  const base: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: o.layers, hidden: o.targetHidden, embed: 0, vocabSize: vocab.size, peephole: false, coupled: false, residual: false };
  const target = parameterCount(base);
  const rows: ComparisonRow[] = [];
  for (const v of cellVariants()) {
    if (o.only && !v.label.toLowerCase().includes(o.only.toLowerCase())) continue;
    const shape = { ...base, cell: v.entry.type, ...v.options };
    const spec = { ...shape, hidden: hiddenForParameters(shape, target) };
    const row: ComparisonRow = { label: v.label, hidden: spec.hidden, parameters: parameterCount(spec), steps: 0, valLoss: NaN, init: [], trained: [] };
    rows.push(row);
    try {
      const init = new Core(coreShape(spec));
      initialiseParameters(init, spec, DEFAULT_TRAIN_OPTIONS.init, DEFAULT_TRAIN_OPTIONS.forgetBias, DEFAULT_TRAIN_OPTIONS.seed);
      const top = spec.layers - 1;
      const at = (norms: ArrayLike<number>[]) => DISTANCES.map((d) => norms[top][d]);
      row.init = at(gradientFlow({ spec, vocab, params: Float32Array.from(init.params()), training: null }, valText, 101, 16).norms);
      const t = new Trainer(spec, vocab, split, { ...DEFAULT_TRAIN_OPTIONS }, { files: [], sha256: "", chars: 0, trainChars: 0 }, null, undefined, o.threads);
      try {
        const t0 = performance.now();
        while (performance.now() - t0 < o.seconds * 1000) t.trainStep();
      } finally {
        t.dispose();
      }
      row.steps = t.step;
      row.valLoss = t.evaluate() ?? NaN;
      row.trained = at(gradientFlow(t.snapshot(), valText, 101, 16).norms);
    } catch (e) {
      row.failure = (e as Error).message.split("\n")[0];
    }
    progress(`${row.label}: hidden ${row.hidden}, ${row.steps} steps, validation loss ${row.valLoss.toFixed(4)}${row.failure ? ` (${row.failure})` : ""}`);
  }
  return { target, rows };
}

export function comparisonTable(o: ComparisonOptions, result: { target: number; rows: ComparisonRow[] }): string {
  const e = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "–" : x.toExponential(2));
  let out = `Cells at equal parameter count (LSTM ${o.layers}×${o.targetHidden} = ${result.target.toLocaleString("en")} parameters), each trained ${o.seconds} s on ${o.threads} thread${o.threads > 1 ? "s" : ""} `
    + `(batch ${DEFAULT_TRAIN_OPTIONS.batch}, seq ${DEFAULT_TRAIN_OPTIONS.seq}, ${DEFAULT_TRAIN_OPTIONS.optimizer} ${DEFAULT_TRAIN_OPTIONS.lr}, clip ${DEFAULT_TRAIN_OPTIONS.clip}, seed ${DEFAULT_TRAIN_OPTIONS.seed}) on the bundled corpus.\n\n`;
  out += "| cell | hidden | parameters | steps | validation loss | ‖∂L_T/∂h_t‖ d = 50 | d = 100 | at initialisation d = 50 | d = 100 |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const r of result.rows) {
    const loss = r.failure ? `– (${r.failure})` : r.valLoss.toFixed(4);
    out += `| ${r.label} | ${r.hidden} | ${r.parameters.toLocaleString("en")} | ${r.steps} | ${loss} | ${e(r.trained[1])} | ${e(r.trained[2])} | ${e(r.init[1])} | ${e(r.init[2])} |\n`;
  }
  return out + `\n(gradient flow: the top layer's ‖∂L_T/∂h_t‖ for the loss of the character after a 101-character window read from a zero state, geometric mean over 16 windows of the validation text; the validation text is the corpus's last ${Math.round(DEFAULT_TRAIN_OPTIONS.valFraction * 100)} %)\n`;
}
