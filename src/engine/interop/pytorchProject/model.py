"""An RNN Lab character model (or classifier or tagger) in PyTorch, and RNN Lab's checkpoint format read and written by hand.

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
FORMAT_VERSION = 2  # the newest checkpoint format this reads (src/engine/files/checkpoint.ts)


def format_version(spec):
    """1 where an RNN Lab from before the newer cells reads the spec right (LSTM, GRU with reset after,
    RNN and their first options), else 2, which such a reader refuses instead of misreading."""
    if spec["cell"] not in ("lstm", "gru", "rnn"):
        return 2
    first = {"cell", "nonlinearity", "layers", "hidden", "embed", "vocabSize", "peephole", "coupled", "residual"}
    same = {"gruReset": "after", "norm": "none"}
    return 1 if all(k in first or v is None or v is False or same.get(k) == v for k, v in spec.items()) else 2
_DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16}


class GRUResetBefore(nn.Module):
    """TensorFlow's GRU (Keras reset_after=False, ONNX linear_before_reset=0): the reset gate scales h
    before the candidate's recurrent product. nn.GRU's parameter names, shapes and gate order (r, z, n):

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)      z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)    h' = (1 - z) * n + z * h

    Time-major like nn.GRU: forward(x [T, B, in], h0 [L, B, H] or None) -> (y [T, B, H], hn [L, B, H]).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, dropout=0.0):
        super().__init__()
        self.hidden_size, self.num_layers, self.dropout = hidden_size, num_layers, dropout
        H = hidden_size
        for layer in range(num_layers):
            width = input_size if layer == 0 else H
            setattr(self, f"weight_ih_l{layer}", nn.Parameter(torch.empty(3 * H, width)))
            setattr(self, f"weight_hh_l{layer}", nn.Parameter(torch.empty(3 * H, H)))
            setattr(self, f"bias_ih_l{layer}", nn.Parameter(torch.empty(3 * H)))
            setattr(self, f"bias_hh_l{layer}", nn.Parameter(torch.empty(3 * H)))
        for p in self.parameters():
            nn.init.uniform_(p, -H ** -0.5, H ** -0.5)

    def forward(self, x, h0=None):
        H = self.hidden_size
        if h0 is None:
            h0 = x.new_zeros(self.num_layers, x.shape[1], H)
        finals = []
        for layer in range(self.num_layers):
            if layer > 0 and self.training and self.dropout > 0:
                x = F.dropout(x, self.dropout)  # between layers, as nn.GRU
            w_ih, w_hh = getattr(self, f"weight_ih_l{layer}"), getattr(self, f"weight_hh_l{layer}")
            b_ih, b_hh = getattr(self, f"bias_ih_l{layer}"), getattr(self, f"bias_hh_l{layer}")
            xi = F.linear(x, w_ih, b_ih)  # [T, B, 3H], the input side of every step at once
            w_rz, b_rz, w_n, b_n = w_hh[:2 * H], b_hh[:2 * H], w_hh[2 * H:], b_hh[2 * H:]
            h, outputs = h0[layer], []
            for t in range(x.shape[0]):
                rz = torch.sigmoid(xi[t, :, :2 * H] + F.linear(h, w_rz, b_rz))
                r, z = rz[:, :H], rz[:, H:]
                n = torch.tanh(xi[t, :, 2 * H:] + F.linear(r * h, w_n, b_n))
                h = (1 - z) * n + z * h
                outputs.append(h)
            x = torch.stack(outputs)
            finals.append(h)
        return x, torch.stack(finals)


class LayerNormRNN(nn.Module):
    """Layer-normalised LSTM or GRU layers (Ba, Kiros & Hinton 2016), as RNN Lab computes them.
    LN(v; g, b) = g * (v - mean) / sqrt(var + 1e-5) + b over the G*H gate rows of one stream (G = 4 LSTM, 3 GRU):

        a = LN(W_ih x; ln_ih_gain, ln_ih_bias)      p = LN(W_hh h; ln_hh_gain, ln_hh_bias)   (no b_ih, b_hh)
        LSTM: i, f, g, o = sigma, sigma, tanh, sigma of (a + p);  c' = f*c + i*g;  h' = o * tanh(LN(c'; ln_c_gain, ln_c_bias))
        GRU:  r = sigma(a_r + p_r);  z = sigma(a_z + p_z);  n = tanh(a_n + r * p_n);  h' = (1 - z) * n + z * h

    Time-major like nn.LSTM / nn.GRU: forward(x [T, B, in], state) -> (y [T, B, H], state), the state
    (h [L, B, H], c [L, B, H]) for the LSTM and h [L, B, H] for the GRU.
    """

    def __init__(self, kind, input_size, hidden_size, num_layers=1, dropout=0.0):
        super().__init__()
        self.kind, self.hidden_size, self.num_layers, self.dropout = kind, hidden_size, num_layers, dropout
        H, G = hidden_size, 4 if kind == "lstm" else 3
        for layer in range(num_layers):
            width = input_size if layer == 0 else H
            setattr(self, f"weight_ih_l{layer}", nn.Parameter(torch.empty(G * H, width).uniform_(-H ** -0.5, H ** -0.5)))
            setattr(self, f"weight_hh_l{layer}", nn.Parameter(torch.empty(G * H, H).uniform_(-H ** -0.5, H ** -0.5)))
            for part, width in (("ih", G * H), ("hh", G * H)) + ((("c", H),) if kind == "lstm" else ()):
                setattr(self, f"ln_{part}_gain_l{layer}", nn.Parameter(torch.ones(width)))
                setattr(self, f"ln_{part}_bias_l{layer}", nn.Parameter(torch.zeros(width)))

    def forward(self, x, state=None):
        H, lstm = self.hidden_size, self.kind == "lstm"
        zeros = x.new_zeros(self.num_layers, x.shape[1], H)
        h0, c0 = (state if state is not None else (zeros, zeros)) if lstm else (state if state is not None else zeros, None)
        hs, cs = [], []
        for layer in range(self.num_layers):
            if layer > 0 and self.training and self.dropout > 0:
                x = F.dropout(x, self.dropout)  # between layers, as nn.LSTM
            p = lambda name: getattr(self, f"{name}_l{layer}")
            ln = lambda v, part: F.layer_norm(v, v.shape[-1:], p(f"ln_{part}_gain"), p(f"ln_{part}_bias"), 1e-5)
            xi = ln(F.linear(x, p("weight_ih")), "ih")  # [T, B, G*H]: each step's row normalised on its own
            h, c, outputs = h0[layer], (c0[layer] if lstm else None), []
            for t in range(x.shape[0]):
                q = ln(F.linear(h, p("weight_hh")), "hh")
                if lstm:
                    s = xi[t] + q
                    i, f, g, o = torch.sigmoid(s[:, :H]), torch.sigmoid(s[:, H:2 * H]), torch.tanh(s[:, 2 * H:3 * H]), torch.sigmoid(s[:, 3 * H:])
                    c = f * c + i * g
                    h = o * torch.tanh(ln(c, "c"))
                else:
                    r = torch.sigmoid(xi[t, :, :H] + q[:, :H])
                    z = torch.sigmoid(xi[t, :, H:2 * H] + q[:, H:2 * H])
                    n = torch.tanh(xi[t, :, 2 * H:] + r * q[:, 2 * H:])
                    h = (1 - z) * n + z * h
                outputs.append(h)
            x = torch.stack(outputs)
            hs.append(h)
            cs.append(c)
        return (x, (torch.stack(hs), torch.stack(cs))) if lstm else (x, torch.stack(hs))


class _MinimalRnn(nn.Module):
    """minGRU / minLSTM layers (Feng et al. 2024, "Were RNNs all we needed?"), as nn.GRU is called:
    x [T, B, in], h0 [layers, B, H] or None → (y [T, B, H], h_n [layers, B, H]). The gates read only
    the input, so each layer computes all of them for the window in one product; the recurrence
    h_t = a_t * h_{t-1} + b_t is then a loop of one multiply-add per step. Each layer's weight is
    weight_ih_l{k} [gates*H, in] with bias_ih_l{k} (RNN Lab's tensor names), gate blocks in order."""

    gates = 0

    def __init__(self, input_size, hidden_size, num_layers=1, dropout=0.0):
        super().__init__()
        self.hidden_size, self.num_layers, self.dropout = hidden_size, num_layers, dropout
        bound = hidden_size ** -0.5
        for k in range(num_layers):
            width = input_size if k == 0 else hidden_size
            setattr(self, f"weight_ih_l{k}", nn.Parameter(torch.empty(self.gates * hidden_size, width).uniform_(-bound, bound)))
            setattr(self, f"bias_ih_l{k}", nn.Parameter(torch.empty(self.gates * hidden_size).uniform_(-bound, bound)))

    def coefficients(self, pre):
        raise NotImplementedError

    def forward(self, x, h0=None):
        if h0 is None:
            h0 = x.new_zeros(self.num_layers, x.shape[1], self.hidden_size)
        finals = []
        for k in range(self.num_layers):
            if k > 0 and self.training and self.dropout > 0:
                x = F.dropout(x, self.dropout)
            a, b = self.coefficients(F.linear(x, getattr(self, f"weight_ih_l{k}"), getattr(self, f"bias_ih_l{k}")))
            h, ys = h0[k], []
            for t in range(x.shape[0]):
                h = a[t] * h + b[t]
                ys.append(h)
            x = torch.stack(ys)
            finals.append(h)
        return x, torch.stack(finals)


class LeakyStack(nn.Module):
    """RNN Lab's continuous-time RNN ("ctrnn") or additive recurrence ("additive"), nn.RNN's names.

    ctrnn:    a = W_ih x + b_ih + W_hh h + b_hh,  h' = (1 - α) h + α f(a),  α = dt / τ per unit;
              τ fixed, or learned: τ = dt + softplus(tau_rho_l{k}) (always above dt).
    additive: h' = h + tanh(W_ih x + b_ih)                       (spec additiveForm "input")
              h' = h + tanh(W_ih x + b_ih + W_hh h + b_hh)       ("state")
    Time-major x [T, B, in]; state [layers, B, H]; returns (output [T, B, H], final state).
    """

    def __init__(self, spec, input_size, dropout=0.0):
        super().__init__()
        H, L = spec["hidden"], spec["layers"]
        self.kind, self.layers, self.dropout = spec["cell"], L, dropout
        self.relu = spec.get("nonlinearity") == "relu"
        self.tau, self.dt, self.learn_tau = float(spec.get("tau", 4)), float(spec.get("dt", 1)), bool(spec.get("learnTau", False))
        self.recurrent = self.kind == "ctrnn" or spec.get("additiveForm", "input") == "state"
        bound = 1.0 / H ** 0.5  # nn.RNN's initialisation
        for k in range(L):
            width = input_size if k == 0 else H
            self.register_parameter(f"weight_ih_l{k}", nn.Parameter(torch.empty(H, width).uniform_(-bound, bound)))
            if self.recurrent:
                self.register_parameter(f"weight_hh_l{k}", nn.Parameter(torch.empty(H, H).uniform_(-bound, bound)))
            self.register_parameter(f"bias_ih_l{k}", nn.Parameter(torch.empty(H).uniform_(-bound, bound)))
            if self.recurrent:
                self.register_parameter(f"bias_hh_l{k}", nn.Parameter(torch.empty(H).uniform_(-bound, bound)))
            if self.kind == "ctrnn" and self.learn_tau:
                rho = torch.full((H,), float(torch.log(torch.expm1(torch.tensor(self.tau - self.dt)))))
                self.register_parameter(f"tau_rho_l{k}", nn.Parameter(rho))
        self.hidden = H

    def forward(self, x, state=None):
        T, B = x.shape[0], x.shape[1]
        if state is None:
            state = x.new_zeros(self.layers, B, self.hidden)
        finals = []
        for k in range(self.layers):
            if k > 0 and self.dropout > 0 and self.training:
                x = F.dropout(x, self.dropout)
            a_in = F.linear(x, getattr(self, f"weight_ih_l{k}"), getattr(self, f"bias_ih_l{k}"))  # [T, B, H]
            if self.kind == "ctrnn":
                alpha = self.dt / (self.dt + F.softplus(getattr(self, f"tau_rho_l{k}"))) if self.learn_tau else self.dt / self.tau
            h, outs = state[k], []
            for t in range(T):
                a = a_in[t]
                if self.recurrent:
                    a = a + F.linear(h, getattr(self, f"weight_hh_l{k}"), getattr(self, f"bias_hh_l{k}"))
                if self.kind == "ctrnn":
                    h = h + alpha * ((torch.relu(a) if self.relu else torch.tanh(a)) - h)
                else:
                    h = h + torch.tanh(a)
                outs.append(h)
            x = torch.stack(outs)
            finals.append(h)
        return x, torch.stack(finals)


class MinGRU(_MinimalRnn):
    """z = sigmoid(W_z x + b_z), h~ = W_h x + b_h, h = (1 - z) * h + z * h~."""

    gates = 2

    def coefficients(self, pre):
        z_pre, candidate = pre.chunk(2, dim=-1)
        z = torch.sigmoid(z_pre)
        return 1 - z, z * candidate


class MinLSTM(_MinimalRnn):
    """f = sigmoid(W_f x + b_f), i = sigmoid(W_i x + b_i), h~ = W_h x + b_h, h = f/(f+i) * h + i/(f+i) * h~."""

    gates = 3

    def coefficients(self, pre):
        f_pre, i_pre, candidate = pre.chunk(3, dim=-1)
        f, i = torch.sigmoid(f_pre), torch.sigmoid(i_pre)
        return f / (f + i), i / (f + i) * candidate


class BatchNormRNN(nn.Module):
    """Recurrently batch-normalised LSTM or GRU layers (Cooijmans, Ballas, Laurent, Gulcehre & Courville 2016),
    as RNN Lab computes them (docs/cells.md). BN_t(v; g, b) = g * (v - mu_t) / sqrt(var_t + 1e-5) + b per
    column over the B streams at step t (the step within the window passed to forward):

        a = BN_t(W_ih x; bn_ih_gain, bn_ih_bias)      p = BN_t(W_hh h; bn_hh_gain, bn_hh_bias)   (no b_ih, b_hh)
        LSTM: i, f, g, o = sigma, sigma, tanh, sigma of (a + p);  c' = f*c + i*g;  h' = o * tanh(BN_t(c'; bn_c_gain, bn_c_bias))
        GRU:  r = sigma(a_r + p_r);  z = sigma(a_z + p_z);  n = tanh(a_n + r * p_n);  h' = (1 - z) * n + z * h

    Training uses the batch's statistics (biased variance) and moves row t of the running averages
    (buffers bn_{ih,hh,c}_running_{mean,var}_l{l} [STEPS, width]) with momentum 0.1 and the unbiased
    variance, as torch.nn.BatchNorm1d; steps t >= STEPS update nothing. bn_steps_seen [1] counts the
    steps training reached; evaluation at step t uses row min(t, seen - 1) (seen = 0: the last row).
    Time-major like nn.LSTM / nn.GRU: forward(x [T, B, in], state) -> (y [T, B, H], state).
    """

    STEPS = 256  # RNN Lab's BATCH_NORM_STEPS

    def __init__(self, kind, input_size, hidden_size, num_layers=1, dropout=0.0):
        super().__init__()
        self.kind, self.hidden_size, self.num_layers, self.dropout = kind, hidden_size, num_layers, dropout
        H, G, N = hidden_size, 4 if kind == "lstm" else 3, self.STEPS
        self.register_buffer("bn_steps_seen", torch.zeros(1))
        for layer in range(num_layers):
            width = input_size if layer == 0 else H
            setattr(self, f"weight_ih_l{layer}", nn.Parameter(torch.empty(G * H, width).uniform_(-H ** -0.5, H ** -0.5)))
            setattr(self, f"weight_hh_l{layer}", nn.Parameter(torch.empty(G * H, H).uniform_(-H ** -0.5, H ** -0.5)))
            for part, width in (("ih", G * H), ("hh", G * H)) + ((("c", H),) if kind == "lstm" else ()):
                setattr(self, f"bn_{part}_gain_l{layer}", nn.Parameter(torch.full((width,), 0.1)))  # the paper's 0.1
                setattr(self, f"bn_{part}_bias_l{layer}", nn.Parameter(torch.zeros(width)))
                self.register_buffer(f"bn_{part}_running_mean_l{layer}", torch.zeros(N, width))
                self.register_buffer(f"bn_{part}_running_var_l{layer}", torch.ones(N, width))

    def forward(self, x, state=None):
        H, lstm, N, T = self.hidden_size, self.kind == "lstm", self.STEPS, x.shape[0]
        zeros = x.new_zeros(self.num_layers, x.shape[1], H)
        h0, c0 = (state if state is not None else (zeros, zeros)) if lstm else (state if state is not None else zeros, None)
        seen = int(self.bn_steps_seen.item())
        last = (min(seen, N) if seen > 0 else N) - 1
        hs, cs = [], []
        for layer in range(self.num_layers):
            if layer > 0 and self.training and self.dropout > 0:
                x = F.dropout(x, self.dropout)  # between layers, as nn.LSTM
            p = lambda name: getattr(self, f"{name}_l{layer}")

            def bn(v, part, t):  # v [B, width] at step t
                mean, var = p(f"bn_{part}_running_mean"), p(f"bn_{part}_running_var")
                if self.training:  # the batch's statistics; row t of the averages moves (in place) when t < N
                    row = (mean[t], var[t]) if t < N else (None, None)
                    return F.batch_norm(v, row[0], row[1], p(f"bn_{part}_gain"), p(f"bn_{part}_bias"), True, 0.1, 1e-5)
                s = min(t, last)
                return F.batch_norm(v, mean[s], var[s], p(f"bn_{part}_gain"), p(f"bn_{part}_bias"), False, 0.0, 1e-5)

            xw = F.linear(x, p("weight_ih"))  # [T, B, G*H]
            h, c, outputs = h0[layer], (c0[layer] if lstm else None), []
            for t in range(T):
                a, q = bn(xw[t], "ih", t), bn(F.linear(h, p("weight_hh")), "hh", t)
                if lstm:
                    s = a + q
                    i, f, g, o = torch.sigmoid(s[:, :H]), torch.sigmoid(s[:, H:2 * H]), torch.tanh(s[:, 2 * H:3 * H]), torch.sigmoid(s[:, 3 * H:])
                    c = f * c + i * g
                    h = o * torch.tanh(bn(c, "c", t))
                else:
                    r = torch.sigmoid(a[:, :H] + q[:, :H])
                    z = torch.sigmoid(a[:, H:2 * H] + q[:, H:2 * H])
                    n = torch.tanh(a[:, 2 * H:] + r * q[:, 2 * H:])
                    h = (1 - z) * n + z * h
                outputs.append(h)
            x = torch.stack(outputs)
            hs.append(h)
            cs.append(c)
        if self.training:
            self.bn_steps_seen.fill_(max(seen, min(T, N)))
        return (x, (torch.stack(hs), torch.stack(cs))) if lstm else (x, torch.stack(hs))


class CharModel(nn.Module):
    """Embedding (or one-hot input) → nn.LSTM / nn.GRU / nn.RNN / GRUResetBefore / LayerNormRNN / BatchNormRNN / MinGRU / MinLSTM (or LeakyStack) → nn.Linear."""

    def __init__(self, spec, dropout=0.0):
        super().__init__()
        for option in ("peephole", "coupled", "residual"):
            if spec.get(option):
                raise ValueError(f"{option} models have no nn.LSTM counterpart; train them in RNN Lab")
        self.spec = spec
        V, H, L, E = spec["vocabSize"], spec["hidden"], spec["layers"], spec["embed"]
        if E > 0:
            self.embed = nn.Embedding(V, E)
        if spec["cell"] in ("ctrnn", "additive"):
            self.rnn = LeakyStack(spec, E if E > 0 else V, dropout=dropout if L > 1 else 0.0)
        elif spec.get("norm", "none") == "layer":
            self.rnn = LayerNormRNN(spec["cell"], E if E > 0 else V, H, L, dropout=dropout if L > 1 else 0.0)
        elif spec.get("norm", "none") == "batch":
            self.rnn = BatchNormRNN(spec["cell"], E if E > 0 else V, H, L, dropout=dropout if L > 1 else 0.0)
        else:
            cell = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN, "mingru": MinGRU, "minlstm": MinLSTM}[spec["cell"]]
            if spec["cell"] == "gru" and spec.get("gruReset", "after") == "before":
                cell = GRUResetBefore
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


class TaskModel(nn.Module):
    """A classifier or tagger: nn.Embedding (or one-hot) → nn.LSTM / nn.GRU / nn.RNN, one or two
    directions (bidirectional=True) → the classifier's pooling over each sequence's real steps
    (last: the forward state after the last character ⧺ the backward state after the first, PyTorch's
    h_n; masked mean; masked max) or the tagger's every step → nn.Linear to the classes or tags."""

    def __init__(self, spec, pool, dropout=0.0):
        super().__init__()
        for option in ("peephole", "coupled", "residual", "crf"):
            if spec.get(option):
                raise ValueError(f"a {option} model is not in this project; train it in RNN Lab")
        if spec["cell"] not in ("lstm", "gru", "rnn") or spec.get("gruReset", "after") == "before":
            raise ValueError(f"a {spec['cell']} classifier or tagger is not in this project (nn.LSTM, nn.GRU and nn.RNN are)")
        self.spec, self.pool = spec, pool  # pool: "last" | "mean" | "max", or None for a tagger
        V, H, L, E = spec["vocabSize"], spec["hidden"], spec["layers"], spec["embed"]
        self.directions = 2 if spec.get("bidirectional") else 1
        if E > 0:
            self.embed = nn.Embedding(V, E)
        cell = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[spec["cell"]]
        extra = {"nonlinearity": spec["nonlinearity"]} if spec["cell"] == "rnn" else {}
        self.rnn = cell(E if E > 0 else V, H, L, dropout=dropout if L > 1 else 0.0, bidirectional=self.directions == 2, **extra)
        self.head = nn.Linear(self.directions * H, spec.get("outputs", V))

    def forward(self, ids, lengths):
        """ids [T, B] (padding anywhere past each length), lengths [B] → logits [B, O] or [T, B, O]."""
        x = self.embed(ids) if self.spec["embed"] > 0 else F.one_hot(ids, self.spec["vocabSize"]).to(self.head.weight.dtype)
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), enforce_sorted=False)
        out, h = self.rnn(packed)
        y = nn.utils.rnn.pad_packed_sequence(out, total_length=ids.shape[0])[0]  # [T, B, D·H], zero past each length
        if self.pool is None:
            return self.head(y)
        if self.pool == "last":
            h_n = (h[0] if isinstance(h, tuple) else h)[-self.directions:]  # the last layer's directions [D, B, H]
            return self.head(torch.cat(list(h_n), 1))
        mask = (torch.arange(ids.shape[0], device=ids.device).unsqueeze(1) < lengths.to(ids.device).unsqueeze(0)).unsqueeze(2)  # [T, B, 1]
        if self.pool == "mean":
            return self.head(y.sum(0) / lengths.to(y.device, y.dtype).unsqueeze(1))
        return self.head(y.masked_fill(~mask, float("-inf")).max(0).values)


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


def save_checkpoint(path, model, vocab_json, extra_metadata=None, task=None):
    """Writes model weights in RNN Lab's format (atomically: a crash leaves the old file whole); `task`:
    a classifier's or tagger's task entry (its classes or tags, pooling, length cap), kept as read."""
    metadata = {"format": FORMAT, "format_version": str(format_version(model.spec)),
                "model": json.dumps(model.spec), "vocab": json.dumps(vocab_json)}
    if task is not None:
        metadata["task"] = task
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
