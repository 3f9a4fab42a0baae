// Exporting a model: a plain .safetensors state_dict (PyTorch loads it straight into the matching
// modules), an ONNX graph (onnxExport.ts), or a standalone PyTorch project that continues training
// on one CPU, one GPU or many processes under torchrun and writes RNN Lab checkpoints.

import { cellEntry } from "../model/cells";
import { Model, encodeCheckpoint } from "../files/checkpoint";
import { InputError } from "../messages/inputError";
import { describeSpec } from "../model/modelSpec";
import { exportOnnx } from "./onnxExport";
import { DEFAULT_TRAIN_OPTIONS } from "../training/trainOptions";
import modelPy from "./pytorchProject/model.py";
import trainPy from "./pytorchProject/train.py";
import trainTaskPy from "./pytorchProject/train_task.py";
import trainingLoopPy from "./pytorchProject/training_loop.py";

export type ExportFormat = "safetensors" | "onnx" | "pytorch";
export const EXPORT_FORMATS: readonly ExportFormat[] = ["safetensors", "onnx", "pytorch"];

/**
 * Weights only (no optimizer moments, no carried state), in PyTorch's names and layouts, with the
 * architecture, vocabulary and training hyperparameters in __metadata__. Still an RNN Lab checkpoint.
 */
export function exportSafetensors(model: Model): Uint8Array {
  const hyperparameters = JSON.stringify(model.training?.options ?? DEFAULT_TRAIN_OPTIONS);
  return encodeCheckpoint({ ...model, training: null }, { hyperparameters });
}

export { exportOnnx };

/** The text tasks the project's train_task.py trains (with their data formats there). */
const PROJECT_TASKS = ["classify", "tag", "segment"];

/**
 * Files of the PyTorch project, by relative path. `corpus`, when given, is the training data: a
 * character model's text (data.txt), or a classifier's or tagger's records, kept in their format
 * as `data` + `dataExtension` (".jsonl", ".csv", …: train_task.py reads them by extension).
 */
export function pytorchProject(model: Model, corpus: string | null, dataExtension = ".txt"): Map<string, Uint8Array> {
  const { spec } = model;
  const task = model.task && model.task.name !== "character-model" ? model.task.name : null;
  if (task !== null && !PROJECT_TASKS.includes(task)) throw new InputError(`the exported PyTorch project trains character models, classifiers and taggers, not a ${task} model; export it as safetensors or onnx`);
  if (task === null && spec.bidirectional) throw new InputError("a bidirectional character model has no next-character training in the project; export it as safetensors (PyTorch loads it strictly) or onnx");
  // the CRF's forward algorithm and Viterbi decoding are RNN Lab's (crfTagging.ts); the project has no torch counterpart of them
  if (spec.crf) throw new InputError("the exported PyTorch project has no CRF (its forward-algorithm loss and Viterbi decoding are RNN Lab's); export this tagger as safetensors (its crf.* tensors included) or onnx");
  const { torch } = cellEntry(spec.cell);
  if (task !== null && !(["lstm", "gru", "rnn"].includes(spec.cell) && spec.gruReset !== "before")) {
    throw new InputError(`the exported PyTorch project trains classifiers and taggers built on nn.LSTM, nn.GRU or nn.RNN, not ${describeSpec(spec)}; export it as safetensors or onnx`);
  }
  const unsupported = [spec.peephole && !torch.options.includes("peephole") && "peepholes", spec.coupled && !torch.options.includes("coupled") && "coupled gates",
    spec.residual && "residual layers"].filter(Boolean);
  if (unsupported.length) throw new InputError(`a model with ${unsupported.join(" and ")} has no nn.${torch.module ?? "RNN"} counterpart; export it as onnx or safetensors instead`);
  const options = model.training?.options ?? DEFAULT_TRAIN_OPTIONS;
  const text = (s: string) => new TextEncoder().encode(s);
  const dataName = task === null ? "data.txt" : `data${dataExtension}`;
  const files = new Map<string, Uint8Array>([
    ["model.py", text(modelPy)],
    ["train.py", text(trainPy)],
    ["training_loop.py", text(trainingLoopPy)], // what train.py and train_task.py share
    ...(task === null ? [] : [["train_task.py", text(trainTaskPy)] as [string, Uint8Array]]),
    ["config.json", text(JSON.stringify({ spec, vocab: model.vocab.toJSON(), options, ...(task === null ? {} : { data: dataName }) }, null, 2) + "\n")],
    ["model.safetensors", exportSafetensors(model)],
    ["README.md", text(task === null ? projectReadme(model, corpus !== null) : taskProjectReadme(model, task, corpus !== null ? dataName : null))],
  ]);
  if (corpus !== null) files.set(dataName, text(corpus));
  return files;
}

function taskProjectReadme(model: Model, task: string, dataName: string | null): string {
  const o = model.training?.options ?? DEFAULT_TRAIN_OPTIONS;
  const data = dataName === null ? "--data FILE " : "";
  return `# ${describeSpec(model.spec)}, a ${task === "classify" ? "classifier" : task === "segment" ? "word segmenter" : "tagger"} exported from RNN Lab

A standalone PyTorch project that rebuilds this model (\`model.py\` TaskModel: nn.Embedding,
nn.${cellEntry(model.spec.cell).torch.module ?? "RNN"}${model.spec.bidirectional ? "(bidirectional=True)" : ""} on packed sequences, ${task === "classify" ? `${String(model.task?.metadata?.pool ?? "last")} pooling` : "a head at every character"}, nn.Linear) and continues
training it from the exported weights (\`model.safetensors\`)${dataName ? ` on the run's records (\`${dataName}\`)` : ""}, with the run's
hyperparameters (\`config.json\`: batch ${o.batch}, ${o.optimizer} lr ${o.lr}, clip ${o.clip}).

    python train_task.py ${data}--steps 100                       # one CPU, or one GPU if there is one
    torchrun --nproc_per_node 4 train_task.py ${data}--steps 100  # four processes, DistributedDataParallel

Records are batched as RNN Lab batches them (bucketed by length, --batch per step); under torchrun
each process takes its share of every batch and DDP averages the gradients, so N processes take the
same steps as one. The script writes \`checkpoints/model.safetensors\` (or --out), an RNN Lab
checkpoint with the task entry (classes or tags), and prints the mean loss on the records, the
number \`rnn-lab eval\` reports for the same checkpoint and file.

On Debian 12's python3-torch (1.13 on Python 3.11) add \`--redirects 2 --tee 2\` after --nproc_per_node.

Options: --data PATH  --weights CKPT  --steps N  --out CKPT  --batch N  --lr F  --clip F  --seed N
--print-every N  --eval PATH
`;
}

function projectReadme(model: Model, withData: boolean): string {
  const o = model.training?.options ?? DEFAULT_TRAIN_OPTIONS;
  return `# ${describeSpec(model.spec)}, exported from RNN Lab

A standalone PyTorch project that rebuilds this model (\`model.py\`) and continues training it from
the exported weights (\`model.safetensors\`)${withData ? " on the same text (`data.txt`)" : ""}, with the
run's hyperparameters (\`config.json\`: batch ${o.batch}, seq ${o.seq}, ${o.optimizer} lr ${o.lr}, clip ${o.clip}).

    python train.py ${withData ? "" : "--data TEXT "}--steps 1000                       # one CPU, or one GPU if there is one
    torchrun --nproc_per_node 4 train.py ${withData ? "" : "--data TEXT "}--steps 1000  # four processes, DistributedDataParallel

Under torchrun each process takes --batch / N of the streams (a DistributedSampler over char-rnn's
contiguous streams) and DDP averages the gradients (NCCL on GPUs, Gloo on CPUs). The script prints
its loss, writes \`checkpoints/model.safetensors\` (or --out), and reports the loss on the text read
once from its start, the number \`rnn-lab eval\` gives for the same checkpoint and text.

On Debian 12's python3-torch (1.13 on Python 3.11) torchrun's default \`--redirects 0\` fails with
"'NoneType' object has no attribute 'get'"; add \`--redirects 2 --tee 2\` after --nproc_per_node.

The checkpoint it writes is an RNN Lab checkpoint: open it in RNN Lab, sample it, evaluate it or
train it further there. Needs PyTorch (any 1.13 or later) and NumPy; nothing else.

Options: --data PATH  --weights CKPT  --steps N  --out CKPT  --batch N  --seq N  --lr F  --clip F
--seed N  --print-every N  --eval PATH
`;
}
