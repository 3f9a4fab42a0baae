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

/** Files of the PyTorch project, by relative path. `corpus`, when given, becomes data.txt. */
export function pytorchProject(model: Model, corpus: string | null): Map<string, Uint8Array> {
  const { spec } = model;
  // the project's train.py trains a character model on a text; a classifier's or tagger's head and data are not there yet
  if (spec.bidirectional || (model.task && model.task.name !== "character-model")) {
    throw new InputError(`the exported PyTorch project trains character models only; export this ${spec.bidirectional ? "bidirectional model" : model.task!.name + " model"} as safetensors (PyTorch loads it strictly) or onnx`);
  }
  if (spec.norm === "batch") throw new InputError("the exported PyTorch project has no batch-normalised LSTM or GRU module yet (its per-step running statistics would need one); export this model as safetensors, which holds its weights and running statistics (docs/cells.md)");
  const { torch } = cellEntry(spec.cell);
  const unsupported = [spec.peephole && !torch.options.includes("peephole") && "peepholes", spec.coupled && !torch.options.includes("coupled") && "coupled gates",
    spec.residual && "residual layers"].filter(Boolean);
  if (unsupported.length) throw new InputError(`a model with ${unsupported.join(" and ")} has no nn.${torch.module ?? "RNN"} counterpart; export it as onnx or safetensors instead`);
  const options = model.training?.options ?? DEFAULT_TRAIN_OPTIONS;
  const text = (s: string) => new TextEncoder().encode(s);
  const files = new Map<string, Uint8Array>([
    ["model.py", text(modelPy)],
    ["train.py", text(trainPy)],
    ["config.json", text(JSON.stringify({ spec, vocab: model.vocab.toJSON(), options }, null, 2) + "\n")],
    ["model.safetensors", exportSafetensors(model)],
    ["README.md", text(projectReadme(model, corpus !== null))],
  ]);
  if (corpus !== null) files.set("data.txt", text(corpus));
  return files;
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
