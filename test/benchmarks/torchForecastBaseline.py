#!/usr/bin/python3
"""PyTorch side of the forecasting benchmark (forecastThroughput.ts): nn.LSTM(D, hidden) + nn.Linear
on windows [L, B, D] from the zero state, direct head (H outputs at the last step), mse_loss, Adam,
clip_grad_norm_(1): the same step the core takes. Prints one JSON line per thread setting:
{"torch_threads", "blas_threads", "steps_per_second"}. argv: seconds hidden lookback batch width horizon threads(,threads)
"""
import json
import os
import sys
import time

seconds, hidden, L, B, D, H = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
blas = int(os.environ.get("OPENBLAS_NUM_THREADS", "1"))
import torch  # after OPENBLAS_NUM_THREADS is read by the caller's environment

torch.manual_seed(1)
series = torch.randn(4000, D)
for threads in [int(t) for t in sys.argv[7].split(",")]:
    torch.set_num_threads(threads)
    rnn, head = torch.nn.LSTM(D, hidden), torch.nn.Linear(hidden, H)
    params = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=3e-3)

    def step():
        origins = torch.randint(L, 4000 - H, (B,)).tolist()
        x = torch.stack([series[o - L:o] for o in origins], dim=1)
        y = torch.stack([series[o:o + H, 0] for o in origins])
        out, _ = rnn(x)
        loss = torch.nn.functional.mse_loss(head(out[-1]), y)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    for _ in range(3):
        step()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        n += 1
    print(json.dumps({"torch_threads": threads, "blas_threads": blas, "steps_per_second": n / (time.perf_counter() - start)}), flush=True)
