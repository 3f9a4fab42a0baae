// Importing a PyTorch char model's state_dict (a .safetensors file): nn.Embedding (or one-hot input),
// nn.RNN / nn.LSTM / nn.GRU with any number of layers, nn.Linear head. The architecture is read off
// the tensor shapes; every tensor that does not fit is named with the reason. The cell is never
// guessed: it comes from an explicit option, from the file's metadata (an RNN Lab export's "model",
// or a "cell" entry), or from the gate count only when exactly one registered cell has that count.

import { CELLS, CELL_TYPES, CellEntry, cellEntry, isCellType } from "../model/cells";
import { CharVocabulary } from "../model/charVocabulary";
import { Model, tensorSlots } from "../files/checkpoint";
import type { TaskCheckpoint } from "../tasks/task";
import { TensorKind } from "../core/coreAbi";
import { InputError } from "../messages/inputError";
import { CellType, GruReset, ModelSpec, Nonlinearity, describeSpec, fromTorchLayout, gatesPerUnit, torchName, torchShape, validateSpec } from "../model/modelSpec";
import { NamedTensor, SafetensorsFile } from "./safetensors";

export class ImportError extends InputError {}

// Module prefixes seen in char models, by role; "module." (DistributedDataParallel) and "model." are
// dropped first. word_language_model calls its embedding "encoder" and its head "decoder".
const ROLE_PREFIXES: Record<"embed" | "rnn" | "head", string[]> = {
  embed: ["embed.", "embedding.", "embeddings.", "encoder.", "emb.", "char_embedding."],
  rnn: ["rnn.", "lstm.", "gru.", "cell.", "recurrent.", "encoder_rnn.", "bilstm.", "bigru."],
  head: ["head.", "fc.", "decoder.", "linear.", "out.", "output.", "proj.", "classifier.", "hidden2tag.", "tagger."],
};
// A linear-chain CRF's scores (pytorch-crf's names): transitions [O, O], start and end [O].
const CRF_TENSORS = ["transitions", "start_transitions", "end_transitions"];

export interface ImportOptions {
  /** Renames applied first, each "from=to" on name prefixes (e.g. "my_lstm.=rnn."). */
  map?: string[];
  /** A vanilla RNN's nonlinearity, which shapes cannot tell (default tanh). */
  nonlinearity?: Nonlinearity;
  /** The cell, when the file's metadata does not say and more than one cell has its gate count. */
  cell?: CellType;
  /** The cell's own options (--tau, --dt; --learn-tau and --additive-form are also read off the tensors), over the metadata's. */
  cellOptions?: Pick<ModelSpec, "tau" | "dt" | "learnTau" | "additiveForm">;
  /** A GRU's reset position, which shapes cannot tell: the option, else the file's metadata (an RNN Lab model), else after (nn.GRU). */
  gruReset?: GruReset;
  /**
   * A classifier's or tagger's weights (--task classify|tag): the head has `outputs` rows (classes or
   * tags) instead of one per character, bidirectional layers (*_reverse) and a CRF (crf.*) are
   * accepted, and the model carries `task` as its checkpoint entry.
   */
  head?: { outputs: number; task: TaskCheckpoint };
}

export interface ImportResult {
  model: Model;
  summary: string; // what was recognised, before importing
  renamed: { from: string; to: string }[];
}

function applyMap(name: string, map: [string, string][]): string {
  for (const [from, to] of map) if (name.startsWith(from)) return to + name.slice(from.length);
  return name;
}

function parseMap(map: string[]): [string, string][] {
  return map.map((m) => {
    const eq = m.indexOf("=");
    if (eq <= 0) throw new ImportError(`--map needs FROM=TO (a name prefix and its replacement), not ${JSON.stringify(m)}`);
    return [m.slice(0, eq), m.slice(eq + 1)];
  });
}

/** Canonical name ("embed.weight", "rnn.weight_ih_l0", "head.bias", …) or null when unrecognised. */
function canonicalName(name: string): string | null {
  let n = name;
  for (const strip of ["module.", "model."]) if (n.startsWith(strip)) n = n.slice(strip.length);
  for (const [role, prefixes] of Object.entries(ROLE_PREFIXES)) {
    for (const p of prefixes) {
      if (!n.startsWith(p)) continue;
      const rest = n.slice(p.length);
      if (role === "rnn" && /^(weight|bias)_(ih|hh)_l\d+(_reverse)?$|^weight_c[ifo]_l\d+(_reverse)?$|^tau_rho_l\d+(_reverse)?$|^ln_(ih|hh|c)_(gain|bias)_l\d+(_reverse)?$/.test(rest)) return `rnn.${rest}`;
      if (role !== "rnn" && (rest === "weight" || rest === "bias")) return `${role}.${rest}`;
    }
  }
  for (const p of ["crf."]) if (n.startsWith(p) && CRF_TENSORS.includes(n.slice(p.length))) return n;
  return null;
}

/** The cell options of an RNN Lab export's "model" metadata (τ, Δt, learned τ, additive form), if any. */
function cellOptionsInMetadata(metadata: Record<string, string>): Pick<ModelSpec, "tau" | "dt" | "learnTau" | "additiveForm"> {
  try {
    const spec = JSON.parse(metadata.model ?? "null") as Partial<ModelSpec> | null;
    if (!spec || typeof spec !== "object") return {};
    const o: Pick<ModelSpec, "tau" | "dt" | "learnTau" | "additiveForm"> = {};
    if (spec.tau !== undefined) o.tau = spec.tau;
    if (spec.dt !== undefined) o.dt = spec.dt;
    if (spec.learnTau !== undefined) o.learnTau = spec.learnTau;
    if (spec.additiveForm !== undefined) o.additiveForm = spec.additiveForm;
    return o;
  } catch {
    return {};
  }
}

/** The cell named in a safetensors file's __metadata__ (an RNN Lab export's "model" JSON, or "cell"), if any. */
function cellInMetadata(metadata: Record<string, string>): string | undefined {
  if (typeof metadata.cell === "string") return metadata.cell;
  try {
    const spec = JSON.parse(metadata.model ?? "null") as { cell?: unknown } | null;
    return typeof spec?.cell === "string" ? spec.cell : undefined;
  } catch {
    return undefined;
  }
}

/** The GRU reset position in an RNN Lab file's "model" metadata, if it names one. */
function gruResetInMetadata(metadata: Record<string, string>): GruReset | undefined {
  try {
    const spec = JSON.parse(metadata.model ?? "null") as { gruReset?: unknown } | null;
    return spec?.gruReset === "before" || spec?.gruReset === "after" ? spec.gruReset : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The cell of weights whose recurrent matrix has `gates` blocks per unit: the one named (option,
 * then metadata), which must have that many gates, or the only registered cell that has. More than
 * one candidate and no name is refused: shapes alone cannot tell them apart.
 */
export function chooseCell(gates: number, hidden: number, named: { option?: string; metadata?: string }, rowsNote: string, among: readonly CellEntry[] = CELLS,
                           recurrent = true): CellType {
  // weights with a recurrent matrix are never a minGRU/minLSTM, and weights without one only a cell
  // that can lack it (minGRU, minLSTM, the additive input form: registry hasRecurrentWeights)
  const cells = among.filter((c) => (recurrent ? !c.linearRecurrence : c.hasRecurrentWeights !== undefined));
  const name = named.option ?? named.metadata;
  // Unnamed weights are PyTorch's: only cells with a torch.nn module are candidates (a CTRNN's or an
  // additive model's file is RNN Lab's own export, which names its cell, or needs --cell).
  const fits = cells.filter((c) => c.gates.length === gates && (name !== undefined || c.torch.module !== null));
  if (name !== undefined) {
    if (!cells.some((c) => c.type === name)) throw new ImportError(`${named.option !== undefined ? "--cell" : "the file's metadata"} names cell ${JSON.stringify(name)}; the cells are ${cells.map((c) => c.type).join(", ")}`);
    const entry = cells.find((c) => c.type === name)!;
    if (entry.gates.length !== gates) throw new ImportError(`${rowsNote}: that is ${gates} gate block(s) per unit, but ${entry.label} has ${entry.gates.length} (${entry.gates.join(", ")})`);
    return entry.type;
  }
  if (fits.length === 1) return fits[0].type;
  if (fits.length === 0) {
    // cells of that gate count exist, but only as RNN Lab's own (no torch.nn module makes such weights)
    const own = cells.filter((c) => c.gates.length === gates && c.torch.module === null);
    if (own.length) throw new ImportError(`${rowsNote}: ${gates} gate block(s) per unit fit ${own.map((c) => c.label).join(" and ")}, which no PyTorch module makes; if these are RNN Lab's weights, say so with --cell ${own.map((c) => c.type).join("|")}`);
    const counts = [...new Set(cells.map((c) => c.gates.length))].sort((a, b) => a - b);
    throw new ImportError(`${rowsNote} is not ${counts.join(", ").replace(/, (\d+)$/, " or $1")} times the hidden size ${hidden} (${cells.map((c) => c.label).join(", ")})`);
  }
  throw new ImportError(`${rowsNote}: ${gates} gate blocks per unit fit ${fits.map((c) => c.label).join(" and ")}; say which with --cell ${fits.map((c) => c.type).join("|")}`);
}

/** Reads the architecture off the shapes; `tensors` holds canonical names. */
function inferSpec(tensors: Map<string, NamedTensor>, vocab: CharVocabulary, nonlinearity: Nonlinearity, named: { option?: string; metadata?: string },
                   cellOptions: Pick<ModelSpec, "tau" | "dt" | "learnTau" | "additiveForm"> , gruReset?: GruReset, outputs?: number): ModelSpec {
  const shapeOf = (n: string) => `[${tensors.get(n)!.shape.join(", ")}]`;
  const hh0 = tensors.get("rnn.weight_hh_l0");
  const head = tensors.get("head.weight");
  // minGRU / minLSTM have no recurrent weight: their layers are weight_ih_l* alone, the hidden size the head's
  const inputOnly = !hh0 && tensors.has("rnn.weight_ih_l0") && head !== undefined && head.shape.length === 2;
  if (!hh0 && !inputOnly) throw new ImportError("no recurrent layer found: expected a tensor like rnn.weight_hh_l0 (or lstm./gru. prefixes); name yours with --map");
  const layerWeight = inputOnly ? "rnn.weight_ih_l" : "rnn.weight_hh_l";
  const first = tensors.get(`${layerWeight}0`)!;
  if (first.shape.length !== 2) throw new ImportError(`${layerWeight}0 has shape ${shapeOf(`${layerWeight}0`)}; a layer's weight is 2-D [gates·hidden, ${inputOnly ? "input" : "hidden"}]`);
  const hidden = inputOnly ? head!.shape[1] : first.shape[1];
  const rows = first.shape[0];
  const gates = rows / hidden;
  const cell = chooseCell(Number.isInteger(gates) ? gates : -1, hidden, named,
    `${layerWeight}0 has shape ${shapeOf(`${layerWeight}0`)}: ${rows} rows${inputOnly ? ` (no rnn.weight_hh_l0: a cell whose gates read the input alone, hidden ${hidden} from head.weight)` : ""}`, CELLS, !inputOnly);
  let layers = 0;
  while (tensors.has(`${layerWeight}${layers}`)) layers++;
  const embed = tensors.get("embed.weight");
  if (!head) throw new ImportError("no output layer found: expected head.weight (or fc./decoder./linear. prefixes) of shape [vocabulary, hidden]");
  const V = vocab.size;
  if (embed && (embed.shape.length !== 2 || embed.shape[0] !== V)) {
    throw new ImportError(`the vocabulary has ${V} characters but embed.weight has shape ${shapeOf("embed.weight")} (rows must equal the vocabulary size)`);
  }
  const bidirectional = tensors.has(`${layerWeight}0_reverse`);
  const width = (bidirectional ? 2 : 1) * hidden;
  if (outputs !== undefined) {
    if (head.shape.length !== 2 || head.shape[0] !== outputs || head.shape[1] !== width) {
      throw new ImportError(`the label list has ${outputs} entries but head.weight has shape ${shapeOf("head.weight")} (it must be [${outputs}, ${width}]${bidirectional ? ": both directions' hidden states" : ""})`);
    }
  } else if (head.shape.length !== 2 || head.shape[0] !== V) {
    throw new ImportError(`the vocabulary has ${V} characters but head.weight has shape ${shapeOf("head.weight")} (it must be [${V}, ${hidden}])`);
  }
  const peephole = tensors.has("rnn.weight_ci_l0");
  // a layer-normalised LSTM or GRU (RNN Lab's own names: docs/cells.md) shows by its gains
  const layerNorm = tensors.has("rnn.ln_ih_gain_l0");
  const spec: ModelSpec = {
    cell, nonlinearity: cellEntry(cell).options.includes("nonlinearity") ? nonlinearity : "tanh", layers, hidden, embed: embed ? embed.shape[1] : 0, vocabSize: V,
    peephole, coupled: false, residual: false,
    ...(gruReset !== undefined && cell === "gru" ? { gruReset } : {}),
    ...(layerNorm ? { norm: "layer" as const } : {}),
    ...(outputs !== undefined ? { outputs } : {}),
    ...(bidirectional ? { bidirectional } : {}),
    ...(tensors.has("crf.transitions") ? { crf: true } : {}),
  };
  // the cell's own options: what the tensors show (a learned τ's ρ, the additive form's W_hh), else the flags or the metadata
  const entry = cellEntry(cell);
  if (entry.options.includes("tau")) {
    if (cellOptions.tau !== undefined) spec.tau = cellOptions.tau;
    if (cellOptions.dt !== undefined) spec.dt = cellOptions.dt;
    if (tensors.has("rnn.tau_rho_l0")) spec.learnTau = true;
  }
  if (entry.options.includes("additiveForm")) spec.additiveForm = inputOnly ? "input" : "state";
  if (gruReset === "before" && cell !== "gru") throw new ImportError(`--gru-reset before is for GRU weights; these are ${cellEntry(cell).label} weights`);
  validateSpec(spec);
  return spec;
}

export function importTorchWeights(file: SafetensorsFile, vocab: CharVocabulary, options: ImportOptions = {}): ImportResult {
  const map = parseMap(options.map ?? []);
  const canonical = new Map<string, NamedTensor>();
  const renamed: { from: string; to: string }[] = [];
  const unknown: string[] = [];
  const reverse = [...file.tensors.keys()].find((n) => n.endsWith("_reverse"));
  if (reverse && !options.head) throw new ImportError(`${reverse}: bidirectional layers read the text backwards too, so they cannot generate it left to right; import a classifier or tagger with --task classify|tag`);
  const crf = [...file.tensors.keys()].find((n) => CRF_TENSORS.some((c) => n.endsWith(`crf.${c}`)));
  if (crf && options.head?.task.name !== "tag" && options.head?.task.name !== "segment") throw new ImportError(`${crf}: a CRF belongs to a tagger; import it with --task tag`);
  for (const [name, t] of file.tensors) {
    const mapped = applyMap(name, map);
    const c = canonicalName(mapped);
    if (!c) {
      unknown.push(`${name} [${t.shape.join(", ")}]`);
      continue;
    }
    if (canonical.has(c)) throw new ImportError(`both ${renamed.find((r) => r.to === c)?.from ?? c} and ${name} would be ${c}; rename one with --map`);
    canonical.set(c, t);
    renamed.push({ from: name, to: c });
  }
  if (unknown.some((u) => u.startsWith("rnn.bn_"))) {
    throw new ImportError("importing a batch-normalised model is not built: its running statistics per time step (rnn.bn_*_running_mean_l*, docs/cells.md) have no PyTorch counterpart to read; load its RNN Lab checkpoint directly, or import weights without batch norm");
  }
  if (unknown.length) {
    throw new ImportError(`not part of a char model (embedding, ${CELLS.map((c) => c.label).join("/")}, linear head): ${unknown.join(", ")}; rename with --map FROM=TO or remove them`);
  }
  if (options.cell !== undefined && !isCellType(options.cell)) throw new ImportError(`--cell must be one of ${CELL_TYPES.join(", ")}, not ${JSON.stringify(options.cell)}`);
  const metadataCell = cellInMetadata(file.metadata);
  const fromMetadata = metadataCell === (options.cell ?? metadataCell) ? cellOptionsInMetadata(file.metadata) : {};
  const spec = inferSpec(canonical, vocab, options.nonlinearity ?? "tanh", { option: options.cell, metadata: metadataCell }, { ...fromMetadata, ...options.cellOptions },
    options.gruReset ?? gruResetInMetadata(file.metadata), options.head?.outputs);
  const slots = tensorSlots(spec);
  const params = new Float32Array(slots.reduce((n, s) => n + s.rows * s.cols, 0));
  const used = new Set<string>();
  const zeroed: string[] = [];
  for (const slot of slots) {
    const name = torchName(slot);
    const want = torchShape(slot);
    const t = canonical.get(name);
    if (!t) {
      // nn.RNN/LSTM/GRU(bias=False) and nn.Linear(bias=False) have no bias tensors: zeros are the same model
      if (slot.kind === TensorKind.BiasIh || slot.kind === TensorKind.BiasHh || slot.kind === TensorKind.HeadBias) {
        zeroed.push(name);
        continue;
      }
      throw new ImportError(`${name} is missing: a ${describeSpec(spec)} needs it, shape [${want.join(", ")}]`);
    }
    if (t.shape.join(",") !== want.join(",")) {
      const gates = gatesPerUnit(spec.cell);
      const why = slot.kind === TensorKind.WeightIh
        ? ` (rows: ${gates} gates × hidden ${spec.hidden}; columns: ${slot.layer > 0 ? `the layer below's hidden size ${spec.hidden}` : spec.embed ? `the embedding width ${spec.embed}` : `the vocabulary size ${spec.vocabSize} for one-hot input`})`
        : "";
      throw new ImportError(`${name} has shape [${t.shape.join(", ")}], a ${describeSpec(spec)} needs [${want.join(", ")}]${why}`);
    }
    for (let k = 0; k < t.data.length; k++) if (!Number.isFinite(t.data[k])) throw new ImportError(`${name} holds a non-finite value at index ${k}`);
    fromTorchLayout(slot, t.data, params.subarray(slot.offset, slot.offset + slot.rows * slot.cols));
    used.add(name);
  }
  const extra = [...canonical.keys()].filter((n) => !used.has(n));
  if (extra.length) throw new ImportError(`${extra.join(", ")} ${extra.length === 1 ? "does" : "do"} not belong to a ${describeSpec(spec)} (layers must be numbered 0…${spec.layers - 1} without gaps)`);
  const count = params.length;
  const summary = [
    `${describeSpec(spec)}, ${count.toLocaleString("en")} parameters`,
    ...renamed.filter((r) => r.from !== r.to).map((r) => `  ${r.from} → ${r.to}`),
    ...zeroed.map((n) => `  ${n}: absent (bias=False), zeros`),
  ].join("\n");
  return { model: { spec, vocab, params, training: null, ...(options.head ? { task: options.head.task } : {}) }, summary, renamed };
}

export const IMPORT_TASKS = ["classify", "tag", "segment"] as const;
export type ImportTask = (typeof IMPORT_TASKS)[number];
export const IMPORT_POOLINGS = ["last", "mean", "max"] as const;

/**
 * The head of imported classifier or tagger weights (--task with --labels / --tags, --pool): the
 * label list in the head's row order, and the checkpoint entry the task modules read back
 * (tasks/classifyTask.ts ClassifyMetadata, tasks/tagTask.ts TagMetadata; no class weights, the
 * longest length cap, seed 0).
 */
export function importedTaskHead(task: ImportTask, labels: unknown, pool: string | undefined, what: string): { outputs: number; task: TaskCheckpoint } {
  if (!Array.isArray(labels) || labels.length < 2 || !labels.every((l) => typeof l === "string" && l.length > 0)) {
    throw new ImportError(`${what} must be a JSON list of at least two non-empty strings, one per row of head.weight`);
  }
  const names = labels as string[];
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new ImportError(`${what} names ${JSON.stringify(twice)} twice`);
  if (task === "classify") {
    if (pool !== undefined && !(IMPORT_POOLINGS as readonly string[]).includes(pool)) throw new ImportError(`--pool must be ${IMPORT_POOLINGS.join(", ")}, not ${JSON.stringify(pool)}`);
    return { outputs: names.length, task: { name: "classify", metadata: { classes: names, pool: pool ?? "last", classWeights: null, maxLength: 4096, seed: 0 } } };
  }
  if (pool !== undefined) throw new ImportError("--pool is for --task classify (a tagger predicts at every character)");
  const scheme = names.every((n) => ["B", "M", "E", "S"].includes(n)) ? "bmes" : names.every((n) => n === "O" || /^[BI]-./.test(n)) ? "bio" : "none";
  if (task === "segment" && scheme !== "bmes") throw new ImportError(`${what}: a segmenter's tags are B, M, E and S`);
  return { outputs: names.length, task: { name: task, metadata: { tags: names, scheme, segment: task === "segment", maxLength: 4096, seed: 0 } } };
}

/**
 * The vocabulary that goes with imported weights: a JSON list of characters (index = row), RNN Lab's
 * {chars, unk} object, or any other file taken as the training text to rebuild it from (sorted code
 * points, as sorted(set(text)) in Python).
 */
export function vocabularyFrom(content: string, isJson: boolean): CharVocabulary {
  if (isJson) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(content);
    } catch (e) {
      throw new ImportError(`the vocabulary file is not valid JSON (${(e as Error).message})`);
    }
    if (Array.isArray(parsed)) return new CharVocabulary({ chars: parsed as string[], unk: -1 });
    if (parsed && typeof parsed === "object" && Array.isArray((parsed as { chars?: unknown }).chars)) {
      const p = parsed as { chars: string[]; unk?: number };
      return new CharVocabulary({ chars: p.chars, unk: typeof p.unk === "number" ? p.unk : -1 });
    }
    throw new ImportError("a JSON vocabulary must be a list of characters (or an object with a chars list)");
  }
  return CharVocabulary.fromText(content, Number.MAX_SAFE_INTEGER).vocab;
}
