#!/usr/bin/python3
"""PyTorch reference for `npm run bench -- --only text`: a bidirectional classifier or tagger trained
the way RNN Lab trains it (nn.Embedding, nn.LSTM/GRU(bidirectional=True) on pack_padded_sequence,
the classifier's h_n of both directions or the tagger's per-step nn.Linear, cross-entropy over real
characters, Adam, global-norm clip 5), batches of length-sorted lines in shuffled order.
Prints one JSON line per torch thread count: real characters per second.

usage: torchTextTaskBaseline.py DATA.jsonl CONFIG_JSON SECONDS TORCH_THREADS[,…]
CONFIG_JSON: {"kind": "classify"|"tag", "cell": "lstm"|"gru"|"rnn", "layers", "hidden", "embed", "batch"}
The OpenBLAS thread count comes from OPENBLAS_NUM_THREADS, which must be set before this starts.
"""
import json
import os
import random
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # Debian's torch does not tie this to set_num_threads
import torch  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence  # noqa: E402

MODULES = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}


class TextModel(torch.nn.Module):
    def __init__(self, cfg, vocab, outputs):
        super().__init__()
        self.kind = cfg["kind"]
        self.embedding = torch.nn.Embedding(vocab, cfg["embed"])
        self.rnn = MODULES[cfg["cell"]](cfg["embed"], cfg["hidden"], cfg["layers"], bidirectional=True)
        self.head = torch.nn.Linear(2 * cfg["hidden"], outputs)

    def forward(self, ids, lengths):  # ids [T, B], lengths [B] sorted descending
        packed = pack_padded_sequence(self.embedding(ids), lengths)
        out, h = self.rnn(packed)
        if self.kind == "classify":
            h_n = h[0] if isinstance(h, tuple) else h  # [layers·2, B, H]: the last layer's forward after the last character, backward after the first
            return self.head(torch.cat([h_n[-2], h_n[-1]], 1))  # [B, O]
        return self.head(pad_packed_sequence(out)[0])  # [T, B, O]


def batches_of(records, batch):
    """Length-sorted lines in batches, each batch sorted longest first (what pack_padded_sequence wants)."""
    order = sorted(range(len(records)), key=lambda i: len(records[i][0]))
    groups = [order[k:k + batch] for k in range(0, len(order), batch)]
    out = []
    for g in groups:
        g = sorted(g, key=lambda i: -len(records[i][0]))
        lengths = torch.tensor([len(records[i][0]) for i in g])
        ids = torch.zeros(int(lengths[0]), len(g), dtype=torch.long)
        for b, i in enumerate(g):
            ids[:len(records[i][0]), b] = torch.tensor(records[i][0])
        if isinstance(records[g[0]][1], list):
            target = torch.full((int(lengths[0]), len(g)), -100, dtype=torch.long)  # -100: padding, ignored
            for b, i in enumerate(g):
                target[:len(records[i][1]), b] = torch.tensor(records[i][1])
        else:
            target = torch.tensor([records[i][1] for i in g])
        out.append((ids, lengths, target, int(lengths.sum())))
    return out


def main():
    path, cfg, seconds, threads = sys.argv[1], json.loads(sys.argv[2]), float(sys.argv[3]), [int(t) for t in sys.argv[4].split(",")]
    rows = [json.loads(line) for line in open(path, encoding="utf8") if line.strip()]
    chars = sorted({c for r in rows for c in r["text"]})
    index = {c: i for i, c in enumerate(chars)}
    names = sorted({r["label"] for r in rows} if cfg["kind"] == "classify" else {t for r in rows for t in r["tags"]})
    label = {n: i for i, n in enumerate(names)}
    records = [([index[c] for c in r["text"]], label[r["label"]] if cfg["kind"] == "classify" else [label[t] for t in r["tags"]]) for r in rows]
    batches = batches_of(records, cfg["batch"])
    for n in threads:
        torch.set_num_threads(n)
        torch.manual_seed(1)
        random.seed(1)
        model = TextModel(cfg, len(chars), len(names))
        optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
        loss_fn = torch.nn.CrossEntropyLoss(ignore_index=-100)

        def step(b):
            ids, lengths, target, _ = b
            optimizer.zero_grad()
            logits = model(ids, lengths)
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), target[:logits.shape[0]].reshape(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()

        order = list(range(len(batches)))
        step(batches[0])
        done, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            random.shuffle(order)
            for k in order:
                step(batches[k])
                done += batches[k][3]
                if time.perf_counter() - t0 >= seconds:
                    break
        rate = done / (time.perf_counter() - t0)
        print(json.dumps({"chars_per_s": rate, "torch_threads": n, "blas_threads": int(os.environ["OPENBLAS_NUM_THREADS"])}), flush=True)


if __name__ == "__main__":
    main()
