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
import argparse
import json
import os
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DistributedSampler

from model import CharModel, Vocabulary, load_checkpoint, save_checkpoint, text_loss

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args(options):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_data = os.path.join(HERE, "data.txt")
    p.add_argument("--data", default=default_data if os.path.exists(default_data) else None, help="training text (default: data.txt here)")
    p.add_argument("--weights", default=os.path.join(HERE, "model.safetensors"), help="checkpoint to start from")
    p.add_argument("--steps", type=int, default=100, help="optimizer steps to take")
    p.add_argument("--out", default=os.path.join(HERE, "checkpoints", "model.safetensors"), help="checkpoint to write")
    p.add_argument("--batch", type=int, default=options["batch"], help="streams per step, over all processes")
    p.add_argument("--seq", type=int, default=options["seq"], help="characters per window")
    p.add_argument("--lr", type=float, default=options["lr"])
    p.add_argument("--clip", type=float, default=options["clip"], help="global gradient-norm clip (0 = off)")
    p.add_argument("--seed", type=int, default=options["seed"])
    p.add_argument("--print-every", type=int, default=10)
    p.add_argument("--eval", default=None, help="text to report the final loss on, read once from its start (default: --data)")
    return p.parse_args()


def make_optimizer(params, o, lr):
    if o["optimizer"] == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=o["momentum"], weight_decay=o["weightDecay"])
    if o["optimizer"] == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=o["alpha"], eps=o["eps"], weight_decay=o["weightDecay"])
    cls = torch.optim.AdamW if o["optimizer"] == "adamw" else torch.optim.Adam
    return cls(params, lr=lr, betas=(o["beta1"], o["beta2"]), eps=o["eps"], weight_decay=o["weightDecay"])


def main():
    with open(os.path.join(HERE, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    args = parse_args(config["options"])
    if not args.data:
        raise SystemExit("no training text: pass --data PATH (the export did not include data.txt)")

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    cuda = torch.cuda.is_available()
    if world > 1:
        dist.init_process_group("nccl" if cuda else "gloo")
    device = torch.device(f"cuda:{local_rank}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    if args.batch % world:
        raise SystemExit(f"--batch {args.batch} does not split evenly over {world} processes")
    torch.manual_seed(args.seed)

    spec, vocab_json, _, state = load_checkpoint(args.weights)
    model = CharModel(spec, dropout=config["options"].get("dropout", 0.0)).to(device)
    model.load_state_dict(state)
    if spec.get("norm") == "batch" and world > 1:
        # each process would normalise by its own shard's statistics, not the whole batch's (RNN Lab trains it on one thread)
        raise SystemExit("a batch-normalised model trains in one process here: its statistics are the whole batch's at each step")
    vocab = Vocabulary(vocab_json)
    with open(args.data, encoding="utf-8") as f:
        data = vocab.encode(f.read())

    B, T = args.batch, args.seq
    stream_length = (len(data) - 1) // B
    windows = stream_length // T
    if windows < 1:
        raise SystemExit(f"{args.data} has {len(data)} characters, fewer than one batch needs ({B} × {T} + 1)")
    streams = torch.tensor(list(DistributedSampler(range(B), num_replicas=world, rank=rank, shuffle=False)))
    starts = streams * stream_length  # where this process's streams begin in the text

    ddp = DistributedDataParallel(model) if world > 1 else model
    optimizer = make_optimizer(ddp.parameters(), config["options"], args.lr)
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
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if args.clip > 0:
            torch.nn.utils.clip_grad_norm_(ddp.parameters(), args.clip)
        optimizer.step()
        if (step + 1) % args.print_every == 0 or step + 1 == args.steps:
            mean = loss.detach().clone()
            if world > 1:
                dist.all_reduce(mean)
                mean /= world
            if rank == 0:
                rate = (step + 1) * B * T / (time.time() - t0)
                print(f"step {step + 1}/{args.steps}  loss {mean.item():.4f}  {rate:,.0f} chars/s", flush=True)

    if rank == 0:
        save_checkpoint(args.out, model, vocab_json, {"trained_with": f"PyTorch {torch.__version__}, {world} process(es)"})
        eval_path = args.eval or args.data
        with open(eval_path, encoding="utf-8") as f:
            loss = text_loss(model, vocab.encode(f.read()))
        print(f"saved {args.out}")
        print(f"eval loss {loss:.6f} nats/char on {eval_path}", flush=True)
    if world > 1:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
