// Chart.js with only the parts the panels use, defaults taken from the VS Code theme, and the one
// line-chart helper the dashboard and the run comparison share: TensorBoard's smoothing (the raw line
// faint behind), a log-scale option, axis titles with units, x-range zoom and pan, and PNG export.

import {
  BarController, BarElement, CategoryScale, Chart, ChartConfiguration, Decimation, Filler, Legend, LinearScale, LineController, LineElement,
  LogarithmicScale, PointElement, ScatterController, Tooltip,
} from "chart.js";
import { themeColors } from "./theme";
import { t } from "./l10n";

Chart.register(BarController, BarElement, CategoryScale, Decimation, Filler, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, ScatterController, Tooltip);

// An exported PNG is opaque, in the theme's background (Chart.js leaves the canvas transparent).
Chart.register({
  id: "rnnLabBackground",
  beforeDraw(chart) {
    const ctx = chart.ctx;
    ctx.save();
    ctx.globalCompositeOperation = "destination-over";
    ctx.fillStyle = themeColors().background;
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
});

export { Chart };
export type Point = { x: number; y: number };

/** Applies the current theme's colours to Chart.js's defaults (call before making charts, and on a theme change). */
export function applyThemeDefaults(): void {
  const t = themeColors();
  Chart.defaults.color = t.foreground;
  Chart.defaults.borderColor = t.grid;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 12;
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
}

export function makeChart(canvas: HTMLCanvasElement, config: ChartConfiguration): Chart {
  applyThemeDefaults();
  return new Chart(canvas, config);
}

/** A canvas in a sized box (Chart.js needs a positioned parent to be responsive), with an accessible name. */
export function chartBox(id: string, label: string, height = 260): { box: HTMLElement; canvas: HTMLCanvasElement } {
  const box = document.createElement("div");
  box.className = "chart";
  box.style.height = `${height}px`;
  const canvas = document.createElement("canvas");
  canvas.id = id;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", label);
  box.append(canvas);
  return { box, canvas };
}

/** Line series colour k of the theme. */
export function seriesColor(k: number): string {
  const s = themeColors().series;
  return s[k % s.length];
}

/** `color` (#rrggbb or rgb()) at opacity `alpha`. */
export function faded(color: string, alpha: number): string {
  const ctx = document.createElement("canvas").getContext("2d")!;
  ctx.fillStyle = color;
  const c = ctx.fillStyle;
  if (c.startsWith("#")) return `rgba(${parseInt(c.slice(1, 3), 16)}, ${parseInt(c.slice(3, 5), 16)}, ${parseInt(c.slice(5, 7), 16)}, ${alpha})`;
  return c.replace(/rgba?\(([^,]+),([^,]+),([^,)]+).*\)/, `rgba($1,$2,$3, ${alpha})`);
}

/**
 * TensorBoard's scalar smoothing (its `smoothing` weight w in [0, 1)): an exponential moving average
 * started at 0 and divided by the weight of the samples seen so far, 1 − w^n, so the first points are
 * not pulled towards zero. Non-finite values pass through unsmoothed; a constant series stays itself.
 */
export function smoothTensorBoard(y: ArrayLike<number>, w: number): Float64Array {
  const out = new Float64Array(y.length);
  let last = 0, n = 0;
  let constant = true;
  for (let i = 1; i < y.length; i++) if (y[i] !== y[0]) { constant = false; break; }
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (!Number.isFinite(v) || constant || w <= 0) { out[i] = v; continue; }
    last = last * w + (1 - w) * v;
    n++;
    out[i] = w >= 1 ? last : last / (1 - Math.pow(w, n));
  }
  return out;
}

export function points(x: ArrayLike<number>, y: ArrayLike<number>, positiveOnly = false): Point[] {
  const out: Point[] = [];
  for (let i = 0; i < x.length; i++) {
    const v = y[i];
    if (Number.isFinite(v) && Number.isFinite(x[i]) && (!positiveOnly || v > 0)) out.push({ x: x[i], y: v });
  }
  return out;
}

export interface Series {
  label: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  color?: string;
  dashed?: boolean;
  /** Smoothed with the chart's weight, the raw line faint behind (false: a threshold line, sparse evaluations). */
  smooth?: boolean;
}

export interface LineChartOptions {
  xTitle: string;
  yTitle: string;
  log: boolean;
  smoothing: number; // TensorBoard's weight, 0 = raw
  fromZero?: boolean; // rates: a flat line stays flat instead of noise blown up
}

/** The x range each chart (by canvas id) is zoomed to; it outlives the charts, which every draw makes anew. */
const zoomed = new Map<string, [number, number]>();
const wired = new WeakSet<HTMLCanvasElement>();

/** A line chart of `series` (the dashboard's and the comparison's), zoomable along x. */
export function lineChart(canvas: HTMLCanvasElement, series: Series[], o: LineChartOptions): Chart {
  const datasets: ChartConfiguration<"line">["data"]["datasets"] = [];
  const raws = new Set<number>(); // the faint raw lines: in tooltips, not in the legend
  series.forEach((s, k) => {
    const color = s.color ?? seriesColor(k);
    const smooth = (s.smooth ?? true) && o.smoothing > 0;
    const raw = points(s.x, s.y, o.log);
    const common = { parsing: false as const, normalized: true, pointRadius: raw.length < 40 ? 2 : 0, borderDash: s.dashed ? [6, 4] : [] };
    if (smooth) {
      datasets.push({ ...common, label: s.label, data: points(s.x, smoothTensorBoard(s.y, o.smoothing), o.log), borderColor: color, backgroundColor: color, borderWidth: 1.8 });
      // the raw values, faint: smoothing hides spikes a student should still see
      raws.add(datasets.length);
      datasets.push({ ...common, label: t("{0} (raw)", s.label), data: raw, borderColor: faded(color, 0.25), backgroundColor: faded(color, 0.25), borderWidth: 1, pointRadius: 0 });
    } else {
      datasets.push({ ...common, label: s.label, data: raw, borderColor: color, backgroundColor: color, borderWidth: 1.5 });
    }
  });
  const range = zoomed.get(canvas.id);
  const chart = makeChart(canvas, {
    type: "line",
    data: { datasets },
    options: {
      scales: {
        x: { type: "linear", bounds: "data", min: range?.[0], max: range?.[1], title: { display: true, text: o.xTitle } },
        y: { type: o.log ? "logarithmic" : "linear", beginAtZero: o.fromZero ?? false, title: { display: true, text: o.yTitle } },
      },
      plugins: {
        decimation: { enabled: true, algorithm: "lttb", samples: 1000 },
        legend: { position: "bottom", labels: { filter: (item) => !raws.has(item.datasetIndex ?? -1) } },
      },
      interaction: { mode: "nearest", intersect: false },
    },
  } as ChartConfiguration);
  wireZoom(canvas);
  return chart;
}

function extent(chart: Chart): [number, number] | null {
  let lo = Infinity, hi = -Infinity;
  for (const d of chart.data.datasets) for (const p of d.data as Point[]) { if (p.x < lo) lo = p.x; if (p.x > hi) hi = p.x; }
  return lo < hi ? [lo, hi] : null;
}

/** Sets the chart's x range (null: the whole extent) and keeps it across redraws. */
export function zoomTo(canvas: HTMLCanvasElement, range: [number, number] | null): void {
  const chart = Chart.getChart(canvas);
  if (!chart) return;
  const full = extent(chart);
  if (range && full) {
    const width = Math.max(range[1] - range[0], (full[1] - full[0]) / 1000);
    let lo = Math.max(full[0], range[0]), hi = lo + width;
    if (hi > full[1]) { hi = full[1]; lo = Math.max(full[0], hi - width); }
    range = lo <= full[0] && hi >= full[1] ? null : [lo, hi];
  }
  if (range) zoomed.set(canvas.id, range); else zoomed.delete(canvas.id);
  const x = chart.options.scales!.x!;
  x.min = range?.[0];
  x.max = range?.[1];
  chart.update("none");
  canvas.dataset.zoom = range ? `${range[0]},${range[1]}` : "";
  canvas.dispatchEvent(new CustomEvent("rnnlab-zoom", { bubbles: true }));
}

export function zoomOf(canvas: HTMLCanvasElement): [number, number] | null {
  return zoomed.get(canvas.id) ?? null;
}

/** Ctrl/⌘ + wheel zooms around the pointer, drag pans, double-click resets; with focus, + − ← → and 0 do the same. */
export function wireZoom(canvas: HTMLCanvasElement): void {
  if (wired.has(canvas)) return;
  wired.add(canvas);
  canvas.tabIndex = 0;
  canvas.setAttribute("aria-description", t("Zoom: Ctrl + wheel or + and −; pan: drag or the arrow keys; reset: double-click or 0"));
  const view = (): { chart: Chart; lo: number; hi: number } | null => {
    // the range shown: the zoomed one, else the data's (the axis itself may run on to a round number)
    const chart = Chart.getChart(canvas);
    const r = chart ? zoomed.get(canvas.id) ?? extent(chart) : null;
    return chart && r ? { chart, lo: r[0], hi: r[1] } : null;
  };
  const zoomBy = (factor: number, at?: number) => {
    const v = view();
    if (!v) return;
    const c = at ?? (v.lo + v.hi) / 2;
    zoomTo(canvas, [c - (c - v.lo) * factor, c + (v.hi - c) * factor]);
  };
  const panBy = (fraction: number) => {
    const v = view();
    if (!v) return;
    const d = (v.hi - v.lo) * fraction;
    zoomTo(canvas, [v.lo + d, v.hi + d]);
  };
  canvas.addEventListener("wheel", (e) => {
    if (!(e.ctrlKey || e.metaKey)) return; // a plain wheel scrolls the page
    e.preventDefault();
    const v = view();
    if (!v) return;
    zoomBy(e.deltaY < 0 ? 0.8 : 1.25, v.chart.scales.x.getValueForPixel(e.offsetX));
  }, { passive: false });
  let drag: { x: number; lo: number; hi: number } | null = null;
  canvas.addEventListener("pointerdown", (e) => { const v = view(); if (v && zoomed.has(canvas.id)) { drag = { x: e.offsetX, lo: v.lo, hi: v.hi }; canvas.setPointerCapture(e.pointerId); } });
  canvas.addEventListener("pointermove", (e) => {
    const v = view();
    if (!drag || !v) return;
    const perPixel = (drag.hi - drag.lo) / Math.max(1, v.chart.chartArea.right - v.chart.chartArea.left);
    const d = -(e.offsetX - drag.x) * perPixel;
    zoomTo(canvas, [drag.lo + d, drag.hi + d]);
  });
  canvas.addEventListener("pointerup", () => { drag = null; });
  canvas.addEventListener("dblclick", () => zoomTo(canvas, null));
  canvas.addEventListener("keydown", (e) => {
    const act: Record<string, () => void> = { "+": () => zoomBy(0.8), "=": () => zoomBy(0.8), "-": () => zoomBy(1.25), ArrowLeft: () => panBy(-0.1), ArrowRight: () => panBy(0.1), "0": () => zoomTo(canvas, null) };
    const a = act[e.key];
    if (a) { e.preventDefault(); a(); }
  });
}

/** The chart as a PNG data URL, in the theme's background. */
export function chartPng(canvas: HTMLCanvasElement): string {
  const chart = Chart.getChart(canvas);
  return chart ? chart.toBase64Image("image/png", 1) : canvas.toDataURL("image/png");
}
