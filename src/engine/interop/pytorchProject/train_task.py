#!/usr/bin/env python3
"""Continue training an RNN Lab classifier or tagger in PyTorch: on one CPU, one GPU, or many
processes with DistributedDataParallel under torchrun (NCCL on GPUs, Gloo on CPUs).

    python train_task.py [--data PATH] [--steps N] [--out CKPT]
    torchrun --nproc_per_node N train_task.py [--data PATH] [--steps N] [--out CKPT]

Data as RNN Lab reads it: classification .jsonl {"text", "label"} or .csv/.tsv with text and label
columns; tagging .jsonl {"text", "tags"} or .conll (character<TAB>tag, a blank line between
sequences); segmentation one sentence per line, words separated by spaces (B/M/E/S tags). Batches
are RNN Lab's: records bucketed by length, --batch per step; each process takes its share of every
batch and DDP averages the gradients, so N processes take the same steps as one.
"""
import csv
import json
import os
import random
import time

import torch
import torch.nn.functional as F

from model import TaskModel, Vocabulary, load_checkpoint
from training_loop import HERE, distributed, finish, is_report_step, optimizer_step, parse_args, print_progress, read_config, start_processes, summed_over_processes


def segment_tags(line):
    """'今天 是 好日子' → characters and B/M/E/S tags (a word of one character is S)."""
    chars, tags = [], []
    for word in line.split():
        chars += list(word)
        tags += ["S"] if len(word) == 1 else ["B"] + ["M"] * (len(word) - 2) + ["E"]
    return chars, tags


def read_records(path, task_name):
    """[(characters, label or tags)] of a data file, by the task and the file's extension."""
    ext = os.path.splitext(path)[1].lower()
    with open(path, encoding="utf-8-sig", newline="") as f:
        if task_name == "segment":
            return [segment_tags(line) for line in f if line.strip()]
        if ext == ".jsonl":
            rows = [json.loads(line) for line in f if line.strip()]
            return [(list(r["text"]), r["label"] if task_name == "classify" else list(r["tags"])) for r in rows]
        if task_name == "classify" and ext in (".csv", ".tsv"):
            return [(list(r["text"]), r["label"]) for r in csv.DictReader(f, delimiter="\t" if ext == ".tsv" else ",")]
        if task_name == "tag" and ext in (".conll", ".bio"):
            records, chars, tags = [], [], []
            for line in f.read().split("\n") + [""]:
                if line.strip():
                    c, t = line.rstrip("\r").split("\t")[:2]
                    chars.append(c)
                    tags.append(t)
                elif chars:
                    records.append((chars, tags))
                    chars, tags = [], []
            return records
    raise SystemExit(f"{path}: a {task_name} model reads .jsonl{', .csv or .tsv' if task_name == 'classify' else ' or .conll'} here")


def encode(records, vocab, names, max_length):
    index = {n: i for i, n in enumerate(names)}
    out = []
    for chars, target in records:
        chars = chars[:max_length]  # RNN Lab cuts longer records at the model's length cap
        ids = vocab.encode("".join(chars))
        y = torch.tensor(index[target]) if isinstance(target, str) else torch.tensor([index[t] for t in target[:max_length]])
        out.append((ids, y))
    return out


def padded(batch):
    """ids [T, B], lengths [B], targets [B] or [T, B] (-100 past each length: ignored)."""
    lengths = torch.tensor([len(ids) for ids, _ in batch])
    T = int(lengths.max())
    ids = torch.zeros(T, len(batch), dtype=torch.long)
    tagging = batch[0][1].dim() == 1
    y = torch.full((T, len(batch)), -100, dtype=torch.long) if tagging else torch.stack([t for _, t in batch])
    for b, (x, t) in enumerate(batch):
        ids[:len(x), b] = x
        if tagging:
            y[:len(t), b] = t
    return ids, lengths, y


def loss_sum(logits, y, class_weights):
    """Σ cross-entropy over the batch's sequences (weighted by class) or its real characters, and how many."""
    if logits.dim() == 2:
        w = class_weights[y] if class_weights is not None else torch.ones(len(y), device=y.device)
        return (F.cross_entropy(logits.double(), y, reduction="none") * w).sum(), w.sum()
    flat, target = logits.reshape(-1, logits.shape[-1]).double(), y.reshape(-1)
    return F.cross_entropy(flat, target, ignore_index=-100, reduction="sum"), (target != -100).sum()


@torch.no_grad()
def mean_loss(model, data, device, batch=64):
    """Mean cross-entropy per sequence (classifier, unweighted) or per character (tagger), as `rnn-lab eval` reports it."""
    model.eval()
    total, count = 0.0, 0
    for k in range(0, len(data), batch):
        ids, lengths, y = padded(data[k:k + batch])
        s, n = loss_sum(model(ids.to(device), lengths), y.to(device), None)
        total, count = total + s.item(), count + int(n)
    return total / count


def main():
    config = read_config()
    data_name = config.get("data")
    args = parse_args(__doc__.split("\n\n")[0], config["options"],
                      os.path.join(HERE, data_name) if data_name and os.path.exists(os.path.join(HERE, data_name)) else None,
                      "training records (default: the exported data file here)", "records per step, over all processes",
                      "records to report the final loss on (default: --data)")
    if not args.data:
        raise SystemExit("no training records: pass --data PATH (the export did not include the data file)")

    world, rank, device = start_processes(args.seed)

    spec, vocab_json, meta, state = load_checkpoint(args.weights)
    task = json.loads(meta["task"])
    m = task["metadata"]
    names = m["classes"] if task["name"] == "classify" else m["tags"]
    model = TaskModel(spec, m["pool"] if task["name"] == "classify" else None, dropout=config["options"].get("dropout", 0.0)).to(device)
    model.load_state_dict(state)
    vocab = Vocabulary(vocab_json)
    data = encode(read_records(args.data, task["name"]), vocab, names, m["maxLength"])
    if len(data) < args.batch:
        raise SystemExit(f"{args.data} has {len(data)} records, fewer than a batch of {args.batch}; lower --batch")
    weights = torch.tensor(m["classWeights"], dtype=torch.float64, device=device) if m.get("classWeights") else None

    # length buckets (sorted by length, cut into batches), in a seeded order shared by every process
    order = sorted(range(len(data)), key=lambda i: (len(data[i][0]), i))
    batches = [order[k:k + args.batch] for k in range(0, len(order) - args.batch + 1, args.batch)]
    random.Random(args.seed).shuffle(batches)

    ddp, optimizer = distributed(model, world, config["options"], args.lr)
    t0, chars = time.time(), 0
    for step in range(args.steps):
        batch = batches[step % len(batches)]
        mine = [data[i] for i in batch[rank::world]]  # this process's share of the step's batch
        ids, lengths, y = padded(mine)
        model.train()
        s, _ = loss_sum(ddp(ids.to(device), lengths), y.to(device), weights)
        # the whole batch's normaliser, so DDP's mean over processes is the one-process loss's gradient
        everyone = [data[i] for i in batch]
        n = sum(weights[t[1]].item() for t in everyone) if weights is not None and y.dim() == 1 else (sum(len(t[0]) for t in everyone) if y.dim() == 2 else len(everyone))
        loss = s * world / n
        optimizer_step(loss.float(), ddp, optimizer, args.clip)
        chars += sum(len(t[0]) for t in everyone)
        if is_report_step(step, args):
            print_progress(rank, step, args.steps, summed_over_processes(loss.detach() / world, world), chars, t0)

    eval_loss = lambda path: mean_loss(model, encode(read_records(path, task["name"]), vocab, names, m["maxLength"]), device)
    finish(args, rank, world, model, vocab_json, eval_loss, "record" if task["name"] == "classify" else "char", meta["task"])


if __name__ == "__main__":
    main()
