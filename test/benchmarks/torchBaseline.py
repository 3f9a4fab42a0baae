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

# minGRU / minLSTM have no torch.nn module: the reference modules written from the paper's equations
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
from generateMinimalCellFixtures import MinimalRnn  # noqa: E402
from generateLeakyCellFixtures import LeakyLayerStack  # noqa: E402  the CTRNN/additive reference modules (no PyTorch layer has them)
from generateGruResetBeforeFixtures import GRUResetBefore  # noqa: E402  the reference module, written from the equations


def _log_g(x):
    """log g(x), g(x) = x + 0.5 (x ≥ 0) or σ(x): the paper's positive candidate for its log-space mode."""
    return torch.where(x >= 0, torch.log(torch.relu(x) + 0.5), -torch.nn.functional.softplus(-x))


class LogSpaceMinimalRnn(MinimalRnn):
    """The paper's parallel mode (its Appendix): the recurrence solved by Heinsen's log-space scan,
    log h_t = a*_t + logcumsumexp(log b − a*), a* = cumsum(log a), in O(log T) depth on a GPU. It needs
    h̃ > 0, so h̃ = g(W_h x + b_h) and h_0 = g(h_0): not the same model as RNN Lab's plain form (the
    bench times it as PyTorch's best way to run these cells, not as a numerical reference)."""

    def forward(self, x, h0, keep=None):
        finals = []
        for k in range(self.layers):
            p = torch.nn.functional.linear(x, getattr(self, f"weight_ih_l{k}"), getattr(self, f"bias_ih_l{k}"))
            if self.cell == "mingru":
                z, candidate = p.chunk(2, dim=-1)
                log_a, log_z = -torch.nn.functional.softplus(z), -torch.nn.functional.softplus(-z)
            else:
                f, i, candidate = p.chunk(3, dim=-1)
                diff = torch.nn.functional.softplus(-f) - torch.nn.functional.softplus(-i)
                log_a, log_z = -torch.nn.functional.softplus(diff), -torch.nn.functional.softplus(-diff)
            log_b = torch.cat([_log_g(h0[k]).unsqueeze(0), log_z + _log_g(candidate)], 0)  # [T+1, B, H]
            a_star = torch.nn.functional.pad(torch.cumsum(log_a, 0), (0, 0, 0, 0, 1, 0))
            h = torch.exp(a_star + torch.logcumsumexp(log_b - a_star, 0))[1:]
            x = h
            finals.append(h[-1])
        return x, torch.stack(finals)


class LayerNormStack(torch.nn.Module):
    """Ba et al.'s layer-normalised LSTM or GRU (docs/cells.md's equations) with F.layer_norm, in nn.LSTM's
    calling convention: forward(x [T, B, in], state) -> (y, (h, c)) or (y, h); state None = zeros.
    PyTorch has no such layer; the fixtures' LayerNormRNN checks its statistics by hand, so it is not timed."""

    def __init__(self, kind, vocab, hidden, layers):
        super().__init__()
        self.kind, self.hidden, self.layers = kind, hidden, layers
        H, G = hidden, 4 if kind == "lstm" else 3
        P = torch.nn.Parameter
        u = lambda *shape: P(torch.empty(*shape).uniform_(-hidden ** -0.5, hidden ** -0.5))
        self.w_ih = torch.nn.ParameterList([u(G * H, vocab if l == 0 else H) for l in range(layers)])
        self.w_hh = torch.nn.ParameterList([u(G * H, H) for _ in range(layers)])
        self.g_ih = torch.nn.ParameterList([P(torch.ones(G * H)) for _ in range(layers)])
        self.b_ih = torch.nn.ParameterList([P(torch.zeros(G * H)) for _ in range(layers)])
        self.g_hh = torch.nn.ParameterList([P(torch.ones(G * H)) for _ in range(layers)])
        self.b_hh = torch.nn.ParameterList([P(torch.zeros(G * H)) for _ in range(layers)])
        self.g_c = torch.nn.ParameterList([P(torch.ones(H)) for _ in range(layers)])
        self.b_c = torch.nn.ParameterList([P(torch.zeros(H)) for _ in range(layers)])

    def forward(self, x, state):
        F, H = torch.nn.functional, self.hidden
        if state is None:
            zeros = x.new_zeros(self.layers, x.shape[1], H, dtype=torch.float32)
            state = (zeros, zeros.clone()) if self.kind == "lstm" else zeros
        hs, cs = [], []
        for l in range(self.layers):
            a = F.layer_norm(x @ self.w_ih[l].t(), (self.w_ih[l].shape[0],), self.g_ih[l], self.b_ih[l])  # [T, B, G·H], the window at once
            h = state[0][l] if self.kind == "lstm" else state[l]
            c = state[1][l] if self.kind == "lstm" else None
            out = []
            for t in range(x.shape[0]):
                p = F.layer_norm(h @ self.w_hh[l].t(), (self.w_hh[l].shape[0],), self.g_hh[l], self.b_hh[l])
                if self.kind == "lstm":
                    i, f, g, o = (a[t] + p).chunk(4, 1)
                    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                    h = torch.sigmoid(o) * torch.tanh(F.layer_norm(c, (H,), self.g_c[l], self.b_c[l]))
                else:
                    ar, az, an = a[t].chunk(3, 1)
                    pr, pz, pn = p.chunk(3, 1)
                    r, z = torch.sigmoid(ar + pr), torch.sigmoid(az + pz)
                    h = (1 - z) * torch.tanh(an + r * pn) + z * h
                out.append(h)
            x = torch.stack(out)
            hs.append(h)
            cs.append(c)
        return x, ((torch.stack(hs), torch.stack(cs)) if self.kind == "lstm" else torch.stack(hs))


class HoistedLeakyStack(LeakyLayerStack):
    """The CTRNN/additive reference, written as fast as eager PyTorch allows for the bench: the input
    projection of the whole window is one product and α is computed once per layer (the fixture
    module does both inside its time loop); the additive input form, with no recurrent weights, is a
    cumulative sum over time. Same parameters, same equations as LeakyLayerStack."""

    def forward(self, x, h0):
        finals = []
        for l in range(self.layers):
            a_in = x @ getattr(self, f"weight_ih_l{l}").T + getattr(self, f"bias_ih_l{l}")  # [T, B, H]
            h = h0[l]
            if not self.recurrent:
                x = h + torch.cumsum(torch.tanh(a_in), dim=0)
                finals.append(x[-1])
                continue
            w_hh, b_hh = getattr(self, f"weight_hh_l{l}"), getattr(self, f"bias_hh_l{l}")
            alpha = self.alpha(l) if self.kind == "ctrnn" else None
            outs = []
            for t in range(x.shape[0]):
                a = a_in[t] + h @ w_hh.T + b_hh
                if self.kind == "ctrnn":
                    f = torch.relu(a) if self.nonlinearity == "relu" else torch.tanh(a)
                    h = (1 - alpha) * h + alpha * f
                else:
                    h = h + torch.tanh(a)
                outs.append(h)
            x = torch.stack(outs)
            finals.append(h)
        return x, torch.stack(finals)


class CharModel(torch.nn.Module):
    def __init__(self, cell, vocab, hidden, layers, variant="loop", options=None):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, vocab)
        self.embed.weight.data = torch.eye(vocab)
        self.embed.weight.requires_grad_(False)
        self.minimal = cell in ("mingru", "minlstm")
        if cell in ("ctrnn", "additive"):
            o = options or {}
            self.rnn = HoistedLeakyStack(cell, vocab, layers, tau=o.get("tau", 4.0), dt=o.get("dt", 1.0), learn_tau=o.get("learnTau", False),
                                       form=o.get("additiveForm", "input"), hidden=hidden)
            self.hidden = hidden
        elif self.minimal:
            self.rnn = (LogSpaceMinimalRnn if variant == "logspace" else MinimalRnn)(cell, vocab, hidden, layers)
            for p in self.rnn.parameters():
                torch.nn.init.uniform_(p, -hidden ** -0.5, hidden ** -0.5)
        elif (options or {}).get("norm") == "layer":
            self.rnn = LayerNormStack(cell, vocab, hidden, layers)  # PyTorch has no layer-normalised LSTM or GRU
        else:
            rnn = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
            if cell == "gru" and (options or {}).get("gruReset") == "before":
                rnn = GRUResetBefore  # nn.GRU has no reset-before form
            self.rnn = rnn(vocab, hidden, layers)
        self.head = torch.nn.Linear(hidden, vocab)

    def forward(self, x, state):
        if self.minimal and state is None:
            state = x.new_zeros(self.rnn.layers, x.shape[1], self.rnn.hidden, dtype=torch.float32)
        if isinstance(self.rnn, LeakyLayerStack) and state is None:
            state = torch.zeros(self.rnn.layers, x.shape[1], self.hidden)
        y, state = self.rnn(self.embed(x), state)
        return self.head(y), state


def detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def train_rate(data, vocab, cfg, seconds, variant="loop"):
    torch.manual_seed(1)
    model = CharModel(cfg["cell"], vocab, cfg["hidden"], cfg["layers"], variant, cfg.get("options"))
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
            # minGRU / minLSTM: the step loop over the same maths, and the paper's log-space scan
            variants = ["loop", "logspace"] if cfg["cell"] in ("mingru", "minlstm") and not cfg.get("sample") else ["loop"]
            for variant in variants:
                rate = sample_rate(len(chars), cfg, seconds) if cfg.get("sample") else train_rate(data, len(chars), cfg, seconds, variant)
                print(json.dumps({"name": cfg["name"], "variant": variant, "torch_threads": threads, "blas_threads": blas, "chars_per_s": rate}), flush=True)


if __name__ == "__main__":
    main()
