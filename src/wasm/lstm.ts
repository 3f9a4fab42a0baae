// LSTM pointwise step, forward and backward, over one timestep of the batch.
// Shapes (row-major, B = batch rows, H = hidden units, gate order i, f, g, o as in PyTorch):
//   G[B, 4H]  in: pre-activations (x·W_ih + h·W_hh + b_ih + b_hh); out: activations i, f, g, o
//   cPrev, c, tanhC, h: [B, H]
// Options: peepholes (i and f see c_{t-1}, o sees c_t, through diagonal weights pI, pF, pO) and
// a coupled input–forget gate (f = 1 − i; the f rows of the weights are then unused).

import { at } from "./arena";
import { sigmoid, sigmoidSimd, tanhSimd, tanhr } from "./mathx";

// The LSTM in the cell table (cells.ts): 4 gates, carries h and c, keeps tanh(c) per step, its
// recurrent product goes into the gates (b_hh folded in), no direct path to h_{t−1}; its own tensors
// are the three peephole vectors when FLAG_PEEPHOLE is set.
export const LSTM_GATES = 4;
export const LSTM_STATES = 2;
export const LSTM_AUX = 1;
export const LSTM_RECURRENT = 0; // RECURRENT_INTO_GATES
export const LSTM_DIRECT_PATH = 0;

export function lstmForwardStep(G: usize, cPrev: usize, c: usize, tanhC: usize, h: usize, B: i32, H: i32,
                                pI: usize, pF: usize, pO: usize, coupled: bool): void {
  const GH = 4 * H;
  for (let b = 0; b < B; b++) {
    const g = at(G, b * GH);
    const row = b * H;
    let j = 0;
    if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
      const one = f32x4.splat(1);
      for (; j + 4 <= H; j += 4) {
        const cp = v128.load(at(cPrev, row + j));
        let iPre = v128.load(at(g, j));
        let fPre = v128.load(at(g, H + j));
        if (pI != 0) {
          iPre = f32x4.add(iPre, f32x4.mul(v128.load(at(pI, j)), cp));
          fPre = f32x4.add(fPre, f32x4.mul(v128.load(at(pF, j)), cp));
        }
        const i = sigmoidSimd(iPre);
        const f = coupled ? f32x4.sub(one, i) : sigmoidSimd(fPre);
        const gg = tanhSimd(v128.load(at(g, 2 * H + j)));
        const cc = f32x4.add(f32x4.mul(f, cp), f32x4.mul(i, gg));
        let oPre = v128.load(at(g, 3 * H + j));
        if (pO != 0) oPre = f32x4.add(oPre, f32x4.mul(v128.load(at(pO, j)), cc));
        const o = sigmoidSimd(oPre);
        const tc = tanhSimd(cc);
        v128.store(at(g, j), i);
        v128.store(at(g, H + j), f);
        v128.store(at(g, 2 * H + j), gg);
        v128.store(at(g, 3 * H + j), o);
        v128.store(at(c, row + j), cc);
        v128.store(at(tanhC, row + j), tc);
        v128.store(at(h, row + j), f32x4.mul(o, tc));
      }
    }
    for (; j < H; j++) {
      const cp = load<real>(at(cPrev, row + j));
      let iPre = load<real>(at(g, j));
      let fPre = load<real>(at(g, H + j));
      if (pI != 0) {
        iPre += load<real>(at(pI, j)) * cp;
        fPre += load<real>(at(pF, j)) * cp;
      }
      const i = sigmoid(iPre);
      const f = coupled ? <real>1 - i : sigmoid(fPre);
      const gg = tanhr(load<real>(at(g, 2 * H + j)));
      const cc = f * cp + i * gg;
      let oPre = load<real>(at(g, 3 * H + j));
      if (pO != 0) oPre += load<real>(at(pO, j)) * cc;
      const o = sigmoid(oPre);
      const tc = tanhr(cc);
      store<real>(at(g, j), i);
      store<real>(at(g, H + j), f);
      store<real>(at(g, 2 * H + j), gg);
      store<real>(at(g, 3 * H + j), o);
      store<real>(at(c, row + j), cc);
      store<real>(at(tanhC, row + j), tc);
      store<real>(at(h, row + j), o * tc);
    }
  }
}

/**
 * dh: ∂L/∂h_t [B, H] (from above and from step t+1); dc: in ∂L/∂c_t carried from step t+1, out ∂L/∂c_{t-1}.
 * Writes dG[B, 4H] = ∂L/∂(pre-activations); adds peephole gradients into gPI, gPF, gPO.
 */
export function lstmBackwardStep(G: usize, cPrev: usize, tanhC: usize, dh: usize, dc: usize, dG: usize, B: i32, H: i32,
                                 pI: usize, pF: usize, pO: usize, gPI: usize, gPF: usize, gPO: usize, coupled: bool): void {
  const GH = 4 * H;
  for (let b = 0; b < B; b++) {
    const g = at(G, b * GH);
    const d = at(dG, b * GH);
    const row = b * H;
    let j = 0;
    if (sizeof<real>() == 4 && ASC_FEATURE_SIMD) {
      if (pI != 0 && pO != 0) {
        // With peepholes (the cell table gives all three or none): the same expressions in the same
        // order as the scalar loop, lane by lane; the peepholes' gradients are sums over the batch,
        // one row b at a time, so each lane j adds in the scalar loop's order.
        const one = f32x4.splat(1), zero = f32x4.splat(0);
        for (; j + 4 <= H; j += 4) {
          const i = v128.load(at(g, j)), f = v128.load(at(g, H + j));
          const gg = v128.load(at(g, 2 * H + j)), o = v128.load(at(g, 3 * H + j));
          const tc = v128.load(at(tanhC, row + j)), cp = v128.load(at(cPrev, row + j));
          const dhj = v128.load(at(dh, row + j));
          const doPre = f32x4.mul(f32x4.mul(f32x4.mul(dhj, tc), o), f32x4.sub(one, o));
          let dcj = f32x4.add(v128.load(at(dc, row + j)), f32x4.mul(f32x4.mul(dhj, o), f32x4.sub(one, f32x4.mul(tc, tc))));
          dcj = f32x4.add(dcj, f32x4.mul(doPre, v128.load(at(pO, j))));
          const cc = f32x4.add(f32x4.mul(f, cp), f32x4.mul(i, gg)); // c_t, as the forward step formed it
          v128.store(at(gPO, j), f32x4.add(v128.load(at(gPO, j)), f32x4.mul(doPre, cc)));
          const dgPre = f32x4.mul(f32x4.mul(dcj, i), f32x4.sub(one, f32x4.mul(gg, gg)));
          const diPre = coupled
            ? f32x4.mul(f32x4.mul(f32x4.mul(dcj, f32x4.sub(gg, cp)), i), f32x4.sub(one, i))
            : f32x4.mul(f32x4.mul(f32x4.mul(dcj, gg), i), f32x4.sub(one, i));
          const dfPre = coupled ? zero : f32x4.mul(f32x4.mul(f32x4.mul(dcj, cp), f), f32x4.sub(one, f));
          const dcPrev = f32x4.add(f32x4.mul(dcj, f), f32x4.add(f32x4.mul(diPre, v128.load(at(pI, j))), f32x4.mul(dfPre, v128.load(at(pF, j)))));
          v128.store(at(gPI, j), f32x4.add(v128.load(at(gPI, j)), f32x4.mul(diPre, cp)));
          v128.store(at(gPF, j), f32x4.add(v128.load(at(gPF, j)), f32x4.mul(dfPre, cp)));
          v128.store(at(d, j), diPre);
          v128.store(at(d, H + j), dfPre);
          v128.store(at(d, 2 * H + j), dgPre);
          v128.store(at(d, 3 * H + j), doPre);
          v128.store(at(dc, row + j), dcPrev);
        }
      } else if (pI == 0 && pO == 0) {
        const one = f32x4.splat(1), zero = f32x4.splat(0);
        for (; j + 4 <= H; j += 4) {
          const i = v128.load(at(g, j)), f = v128.load(at(g, H + j));
          const gg = v128.load(at(g, 2 * H + j)), o = v128.load(at(g, 3 * H + j));
          const tc = v128.load(at(tanhC, row + j)), cp = v128.load(at(cPrev, row + j));
          const dhj = v128.load(at(dh, row + j));
          const doPre = f32x4.mul(f32x4.mul(dhj, tc), f32x4.mul(o, f32x4.sub(one, o)));
          const dcj = f32x4.add(v128.load(at(dc, row + j)), f32x4.mul(f32x4.mul(dhj, o), f32x4.sub(one, f32x4.mul(tc, tc))));
          const dgPre = f32x4.mul(f32x4.mul(dcj, i), f32x4.sub(one, f32x4.mul(gg, gg)));
          const di = f32x4.mul(i, f32x4.sub(one, i));
          const diPre = coupled ? f32x4.mul(f32x4.mul(dcj, f32x4.sub(gg, cp)), di) : f32x4.mul(f32x4.mul(dcj, gg), di);
          const dfPre = coupled ? zero : f32x4.mul(f32x4.mul(dcj, cp), f32x4.mul(f, f32x4.sub(one, f)));
          v128.store(at(d, j), diPre);
          v128.store(at(d, H + j), dfPre);
          v128.store(at(d, 2 * H + j), dgPre);
          v128.store(at(d, 3 * H + j), doPre);
          v128.store(at(dc, row + j), f32x4.mul(dcj, f));
        }
      }
    }
    for (; j < H; j++) {
      const i = load<real>(at(g, j));
      const f = load<real>(at(g, H + j));
      const gg = load<real>(at(g, 2 * H + j));
      const o = load<real>(at(g, 3 * H + j));
      const tc = load<real>(at(tanhC, row + j));
      const cp = load<real>(at(cPrev, row + j));
      const dhj = load<real>(at(dh, row + j));
      const doPre = dhj * tc * o * (<real>1 - o);
      let dcj = load<real>(at(dc, row + j)) + dhj * o * (<real>1 - tc * tc);
      if (pO != 0) {
        dcj += doPre * load<real>(at(pO, j));
        const c = f * cp + i * gg;
        store<real>(at(gPO, j), load<real>(at(gPO, j)) + doPre * c);
      }
      const dgPre = dcj * i * (<real>1 - gg * gg);
      let diPre: real, dfPre: real;
      if (coupled) {
        diPre = dcj * (gg - cp) * i * (<real>1 - i);
        dfPre = 0;
      } else {
        diPre = dcj * gg * i * (<real>1 - i);
        dfPre = dcj * cp * f * (<real>1 - f);
      }
      let dcPrev = dcj * f;
      if (pI != 0) {
        dcPrev += diPre * load<real>(at(pI, j)) + dfPre * load<real>(at(pF, j));
        store<real>(at(gPI, j), load<real>(at(gPI, j)) + diPre * cp);
        store<real>(at(gPF, j), load<real>(at(gPF, j)) + dfPre * cp);
      }
      store<real>(at(d, j), diPre);
      store<real>(at(d, H + j), dfPre);
      store<real>(at(d, 2 * H + j), dgPre);
      store<real>(at(d, 3 * H + j), doPre);
      store<real>(at(dc, row + j), dcPrev);
    }
  }
}
