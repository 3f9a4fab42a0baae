// The classification, tagging and word-segmentation commands: `rnn-lab train DATA --task
// classify|tag|segment …`, `rnn-lab eval CKPT DATA` on such a checkpoint, and `rnn-lab predict CKPT
// (FILE | --text TEXT)`. main.ts parses the command line (its parser and usage errors are passed in)
// and dispatches here; the engine half is src/engine/tasks/textTaskModel.ts.

import { readFileSync } from "node:fs";
import { basename, dirname, extname, resolve } from "node:path";
import { CELL_TYPES, NONLINEARITIES } from "../engine/model/cells";
import type { CellType, Nonlinearity } from "../engine/model/modelSpec";
import { describeSpec } from "../engine/model/modelSpec";
import { DEFAULT_MODEL, MAX_THREADS, trainingThreads } from "../engine/model/defaults";
import { paramCount, Model } from "../engine/files/checkpoint";
import { loadCheckpoint, removeStaleTempFiles, saveCheckpoint } from "../engine/files/checkpointFile";
import { checkOutputNotLocked, checkOutputPath, describeWriteFailure, lockOutput, probeOutputFolder, unlockOutput } from "../engine/files/outputFile";
import { InputError } from "../engine/messages/inputError";
import { DEFAULT_TRAIN_OPTIONS, OPTIMIZER_NAMES, OptimizerName, TrainOptions } from "../engine/training/trainOptions";
import { INIT_SCHEMES, InitScheme } from "../engine/model/initialise";
import { NonFiniteLossError, Trainer } from "../engine/training/trainer";
import { SessionPlan, TrainingSession } from "../engine/training/trainingSession";
import { parseTextRecords } from "../engine/tasks/labelledText";
import type { LabelledFormat } from "../engine/tasks/labelledText";
import { POOLINGS, Pooling } from "../engine/tasks/classifyTask";
import {
  ClassifyEvalResult, DEFAULT_MAX_LENGTH, ReadOptions, TagEvalResult, TextTaskEvalResult, TextTaskKind, TextPrediction, evaluateTextTask,
  TEXT_TASK_DEFAULTS, createTextTaskTrainer, resumeTextTaskTrainer, loadTextTaskModel, predictTexts, prepareTextTask,
} from "../engine/tasks/textTaskModel";
import { CliKit, Flags, choice, int, real } from "./forecastCommands";
import { clock } from "../protocol/clock";

export const TEXT_TASK_TRAIN_FLAGS = {
  task: "string", "text-column": "string", "label-column": "string", format: "string", val: "string", "val-frac": "string",
  "max-length": "string", pool: "string", crf: "boolean", bidirectional: "boolean", "class-weights": "string", "max-classes": "string",
  cell: "string", nonlinearity: "string", layers: "string", hidden: "string", embed: "string", residual: "boolean", dropout: "string",
  batch: "string", lr: "string", optimizer: "string", momentum: "string", beta1: "string", beta2: "string", eps: "string", "weight-decay": "string",
  clip: "string", "lr-decay": "string", "lr-decay-every": "string", init: "string", "forget-bias": "string", seed: "string", "vocab-cap": "string",
  steps: "string", seconds: "string", epochs: "string", "eval-every": "string", "checkpoint-every": "string",
  out: "string", best: "string", force: "boolean", json: "boolean", threads: "string", "max-memory": "string", resume: "string",
} as const;

export const TEXT_TASK_USAGE = `  rnn-lab train DATA --task classify|tag|segment [--text-column C --label-column C] [--format csv|tsv|jsonl|conll]
                        [--val FILE | --val-frac F] [--max-length N] [--bidirectional] [--pool last|mean|max] [--crf] [--class-weights balanced] [model and training options] [--out CKPT] [--best CKPT] [--json]
  rnn-lab predict CKPT (FILE | --text TEXT) [--json]`;

export const TEXT_TASK_HELP = `classify / tag / segment options (rnn-lab train DATA --task classify|tag|segment; docs/text-tasks.md):
  classify: .csv/.tsv with a header (columns text and label; --text-column, --label-column) or .jsonl {"text", "label"}
  tag: .jsonl {"text", "tags": [one per character]} or CoNLL (.conll, .bio, or --format conll): character TAB tag, a blank line between sequences
  segment: one sentence a line, words separated by spaces (SIGHAN); trained as B/M/E/S tags, predicted back into words
  --val FILE | --val-frac F [0.1] (seeded; stratified by label for classify)   --max-length N [${DEFAULT_MAX_LENGTH}] characters read per record (longer ones are cut, and counted)
  --pool last|mean|max [last] over each record's characters (last, bidirectional: the forward state after the last character
    joined with the backward state after the first)   --class-weights balanced|none [none]   --max-classes N [1000]
  --bidirectional   two directions per layer (RNN, LSTM, GRU)   --crf   a linear-chain CRF over the tags (tag, segment)
  model and training: --cell --layers --hidden --embed --dropout --batch [32] --lr --optimizer --clip --seed --threads --steps | --seconds | --epochs [10]
  --eval-every N [once an epoch]   --out CKPT [DATA.TASK.safetensors]: the last state   --force   --json (progress lines carry val_loss, val_accuracy, val_f1)
  --best CKPT [CKPT with .best before .safetensors]: the model of the best validation F1 (macro F1 for classify, span F1 for tag, word F1 for segment)
  --resume CKPT   continue a run exactly on the same files from where it stopped (give its --out, the last state, as for a language model)
  eval CKPT DATA on such a checkpoint: classify — loss, accuracy, macro F1, per-class precision/recall/F1/support, the confusion
    matrix with its labels; tag / segment — loss, per-character accuracy, span (conlleval) or word (SIGHAN) precision/recall/F1

predict: a label and its probabilities per line (or record of a .csv/.tsv/.jsonl), tags per character, or the
  text with its words separated by spaces (segment); --text TEXT for one text.`;

const PROGRESS_EVERY_MS = 500;

// Flags that shape the model, its task or its optimisation: fixed by the checkpoint when resuming.
const RUN_DEFINING = ["cell", "nonlinearity", "layers", "hidden", "embed", "residual", "dropout", "batch", "lr", "optimizer", "momentum", "beta1", "beta2", "eps",
  "weight-decay", "clip", "lr-decay", "lr-decay-every", "init", "forget-bias", "seed", "vocab-cap", "val-frac", "max-length", "pool", "crf", "bidirectional", "class-weights", "max-classes"];

function readOptions(kit: CliKit, flags: Flags): ReadOptions {
  return {
    format: choice<LabelledFormat>(kit, flags, "format", ["csv", "tsv", "jsonl", "conll"]),
    textColumn: flags["text-column"] as string | undefined,
    labelColumn: flags["label-column"] as string | undefined,
    maxClasses: int(kit, flags, "max-classes"),
  };
}

export async function trainTextTaskCommand(args: string[], kit: CliKit): Promise<number> {
  const { flags, files } = kit.parse("train", args, TEXT_TASK_TRAIN_FLAGS, [1, 1]);
  const kind = choice<TextTaskKind>(kit, flags, "task", ["classify", "tag", "segment"])!;
  const resumeFrom = typeof flags.resume === "string" ? loadCheckpoint(flags.resume) : null;
  if (resumeFrom) {
    const fixed = RUN_DEFINING.filter((k) => flags[k] !== undefined);
    if (fixed.length) throw kit.usage(`--${fixed[0]} cannot change when resuming: the checkpoint fixes the model, its task and its training settings`);
  }
  const json = flags.json === true;
  const say = (text: string) => { if (!json) process.stderr.write(text + "\n"); };
  const record = (o: Record<string, unknown>) => { if (json) process.stdout.write(JSON.stringify(o) + "\n"); };
  const threads = int(kit, flags, "threads") ?? trainingThreads();
  if (threads < 1 || threads > MAX_THREADS) throw kit.usage(`--threads must be from 1 to ${MAX_THREADS}`);
  const budgets = (["steps", "seconds", "epochs"] as const).filter((k) => flags[k] !== undefined);
  if (budgets.length > 1) throw kit.usage(`give one of --steps, --seconds, --epochs, not ${budgets.map((b) => "--" + b).join(" and ")}`);
  const budgetKind = budgets[0] ?? "epochs";
  const amount = budgetKind === "seconds" ? real(kit, flags, "seconds")! : budgets.length ? int(kit, flags, budgetKind)! : TEXT_TASK_DEFAULTS.epochs;
  if (!(amount > 0)) throw kit.usage(`--${budgetKind} must be positive`);
  const cell = choice<CellType>(kit, flags, "cell", CELL_TYPES) ?? DEFAULT_MODEL.cell;
  const classWeights = choice<"balanced" | "none">(kit, flags, "class-weights", ["balanced", "none"]);
  const D = DEFAULT_TRAIN_OPTIONS, M = DEFAULT_MODEL;
  const seed = int(kit, flags, "seed") ?? D.seed;
  const prepared = prepareTextTask({
    kind, data: files[0], read: readOptions(kit, flags), val: flags.val as string | undefined,
    valFraction: resumeFrom?.training && flags.val === undefined ? resumeFrom.training.options.valFraction : real(kit, flags, "val-frac"),
    maxLength: int(kit, flags, "max-length"), pool: choice<Pooling>(kit, flags, "pool", POOLINGS), classWeights, bidirectional: flags.bidirectional === true,
    crf: flags.crf === true, seed, vocabCap: int(kit, flags, "vocab-cap"), resume: resumeFrom ?? undefined,
    network: {
      cell, nonlinearity: choice<Nonlinearity>(kit, flags, "nonlinearity", NONLINEARITIES) ?? M.nonlinearity, layers: int(kit, flags, "layers") ?? TEXT_TASK_DEFAULTS.layers,
      hidden: int(kit, flags, "hidden") ?? TEXT_TASK_DEFAULTS.hidden, embed: int(kit, flags, "embed") ?? TEXT_TASK_DEFAULTS.embed, peephole: false, coupled: false, residual: flags.residual === true,
    },
  });
  const { task, spec, window } = prepared;
  const options: Partial<TrainOptions> = {
    batch: int(kit, flags, "batch"), lr: real(kit, flags, "lr") ?? D.lr,
    optimizer: choice<OptimizerName>(kit, flags, "optimizer", OPTIMIZER_NAMES) ?? D.optimizer, momentum: real(kit, flags, "momentum") ?? D.momentum,
    beta1: real(kit, flags, "beta1") ?? D.beta1, beta2: real(kit, flags, "beta2") ?? D.beta2, eps: real(kit, flags, "eps") ?? D.eps,
    weightDecay: real(kit, flags, "weight-decay") ?? (flags.optimizer === "adamw" ? 0.01 : D.weightDecay), clip: real(kit, flags, "clip") ?? D.clip,
    dropout: real(kit, flags, "dropout") ?? D.dropout, lrDecay: real(kit, flags, "lr-decay") ?? D.lrDecay, lrDecayEvery: int(kit, flags, "lr-decay-every") ?? D.lrDecayEvery,
    seed, init: choice<InitScheme>(kit, flags, "init", INIT_SCHEMES) ?? D.init, forgetBias: real(kit, flags, "forget-bias") ?? D.forgetBias,
    valFraction: real(kit, flags, "val-frac") ?? TEXT_TASK_DEFAULTS.valFraction,
  };
  if (options.batch === undefined) delete options.batch;
  const resumePath = (flags.resume as string | undefined) ?? null;
  const outPath = (flags.out as string | undefined) ?? resumePath ?? `${basename(files[0], extname(files[0]))}.${kind}.safetensors`;
  // --out holds the last state (what --resume continues, as for a language model); --best the best validation model
  const bestPath = (flags.best as string | undefined) ?? bestPathOf(outPath);
  if (resolve(bestPath) === resolve(outPath)) throw kit.usage("--best must differ from --out (--out holds the last state, --best the best validation model)");
  checkOutputNotLocked(outPath);
  checkOutputNotLocked(bestPath);
  checkOutputPath({ out: outPath, kind: "file", inputs: prepared.corpus.files, ownCheckpoint: resumePath, force: flags.force === true, suggestResume: true });
  // resuming: the run's own best file (next to the checkpoint resumed) is its to replace
  checkOutputPath({ out: bestPath, option: "--best", kind: "file", inputs: [...prepared.corpus.files, ...(resumePath ? [resumePath] : [])], ownCheckpoint: resumePath ? bestPathOf(resumePath) : null, force: flags.force === true });
  probeOutputFolder(outPath, 4 * 3 * paramCount(spec) + 65536);
  probeOutputFolder(bestPath, 4 * 3 * paramCount(spec) + 65536);
  lockOutput(outPath);
  try {
    lockOutput(bestPath, "--best");
  } catch (e) {
    unlockOutput(outPath);
    throw e;
  }
  try {
    removeStaleTempFiles(dirname(outPath));
    const trainer = resumeFrom ? resumeTextTaskTrainer(prepared, resumeFrom, threads) : createTextTaskTrainer(prepared, options, threads);
    try {
      const cut = prepared.truncated.train + prepared.truncated.val;
      say(`training ${kind} ${describeSpec(spec)}${spec.crf ? ", CRF" : ""}; ${paramCount(spec).toLocaleString("en")} parameters; ${task.head.width} ${kind === "classify" ? "classes" : "tags"}: ${Object.entries(prepared.counts).map(([n, c]) => `${n} (${c})`).join(", ")}`);
      say(`${files[0]}: ${prepared.trainSequences} training + ${prepared.valSequences} validation records; window ${window}; ${trainer.batches.batchesPerEpoch} steps per epoch`);
      if (cut > 0) say(`note: ${cut} record${cut > 1 ? "s" : ""} longer than --max-length ${task.meta.maxLength} ${cut > 1 ? "were" : "was"} cut to it (${prepared.truncated.train} training, ${prepared.truncated.val} validation)`);
      record({ type: "start", task: kind, model: spec, options, params: paramCount(spec), labels: kind === "classify" ? task.head.width : undefined, names: Object.keys(prepared.counts), counts: prepared.counts,
        train_records: prepared.trainSequences, val_records: prepared.valSequences, truncated: cut, window, steps_per_epoch: trainer.batches.batchesPerEpoch, threads: trainer.threads, out: outPath, best: bestPath });
      const plan: SessionPlan = {
        budget: { [budgetKind]: amount }, evalEvery: int(kit, flags, "eval-every") ?? trainer.batches.batchesPerEpoch, sampleEvery: 0, sampleLength: 0,
        checkpointEvery: int(kit, flags, "checkpoint-every") ?? 0, tensorNorms: false,
      };
      // the best validation model of this session (a resumed run's earlier best stays in --best until one beats it)
      const kept: { best: { model: Model; step: number; metrics: Record<string, number>; written: boolean } | null } = { best: null };
      let last: Record<string, number> = {};
      const writeTo = (path: string, model: Model) => {
        try { saveCheckpoint(path, model); } catch (e) { throw describeWriteFailure(e, path); }
      };
      const write = (model: Model) => {
        writeTo(outPath, model);
        if (kept.best && !kept.best.written) { writeTo(bestPath, kept.best.model); kept.best.written = true; }
        return outPath;
      };
      const session = new TrainingSession(trainer as unknown as Trainer, plan, {
        saveCheckpoint: (model) => write(model),
        saveBest: (model) => { kept.best = { model, step: model.training!.step, metrics: {}, written: false }; },
        onValidation: (step, v) => {
          last = v.metrics;
          if (kept.best && kept.best.step === step) kept.best.metrics = v.metrics;
          record({ type: "eval", step, ...v.metrics, improved: v.improved });
          say(`step ${step}: validation loss ${v.metrics.val_loss.toFixed(4)}, accuracy ${(100 * v.metrics.val_accuracy).toFixed(2)} %, F1 ${v.metrics.val_f1.toFixed(4)}${v.improved ? " (best so far)" : ""}`);
        },
      });
      const stop: { signal: NodeJS.Signals | null } = { signal: null };
      const onSignal = (signal: NodeJS.Signals) => { stop.signal = signal; };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      let lastYield = performance.now();
      try {
        while (!session.budgetSpent && stop.signal === null) {
          if (performance.now() - lastYield >= 5) { await new Promise<void>((r) => setImmediate(r)); lastYield = performance.now(); if (stop.signal) break; }
          const o = session.step();
          const p = session.progress(PROGRESS_EVERY_MS, o.finished);
          if (p) {
            record({ type: "progress", step: o.report.step, epoch: o.report.epoch, loss: o.report.loss, grad_norm: o.report.gradNorm, lr: o.report.lr, chars_per_s: Math.round(p.charsPerSecond),
              elapsed_s: +session.seconds.toFixed(3), val_loss: last.val_loss ?? null, val_accuracy: last.val_accuracy ?? null, val_f1: last.val_f1 ?? null });
          }
        }
      } catch (e) {
        if (!(e instanceof NonFiniteLossError)) throw e;
        write(trainer.snapshot());
        process.stderr.write(`rnn-lab: error: ${e.message}; the last good state is saved in ${outPath}${kept.best ? `, the best validation model so far in ${bestPath}` : ""}\n`);
        return 1;
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
      session.finish(stop.signal ? "stopped" : "done");
      const b = kept.best;
      const summary = { type: "summary", step: trainer.step, epoch: trainer.epoch, loss: trainer.lastLoss, seconds: +session.seconds.toFixed(3), best_step: b?.step ?? null,
        best_val_f1: b?.metrics.val_f1 ?? null, best_val_accuracy: b?.metrics.val_accuracy ?? null, best_val_loss: b?.metrics.val_loss ?? null, checkpoint: outPath, best: b ? bestPath : null, interrupted: stop.signal !== null };
      record(summary);
      say(`${stop.signal ? "interrupted" : "done"}: ${session.steps} steps in ${clock(session.seconds)}; ${b ? `best validation F1 ${b.metrics.val_f1?.toFixed(4)} (accuracy ${(100 * (b.metrics.val_accuracy ?? 0)).toFixed(2)} %) at step ${b.step}` : "no validation records"}`);
      say(`checkpoint: ${outPath} (the last state; continue with: rnn-lab train ${files[0]} --task ${kind} --resume ${outPath} --epochs N)`);
      if (b) say(`best model: ${bestPath}   (evaluate with: rnn-lab eval ${bestPath} FILE)`);
      return stop.signal === "SIGTERM" ? 143 : stop.signal === "SIGINT" ? 130 : 0;
    } finally {
      trainer.dispose();
    }
  } finally {
    unlockOutput(bestPath);
    unlockOutput(outPath);
  }
}

/** The default --best: the --out path with ".best" before its extension (mood.safetensors → mood.best.safetensors). */
export function bestPathOf(out: string): string {
  const ext = extname(out);
  return ext ? `${out.slice(0, -ext.length)}.best${ext}` : `${out}.best`;
}

// ---------------------------------------------------------------- eval

export function evalTextTaskCommand(checkpoint: string, data: string, json: boolean, read: ReadOptions): number {
  const m = loadTextTaskModel(checkpoint);
  const r = evaluateTextTask(m, data, read);
  if (json) {
    const { predictions, ...rest } = r as ClassifyEvalResult;
    process.stdout.write(JSON.stringify({ type: "eval", ...(r.task === "classify" ? { ...rest, predictions } : r) }) + "\n");
  } else {
    process.stdout.write(evalText(r));
  }
  return 0;
}

function pct(x: number): string { return `${(100 * x).toFixed(2)} %`; }

export function evalText(r: TextTaskEvalResult): string {
  if (r.task === "classify") {
    const w = Math.max(9, ...r.labels.map((l) => l.length));
    const lines = [`${r.file}: ${r.records} records; loss ${r.loss.toFixed(4)} nats; accuracy ${pct(r.accuracy)}; macro F1 ${r.macro_f1.toFixed(4)} (weighted ${r.weighted_f1.toFixed(4)})`, "",
      `${"label".padEnd(w)}  precision  recall     f1  support`];
    for (const c of r.per_class) lines.push(`${c.label.padEnd(w)}  ${c.precision.toFixed(4).padStart(9)}  ${c.recall.toFixed(4).padStart(6)}  ${c.f1.toFixed(4).padStart(5)}  ${String(c.support).padStart(7)}`);
    lines.push("", `confusion (rows: true label, columns: predicted)`, `${"".padEnd(w)}  ${r.labels.map((l) => l.padStart(Math.max(6, l.length))).join(" ")}`);
    r.confusion.forEach((row, i) => lines.push(`${r.labels[i].padEnd(w)}  ${row.map((c, j) => String(c).padStart(Math.max(6, r.labels[j].length))).join(" ")}`));
    return lines.join("\n") + "\n";
  }
  const t = r as TagEvalResult;
  const unit = t.unit === "words" ? "words" : "spans (conlleval chunks)";
  return `${t.file}: ${t.records} records, ${t.characters} characters; loss ${t.loss.toFixed(4)} nats/char; per-character accuracy ${pct(t.accuracy)}\n`
    + `${unit}: precision ${t.precision.toFixed(4)}, recall ${t.recall.toFixed(4)}, F1 ${t.f1.toFixed(4)} (${t.correct_spans} right of ${t.predicted_spans} predicted, ${t.true_spans} true)\n`;
}

// ---------------------------------------------------------------- predict

/** The texts of a predict FILE: a .csv/.tsv/.jsonl's text column (classify), else one text per non-empty line. */
function textsOfFile(file: string, kind: TextTaskKind, read: ReadOptions): { texts: string[]; lines: number[] } {
  let raw: string;
  try { raw = readFileSync(file, "utf8"); } catch (e) { throw new InputError(`${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`); }
  const ext = extname(file).toLowerCase();
  if (kind === "classify" && [".csv", ".tsv", ".jsonl"].includes(ext)) {
    return parseTextRecords(raw, file, { format: ext.slice(1) as "csv" | "tsv" | "jsonl", textColumn: read.textColumn });
  }
  const texts: string[] = [], lines: number[] = [];
  raw.replace(/^\uFEFF/, "").split(/\r?\n/).forEach((l, i) => {
    const t = kind === "segment" ? l.replace(/[ \u3000\t]+/gu, "") : l; // a segmenter reads unsegmented text: spaces in the line are dropped
    if (t.trim() !== "") { texts.push(t); lines.push(i + 1); }
  });
  if (!texts.length) throw new InputError(`${file}: no text to predict on`);
  return { texts, lines };
}

export async function predictCommand(args: string[], kit: CliKit): Promise<number> {
  const { flags, files } = kit.parse("predict", args, { text: "string", json: "boolean", "text-column": "string", "max-memory": "string" }, [1, 2]);
  if ((files.length === 2) === (flags.text !== undefined)) throw kit.usage("give a FILE or --text TEXT (one of them)");
  const m = loadTextTaskModel(files[0]);
  const read: ReadOptions = { textColumn: flags["text-column"] as string | undefined };
  let texts: string[], lines: (number | null)[];
  if (typeof flags.text === "string") {
    const t = m.kind === "segment" ? flags.text.replace(/[ \u3000\t]+/gu, "") : flags.text;
    if (t.trim() === "") throw new InputError("--text is empty");
    texts = [t]; lines = [null];
  } else {
    ({ texts, lines } = textsOfFile(files[1], m.kind, read));
  }
  const predictions = predictTexts(m, texts);
  predictions.forEach((p, i) => {
    if (flags.json) process.stdout.write(JSON.stringify({ type: "prediction", line: lines[i], ...predictionJson(p) }) + "\n");
    else process.stdout.write(predictionText(p) + "\n");
  });
  return 0;
}

function predictionJson(p: TextPrediction): Record<string, unknown> {
  if (p.task === "classify") return { task: p.task, text: p.text, label: p.label, confidence: p.confidence, probabilities: p.probabilities };
  if (p.task === "tag") return { task: p.task, text: p.text, tags: p.tags };
  return { task: p.task, text: p.text, tags: p.tags, words: p.words, segmented: p.segmented };
}

function predictionText(p: TextPrediction): string {
  if (p.task === "classify") return `${p.label}\t${p.confidence.toFixed(3)}\t${p.text}`;
  if (p.task === "segment") return p.segmented;
  return p.chars.map((c, i) => `${c}/${p.tags[i]}`).join(" ");
}
