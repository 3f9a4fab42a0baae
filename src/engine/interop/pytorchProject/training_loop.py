"""What train.py (character models) and train_task.py (classifiers and taggers) share: the project's
config, the options both take, the processes and device under torchrun, the optimizer and its step,
the progress line, and the end of a run (the checkpoint, the eval loss). Each script keeps its own
data, batches and loss."""
import argparse
import json
import os
import sys
import time

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from model import save_checkpoint

HERE = os.path.dirname(os.path.abspath(__file__))


def read_config():
    """config.json: the model's spec, vocabulary and training options as RNN Lab exported them."""
    with open(os.path.join(HERE, "config.json"), encoding="utf-8") as f:
        return json.load(f)


def parse_args(description, options, default_data, data_help, batch_help, eval_help, seq=False):
    """The options of both scripts, their defaults the run's; seq: --seq too (train.py's window in characters)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--data", default=default_data, help=data_help)
    p.add_argument("--weights", default=os.path.join(HERE, "model.safetensors"), help="checkpoint to start from")
    p.add_argument("--steps", type=int, default=100, help="optimizer steps to take")
    p.add_argument("--out", default=os.path.join(HERE, "checkpoints", "model.safetensors"), help="checkpoint to write")
    p.add_argument("--batch", type=int, default=options["batch"], help=batch_help)
    if seq:
        p.add_argument("--seq", type=int, default=options["seq"], help="characters per window")
    p.add_argument("--lr", type=float, default=options["lr"])
    p.add_argument("--clip", type=float, default=options["clip"], help="global gradient-norm clip (0 = off)")
    p.add_argument("--seed", type=int, default=options["seed"])
    p.add_argument("--print-every", type=int, default=10)
    p.add_argument("--eval", default=None, help=eval_help)
    return p.parse_args()


def start_processes(seed):
    """This process under torchrun (WORLD_SIZE, RANK, LOCAL_RANK; 1, 0, 0 under plain python): the process
    group when there are several (NCCL on GPUs, Gloo on CPUs), its device, the seeded generator.
    Returns (world, rank, device)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    cuda = torch.cuda.is_available()
    if world > 1:
        dist.init_process_group("nccl" if cuda else "gloo")
    device = torch.device(f"cuda:{local_rank}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    torch.manual_seed(seed)
    return world, rank, device


def make_optimizer(params, o, lr):
    if o["optimizer"] == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=o["momentum"], weight_decay=o["weightDecay"])
    if o["optimizer"] == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=o["alpha"], eps=o["eps"], weight_decay=o["weightDecay"])
    cls = torch.optim.AdamW if o["optimizer"] == "adamw" else torch.optim.Adam
    return cls(params, lr=lr, betas=(o["beta1"], o["beta2"]), eps=o["eps"], weight_decay=o["weightDecay"])


def distributed(model, world, options, lr):
    """(the model DDP wraps when there are several processes, else the model itself; its optimizer, the run's)."""
    ddp = DistributedDataParallel(model) if world > 1 else model
    return ddp, make_optimizer(ddp.parameters(), options, lr)


def optimizer_step(loss, ddp, optimizer, clip):
    """Backpropagates loss, clips the global gradient norm (clip 0: not) and steps."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if clip > 0:
        torch.nn.utils.clip_grad_norm_(ddp.parameters(), clip)
    optimizer.step()


def is_report_step(step, args):
    return (step + 1) % args.print_every == 0 or step + 1 == args.steps


def summed_over_processes(t, world):
    """A copy of t summed over every process (every process must call it at the same step)."""
    t = t.clone()
    if world > 1:
        dist.all_reduce(t)
    return t


def print_progress(rank, step, steps, mean, chars, t0):
    """Process 0's line: the step, the batch's mean loss, characters per second since t0."""
    if rank == 0:
        print(f"step {step + 1}/{steps}  loss {mean.item():.4f}  {chars / (time.time() - t0):,.0f} chars/s", flush=True)


def finish(args, rank, world, model, vocab_json, eval_loss, unit, task=None):
    """Process 0 writes the checkpoint (with a classifier's or tagger's task entry) and prints the loss per
    `unit` that eval_loss(path) gives on --eval (default --data); then every process ends together."""
    if rank == 0:
        save_checkpoint(args.out, model, vocab_json, {"trained_with": f"PyTorch {torch.__version__}, {world} process(es)"}, task)
        eval_path = args.eval or args.data
        loss = eval_loss(eval_path)
        print(f"saved {args.out}")
        print(f"eval loss {loss:.6f} nats/{unit} on {eval_path}", flush=True)
    if world > 1:
        end_processes()


def end_processes():
    """Waits for every process (so none leaves while another still needs it), then ends this one without
    tearing the process group down. Tearing it down can deadlock: Gloo's process group joins its worker
    threads while holding the GIL, and a worker that is freeing the last step's tensors needs the GIL
    (pytorch/pytorch#56297, #75097). With PyTorch 1.13 about 1 run in 10 hung so, after the checkpoint
    was written. The checkpoint is written and closed by now (atomically), and the OS frees the rest."""
    dist.barrier()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
