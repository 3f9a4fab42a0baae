// Forecast accuracy: MAE, RMSE, MASE and sMAPE, overall and per step ahead, and interval coverage.
// MASE divides by the in-sample MAE of the one-step naive forecast on the training span (Hyndman &
// Koehler 2006), so 1.0 means "as good as repeating yesterday's value one step ahead".

export interface ForecastErrors {
  mae: number;
  rmse: number;
  mase: number;
  /** symmetric MAPE in percent: 200/n Σ |F − A| / (|A| + |F|), a term with A = F = 0 counting 0 */
  smape: number;
}

/** Mean |y_t − y_{t−1}| over the training span: MASE's scale. */
export function naiveScale(train: ArrayLike<number>): number {
  if (train.length < 2) throw new RangeError("MASE's scale needs at least two training values");
  let s = 0;
  for (let t = 1; t < train.length; t++) s += Math.abs(train[t] - train[t - 1]);
  return s / (train.length - 1);
}

export function forecastErrors(actual: ArrayLike<number>, forecast: ArrayLike<number>, scale: number): ForecastErrors {
  const n = actual.length;
  if (forecast.length !== n || n === 0) throw new RangeError("actual and forecast values must pair up, at least one");
  let abs = 0, sq = 0, sym = 0;
  for (let i = 0; i < n; i++) {
    const e = forecast[i] - actual[i];
    abs += Math.abs(e);
    sq += e * e;
    const d = Math.abs(actual[i]) + Math.abs(forecast[i]);
    if (d > 0) sym += Math.abs(e) / d;
  }
  const mae = abs / n;
  return { mae, rmse: Math.sqrt(sq / n), mase: mae / scale, smape: (200 * sym) / n };
}

/** Share of actual values inside [lower, upper]. */
export function intervalCoverage(actual: ArrayLike<number>, lower: ArrayLike<number>, upper: ArrayLike<number>): number {
  let inside = 0;
  for (let i = 0; i < actual.length; i++) if (actual[i] >= lower[i] && actual[i] <= upper[i]) inside++;
  return inside / actual.length;
}
