// The autocorrelation of a series and the season it suggests. A season is a lag k ≥ 2 where the sample
// ACF of the series, less its least-squares line (a trend would otherwise hold the ACF up at every lag
// and hide the ripple), has a local maximum that is significant twice over:
//   - above Bartlett's band, ±z √((1 + 2 Σ_{j<k} r_j²) / n) (statsmodels' acf confint, α = 0.05), and
//   - above the decay of the AR(1) fitted to it, φ^k with φ = r_1, by Z_AR1 standard errors of r_k
//     under that AR(1) (Bartlett: var r_k ≈ [(1 + φ²)(1 − φ^{2k}) / (1 − φ²) − 2k φ^{2k}] / n).
// An AR(1) series has a smoothly decaying ACF; its sample ACF wiggles, and without the second test its
// wiggles passed for seasons (about a third of AR(1) series of 200–1,000 values had one). Of the lags
// that pass, the smallest whose r_k is within PEAK_SHARE of the highest is the season (not its multiples).

/** The two-sided 95 % point of N(0, 1) (statsmodels' acf band at alpha 0.05). */
const Z_95 = 1.959963984540054;
/** Standard errors above the AR(1) decay a peak must reach: about 1 false season in 100 AR(1) series of 36 lags. */
const Z_AR1 = 3;
/** A passing peak at least this share of the highest passing one is preferred when its lag is smaller. */
const PEAK_SHARE = 0.8;

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

/** The series less its least-squares line a + b·t (statsmodels' detrend, order 1). */
export function detrend(series: ArrayLike<number>): Float64Array {
  const n = series.length;
  const tMean = (n - 1) / 2;
  let yMean = 0;
  for (let t = 0; t < n; t++) yMean += series[t];
  yMean /= n;
  let sty = 0, stt = 0;
  for (let t = 0; t < n; t++) { sty += (t - tMean) * (series[t] - yMean); stt += (t - tMean) ** 2; }
  const slope = stt > 0 ? sty / stt : 0;
  return Float64Array.from({ length: n }, (_, t) => series[t] - yMean - slope * (t - tMean));
}

/** Bartlett's half-width of the 95 % band of each r_k (k = 0 … r.length − 1) for a series of n values: 0 at lag 0, z/√n at lag 1, z √((1 + 2 Σ_{j=1}^{k−1} r_j²) / n) after. */
export function bartlettBand(r: ArrayLike<number>, n: number): Float64Array {
  const band = new Float64Array(r.length);
  let sum = 0;
  for (let k = 1; k < r.length; k++) {
    band[k] = Z_95 * Math.sqrt((1 + 2 * sum) / n);
    sum += r[k] ** 2;
  }
  return band;
}

/** The season (≥ 2) the autocorrelation shows up to maxLag, or 1 when no peak is significant (see the opening comment). */
export function detectSeason(series: ArrayLike<number>, maxLag = 36): number {
  const n = series.length;
  if (n < 4) return 1;
  const r = autocorrelation(detrend(series), maxLag);
  const band = bartlettBand(r, n);
  const phi = Math.max(-0.99, Math.min(0.99, r[1] ?? 0));
  const passing: number[] = [];
  for (let k = 2; k < r.length - 1; k++) {
    if (!(r[k] > r[k - 1] && r[k] >= r[k + 1] && r[k] > band[k])) continue;
    const p2k = phi ** (2 * k);
    const variance = Math.max(0, ((1 + phi * phi) * (1 - p2k)) / (1 - phi * phi) - 2 * k * p2k) / n;
    if (r[k] - phi ** k > Z_AR1 * Math.sqrt(variance)) passing.push(k);
  }
  if (!passing.length) return 1;
  const top = Math.max(...passing.map((k) => r[k]));
  return passing.find((k) => r[k] >= PEAK_SHARE * top)!;
}
