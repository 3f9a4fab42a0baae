#!/usr/bin/python3
"""PyTorch reference for `npm run bench`: the same char-rnn training configurations, run the way RNN
Lab runs them (one-hot input as a frozen identity embedding, Adam, global-norm clip 5, truncated
BPTT with carried state). Prints one JSON line per configuration and torch thread count.

usage: torchBaseline.py CORPUS SECONDS CONFIG_JSON TORCH_THREADS[,…]
       torchBaseline.py CORPUS SECONDS quality TORCH_THREADS   (train LSTM 2x128 for SECONDS, print val loss)
The OpenBLAS thread count comes from OPENBLAS_NUM_THREADS, which must be set before this starts.
"""
import json
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # Debian's torch does not tie this to set_num_threads
import torch  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
from generateGruResetBeforeFixtures import GRUResetBefore  # noqa: E402  the reference module, written from the equations


class CharModel(torch.nn.Module):
    def __init__(self, cell, vocab, hidden, layers, gru_reset="after"):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, vocab)
        self.embed.weight.data = torch.eye(vocab)
        self.embed.weight.requires_grad_(False)
        rnn = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
        if cell == "gru" and gru_reset == "before":
            rnn = GRUResetBefore  # nn.GRU has no reset-before form
        self.rnn = rnn(vocab, hidden, layers)
        self.head = torch.nn.Linear(hidden, vocab)

    def forward(self, x, state):
        y, state = self.rnn(self.embed(x), state)
        return self.head(y), state


def detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def train_rate(data, vocab, cfg, seconds):
    torch.manual_seed(1)
    model = CharModel(cfg["cell"], vocab, cfg["hidden"], cfg["layers"], cfg.get("gruReset", "after"))
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=2e-3)
    B, T = cfg["batch"], cfg["seq"]
    L = (len(data) - 1) // B
    streams = torch.stack([data[b * L:(b + 1) * L + 1] for b in range(B)], 1)  # [L+1, B]
    state, w, steps = None, 0, 0
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        nonlocal state, w
        x, y = streams[w * T:(w + 1) * T], streams[w * T + 1:(w + 1) * T + 1]
        logits, state = model(x, state)
        loss = loss_fn(logits.reshape(-1, vocab), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        state = detach(state)
        w = (w + 1) % (L // T)

    for _ in range(2):
        step()
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step()
        steps += 1
    return steps * B * T / (time.perf_counter() - t0)


def val_loss(model, val, vocab, B=50, T=50):
    """Mean loss over the validation text cut into B streams read in windows of T, as RNN Lab does."""
    n = len(val) - 1
    B = max(1, min(B, n // T))
    L = n // B
    streams = torch.stack([val[b * L:(b + 1) * L + 1] for b in range(B)], 1)
    total, count, state = 0.0, 0, None
    with torch.no_grad():
        for start in range(0, L, T):
            ln = min(T, L - start)
            x, y = streams[start:start + ln], streams[start + 1:start + ln + 1]
            logits, state = model(x, state)
            total += float(torch.nn.functional.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1))) * ln * B
            count += ln * B
    return total / count


def quality(data, vocab, seconds):
    """LSTM 2x128, batch 50, seq 50, Adam 2e-3, clip 5, trained for `seconds` on the first 95 %."""
    n_val = int(len(data) * 0.05)
    train, val = data[:len(data) - n_val], data[len(data) - n_val:]
    torch.manual_seed(1)
    model = CharModel("lstm", vocab, 128, 2)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=2e-3)
    B, T = 50, 50
    L = (len(train) - 1) // B
    streams = torch.stack([train[b * L:(b + 1) * L + 1] for b in range(B)], 1)
    state, w, steps = None, 0, 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        x, y = streams[w * T:(w + 1) * T], streams[w * T + 1:(w + 1) * T + 1]
        logits, state = model(x, state)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        state = detach(state)
        w += 1
        steps += 1
        if w == L // T:
            w, state = 0, None
    return {"steps": steps, "val_loss": val_loss(model, val, vocab)}


def sample_rate(vocab, cfg, seconds):
    torch.manual_seed(1)
    model = CharModel(cfg["cell"], vocab, cfg["hidden"], cfg["layers"])
    x, state, n = torch.zeros(1, 1, dtype=torch.long), None, 0
    with torch.no_grad():
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            logits, state = model(x, state)
            x = torch.multinomial(torch.softmax(logits[0, 0], -1), 1).view(1, 1)
            n += 1
    return n / (time.perf_counter() - t0)


def main():
    corpus, seconds = sys.argv[1], float(sys.argv[2])
    text = open(corpus, encoding="utf-8").read()
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([index[c] for c in text], dtype=torch.long)
    blas = int(os.environ["OPENBLAS_NUM_THREADS"])
    print(json.dumps({"torch": torch.__version__}), flush=True)
    if sys.argv[3] == "quality":
        torch.set_num_threads(int(sys.argv[4]))
        print(json.dumps({"quality": quality(data, len(chars), seconds), "torch_threads": int(sys.argv[4]), "blas_threads": blas}), flush=True)
        return
    configs = json.loads(sys.argv[3])
    for threads in [int(t) for t in sys.argv[4].split(",")]:
        torch.set_num_threads(threads)
        for cfg in configs:
            rate = sample_rate(len(chars), cfg, seconds) if cfg.get("sample") else train_rate(data, len(chars), cfg, seconds)
            print(json.dumps({"name": cfg["name"], "torch_threads": threads, "blas_threads": blas, "chars_per_s": rate}), flush=True)


if __name__ == "__main__":
    main()
