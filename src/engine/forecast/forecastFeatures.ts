// What the network reads at each step: the standardised targets and inputs (scaling fitted on the
// training span) and the calendar features of the step's time, D = K + X + C reals per step.
// Calendar features are sin/cos pairs of the position in a cycle (the year, the week, the day), so
// 23:00 sits next to 00:00 and December next to January.

import type { NumericSeries } from "./numericSeries";
import type { CalendarFeature, ForecastScaling } from "./forecastModel";

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/** The cycles worth reading for a date column of this usual spacing: a daily cycle below a day's step, a weekly one below a week's, a yearly one below a year's. */
export function calendarFeaturesFor(series: NumericSeries): CalendarFeature[] {
  if (series.timeKind !== "date" || !series.time || series.steps < 2) return [];
  const step = typicalStep(series.time);
  const features: CalendarFeature[] = [];
  if (step < 365 * DAY_MS) features.push("year");
  if (step < WEEK_MS) features.push("week");
  if (step < DAY_MS) features.push("day");
  return features;
}

/** The median spacing of a sorted time column. */
export function typicalStep(time: number[]): number {
  const diffs = time.slice(1).map((t, i) => t - time[i]).sort((a, b) => a - b);
  return diffs[Math.floor(diffs.length / 2)];
}

/** The phase (0 … 1) of time t (ms since 1970, UTC) in a cycle. */
function phase(t: number, feature: CalendarFeature): number {
  if (feature === "day") return (((t % DAY_MS) + DAY_MS) % DAY_MS) / DAY_MS;
  if (feature === "week") return ((((t - 4 * DAY_MS) % WEEK_MS) + WEEK_MS) % WEEK_MS) / WEEK_MS; // 1970-01-01 was a Thursday; 0 = Monday 00:00
  const d = new Date(t);
  const start = Date.UTC(d.getUTCFullYear(), 0, 1), end = Date.UTC(d.getUTCFullYear() + 1, 0, 1);
  return (t - start) / (end - start);
}

export function calendarValues(t: number, features: readonly CalendarFeature[], out: Float64Array, offset: number): void {
  features.forEach((f, i) => {
    const a = 2 * Math.PI * phase(t, f);
    out[offset + 2 * i] = Math.sin(a);
    out[offset + 2 * i + 1] = Math.cos(a);
  });
}

/** Values per step the network reads; a lone target is padded with a zero column (the core reads at least two values per step). */
export function featureWidth(columns: number, calendar: readonly CalendarFeature[]): number {
  return Math.max(2, columns + 2 * calendar.length);
}

/**
 * [steps, D] row-major: the series' columns standardised by `scaling`, then the calendar features.
 * `times` may extend past the series (future steps of a closed-loop forecast); rows past the data
 * hold the last row's standardised inputs (exogenous values are not known there) and zero targets,
 * which the closed loop overwrites with its predictions.
 */
export function featureMatrix(series: NumericSeries, scaling: ForecastScaling, calendar: readonly CalendarFeature[], rows = series.steps, times: number[] | null = series.time): Float64Array {
  const w = series.columns.length, d = featureWidth(w, calendar);
  const out = new Float64Array(rows * d);
  for (let i = 0; i < rows; i++) {
    const src = Math.min(i, series.steps - 1);
    for (let j = 0; j < w; j++) {
      out[i * d + j] = i < series.steps || j >= series.targets ? (series.values[src * w + j] - scaling.mean[j]) / scaling.std[j] : 0;
    }
    if (calendar.length && times) calendarValues(times[i], calendar, out, i * d + w);
  }
  return out;
}

/** The times of `extra` steps after the series' last: calendar months or years when the column steps by them, else the typical step. */
export function extendTimes(series: NumericSeries, extra: number): number[] | null {
  if (!series.time) return null;
  const time = series.time.slice();
  if (extra <= 0 || time.length < 2) return time;
  const last = time[time.length - 1];
  const months = series.timeKind === "date" && series.spacing ? { "1 month": 1, "3 months": 3, "1 year": 12 }[series.spacing.step] : undefined;
  const step = typicalStep(series.time);
  for (let h = 1; h <= extra; h++) {
    if (months) {
      const d = new Date(last);
      time.push(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months * h, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()));
    } else {
      time.push(last + h * step);
    }
  }
  return time;
}
