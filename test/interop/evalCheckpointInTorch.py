#!/usr/bin/python3
"""Loads an RNN Lab checkpoint into plain PyTorch modules and evaluates a text, independently of RNN
Lab's code: the safetensors file is parsed by hand (u64 length, JSON header, raw little-endian f32),
the model tensors go into nn.Embedding/nn.LSTM|GRU|RNN/nn.Linear with load_state_dict(strict=True).
Prints {"loss": mean nats per predicted character} — characters 2..n, each from all before it.

usage: evalCheckpointInTorch.py CHECKPOINT TEXTFILE
"""
import json
import struct
import sys

import numpy as np
import torch


def read_safetensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", info["dtype"]
        b, e = info["data_offsets"]
        tensors[name] = torch.from_numpy(np.frombuffer(data[b:e], dtype="<f4").copy()).reshape(info["shape"])
    return tensors, meta


def main():
    tensors, meta = read_safetensors(sys.argv[1])
    spec = json.loads(meta["model"])
    vocab = json.loads(meta["vocab"])["chars"]
    V, H, L, E = spec["vocabSize"], spec["hidden"], spec["layers"], spec["embed"]
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[spec["cell"]]
    kw = {"nonlinearity": spec["nonlinearity"]} if spec["cell"] == "rnn" else {}
    rnn = cls(E if E else V, H, L, **kw)
    head = torch.nn.Linear(H, V)
    model = {k: v for k, v in tensors.items() if not k.startswith(("optimizer.", "state."))}
    rnn.load_state_dict({k[4:]: v for k, v in model.items() if k.startswith("rnn.")}, strict=True)
    head.load_state_dict({k[5:]: v for k, v in model.items() if k.startswith("head.")}, strict=True)
    index = {c: i for i, c in enumerate(vocab)}
    text = open(sys.argv[2], encoding="utf-8").read()
    ids = torch.tensor([index[c] for c in text])
    with torch.no_grad():
        if E:
            emb = torch.nn.Embedding(V, E)
            emb.load_state_dict({"weight": model["embed.weight"]}, strict=True)
            x = emb(ids[:-1])
        else:
            x = torch.nn.functional.one_hot(ids[:-1], V).float()
        out, _ = rnn(x.unsqueeze(1))
        loss = torch.nn.functional.cross_entropy(head(out[:, 0]), ids[1:])
    print(json.dumps({"loss": float(loss)}))


if __name__ == "__main__":
    main()
