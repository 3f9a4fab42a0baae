// Chart.js with only the parts the panels use, and defaults taken from the VS Code theme.

import {
  BarController, BarElement, CategoryScale, Chart, ChartConfiguration, Decimation, Legend, LinearScale, LineController, LineElement,
  LogarithmicScale, PointElement, ScatterController, Tooltip,
} from "chart.js";
import { themeColors } from "./theme";

Chart.register(BarController, BarElement, CategoryScale, Decimation, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, ScatterController, Tooltip);

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
