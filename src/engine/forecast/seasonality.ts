// The autocorrelation of a series and the season it suggests: the lag of the highest local maximum
// of the sample ACF that clears the ±1.96/√n band of white noise (Box–Jenkins' rule of thumb).

/** r_k = Σ_{t≥k} (y_t − ȳ)(y_{t−k} − ȳ) / Σ_t (y_t − ȳ)², k = 0..maxLag (statsmodels' acf, fft=False). */
export function autocorrelation(series: ArrayLike<number>, maxLag: number): Float64Array {
  const n = series.length;
  let mean = 0;
  for (let t = 0; t < n; t++) mean += series[t];
  mean /= n;
  let denom = 0;
  for (let t = 0; t < n; t++) denom += (series[t] - mean) ** 2;
  const r = new Float64Array(Math.min(maxLag, n - 1) + 1);
  for (let k = 0; k < r.length; k++) {
    let s = 0;
    for (let t = k; t < n; t++) s += (series[t] - mean) * (series[t - k] - mean);
    r[k] = denom > 0 ? s / denom : k === 0 ? 1 : 0;
  }
  return r;
}

/** The season (≥ 2) the autocorrelation shows up to maxLag, or 1 when none clears the noise band. */
export function detectSeason(series: ArrayLike<number>, maxLag = 36): number {
  const r = autocorrelation(series, maxLag);
  const band = 1.96 / Math.sqrt(series.length);
  let best = 1;
  for (let k = 2; k < r.length - 1; k++) {
    if (r[k] > r[k - 1] && r[k] >= r[k + 1] && r[k] > band && (best === 1 || r[k] > r[best])) best = k;
  }
  return best;
}
