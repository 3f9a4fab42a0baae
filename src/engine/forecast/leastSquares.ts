// Ordinary least squares by Householder QR, in f64: min ‖X w − y‖² for a tall X [rows, cols], row-major.
// QR rather than the normal equations (XᵀX)⁻¹Xᵀy, whose condition number is the square of X's: the
// autoregressive baseline's lagged columns are close to collinear on smooth series.

export class RankDeficientError extends Error {}

/** x: [rows · cols] row-major, y: [rows]. Returns w [cols]. Throws RankDeficientError when a column adds nothing. */
export function leastSquares(x: Float64Array, y: Float64Array, rows: number, cols: number): Float64Array {
  if (rows < cols) throw new RankDeficientError(`${rows} equations cannot fix ${cols} unknowns`);
  const a = Float64Array.from(x);
  const b = Float64Array.from(y);
  const at = (r: number, c: number) => r * cols + c;
  let scale = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(a[i]));
  for (let k = 0; k < cols; k++) {
    // Householder reflection that zeroes column k below the diagonal
    let norm = 0;
    for (let r = k; r < rows; r++) norm += a[at(r, k)] * a[at(r, k)];
    norm = Math.sqrt(norm);
    if (norm <= 1e-12 * Math.max(scale, 1e-300) * Math.sqrt(rows)) throw new RankDeficientError(`column ${k} is a combination of the others`);
    const alpha = a[at(k, k)] > 0 ? -norm : norm;
    const v = new Float64Array(rows - k);
    for (let r = k; r < rows; r++) v[r - k] = a[at(r, k)];
    v[0] -= alpha;
    let vv = 0;
    for (let i = 0; i < v.length; i++) vv += v[i] * v[i];
    if (vv === 0) continue;
    for (let c = k; c < cols; c++) {
      let dot = 0;
      for (let r = k; r < rows; r++) dot += v[r - k] * a[at(r, c)];
      const f = (2 * dot) / vv;
      for (let r = k; r < rows; r++) a[at(r, c)] -= f * v[r - k];
    }
    let dot = 0;
    for (let r = k; r < rows; r++) dot += v[r - k] * b[r];
    const f = (2 * dot) / vv;
    for (let r = k; r < rows; r++) b[r] -= f * v[r - k];
  }
  // back substitution on the upper triangle R w = (Qᵀy)[0:cols]
  const w = new Float64Array(cols);
  for (let k = cols - 1; k >= 0; k--) {
    let s = b[k];
    for (let c = k + 1; c < cols; c++) s -= a[at(k, c)] * w[c];
    w[k] = s / a[at(k, k)];
  }
  return w;
}
