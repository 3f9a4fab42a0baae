// Colours from the VS Code theme (its CSS variables), the colour scales of the heatmaps, and a hook
// that redraws when the user switches between light, dark and high-contrast themes.

export type Rgb = [number, number, number];

export function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

export interface ThemeColors {
  foreground: string;
  muted: string;
  grid: string;
  background: string;
  series: string[]; // distinct line colours, in order
}

export function themeColors(): ThemeColors {
  return {
    foreground: cssVar("--vscode-editor-foreground", cssVar("--vscode-foreground", "#333")),
    muted: cssVar("--vscode-descriptionForeground", "#777"),
    grid: cssVar("--vscode-charts-lines", "rgba(128,128,128,0.3)"),
    background: cssVar("--vscode-editor-background", "#fff"),
    series: [
      cssVar("--vscode-charts-blue", "#1a85ff"), cssVar("--vscode-charts-orange", "#d18616"), cssVar("--vscode-charts-green", "#388a34"),
      cssVar("--vscode-charts-red", "#e51400"), cssVar("--vscode-charts-purple", "#652d90"), cssVar("--vscode-charts-yellow", "#bf8803"),
    ],
  };
}

/** Any CSS colour as [r, g, b] (the browser parses it). */
export function parseColor(css: string): Rgb {
  const ctx = document.createElement("canvas").getContext("2d")!;
  ctx.fillStyle = "#000";
  ctx.fillStyle = css;
  const hex = ctx.fillStyle; // normalised to #rrggbb or rgba(...)
  if (hex.startsWith("#")) return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as Rgb;
  const m = hex.match(/\d+(\.\d+)?/g) ?? ["0", "0", "0"];
  return [Number(m[0]), Number(m[1]), Number(m[2])];
}

// Viridis at 9 stops (perceptually even, readable on light and dark backgrounds): gates in [0, 1].
const VIRIDIS: Rgb[] = [[68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141], [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37]];

/** Gate values: 0 (closed) → dark violet, 1 (open) → yellow, the saturated colour. */
export function gateColor(v: number): Rgb {
  const x = Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x)), f = x - i;
  const a = VIRIDIS[i], b = VIRIDIS[i + 1];
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

export const NEGATIVE: Rgb = [33, 102, 172];
export const POSITIVE: Rgb = [214, 47, 39];

/** Signed values scaled by `limit`: −limit → blue, 0 → the editor background, +limit → red. */
export function divergingColor(v: number, limit: number, background: Rgb): Rgb {
  const x = Math.max(-1, Math.min(1, (Number.isFinite(v) ? v : 0) / (limit || 1)));
  const end = x < 0 ? NEGATIVE : POSITIVE, f = Math.abs(x);
  return [Math.round(background[0] + (end[0] - background[0]) * f), Math.round(background[1] + (end[1] - background[1]) * f), Math.round(background[2] + (end[2] - background[2]) * f)];
}

/** VS Code swaps the body's vscode-light / vscode-dark / vscode-high-contrast class when the theme changes. */
export function onThemeChange(redraw: () => void): void {
  new MutationObserver(() => redraw()).observe(document.body, { attributes: true, attributeFilter: ["class"] });
}

export function themeKind(): "light" | "dark" | "high-contrast" {
  const c = document.body.classList;
  return c.contains("vscode-high-contrast") || c.contains("vscode-high-contrast-light") ? "high-contrast" : c.contains("vscode-dark") ? "dark" : "light";
}
