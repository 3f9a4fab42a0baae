// The dashboard's histograms section (TensorBoard's distributions and histograms): for one tensor's
// weights or gradient, or one layer's states, at each of the run's checkpoints. The distribution chart
// draws, against the step, the bands between the quantiles TensorBoard uses (min–max, ±1.5σ, ±σ,
// ±0.5σ of a normal) and the median; the overlay chart draws each checkpoint's histogram, older ones fainter.

import type { HistogramSeriesData, ToWebview } from "../src/protocol/webview";
import { Chart, chartBox, faded, makeChart, seriesColor } from "./charts";
import { button, dropdown } from "./toolkit";
import { reportRendered, saveViewSetting, viewSetting } from "./vscodeBridge";
import { t } from "./l10n";

type Data = Extract<ToWebview, { type: "histograms.data" }>;
type Kind = HistogramSeriesData["kind"];

export class HistogramView {
  readonly section = document.createElement("section");
  private data: Data | null = null;
  private kind = viewSetting<Kind>("histKind", "weight");
  private name = viewSetting<string>("histName", "");
  private charts: Chart[] = [];
  private readonly compute: HTMLElement & { disabled: boolean };
  private readonly kindPick;
  private readonly namePick;
  private readonly dist = chartBox("hist-distribution-chart", t("Distribution of the values over training: quantile bands against the step"), 260);
  private readonly overlay = chartBox("hist-overlay-chart", t("Histogram of the values at each checkpoint, older checkpoints fainter"), 260);
  private readonly note = document.createElement("p");

  constructor(request: () => void) {
    const h = document.createElement("h2");
    h.textContent = t("Histograms");
    const explain = document.createElement("p");
    explain.className = "muted";
    explain.textContent = t("Read from the run's checkpoints: each tensor's weights, its gradient on one batch of the training text, and each layer's hidden (and cell) states along it. Weights that stop moving, gradients that collapse to zero and states stuck at ±1 show here.");
    this.compute = button(t("Compute Histograms"), () => { this.compute.disabled = true; request(); });
    this.kindPick = dropdown("hist-kind", t("Values"), this.kinds(), this.kind, (v) => { this.kind = v as Kind; saveViewSetting("histKind", v); this.fillNames(); this.draw(); });
    this.namePick = dropdown("hist-name", t("Tensor or state"), [], "", (v) => { this.name = v; saveViewSetting("histName", v); this.draw(); });
    const controls = document.createElement("div");
    controls.className = "controls";
    controls.append(this.compute, this.kindPick.element, this.namePick.element);
    this.note.className = "muted";
    this.note.id = "histograms-note";
    this.dist.box.hidden = this.overlay.box.hidden = true;
    this.section.append(h, explain, controls, this.note, this.dist.box, this.overlay.box);
  }

  private kinds(): { value: string; label: string }[] {
    return [{ value: "weight", label: t("weights") }, { value: "gradient", label: t("gradients") }, { value: "activation", label: t("activations") }];
  }

  private fillNames(): void {
    const names = (this.data?.series ?? []).filter((s) => s.kind === this.kind).map((s) => s.name);
    if (!names.includes(this.name)) this.name = names[0] ?? "";
    this.namePick.setOptions(names.map((n) => ({ value: n, label: n })), this.name);
  }

  show(data: Data): void {
    this.data = data;
    this.compute.disabled = false;
    this.fillNames();
    this.draw();
  }

  failed(): void { this.compute.disabled = false; }

  draw(): void {
    for (const c of this.charts) c.destroy();
    this.charts = [];
    const d = this.data;
    const s = d?.series.find((x) => x.kind === this.kind && x.name === this.name);
    this.dist.box.hidden = this.overlay.box.hidden = !s;
    if (!d || !s) return;
    const steps = d.steps, Q = d.quantiles.length, bins = s.edges.length - 1;
    this.note.textContent = t("{0} checkpoints, steps {1} to {2}; {3} bins from {4} to {5}.", steps.length, steps[0], steps[steps.length - 1], bins, fmt(s.edges[0]), fmt(s.edges[bins]));
    const color = seriesColor(0);
    const valueTitle = this.kind === "weight" ? t("weight value") : this.kind === "gradient" ? t("gradient value (∂L/∂θ)") : t("state value");
    // quantile q_i filled to its mirror q_(Q−1−i): the outer band palest, as TensorBoard shades them
    const bands = Array.from({ length: Q }, (_, i) => {
      const mirror = Q - 1 - i, inner = Math.min(i, mirror);
      return {
        label: i === (Q - 1) / 2 ? t("median") : `${(100 * d.quantiles[i]).toFixed(1)} %`,
        data: steps.map((step, k) => ({ x: step, y: s.quantiles[k * Q + i] })),
        borderColor: i === (Q - 1) / 2 ? color : faded(color, 0.35), borderWidth: i === (Q - 1) / 2 ? 2 : 1, pointRadius: steps.length < 30 ? 2 : 0,
        backgroundColor: faded(color, 0.12 + 0.08 * inner), fill: i < mirror ? mirror : false, parsing: false as const,
      };
    });
    this.charts.push(makeChart(this.dist.canvas, {
      type: "line",
      data: { datasets: bands },
      options: {
        scales: { x: { type: "linear", title: { display: true, text: t("optimizer step") } }, y: { type: "linear", title: { display: true, text: valueTitle } } },
        plugins: { legend: { display: false } }, interaction: { mode: "nearest", intersect: false },
      },
    }));
    const centres = Array.from({ length: bins }, (_, b) => (s.edges[b] + s.edges[b + 1]) / 2);
    this.charts.push(makeChart(this.overlay.canvas, {
      type: "line",
      data: {
        datasets: steps.map((step, k) => ({
          label: t("step {0}", step), data: centres.map((x, b) => ({ x, y: s.counts[k * bins + b] })), parsing: false as const,
          borderColor: faded(color, 0.2 + (0.8 * (k + 1)) / steps.length), backgroundColor: faded(color, 0.2 + (0.8 * (k + 1)) / steps.length), borderWidth: k === steps.length - 1 ? 2 : 1, pointRadius: 0,
        })),
      },
      options: {
        scales: { x: { type: "linear", title: { display: true, text: valueTitle } }, y: { type: "linear", beginAtZero: true, title: { display: true, text: t("count per bin") } } },
        plugins: { legend: { position: "bottom", labels: { filter: (item) => item.datasetIndex === 0 || item.datasetIndex === steps.length - 1 } } },
      },
    }));
    let total = 0;
    for (let b = 0; b < bins; b++) total += s.counts[(steps.length - 1) * bins + b];
    reportRendered({ histSeries: d.series.length, histSteps: steps.length, histBins: bins, histKind: this.kind, histName: s.name, histLastTotal: total, histMedianLast: s.quantiles[(steps.length - 1) * Q + (Q - 1) / 2] });
  }
}

function fmt(v: number): string { return Math.abs(v) >= 100 || v === 0 ? v.toFixed(0) : v.toPrecision(3); }
