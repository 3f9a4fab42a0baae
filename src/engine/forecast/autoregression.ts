// The autoregressive baseline y_t = w_0 + Σ_{k=1..p} w_k y_{t−k} + ε_t, fitted by conditional least
// squares on the training span (the first p values are conditioned on), as statsmodels' AutoReg does,
// with the order chosen by Akaike's criterion on one common sample.

import { leastSquares } from "./leastSquares";

export interface AutoregressiveFit {
  order: number;
  /** [w_0 (intercept), w_1, …, w_p] */
  coefficients: Float64Array;
  /** residual variance, SSR / n (the maximum-likelihood estimate) */
  sigma2: number;
  /** Gaussian log-likelihood of the n fitted values */
  logLikelihood: number;
  /** −2 log L + 2 (p + 2): the p lags, the intercept and the variance */
  aic: number;
  /** number of fitted values, series length − holdBack */
  observations: number;
}

/** Fits order p on series[holdBack..], holdBack ≥ p (statsmodels' hold_back; p by default). */
export function fitAutoregression(series: ArrayLike<number>, order: number, holdBack = order): AutoregressiveFit {
  if (!(Number.isInteger(order) && order >= 0)) throw new RangeError(`an autoregressive order is a whole number ≥ 0, not ${order}`);
  if (holdBack < order) throw new RangeError("holdBack must be at least the order");
  const n = series.length - holdBack;
  const cols = order + 1;
  if (n <= cols) throw new RangeError(`AR(${order}) needs more than ${cols + holdBack} values; the training span has ${series.length}`);
  const x = new Float64Array(n * cols);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = holdBack + i;
    y[i] = series[t];
    x[i * cols] = 1;
    for (let k = 1; k <= order; k++) x[i * cols + k] = series[t - k];
  }
  const coefficients = leastSquares(x, y, n, cols);
  let ssr = 0;
  for (let i = 0; i < n; i++) {
    let fitted = 0;
    for (let c = 0; c < cols; c++) fitted += x[i * cols + c] * coefficients[c];
    ssr += (y[i] - fitted) ** 2;
  }
  const sigma2 = ssr / n;
  const logLikelihood = (-n / 2) * (Math.log(2 * Math.PI) + Math.log(sigma2) + 1);
  return { order, coefficients, sigma2, logLikelihood, aic: -2 * logLikelihood + 2 * (order + 2), observations: n };
}

/** The order in 0..maxOrder with the lowest AIC, every candidate fitted on series[maxOrder..] so their criteria compare. */
export function selectAutoregressiveOrder(series: ArrayLike<number>, maxOrder: number): { order: number; aic: number[] } {
  const aic: number[] = [];
  let best = 0;
  for (let p = 0; p <= maxOrder; p++) {
    aic.push(fitAutoregression(series, p, maxOrder).aic);
    if (aic[p] < aic[best]) best = p;
  }
  return { order: best, aic };
}

/** The next `horizon` values after `history`, each prediction fed back as the next lag (closed loop). */
export function forecastAutoregression(fit: AutoregressiveFit, history: ArrayLike<number>, horizon: number): Float64Array {
  const p = fit.order, w = fit.coefficients;
  if (history.length < p) throw new RangeError(`AR(${p}) needs ${p} values of history, not ${history.length}`);
  const window = Array.from({ length: p }, (_, k) => history[history.length - p + k]); // oldest first
  const out = new Float64Array(horizon);
  for (let h = 0; h < horizon; h++) {
    let value = w[0];
    for (let k = 1; k <= p; k++) value += w[k] * window[p - k];
    out[h] = value;
    if (p > 0) { window.shift(); window.push(value); }
  }
  return out;
}
