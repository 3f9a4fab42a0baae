// Import and export on disk, shared by the CLI and the extension: read and check everything first,
// then write atomically, so a refused input leaves no file behind and a crash leaves no half file.

import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { Model } from "../files/checkpoint";
import { loadCheckpoint, removeStaleTempFiles, saveCheckpoint, tempPathFor, writeFileAtomic } from "../files/checkpointFile";
import { readCorpus, readTextFile } from "../files/corpusFile";
import { InputError } from "../messages/inputError";
import { corpusPath, modelManifestPath } from "../runs/runStore";
import { checkOutputPath, describeWriteFailure, probeOutputFolder } from "../files/outputFile";
import { ExportFormat, exportOnnx, exportSafetensors, pytorchProject } from "./modelExport";
import { SafetensorsError, decodeSafetensors } from "./safetensors";
import { ImportOptions, ImportResult, ImportTask, importTorchWeights, importedTaskHead, vocabularyFrom } from "./torchImport";

const MAX_WEIGHTS_BYTES = 4 * 1024 ** 3;

/** Reads and checks a PyTorch state_dict and its vocabulary; writes nothing. */
export function readTorchWeights(weightsPath: string, vocabPath: string, options: ImportOptions = {}): ImportResult {
  let bytes: Uint8Array;
  try {
    const size = statSync(weightsPath).size;
    if (size > MAX_WEIGHTS_BYTES) throw new InputError(`${weightsPath} is ${(size / 2 ** 30).toFixed(1)} GiB; a char model's weights are far smaller`);
    bytes = readFileSync(weightsPath);
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === "ENOENT" ? `${weightsPath} does not exist` : `cannot read ${weightsPath}: ${code ?? String(e)}`);
  }
  let file;
  try {
    file = decodeSafetensors(bytes);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new InputError(`${weightsPath}: not a valid safetensors file: ${e.message}${bytes.length >= 8 && bytes[0] === 0x50 && bytes[1] === 0x4b ? " (this looks like a torch.save zip; save the state_dict with safetensors.torch.save_file)" : ""}`);
    throw e;
  }
  if (file.metadata.format === "rnn-lab") throw new InputError(`${weightsPath} is already an RNN Lab checkpoint; open it directly`);
  const vocab = vocabularyFrom(readTextFile(vocabPath), extname(vocabPath).toLowerCase() === ".json");
  try {
    return importTorchWeights(file, vocab, options);
  } catch (e) {
    if (e instanceof InputError) throw new InputError(`${basename(weightsPath)}: ${e.message}`);
    throw e;
  }
}

/** The head of a classifier or tagger being imported, from its label file (a JSON list, one entry per head row). */
export function readTaskHead(task: ImportTask, labelsPath: string, pool: string | undefined): NonNullable<ImportOptions["head"]> {
  let labels: unknown;
  try {
    labels = JSON.parse(readTextFile(labelsPath));
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${labelsPath} is not valid JSON (${(e as Error).message})`);
  }
  return importedTaskHead(task, labels, pool, basename(labelsPath));
}

export interface ExportRequest {
  checkpoint: string;
  format: ExportFormat;
  out: string;
  /** Training text for the PyTorch project; default: the run's own corpus files when they still exist. */
  data?: string[];
  /** Replace an existing output. */
  force?: boolean;
  /** The folder the run's recorded corpus paths are relative to (the extension records workspace-relative ones); default: the current folder. */
  corpusBase?: string;
}

export interface ExportResult {
  out: string;
  bytes: number;
  files: string[];
  data: string[] | null; // the text files bundled as data.txt
}

/**
 * Writes an imported model as an RNN Lab checkpoint at `out`, after the output checks
 * (outputFile.ts): never over the weights or the vocabulary it was read from, never over an
 * existing file unless `force`.
 */
export function saveImportedCheckpoint(out: string, model: Model, inputs: { weights: string; vocab: string }, force = false): void {
  const guard = { out, kind: "file" as const, inputs: [inputs.weights, inputs.vocab], force };
  checkOutputPath(guard);
  probeOutputFolder(out, 0);
  try {
    saveCheckpoint(out, model);
  } catch (e) {
    throw describeWriteFailure(e, out);
  }
}

export function exportModel(req: ExportRequest): ExportResult {
  const model: Model = loadCheckpoint(req.checkpoint);
  const kind = req.format === "pytorch" ? "folder" : "file";
  // the checkpoint, the text it bundles, the run's own corpus (whatever the format) and, for a
  // checkpoint in a run folder, its model's manifest and copy of the text are never replaced
  const corpusFiles = (model.training?.corpus.files ?? []).map((f) => resolve(req.corpusBase ?? ".", f));
  const inputs = [req.checkpoint, ...(req.data ?? []), ...corpusFiles, ...modelFolderFiles(req.checkpoint)];
  checkOutputPath({ out: req.out, kind, inputs, force: req.force });
  removeStaleTempFiles(dirname(req.out));
  try {
    return writeExport(req, model);
  } catch (e) {
    throw describeWriteFailure(e, req.out);
  }
}

/** `<model>/model.json` and `<model>/corpus.txt` when `checkpoint` is `<model>/runs/<run>/checkpoints/NAME` (runStore.ts). */
function modelFolderFiles(checkpoint: string): string[] {
  const checkpoints = dirname(resolve(checkpoint));
  const runs = dirname(dirname(checkpoints));
  if (basename(checkpoints) !== "checkpoints" || basename(runs) !== "runs") return [];
  return [modelManifestPath(dirname(runs)), corpusPath(dirname(runs))];
}

function writeExport(req: ExportRequest, model: Model): ExportResult {
  if (req.format === "safetensors" || req.format === "onnx") {
    const bytes = req.format === "onnx" ? exportOnnx(model) : exportSafetensors(model);
    probeOutputFolder(req.out, bytes.length);
    writeFileAtomic(req.out, bytes);
    return { out: req.out, bytes: bytes.length, files: [req.out], data: null };
  }
  const dataFiles = req.data ?? model.training?.corpus.files.filter((f) => existsSync(f)) ?? [];
  const useData = dataFiles.length > 0 && (req.data !== undefined || dataFiles.length === model.training?.corpus.files.length);
  const corpus = useData ? readCorpus(dataFiles).text : null;
  // a classifier's or tagger's records keep their format (train_task.py reads them by extension)
  const files = pytorchProject(model, corpus, useData && dataFiles.length === 1 ? extname(dataFiles[0]) || ".txt" : ".txt");
  let total = 0;
  for (const b of files.values()) total += b.length;
  probeOutputFolder(req.out, total);
  // the whole folder is written beside its destination, then renamed into place
  const staging = tempPathFor(req.out);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    for (const [name, bytes] of files) writeFileAtomic(join(staging, name), bytes);
    if (existsSync(req.out)) rmSync(req.out, { recursive: true, force: true });
    renameSync(staging, req.out);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  return { out: req.out, bytes: total, files: [...files.keys()].map((f) => join(req.out, f)), data: useData ? dataFiles : null };
}
