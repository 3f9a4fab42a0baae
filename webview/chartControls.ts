// The controls every line chart of the dashboard and the run comparison carries: a heading, a log-scale
// toggle, Reset Zoom and Save as PNG (posted to the host, which asks where with a save dialog); and
// the page-wide smoothing slider. Shared so both pages behave alike.

import { chartBox, chartPng, zoomOf, zoomTo } from "./charts";
import { button, checkbox, slider } from "./toolkit";
import { post, saveViewSetting, viewSetting } from "./vscodeBridge";
import { t } from "./l10n";

export interface ChartSection {
  section: HTMLElement;
  canvas: HTMLCanvasElement;
  box: HTMLElement;
  log(): boolean;
}

/** A section with heading `name`, a chart of accessible name `label`, and its toolbar. `redraw` runs when the scale changes. */
export function chartSection(id: string, name: string, label: string, options: { height?: number; log?: boolean; redraw: () => void }): ChartSection {
  const { box, canvas } = chartBox(id, label, options.height ?? 260);
  let log = viewSetting<boolean>(`log-${id}`, options.log ?? false);
  const section = document.createElement("section");
  const head = document.createElement("div");
  head.className = "chart-head";
  const h = document.createElement("h2");
  h.textContent = name;
  const tools = document.createElement("div");
  tools.className = "chart-tools";
  const logBox = checkbox(`${id}-log`, t("Log scale"), log, (on) => { log = on; saveViewSetting(`log-${id}`, on); options.redraw(); });
  const reset = button(t("Reset Zoom"), () => zoomTo(canvas, null), { secondary: true });
  reset.setAttribute("aria-label", t("Reset zoom of {0}", name));
  const png = button(t("Save as PNG"), () => post({ type: "export.png", name: id.replace(/-chart$/, ""), dataUrl: chartPng(canvas) }), { secondary: true });
  png.setAttribute("aria-label", t("Save {0} as PNG", name));
  const syncReset = () => { reset.disabled = !zoomOf(canvas); };
  canvas.addEventListener("rnnlab-zoom", syncReset);
  syncReset();
  tools.append(logBox, reset, png);
  head.append(h, tools);
  section.append(head, box);
  return { section, canvas, box, log: () => log };
}

/** TensorBoard's smoothing weight for the page, 0 (raw) to 0.99; 0.6 as TensorBoard starts. */
export function smoothingSlider(onChange: (w: number) => void): { element: HTMLElement; value(): number } {
  let w = viewSetting<number>("smoothing", 0.6);
  const s = slider("smoothing", t("Smoothing"), { min: 0, max: 0.99, step: 0.01 }, w, (v) => v.toFixed(2), (v) => { w = v; saveViewSetting("smoothing", v); onChange(v); });
  return { element: s.element, value: () => w };
}
