"""An RNN Lab character model in PyTorch, and RNN Lab's checkpoint format read and written by hand.

The module's state_dict names are RNN Lab's (embed.*, rnn.*, head.*), so a checkpoint loads with
load_state_dict and a saved one opens in RNN Lab unchanged. Sequences are time-major: ids [T, B].
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

FORMAT = "rnn-lab"
FORMAT_VERSION = 1
_DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16}


class CharModel(nn.Module):
    """Embedding (or one-hot input) → nn.LSTM / nn.GRU / nn.RNN → nn.Linear."""

    def __init__(self, spec, dropout=0.0):
        super().__init__()
        for option in ("peephole", "coupled", "residual"):
            if spec.get(option):
                raise ValueError(f"{option} models have no nn.LSTM counterpart; train them in RNN Lab")
        self.spec = spec
        V, H, L, E = spec["vocabSize"], spec["hidden"], spec["layers"], spec["embed"]
        if E > 0:
            self.embed = nn.Embedding(V, E)
        cell = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[spec["cell"]]
        extra = {"nonlinearity": spec["nonlinearity"]} if spec["cell"] == "rnn" else {}
        self.rnn = cell(E if E > 0 else V, H, L, dropout=dropout if L > 1 else 0.0, **extra)
        self.head = nn.Linear(H, V)

    def forward(self, ids, state=None):
        if self.spec["embed"] > 0:
            x = self.embed(ids)
        else:
            x = F.one_hot(ids, self.spec["vocabSize"]).to(self.head.weight.dtype)
        y, state = self.rnn(x, state)
        return self.head(y), state


class Vocabulary:
    """Index ↔ character (Unicode code points, as RNN Lab counts them)."""

    def __init__(self, vocab_json):
        self.chars = list(vocab_json["chars"])
        self.unk = vocab_json.get("unk", -1)
        self.index = {c: i for i, c in enumerate(self.chars)}

    def encode(self, text):
        ids = [self.index.get(c, self.unk) for c in text]
        if self.unk < 0 and -1 in ids:
            missing = sorted({c for c in text if c not in self.index})[:10]
            raise ValueError(f"characters outside the model's vocabulary: {missing!r}")
        return torch.tensor(ids, dtype=torch.long)


def load_checkpoint(path):
    """(spec, vocab json, metadata, state_dict) of an RNN Lab .safetensors checkpoint."""
    with open(path, "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[:8], "little")
    if n > len(raw) - 8:
        raise ValueError(f"{path}: header length {n} runs past the end of the file")
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: not an RNN Lab checkpoint")
    if int(meta.get("format_version", "0")) > FORMAT_VERSION:
        raise ValueError(f"{path}: written by a newer RNN Lab")
    data = raw[8 + n:]
    state = {}
    for name, info in header.items():
        if name.startswith("optimizer.") or name.startswith("state."):
            continue  # RNN Lab's own training state; this script keeps its own
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype=_DTYPES[info["dtype"]]).reshape(info["shape"])
        state[name] = torch.from_numpy(array.astype(np.float32))
    return json.loads(meta["model"]), json.loads(meta["vocab"]), meta, state


def save_checkpoint(path, model, vocab_json, extra_metadata=None):
    """Writes model weights in RNN Lab's format (atomically: a crash leaves the old file whole)."""
    metadata = {"format": FORMAT, "format_version": str(FORMAT_VERSION),
                "model": json.dumps(model.spec), "vocab": json.dumps(vocab_json)}
    metadata.update(extra_metadata or {})
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, tensor in model.state_dict().items():
        blob = tensor.detach().to("cpu", torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    head = json.dumps(header).encode("utf-8")
    head += b" " * (-len(head) % 8)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(len(head).to_bytes(8, "little"))
        f.write(head)
        for blob in blobs:
            f.write(blob)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@torch.no_grad()
def text_loss(model, ids, window=256):
    """Mean loss (nats/char) reading the text once from its start at batch 1, as `rnn-lab eval` does."""
    model.eval()
    total, state, n = 0.0, None, len(ids) - 1
    device = model.head.weight.device
    for start in range(0, n, window):
        x = ids[start:start + window].to(device).unsqueeze(1)
        y = ids[start + 1:start + window + 1].to(device)
        x = x[: len(y)]
        logits, state = model(x, state)
        total += F.cross_entropy(logits.squeeze(1).double(), y, reduction="sum").item()
    return total / n
