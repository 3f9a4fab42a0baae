#!/usr/bin/env python3
"""Continue training an RNN Lab model in PyTorch: on one CPU, one GPU, or many processes with
DistributedDataParallel under torchrun (NCCL on GPUs, Gloo on CPUs).

    python train.py [--data PATH] [--steps N] [--out CKPT]
    torchrun --nproc_per_node N train.py [--data PATH] [--steps N] [--out CKPT]

Batches are char-rnn's: the text is cut into --batch contiguous streams read in windows of --seq
characters, the hidden state carried from window to window. A DistributedSampler hands each process
its own streams; DDP averages the gradients, so N processes take the same steps as one with the
whole batch. Checkpoints are RNN Lab .safetensors files: open them in RNN Lab as they are.
"""
import os
import time

import torch
import torch.nn.functional as F
from torch.utils.data import DistributedSampler

from model import CharModel, Vocabulary, load_checkpoint, text_loss
from training_loop import HERE, distributed, finish, is_report_step, optimizer_step, parse_args, print_progress, read_config, start_processes, summed_over_processes


def read_text(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def main():
    config = read_config()
    default_data = os.path.join(HERE, "data.txt")
    args = parse_args(__doc__.split("\n\n")[0], config["options"], default_data if os.path.exists(default_data) else None,
                      "training text (default: data.txt here)", "streams per step, over all processes",
                      "text to report the final loss on, read once from its start (default: --data)", seq=True)
    if not args.data:
        raise SystemExit("no training text: pass --data PATH (the export did not include data.txt)")

    world, rank, device = start_processes(args.seed)
    if args.batch % world:
        raise SystemExit(f"--batch {args.batch} does not split evenly over {world} processes")

    spec, vocab_json, _, state = load_checkpoint(args.weights)
    model = CharModel(spec, dropout=config["options"].get("dropout", 0.0)).to(device)
    model.load_state_dict(state)
    if spec.get("norm") == "batch" and world > 1:
        # each process would normalise by its own shard's statistics, not the whole batch's (RNN Lab trains it on one thread)
        raise SystemExit("a batch-normalised model trains in one process here: its statistics are the whole batch's at each step")
    vocab = Vocabulary(vocab_json)
    data = vocab.encode(read_text(args.data))

    B, T = args.batch, args.seq
    stream_length = (len(data) - 1) // B
    windows = stream_length // T
    if windows < 1:
        raise SystemExit(f"{args.data} has {len(data)} characters, fewer than one batch needs ({B} × {T} + 1)")
    streams = torch.tensor(list(DistributedSampler(range(B), num_replicas=world, rank=rank, shuffle=False)))
    starts = streams * stream_length  # where this process's streams begin in the text

    ddp, optimizer = distributed(model, world, config["options"], args.lr)
    offsets = torch.arange(T).unsqueeze(1)  # [T, 1]
    hidden = None
    t0 = time.time()
    for step in range(args.steps):
        w = step % windows
        if w == 0:
            hidden = None  # a new epoch starts every stream from zero state
        pos = starts.unsqueeze(0) + w * T + offsets  # [T, streams]
        x, y = data[pos].to(device), data[pos + 1].to(device)
        model.train()
        logits, hidden = ddp(x, hidden)
        hidden = tuple(h.detach() for h in hidden) if isinstance(hidden, tuple) else hidden.detach()
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        optimizer_step(loss, ddp, optimizer, args.clip)
        if is_report_step(step, args):
            print_progress(rank, step, args.steps, summed_over_processes(loss.detach(), world) / world, (step + 1) * B * T, t0)

    finish(args, rank, world, model, vocab_json, lambda path: text_loss(model, vocab.encode(read_text(path))), "char")


if __name__ == "__main__":
    main()
