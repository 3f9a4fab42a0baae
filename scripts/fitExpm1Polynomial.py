# The polynomial of src/wasm/mathx.ts's f32x4 e^r − 1: q of degree 4 in e^r − 1 ≈ r + r²·q(r), chosen
# as the minimax of the relative error of e^r − 1 on |r| ≤ ln2/2 (a linear programme on a dense grid),
# then rounded to f32. Prints the coefficients (q's constant term first) and the error they reach.
# Run with /usr/bin/python3 (numpy, scipy); nothing in the build or the tests needs it.
import numpy as np
from scipy.optimize import linprog

DEGREE = 4
half = np.log(2) / 2
r = np.linspace(-half * 1.002, half * 1.002, 8001)
r = r[np.abs(r) > 1e-9]
f = np.expm1(r) / r  # (e^r − 1)/r ≈ 1 + r·q(r); its relative error is that of e^r − 1
n = DEGREE + 1
A = np.stack([r ** (1 + k) for k in range(n)], 1) / f[:, None]
b = (f - 1) / f
# minimise t subject to |A·c − b| ≤ t
A_ub = np.vstack([np.hstack([A, -np.ones((len(r), 1))]), np.hstack([-A, -np.ones((len(r), 1))])])
res = linprog(np.r_[np.zeros(n), 1], A_ub=A_ub, b_ub=np.concatenate([b, -b]), bounds=[(None, None)] * n + [(0, None)], method="highs")
c32 = res.x[:n].astype(np.float32)
p = r * (1 + r * np.polyval(c32.astype(np.float64)[::-1], r))
print("coefficients (f32):", ", ".join(repr(float(x)) for x in c32))
print("relative error of e^r - 1 with them: %.2e" % np.max(np.abs(p / np.expm1(r) - 1)))
