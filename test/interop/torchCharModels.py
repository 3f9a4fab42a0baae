#!/usr/bin/python3
"""PyTorch's side of the import/export tests, independent of RNN Lab's code (safetensors read and
written by hand, models built from torch.nn).

  torchCharModels.py make OUTDIR
      For each cell type and 1–2 layers: a char model (nn.Embedding or one-hot → nn.RNN/LSTM/GRU →
      nn.Linear) under the module names people use (encoder/lstm/decoder, embedding/gru/fc, …),
      trained 3 Adam steps by PyTorch; writes NAME.safetensors (its state_dict), vocab.json and
      NAME.json {spec, ids [T, B], logits [T, B, V]}.

  torchCharModels.py roundtrip IN.safetensors OUT.safetensors IDS_JSON
      Loads an RNN Lab export into torch.nn modules (load_state_dict strict), prints the logits for
      IDS_JSON ([T, B] ids) as JSON, and saves the state_dict back under other prefixes.
"""
import json
import sys

import torch
import torch.nn.functional as F
from torch import nn

from evalCheckpointInTorch import read_safetensors  # same folder: the hand-written reader


def write_safetensors(path, tensors, metadata=None):
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        blob = t.detach().contiguous().to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(blob)]}
        blobs.append(blob)
        off += len(blob)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(len(h).to_bytes(8, "little") + h + b"".join(blobs))


class CharModel(nn.Module):
    def __init__(self, names, cell, layers, hidden, vocab, embed, nonlinearity="tanh"):
        super().__init__()
        self.names, self.vocab, self.embed_width = names, vocab, embed
        if embed:
            setattr(self, names[0], nn.Embedding(vocab, embed))
        cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell]
        kw = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
        setattr(self, names[1], cls(embed or vocab, hidden, layers, **kw))
        setattr(self, names[2], nn.Linear(hidden, vocab))

    def forward(self, ids):
        x = getattr(self, self.names[0])(ids) if self.embed_width else F.one_hot(ids, self.vocab).float()
        y, _ = getattr(self, self.names[1])(x)
        return getattr(self, self.names[2])(y)


CASES = [
    # name, module names, cell, layers, hidden, embedding width, nonlinearity
    ("lstm1_onehot", ("embed", "rnn", "head"), "lstm", 1, 6, 0, "tanh"),
    ("lstm2_encoder", ("encoder", "lstm", "decoder"), "lstm", 2, 5, 4, "tanh"),
    ("gru1_embedding", ("embedding", "gru", "fc"), "gru", 1, 7, 3, "tanh"),
    ("gru2_onehot", ("embed", "gru", "fc"), "gru", 2, 4, 0, "tanh"),
    ("rnn1_tanh", ("embed", "rnn", "linear"), "rnn", 1, 6, 5, "tanh"),
    ("rnn2_relu", ("emb", "rnn", "out"), "rnn", 2, 5, 0, "relu"),
]

TEXT = "hello, world — 中文字符也行. the quick brown fox! "


def make(outdir):
    torch.manual_seed(0)
    chars = sorted(set(TEXT))
    V = len(chars)
    json.dump(chars, open(f"{outdir}/vocab.json", "w", encoding="utf-8"), ensure_ascii=False)
    idx = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([idx[c] for c in TEXT * 4])
    T, B = 7, 3
    for name, names, cell, layers, hidden, embed, nl in CASES:
        model = CharModel(names, cell, layers, hidden, V, embed, nl)
        opt = torch.optim.Adam(model.parameters(), lr=0.01)
        for step in range(3):
            starts = torch.randint(0, len(data) - T - 1, (B,))
            pos = starts.unsqueeze(0) + torch.arange(T).unsqueeze(1)
            loss = F.cross_entropy(model(data[pos]).reshape(-1, V), data[pos + 1].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
        ids = torch.randint(0, V, (T, B))
        with torch.no_grad():
            logits = model(ids)
        write_safetensors(f"{outdir}/{name}.safetensors", model.state_dict())
        spec = {"cell": cell, "layers": layers, "hidden": hidden, "embed": embed, "vocabSize": V, "nonlinearity": nl}
        json.dump({"spec": spec, "ids": ids.tolist(), "logits": logits.flatten().tolist()}, open(f"{outdir}/{name}.json", "w"))


def roundtrip(src, dst, ids_path):
    tensors, meta = read_safetensors(src)
    spec = json.loads(meta["model"])
    model = CharModel(("embed", "rnn", "head"), spec["cell"], spec["layers"], spec["hidden"], spec["vocabSize"], spec["embed"], spec["nonlinearity"])
    model.load_state_dict(tensors, strict=True)
    ids = torch.tensor(json.load(open(ids_path)))
    with torch.no_grad():
        logits = model(ids)
    renamed = {k.replace("embed.", "encoder.").replace("rnn.", "lstm.").replace("head.", "decoder."): v for k, v in model.state_dict().items()}
    write_safetensors(dst, renamed)
    print(json.dumps({"logits": logits.flatten().tolist(), "hyperparameters": json.loads(meta["hyperparameters"])}))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        roundtrip(sys.argv[2], sys.argv[3], sys.argv[4])
