// rnn-lab: the command-line face of the engine (train, sample, eval, gradcheck, import, export).
// Every failure a user can cause ends in one line on stderr and a non-zero exit, never a stack trace.

import { parseArgs } from "node:util";
import { basename, dirname, extname } from "node:path";
import { CharVocabulary, DEFAULT_VOCAB_CAP } from "../engine/model/charVocabulary";
import { CheckpointError, Model, paramCount } from "../engine/files/checkpoint";
import { loadCheckpoint, removeStaleTempFiles, saveCheckpoint } from "../engine/files/checkpointFile";
import { encodeCorpus, scanCorpus, vocabularyFromScan } from "../engine/files/corpusFile";
import { parseMemorySize, setMemoryCap } from "../engine/core/limits";
import { InputError } from "../engine/messages/inputError";
import { lossOnText } from "../engine/training/evaluate";
import { ADDITIVE_FORMS, CELL_TYPES, CTRNN_DEFAULTS, GRU_RESETS, GruReset, NONLINEARITIES, cellEntry } from "../engine/model/cells";
import { DEFAULT_MODEL, MAX_THREADS, trainingThreads } from "../engine/model/defaults";
import { GRADIENT_CHECK_THRESHOLD, gradientCheck, gradientCheckBatch } from "../engine/insight/gradientCheck";
import { SequencePool } from "../engine/core/coreAbi";
import { CellType, ModelSpec, Nonlinearity, describeSpec, validateSpec } from "../engine/model/modelSpec";
import { clock } from "../protocol/clock";
import { DEFAULT_SAMPLE_OPTIONS, Sampler, SampleOptions } from "../engine/insight/sampler";
import { DEFAULT_TRAIN_OPTIONS, OPTIMIZER_NAMES, OptimizerName, TrainOptions, validateTrainOptions } from "../engine/training/trainOptions";
import { INIT_SCHEMES, InitScheme } from "../engine/model/initialise";
import { exportModel, readTaskHead, readTorchWeights, saveImportedCheckpoint } from "../engine/interop/interopFiles";
import { IMPORT_TASKS, ImportOptions, ImportTask } from "../engine/interop/torchImport";
import { checkOutputNotLocked, checkOutputPath, describeWriteFailure, lockOutput, probeOutputFolder, unlockOutput } from "../engine/files/outputFile";
import { EXPORT_FORMATS, ExportFormat } from "../engine/interop/modelExport";
import { BATCH_NORM_THREADS_REFUSAL, CorpusSplit, NonFiniteLossError, Trainer, checkTrainingMemory, splitCorpus } from "../engine/training/trainer";
import { cellOptionFlags as sharedCellOptionFlags, gruResetFlag as sharedGruResetFlag } from "./cellFlags";
import { CliKit, FORECAST_HELP, FORECAST_USAGE, evalForecastCommand, forecastCommand, trainForecastCommand } from "./forecastCommands";
import { isForecastCheckpointFile } from "../engine/forecast/forecastCheckpoint";
import { TEXT_TASK_HELP, TEXT_TASK_USAGE, evalTextTaskCommand, predictCommand, trainTextTaskCommand } from "./labelledTextCommands";
import { isTextTaskModel } from "../engine/tasks/textTaskModel";
import { SessionPlan, TrainingSession } from "../engine/training/trainingSession";

class UsageError extends Error {}

/** `rnn-lab COMMAND --help`: not an error; main prints the command's help and exits 0. */
class HelpRequested extends Error {
  constructor(readonly command: string) { super(command); }
}

const CELLS = CELL_TYPES.join("|"), OPTIMIZERS = OPTIMIZER_NAMES.join("|"), D = DEFAULT_TRAIN_OPTIONS, M = DEFAULT_MODEL;

const USAGE = `usage:
  rnn-lab train FILE... [--cell ${CELLS}] [--layers N] [--hidden N] [--embed N] [--batch N] [--seq N]
                        [--lr F] [--optimizer ${OPTIMIZERS}] [--clip F] [--dropout F] [--weight-decay F]
                        [--steps N | --seconds N | --epochs N] [--seed N] [--threads N] [--out PATH] [--resume CKPT] [--force] [--json]
  rnn-lab sample CKPT [--prime TEXT] [--length N] [--temperature F] [--top-k N] [--top-p F] [--seed N] [--json]
  rnn-lab eval CKPT FILE [--json]
  rnn-lab gradcheck [--cell ${CELLS}] [cell options: --gru-reset, --norm, --tau, --learn-tau, --dt, --additive-form] [--layers N] [--hidden N] [--bidirectional [--pool last|mean|max]] [--json]
  rnn-lab import WEIGHTS.safetensors --vocab VOCAB --out CKPT [--map FROM=TO]... [--nonlinearity ${NONLINEARITIES.join("|")}] [--cell ${CELLS}] [--tau T] [--dt D] [--gru-reset ${GRU_RESETS.join("|")}] [--task classify --labels LABELS.json [--pool last|mean|max] | --task tag|segment --tags TAGS.json] [--force] [--json]
  rnn-lab export CKPT --format safetensors|onnx|pytorch --out PATH [--data FILE]... [--force] [--json]
${FORECAST_USAGE}
${TEXT_TASK_USAGE}
Run 'rnn-lab help' for every option, 'rnn-lab COMMAND --help' for one command's.`;

const HELP = `${USAGE}

train options (defaults in brackets):
  --cell ${CELLS} [${M.cell}]   --nonlinearity ${NONLINEARITIES.join("|")} [${M.nonlinearity}] (rnn)   --layers N [${M.layers}]   --hidden N [${M.hidden}]
  --embed N [0 = one-hot input]   --peephole   --coupled (LSTM f = 1 - i)   --residual   --dropout F [${D.dropout}]
  --gru-reset ${GRU_RESETS.join("|")} [after] (gru) where the reset gate acts: after the recurrent product (PyTorch) or before it (TensorFlow)
  --norm none|layer|batch [none] (lstm, gru) layer or recurrent batch normalisation of the input and recurrent pre-activations (and c); batch trains on one thread: docs/cells.md
  --tau T [${CTRNN_DEFAULTS.tau}]   --learn-tau   --dt D [${CTRNN_DEFAULTS.dt}] (ctrnn: α = Δt/τ in (0, 1])   --additive-form ${ADDITIVE_FORMS.join("|")} [input] (additive)
  --batch N [${D.batch}]   --seq N | --window N [${D.seq}] (characters per stream per step; not a budget)   --optimizer ${OPTIMIZERS} [${D.optimizer}]   --lr F [${D.lr}]
  --momentum F [${D.momentum}]   --alpha F [${D.alpha}]   --beta1 F [${D.beta1}]   --beta2 F [${D.beta2}]   --eps F [${D.eps}]
  --weight-decay F [${D.weightDecay}]   --clip F [${D.clip}; 0 = off]   --lr-decay F [${D.lrDecay}]   --lr-decay-every N [${D.lrDecayEvery}]
  --init ${INIT_SCHEMES.join("|")} [${D.init}]   --forget-bias F [${D.forgetBias}]   --seed N [${D.seed}]
  --val-frac F [${D.valFraction}]   --vocab-cap N [${DEFAULT_VOCAB_CAP}]
  --steps N | --seconds N | --epochs N [--epochs 1]   --eval-every N [200]   --sample-every N [0]
  --checkpoint-every N [500]   --out PATH [FILE.CELL.safetensors]   --resume CKPT   --threads N [cores - 1, 1 to ${MAX_THREADS}]   --json
  --max-memory SIZE [2G, or RNN_LAB_MAX_MEMORY]   refuse a run that would need more (also for sample, eval)
  --init-from CKPT   a new run from a checkpoint's weights (an imported model, say): its architecture
                     and vocabulary, fresh optimizer, any text the vocabulary covers (not with --resume)
  --force            replace an existing --out that is not the checkpoint being resumed
  Ctrl-C (SIGINT) or SIGTERM stops after the current step and saves the checkpoint (exit 130 / 143);
  a second one exits at once without saving. See docs/safety.md.

import: a PyTorch char model's state_dict saved with safetensors (nn.Embedding or one-hot input,
  nn.RNN/LSTM/GRU, nn.Linear). VOCAB is a JSON list of characters or the training text (its sorted
  distinct characters). Prefixes embed./encoder./rnn./lstm./gru./head./fc./decoder. are recognised;
  --map old_prefix.=rnn. renames others. The cell is read off the gate count when only one cell has it,
  else from the file's metadata or --cell.

export: safetensors (weights + metadata), onnx (opset 17: Gather/OneHot, LSTM/GRU/RNN, MatMul; state
  as h0/c0 inputs and hn/cn outputs), pytorch (a folder: model.py, train.py for python or torchrun,
  README.md, weights, and data.txt from --data or the run's corpus).

${FORECAST_HELP}

${TEXT_TASK_HELP}

Outputs (train, import, export) are never one of the command's input files, a device or a FIFO; an
existing file other than the checkpoint being resumed is replaced only with --force (docs/safety.md).`;

type Flags = Record<string, string | boolean | string[] | undefined>;

/** `--clip -1` → `--clip=-1`: a value that is a negative number belongs to the option before it. */
function joinNegativeValues(args: string[], options: Record<string, "string" | "boolean" | "strings">): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") { out.push(...args.slice(i)); break; }
    const name = a.startsWith("--") && !a.includes("=") ? a.slice(2) : null;
    if (name && options[name] && options[name] !== "boolean" && i + 1 < args.length && /^-(\d|\.\d|Infinity$|NaN$)/.test(args[i + 1])) {
      out.push(`${a}=${args[++i]}`);
    } else {
      out.push(a);
    }
  }
  return out;
}

function parse(command: string, args: string[], options: Record<string, "string" | "boolean" | "strings">, positionals: [number, number]): { flags: Flags; files: string[] } {
  const end = args.indexOf("--");
  if (args.slice(0, end < 0 ? args.length : end).some((a) => a === "--help" || a === "-h")) throw new HelpRequested(command);
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(args, options),
      options: Object.fromEntries(Object.entries(options).map(([k, type]) => [k, type === "strings" ? { type: "string", multiple: true } : { type }])),
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split("\n")[0]} (run 'rnn-lab ${command} --help' for its options)`);
  }
  const files = parsed.positionals;
  if (files.length < positionals[0]) throw new UsageError(`missing ${positionals[0] === 1 ? "an argument" : "arguments"}; run 'rnn-lab ${command} --help' for usage`);
  if (files.length > positionals[1]) throw new UsageError(`unexpected argument ${JSON.stringify(files[positionals[1]])}`);
  return { flags: parsed.values as Flags, files };
}

function num(flags: Flags, name: string, fallback: number, integer = false): number {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new UsageError(`--${name} needs ${integer ? "an integer" : "a number"}, not ${JSON.stringify(raw)}`);
  }
  return v;
}

/** --max-memory SIZE: the cap on what this command may need (limits.ts), else RNN_LAB_MAX_MEMORY or 2 GiB. */
function useMemoryCap(flags: Flags): void {
  const raw = flags["max-memory"];
  if (typeof raw !== "string") return;
  try {
    setMemoryCap(parseMemorySize(raw));
  } catch (e) {
    throw new UsageError(`--max-memory: ${(e as Error).message}`);
  }
}

/** --gru-reset, for a GRU only (cellFlags.ts). */
function gruResetFlag(flags: Flags, cell: CellType): { gruReset?: GruReset } { return sharedGruResetFlag(FORECAST_KIT, flags, cell); }

function oneOf<T extends string>(flags: Flags, name: string, allowed: readonly T[], fallback: T): T {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  if (!allowed.includes(raw as T)) throw new UsageError(`--${name} must be one of ${allowed.join(", ")}, not ${JSON.stringify(raw)}`);
  return raw as T;
}

// ---------------------------------------------------------------- output

class Reporter {
  constructor(readonly json: boolean) {}
  private liveLine = false;
  /** A JSON line (json mode) or nothing. */
  record(obj: Record<string, unknown>): void {
    if (this.json) process.stdout.write(JSON.stringify(obj) + "\n");
  }
  /** Human text on stderr (never in json mode). */
  say(text: string): void {
    if (this.json) return;
    this.endLive();
    process.stderr.write(text + "\n");
  }
  live(text: string): void {
    if (this.json) return;
    if (process.stderr.isTTY) {
      process.stderr.write("\r" + text.slice(0, (process.stderr.columns || 120) - 1) + "\x1b[K");
      this.liveLine = true;
    } else {
      process.stderr.write(text + "\n");
    }
  }
  endLive(): void {
    if (this.liveLine) process.stderr.write("\n");
    this.liveLine = false;
  }
}

function bar(fraction: number, width = 20): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.round(f * width);
  return "[" + "#".repeat(full) + ".".repeat(width - full) + "]";
}

// ---------------------------------------------------------------- train

const TRAIN_FLAGS = {
  cell: "string", nonlinearity: "string", layers: "string", hidden: "string", embed: "string", peephole: "boolean",
  coupled: "boolean", residual: "boolean", dropout: "string", batch: "string", seq: "string", window: "string", lr: "string",
  optimizer: "string", momentum: "string", alpha: "string", beta1: "string", beta2: "string", eps: "string",
  "weight-decay": "string", clip: "string", "lr-decay": "string", "lr-decay-every": "string", init: "string",
  "forget-bias": "string", seed: "string", "val-frac": "string", "vocab-cap": "string", steps: "string",
  seconds: "string", epochs: "string", "eval-every": "string", "sample-every": "string", "checkpoint-every": "string",
  out: "string", resume: "string", "init-from": "string", threads: "string", force: "boolean", json: "boolean", "max-memory": "string",
  tau: "string", "learn-tau": "boolean", dt: "string", "additive-form": "string", "gru-reset": "string", norm: "string",
} as const;

/** The cell options given as flags (--tau, --learn-tau, --dt, --additive-form, --norm), only those given (cellFlags.ts). */
function cellOptionFlags(flags: Flags): Partial<ModelSpec> { return sharedCellOptionFlags(FORECAST_KIT, flags); }

/** --nonlinearity on a cell whose nonlinearity is fixed: the one-line refusal. */
function nonlinearityRefusal(cell: CellType): string {
  const owners = CELL_TYPES.filter((c) => cellEntry(c).options.includes("nonlinearity")).join(" or ");
  const why = cell === "lstm" ? "an LSTM's gates have fixed nonlinearities (sigmoid and tanh)" : cell === "gru" ? "a GRU's gates have fixed nonlinearities (sigmoid and tanh)"
    : cellEntry(cell).linearRecurrence ? `${cellEntry(cell).label}'s gates are sigmoids and its candidate is linear (the recurrence stays linear)`
    : `the ${cellEntry(cell).label} cell's nonlinearity is fixed (tanh)`;
  return `--nonlinearity is for --cell ${owners} only: ${why}`;
}

// Flags that shape the model: fixed by the checkpoint with --init-from.
const MODEL_DEFINING = ["cell", "nonlinearity", "layers", "hidden", "embed", "peephole", "coupled", "residual", "vocab-cap", "tau", "learn-tau", "dt", "additive-form", "gru-reset", "norm"];

// Flags that shape the model or its optimisation: fixed by the checkpoint when resuming.
const RUN_DEFINING = ["cell", "nonlinearity", "layers", "hidden", "embed", "peephole", "coupled", "residual", "dropout", "batch",
  "seq", "window", "lr", "optimizer", "momentum", "alpha", "beta1", "beta2", "eps", "weight-decay", "clip", "lr-decay", "lr-decay-every",
  "init", "forget-bias", "seed", "val-frac", "vocab-cap", "tau", "learn-tau", "dt", "additive-form", "gru-reset", "norm"];

interface Budget { kind: "steps" | "seconds" | "epochs"; amount: number }

/** Longest run of training steps between two turns of the event loop (when signals are seen), ms. */
const YIELD_EVERY_MS = 5;

/** The forecasting commands get main's parser and usage errors. */
const FORECAST_KIT: CliKit = { parse, usage: (message) => new UsageError(message) };

async function train(args: string[]): Promise<number> {
  if (args.some((a, i) => a === "--task=forecast" || (a === "--task" && args[i + 1] === "forecast"))) return trainForecastCommand(args, FORECAST_KIT);
  if (args.some((a, i) => /^--task=(classify|tag|segment)$/.test(a) || (a === "--task" && ["classify", "tag", "segment"].includes(args[i + 1])))) return trainTextTaskCommand(args, FORECAST_KIT);
  if (args.some((a) => a === "--task" || a.startsWith("--task="))) throw new UsageError("--task must be one of forecast, classify, tag, segment (without it: a character language model)");
  const { flags, files } = parse("train", args, TRAIN_FLAGS, [1, 1000]);
  // --window N is --seq N under the name of what it is: the characters each step reads per stream (the budget is --steps)
  if (flags.window !== undefined && flags.seq !== undefined) throw new UsageError("give --window or --seq (the same setting: the characters each step reads per stream), not both");
  if (flags.window !== undefined && flags.resume === undefined) flags.seq = flags.window;
  const out = new Reporter(flags.json === true);
  const threads = num(flags, "threads", trainingThreads(), true);
  if (threads < 1 || threads > MAX_THREADS) throw new UsageError(`--threads must be from 1 to ${MAX_THREADS}`);
  if (flags.threads !== undefined && threads > 1 && flags.norm === "batch") throw new UsageError(BATCH_NORM_THREADS_REFUSAL);
  const budgets = (["steps", "seconds", "epochs"] as const).filter((k) => flags[k] !== undefined);
  if (budgets.length > 1) throw new UsageError(`give one of --steps, --seconds, --epochs, not ${budgets.map((b) => "--" + b).join(" and ")}`);
  const budget: Budget = budgets.length ? { kind: budgets[0], amount: num(flags, budgets[0], 0, budgets[0] !== "seconds") } : { kind: "epochs", amount: 1 };
  if (!(budget.amount > 0)) throw new UsageError(`--${budget.kind} must be positive`);

  useMemoryCap(flags);
  if (typeof flags.resume === "string" && typeof flags["init-from"] === "string") {
    throw new UsageError("--resume and --init-from cannot be combined: --resume continues a run exactly (weights, optimizer, position in the text), --init-from starts a new run from a checkpoint's weights; give one of them");
  }
  const cellFlag = oneOf<CellType>(flags, "cell", CELL_TYPES, M.cell);
  if (flags.nonlinearity !== undefined && flags.resume === undefined && flags["init-from"] === undefined && !cellEntry(cellFlag).options.includes("nonlinearity")) {
    throw new UsageError(nonlinearityRefusal(cellFlag));
  }

  const initFrom = typeof flags["init-from"] === "string" ? loadCheckpoint(flags["init-from"]) : null;
  const outPath = typeof flags.out === "string" ? flags.out
    : typeof flags.resume === "string" ? flags.resume
    : `${basename(files[0], extname(files[0]))}.${initFrom?.spec.cell ?? cellFlag}.safetensors`;
  const inputs = [...files, ...(typeof flags["init-from"] === "string" ? [flags["init-from"]] : [])];

  const corpus = scanCorpus(files);
  let resumeFrom: Model | null = null;
  let spec: ModelSpec, vocab: CharVocabulary, options: TrainOptions;
  if (typeof flags.resume === "string") {
    const fixed = RUN_DEFINING.filter((k) => flags[k] !== undefined);
    if (fixed.length) throw new UsageError(`--${fixed[0]} cannot change when resuming: the checkpoint fixes the model and its training settings`);
    resumeFrom = loadCheckpoint(flags.resume);
    const t = resumeFrom.training;
    if (!t) throw new UsageError(`${flags.resume} holds weights only (no optimizer state); it cannot be resumed exactly`);
    if (t.corpus.sha256 !== corpus.sha256) {
      throw new InputError(`the training text differs from the one this run was started on (${t.corpus.files.join(", ")}, ${t.corpus.chars} characters); resuming needs the same text`);
    }
    ({ spec, vocab, } = resumeFrom);
    options = t.options;
  } else {
    const cell = cellFlag;
    if (typeof flags["init-from"] === "string") {
      const fixed = MODEL_DEFINING.filter((k) => flags[k] !== undefined);
      if (fixed.length) throw new UsageError(`--${fixed[0]} cannot be given with --init-from: the checkpoint fixes the model and its vocabulary`);
      resumeFrom = { ...initFrom!, training: null };
      vocab = resumeFrom.vocab;
      spec = resumeFrom.spec;
    } else {
      const built = vocabularyFromScan(corpus, num(flags, "vocab-cap", DEFAULT_VOCAB_CAP, true));
      vocab = built.vocab;
      if (built.report.mappedToUnk > 0) {
        out.say(`note: ${built.report.distinct} distinct characters exceed --vocab-cap; the ${built.report.mappedToUnk} rarest (${(100 * built.report.unkShare).toFixed(2)}% of the text) become <unk>`);
        out.record({ type: "vocabulary", distinct: built.report.distinct, mapped_to_unk: built.report.mappedToUnk, unk_share: built.report.unkShare });
      }
      spec = {
        cell,
        nonlinearity: oneOf(flags, "nonlinearity", NONLINEARITIES, M.nonlinearity),
        layers: num(flags, "layers", M.layers, true),
        hidden: num(flags, "hidden", M.hidden, true),
        embed: num(flags, "embed", M.embed, true),
        vocabSize: vocab.size,
        peephole: flags.peephole === true,
        coupled: flags.coupled === true,
        residual: flags.residual === true,
        ...cellOptionFlags(flags),
        ...gruResetFlag(flags, cell),
      };
    }
    const d = D;
    options = {
      batch: num(flags, "batch", d.batch, true), seq: num(flags, "seq", d.seq, true), lr: num(flags, "lr", d.lr),
      optimizer: oneOf<OptimizerName>(flags, "optimizer", OPTIMIZER_NAMES, d.optimizer),
      momentum: num(flags, "momentum", d.momentum), alpha: num(flags, "alpha", d.alpha), beta1: num(flags, "beta1", d.beta1),
      beta2: num(flags, "beta2", d.beta2), eps: num(flags, "eps", d.eps),
      weightDecay: num(flags, "weight-decay", flags.optimizer === "adamw" ? 0.01 : d.weightDecay),
      clip: num(flags, "clip", d.clip), dropout: num(flags, "dropout", d.dropout), lrDecay: num(flags, "lr-decay", d.lrDecay),
      lrDecayEvery: num(flags, "lr-decay-every", d.lrDecayEvery, true), seed: num(flags, "seed", d.seed, true),
      init: oneOf<InitScheme>(flags, "init", INIT_SCHEMES, d.init),
      forgetBias: num(flags, "forget-bias", d.forgetBias), valFraction: num(flags, "val-frac", d.valFraction),
    };
    validateSpec(spec);
  }

  validateTrainOptions(options);
  checkTrainingMemory(spec, options, threads, corpus.chars); // before the text is encoded or a core made
  // The output, checked once the options are known good and before anything is trained or written:
  // never an input, never a device or a folder, never an existing file other than the checkpoint
  // being resumed unless --force; its folder takes a file of the checkpoint's size; it is ours alone.
  checkOutputNotLocked(outPath);
  checkOutputPath({ out: outPath, kind: "file", inputs, ownCheckpoint: typeof flags.resume === "string" ? flags.resume : null, force: flags.force === true, suggestResume: true });
  probeOutputFolder(outPath, checkpointBytes(spec, options.batch));
  lockOutput(outPath);
  try {
    removeStaleTempFiles(dirname(outPath)); // left by rnn-lab processes killed mid-write (never a live one's)
    const encoded = encodeCorpus(corpus, vocab);
    const split = splitCorpus(encoded, options.valFraction);
    const trainer = new Trainer(spec, vocab, split, options,
      { files: corpus.files, sha256: corpus.sha256, chars: encoded.length, trainChars: split.train.length }, resumeFrom, undefined, threads);
    try {
      if (resumeFrom?.training && !(trainer.window < trainer.batches.batchesPerEpoch)) {
        throw new InputError(`${flags.resume}: its training state is damaged (window ${trainer.window} of an epoch of ${trainer.batches.batchesPerEpoch}); it cannot be resumed — start a new run from its weights with --init-from ${flags.resume}`);
      }
      return await trainLoop(trainer, { flags, files, out, outPath, budget, resumed: resumeFrom?.training != null, spec, corpusFiles: corpus.files, split });
    } finally {
      trainer.dispose();
    }
  } finally {
    unlockOutput(outPath);
  }
}

/** Bytes of a training checkpoint: parameters and two optimizer moments (f32), the carried state, the JSON header (vocabulary and all). */
function checkpointBytes(spec: ModelSpec, batch: number): number {
  const state = spec.layers * batch * spec.hidden * (cellEntry(spec.cell).cellState ? 2 : 1);
  return 4 * (3 * paramCount(spec) + state) + 16 * spec.vocabSize + 16384;
}

interface LoopContext {
  flags: Flags;
  outPath: string;
  files: string[];
  out: Reporter;
  budget: Budget;
  resumed: boolean;
  spec: ModelSpec;
  corpusFiles: string[];
  split: CorpusSplit;
}

/** Milliseconds between progress lines (and the live bar's updates). */
const PROGRESS_EVERY_MS = 500;
/** Characters of each sample --sample-every prints. */
const CLI_SAMPLE_LENGTH = 200;

/** Drives the engine's one training loop (TrainingSession) with the --out file as its output; signals are seen between steps. */
async function trainLoop(trainer: Trainer, ctx: LoopContext): Promise<number> {
  const { flags, files, out, outPath, budget, spec, split } = ctx;
  const options = trainer.options;
  const plan: SessionPlan = {
    budget: { [budget.kind]: budget.amount },
    evalEvery: num(flags, "eval-every", 200, true),
    sampleEvery: num(flags, "sample-every", 0, true),
    sampleLength: CLI_SAMPLE_LENGTH,
    checkpointEvery: num(flags, "checkpoint-every", 500, true),
    tensorNorms: false,
  };
  const startStep = trainer.step;

  out.say(`${ctx.resumed ? "resuming" : "training"} ${describeSpec(spec)}; ${paramCount(spec).toLocaleString("en")} parameters`);
  out.say(`corpus ${ctx.corpusFiles.join(", ")}: ${split.train.length.toLocaleString("en")} training + ${split.val.length.toLocaleString("en")} validation characters; ${trainer.batches.batchesPerEpoch} steps per epoch`);
  out.say(`${trainer.threads} thread${trainer.threads > 1 ? "s" : ""}, ${trainer.core.variant} kernels`);
  out.record({ type: "start", resumed: ctx.resumed, step: startStep, model: spec, options, params: paramCount(spec), train_chars: split.train.length, val_chars: split.val.length, steps_per_epoch: trainer.batches.batchesPerEpoch, threads: trainer.threads, kernels: trainer.core.variant, out: outPath });

  // SIGINT (Ctrl-C) and SIGTERM: finish the step under way, save, exit 130 / 143. A second one exits
  // at once without saving (the file on disk stays whatever the last complete write left).
  const stop: { signal: NodeJS.Signals | null } = { signal: null };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal !== null) {
      out.endLive();
      process.stderr.write(`rnn-lab: ${signal} again: exiting without saving; ${outPath} is as the last complete save left it\n`);
      unlockOutput(outPath);
      process.exit(signal === "SIGTERM" ? 143 : 130);
    }
    stop.signal = signal;
    out.record({ type: "stopping", signal, step: trainer.step });
    out.say(`${signal === "SIGINT" ? "Ctrl-C" : signal}: stopping after this step and saving ${outPath} (once more to exit without saving)`);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  // The --out file is the session's only output: every checkpoint replaces it (no keep-best file: the CLI writes only what --out names).
  const session = new TrainingSession(trainer, plan, {
    saveCheckpoint: (model) => {
      try {
        saveCheckpoint(outPath, model);
      } catch (e) {
        throw describeWriteFailure(e, outPath);
      }
      return outPath;
    },
    onValidation: (step, v) => out.record({ type: "eval", step, val_loss: v.loss, ...v.metrics }),
    onSample: (step, text) => {
      out.record({ type: "sample", step, text });
      out.say(`--- sample at step ${step} ---\n${text}\n---`);
    },
  });
  let valLoss: number | null = null;

  let exitCode = 0;
  let lastYield = -Infinity;
  try {
    while (!session.budgetSpent && stop.signal === null) {
      // The steps are synchronous: without a turn of the event loop between them no signal handler runs.
      // A turn (setImmediate) costs 2.5–15 µs; taken at most every YIELD_EVERY_MS it is free even for
      // sub-millisecond steps, and a signal is still seen at the end of a step (docs/safety.md).
      if (performance.now() - lastYield >= YIELD_EVERY_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = performance.now();
        if (stop.signal !== null) break;
      }
      const o = session.step();
      const r = o.report;
      if (o.valLoss !== null) valLoss = o.valLoss;
      const p = session.progress(PROGRESS_EVERY_MS, o.finished);
      if (p) {
        const seconds = session.seconds;
        out.record({ type: "progress", step: r.step, epoch: r.epoch, loss: r.loss, grad_norm: r.gradNorm, clipped: r.clipped, lr: r.lr, chars_per_s: Math.round(p.charsPerSecond), elapsed_s: +seconds.toFixed(3) });
        out.live(`${bar(p.fraction)} ${(100 * p.fraction).toFixed(0).padStart(3)}%  step ${r.step}  loss ${r.loss.toFixed(3)}${valLoss !== null ? `  val ${valLoss.toFixed(3)}` : ""}  |g| ${r.gradNorm.toFixed(2)}  ${Math.round(p.charsPerSecond).toLocaleString("en")} chars/s  ETA ${p.etaSeconds !== null ? clock(p.etaSeconds) : "?"}`);
      }
    }
  } catch (e) {
    if (!(e instanceof NonFiniteLossError)) throw e;
    // The state is as before the bad step: its parameters are the last good ones.
    session.checkpoint();
    out.endLive();
    process.stderr.write(`rnn-lab: error: ${e.message}; the last good state is saved in ${outPath}\n`);
    out.record({ type: "error", step: e.step, message: e.message, checkpoint: outPath });
    exitCode = 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  if (exitCode !== 0) return exitCode;
  const stopRequested = stop.signal !== null;
  // stopped by a signal: the session saves at once (a validation pass could take seconds); its last validation stands
  const end = session.finish(stopRequested ? "stopped" : "done");
  valLoss = end.valLoss;
  const seconds = session.seconds;
  const steps = session.steps;
  const summary = {
    type: "summary", step: trainer.step, steps, epoch: trainer.epoch, loss: trainer.lastLoss, val_loss: valLoss,
    best_val_loss: trainer.bestValLoss, seconds: +seconds.toFixed(3), chars_per_s: Math.round((steps * trainer.charsPerStep) / seconds),
    checkpoint: outPath, interrupted: stopRequested, ...(stop.signal ? { signal: stop.signal } : {}),
  };
  out.record(summary);
  out.say(`${stopRequested ? "interrupted" : "done"}: ${steps} steps in ${clock(seconds)} (${summary.chars_per_s.toLocaleString("en")} chars/s); loss ${typeof trainer.lastLoss === "number" && Number.isFinite(trainer.lastLoss) ? trainer.lastLoss.toFixed(4) : "n/a"}, validation ${valLoss === null ? "n/a" : valLoss.toFixed(4)} nats/char`);
  out.say(`checkpoint: ${outPath}   (continue with: rnn-lab train ${files.join(" ")} --resume ${outPath} --steps N)`);
  return stop.signal === "SIGTERM" ? 143 : stop.signal === "SIGINT" ? 130 : 0;
}

// ---------------------------------------------------------------- sample

async function sample(args: string[]): Promise<number> {
  const { flags, files } = parse("sample", args, { prime: "string", length: "string", temperature: "string", "top-k": "string", "top-p": "string", seed: "string", json: "boolean", "max-memory": "string" }, [1, 1]);
  useMemoryCap(flags);
  const model = loadCheckpoint(files[0]);
  const length = num(flags, "length", 500, true);
  if (length < 0 || length > 10_000_000) throw new UsageError("--length must be from 0 to 10,000,000");
  const options: SampleOptions = {
    temperature: num(flags, "temperature", DEFAULT_SAMPLE_OPTIONS.temperature),
    topK: num(flags, "top-k", DEFAULT_SAMPLE_OPTIONS.topK, true),
    topP: num(flags, "top-p", DEFAULT_SAMPLE_OPTIONS.topP),
  };
  if (options.temperature < 0) throw new UsageError("--temperature must be 0 or more (0 = always the most likely character)");
  if (options.topK < 0) throw new UsageError("--top-k must be 0 (off) or more");
  if (!(options.topP > 0 && options.topP <= 1)) throw new UsageError("--top-p must be in (0, 1]");
  const seed = num(flags, "seed", 1, true);
  const sampler = new Sampler(model, seed);
  const prime = typeof flags.prime === "string" ? flags.prime : "";
  if (prime) sampler.prime(prime);
  const t0 = performance.now();
  if (flags.json) {
    const text = sampler.generate(length, options);
    const seconds = (performance.now() - t0) / 1000;
    process.stdout.write(JSON.stringify({ type: "sample", prime, text, seed, ...options, chars_per_s: Math.round(length / seconds) }) + "\n");
  } else {
    process.stdout.write(prime);
    let buffered = "";
    sampler.generate(length, options, (c) => {
      buffered += c.char;
      if (buffered.length >= 64) { process.stdout.write(buffered); buffered = ""; }
    });
    process.stdout.write(buffered + "\n");
  }
  return 0;
}

// ---------------------------------------------------------------- eval

async function evaluate(args: string[]): Promise<number> {
  const { flags, files } = parse("eval", args, { json: "boolean", "max-memory": "string", "open-loop": "boolean", "text-column": "string", "label-column": "string", format: "string" }, [2, 2]);
  useMemoryCap(flags);
  if (isForecastCheckpointFile(files[0])) return evalForecastCommand(files[0], files[1], flags.json === true, flags["open-loop"] === true);
  if (flags["open-loop"]) throw new UsageError("--open-loop is for forecasting checkpoints");
  const model = loadCheckpoint(files[0]);
  if (isTextTaskModel(model)) {
    const format = flags.format === undefined ? undefined : oneOf(flags, "format", ["csv", "tsv", "jsonl", "conll"] as const, "csv");
    return evalTextTaskCommand(files[0], files[1], flags.json === true, { textColumn: flags["text-column"] as string | undefined, labelColumn: flags["label-column"] as string | undefined, format });
  }
  if (flags["text-column"] !== undefined || flags["label-column"] !== undefined || flags.format !== undefined) throw new UsageError("--text-column, --label-column and --format are for classify, tag and segment checkpoints");
  const r = lossOnText(model, encodeCorpus(scanCorpus([files[1]]), model.vocab)); // compact ids, no string of the whole text
  if (flags.json) process.stdout.write(JSON.stringify({ type: "eval", file: files[1], loss: r.loss, bits_per_char: r.bitsPerChar, predicted: r.predicted }) + "\n");
  else process.stdout.write(`${files[1]}: ${r.loss.toFixed(4)} nats/char (${r.bitsPerChar.toFixed(4)} bits/char) over ${r.predicted.toLocaleString("en")} predicted characters\n`);
  return 0;
}

// ---------------------------------------------------------------- gradcheck

async function gradcheck(args: string[]): Promise<number> {
  const { flags } = parse("gradcheck", args, { cell: "string", nonlinearity: "string", layers: "string", hidden: "string", embed: "string", vocab: "string",
    peephole: "boolean", coupled: "boolean", residual: "boolean", dropout: "string", batch: "string", seq: "string", seed: "string", json: "boolean",
    tau: "string", "learn-tau": "boolean", dt: "string", "additive-form": "string", "gru-reset": "string", norm: "string", bidirectional: "boolean", pool: "string" }, [0, 0]);
  // a bidirectional model has no language-model head: the classifier's pooled head (--pool) or, without it, the tagger's per-step head
  if (flags.pool !== undefined && flags.bidirectional !== true) throw new UsageError("--pool goes with --bidirectional (a one-direction check uses the language-model head)");
  const pool = flags.pool === undefined ? SequencePool.Steps : ({ last: SequencePool.Last, mean: SequencePool.Mean, max: SequencePool.Max } as Record<string, SequencePool>)[flags.pool as string];
  if (pool === undefined) throw new UsageError(`--pool must be last, mean or max, not ${JSON.stringify(flags.pool)} (leave it out for a tagger's per-step head)`);
  const spec: ModelSpec = {
    cell: oneOf<CellType>(flags, "cell", CELL_TYPES, M.cell),
    nonlinearity: oneOf(flags, "nonlinearity", NONLINEARITIES, M.nonlinearity),
    layers: num(flags, "layers", 2, true),
    hidden: num(flags, "hidden", 8, true),
    embed: num(flags, "embed", 0, true),
    vocabSize: num(flags, "vocab", 7, true),
    peephole: flags.peephole === true,
    coupled: flags.coupled === true,
    residual: flags.residual === true,
    ...cellOptionFlags(flags),
    ...(flags.bidirectional === true ? { bidirectional: true } : {}),
  };
  Object.assign(spec, gruResetFlag(flags, spec.cell));
  if (flags.nonlinearity !== undefined && !cellEntry(spec.cell).options.includes("nonlinearity")) throw new UsageError(nonlinearityRefusal(spec.cell));
  validateSpec(spec);
  if (spec.hidden > 64) throw new UsageError("--hidden over 64 makes a finite-difference check very slow; the check is about the maths, not the size");
  const dropout = num(flags, "dropout", 0);
  if (dropout < 0 || dropout > 0.9) throw new UsageError("--dropout must be from 0 to 0.9");
  const results = gradientCheck(spec, { dropout, pool, batch: num(flags, "batch", gradientCheckBatch(spec), true), steps: num(flags, "seq", 5, true), seed: num(flags, "seed", 7, true) });
  const worst = Math.max(...results.map((r) => r.maxRelError));
  const pass = worst < GRADIENT_CHECK_THRESHOLD;
  if (flags.json) {
    for (const r of results) process.stdout.write(JSON.stringify({ type: "tensor", name: r.name, size: r.size, max_rel_error: r.maxRelError, mean_rel_error: r.meanRelError, max_abs_error: r.maxAbsError, pass: r.maxRelError < GRADIENT_CHECK_THRESHOLD }) + "\n");
    process.stdout.write(JSON.stringify({ type: "summary", model: spec, ...(spec.bidirectional ? { pool: flags.pool ?? "steps" } : {}), dropout, max_rel_error: worst, threshold: GRADIENT_CHECK_THRESHOLD, pass }) + "\n");
  } else {
    process.stdout.write(`gradient check of ${describeSpec(spec)}${spec.bidirectional ? `, ${flags.pool === undefined ? "per-step head" : `pool ${flags.pool}`}` : ""} (f64, central differences), threshold ${GRADIENT_CHECK_THRESHOLD}\n`);
    const w = Math.max(...results.map((r) => r.name.length));
    for (const r of results) {
      process.stdout.write(`  ${r.name.padEnd(w)}  ${String(r.size).padStart(6)} values  max rel ${r.maxRelError.toExponential(2)}  mean rel ${r.meanRelError.toExponential(2)}  ${r.maxRelError < GRADIENT_CHECK_THRESHOLD ? "ok" : "FAIL"}\n`);
    }
    process.stdout.write(pass ? `passed: worst relative error ${worst.toExponential(2)}\n` : `FAILED: worst relative error ${worst.toExponential(2)}\n`);
  }
  return pass ? 0 : 1;
}

// ---------------------------------------------------------------- import / export

async function importWeights(args: string[]): Promise<number> {
  const { flags, files } = parse("import", args, { vocab: "string", out: "string", map: "strings", nonlinearity: "string", cell: "string", force: "boolean", json: "boolean",
    tau: "string", "learn-tau": "boolean", dt: "string", "additive-form": "string", "gru-reset": "string", task: "string", labels: "string", tags: "string", pool: "string" }, [1, 1]);
  if (typeof flags.vocab !== "string") throw new UsageError("--vocab VOCAB is required: a JSON list of characters, or the text the model was trained on");
  const head = importHeadFlags(flags);
  if (typeof flags.out !== "string") throw new UsageError("--out CKPT is required: where to write the RNN Lab checkpoint");
  // refused before reading: the weights or the vocabulary as --out, a device, an existing file without --force
  checkOutputPath({ out: flags.out, kind: "file", inputs: [files[0], flags.vocab], force: flags.force === true });
  const result = readTorchWeights(files[0], flags.vocab, {
    map: (flags.map as string[] | undefined) ?? [], nonlinearity: oneOf<Nonlinearity>(flags, "nonlinearity", NONLINEARITIES, "tanh"),
    cell: flags.cell === undefined ? undefined : oneOf<CellType>(flags, "cell", CELL_TYPES, M.cell),
    cellOptions: cellOptionFlags(flags),
    gruReset: flags["gru-reset"] === undefined ? undefined : oneOf<GruReset>(flags, "gru-reset", GRU_RESETS, "after"),
    head,
  });
  saveImportedCheckpoint(flags.out, result.model, { weights: files[0], vocab: flags.vocab }, flags.force === true);
  if (flags.json) {
    process.stdout.write(JSON.stringify({ type: "import", out: flags.out, model: result.model.spec, parameters: result.model.params.length, renamed: result.renamed }) + "\n");
  } else {
    process.stdout.write(`${result.summary}\nwrote ${flags.out}\n`);
  }
  return 0;
}

/** import's --task classify --labels L.json [--pool P] or --task tag|segment --tags T.json: a classifier's or tagger's head; none for a char model. */
function importHeadFlags(flags: Flags): ImportOptions["head"] {
  if (flags.task === undefined) {
    for (const f of ["labels", "tags", "pool"]) if (flags[f] !== undefined) throw new UsageError(`--${f} goes with --task classify|tag|segment`);
    return undefined;
  }
  const task = oneOf<ImportTask>(flags, "task", IMPORT_TASKS, "classify");
  const list = task === "classify" ? "labels" : "tags";
  const other = task === "classify" ? "tags" : "labels";
  if (flags[other] !== undefined) throw new UsageError(`--${other} is not for --task ${task}; give --${list}`);
  if (typeof flags[list] !== "string") throw new UsageError(`--task ${task} needs --${list} ${list.toUpperCase()}.json: a JSON list of the ${task === "classify" ? "classes" : "tags"} in head.weight's row order`);
  return readTaskHead(task, flags[list] as string, flags.pool as string | undefined);
}

async function exportWeights(args: string[]): Promise<number> {
  const { flags, files } = parse("export", args, { format: "string", out: "string", data: "strings", force: "boolean", json: "boolean" }, [1, 1]);
  if (flags.format === undefined) throw new UsageError(`--format is required: one of ${EXPORT_FORMATS.join(", ")}`);
  const format = oneOf<ExportFormat>(flags, "format", EXPORT_FORMATS, "safetensors");
  if (typeof flags.out !== "string") throw new UsageError(`--out is required: ${format === "pytorch" ? "a folder for the project" : "the file to write"}`);
  const r = exportModel({ checkpoint: files[0], format, out: flags.out, data: flags.data as string[] | undefined, force: flags.force === true });
  if (flags.json) {
    process.stdout.write(JSON.stringify({ type: "export", format, out: r.out, bytes: r.bytes, files: r.files, data: r.data }) + "\n");
  } else {
    process.stdout.write(`wrote ${r.out} (${format}, ${r.bytes.toLocaleString("en")} bytes${format === "pytorch" ? `, ${r.files.length} files` : ""})\n`);
    if (format === "pytorch") {
      process.stdout.write(r.data ? `training text: ${r.data.join(", ")} → data.txt\n` : "no training text included (the run's corpus is not there); pass --data FILE, or give train.py --data\n");
      process.stdout.write(`next: cd ${r.out} && python3 train.py --steps 100   (or torchrun --nproc_per_node 2 train.py …)\n`);
    }
  }
  return 0;
}

// ---------------------------------------------------------------- main

const COMMANDS = ["train", "sample", "eval", "gradcheck", "import", "export", "forecast", "predict"];

/** One command's usage line(s) from USAGE, and its paragraph of HELP where there is one. */
function commandHelp(command: string): string {
  const lines = USAGE.split("\n").slice(1, -1);
  const start = lines.findIndex((l) => l.startsWith(`  rnn-lab ${command} `));
  let end = start + 1;
  while (end < lines.length && !lines[end].startsWith("  rnn-lab ")) end++;
  const usage = ["usage:", ...lines.slice(start, end)].join("\n");
  const details = HELP.slice(USAGE.length).split("\n\n").map((p) => p.trim()).filter((p) => p.startsWith(`${command} options`) || p.startsWith(`${command}:`));
  return [usage, ...details].join("\n\n");
}

async function main(argv: string[]): Promise<number> {
  try {
    return await runCommand(argv);
  } catch (e) {
    if (!(e instanceof HelpRequested)) throw e;
    process.stdout.write(commandHelp(e.command) + "\n");
    return 0;
  }
}

async function runCommand(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "train": return train(rest);
    case "sample": return sample(rest);
    case "eval": return evaluate(rest);
    case "gradcheck": return gradcheck(rest);
    case "import": return importWeights(rest);
    case "export": return exportWeights(rest);
    case "forecast": return forecastCommand(rest, FORECAST_KIT);
    case "predict": return predictCommand(rest, FORECAST_KIT);
    case "help": case "--help": case "-h":
      if (rest[0] !== undefined && COMMANDS.includes(rest[0])) throw new HelpRequested(rest[0]);
      process.stdout.write(HELP + "\n");
      return 0;
    case undefined:
      process.stderr.write(USAGE + "\n");
      return 2;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}; the commands are ${COMMANDS.join(", ")} and help`);
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    const known = e instanceof UsageError || e instanceof InputError || e instanceof CheckpointError;
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`rnn-lab: error: ${message}\n`);
    if (!known && process.env.RNN_LAB_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    else if (!known) process.stderr.write("rnn-lab: this looks like a bug in RNN Lab; run again with RNN_LAB_DEBUG=1 for details\n");
    process.exitCode = e instanceof UsageError ? 2 : 1;
  },
);
