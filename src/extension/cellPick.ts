// The cell quick pick's items, one per variant the registry lists (src/engine/model/cells.ts: CELLS
// and each entry's `variants`, else the cell with its defaults), with localised labels and
// descriptions: Train on Current File and Train Forecaster offer the same list.

import * as vscode from "vscode";
import { CELLS } from "../engine/model/cells";
import type { CellType, ModelSpec } from "../engine/model/modelSpec";

/** A variant picked: the cell and the spec fields its variant sets ({} = the cell's defaults). */
export interface CellVariantChoice { cell: CellType; options: Partial<ModelSpec> }
export type CellVariantItem = vscode.QuickPickItem & CellVariantChoice & { variant: string };

/** What people read for each registry variant, by its label in cells.ts; l10n keys are the English text. */
function variantText(variant: string): { label: string; description: string } | undefined {
  switch (variant) {
    case "LSTM": return { label: "LSTM", description: vscode.l10n.t("long short-term memory: forget, input and output gates") };
    case "LSTM (layer norm)": return { label: vscode.l10n.t("LSTM (layer norm)"), description: vscode.l10n.t("Ba et al. 2016: input and recurrent pre-activations and the cell state normalised per stream") };
    case "GRU": return { label: "GRU", description: vscode.l10n.t("gated recurrent unit: reset and update gates") };
    case "GRU (reset before)": return { label: vscode.l10n.t("GRU (reset before)"), description: vscode.l10n.t("TensorFlow's GRU: the reset gate scales h before the recurrent product") };
    case "GRU (layer norm)": return { label: vscode.l10n.t("GRU (layer norm)"), description: vscode.l10n.t("Ba et al. 2016: input and recurrent pre-activations normalised per stream") };
    case "LSTM (batch norm)": return { label: vscode.l10n.t("LSTM (batch norm)"), description: vscode.l10n.t("Cooijmans et al. 2016: pre-activations and the cell state normalised over the batch, per time step; one thread") };
    case "GRU (batch norm)": return { label: vscode.l10n.t("GRU (batch norm)"), description: vscode.l10n.t("Cooijmans et al. 2016: pre-activations normalised over the batch, per time step; one thread") };
    case "RNN": return { label: "RNN", description: vscode.l10n.t("vanilla tanh RNN: watch its gradients vanish") };
    case "CTRNN": return { label: "CTRNN", description: vscode.l10n.t("continuous-time RNN: each unit moves a fraction Δt/τ of the way to tanh(W·x + R·h + b)") };
    case "CTRNN (learned τ)": return { label: vscode.l10n.t("CTRNN (learned τ)"), description: vscode.l10n.t("continuous-time RNN whose time constant per unit is learned (starting at τ = 3)") };
    case "CTRNN (τ 1.5, Δt 0.5)": return { label: vscode.l10n.t("CTRNN (τ 1.5, Δt 0.5)"), description: vscode.l10n.t("continuous-time RNN with a short time constant and half steps: each unit moves a third of the way per step") };
    case "Additive": return { label: "Additive", description: vscode.l10n.t("additive recurrence: h plus a bounded increment, so the gradient passes through unchanged") };
    case "Additive (state form)": return { label: vscode.l10n.t("Additive (state form)"), description: vscode.l10n.t("additive recurrence whose increment also reads the state: h + tanh(W·x + R·h + b)") };
    case "minGRU": return { label: "minGRU", description: vscode.l10n.t("minimal GRU (Feng et al. 2024): an update gate from the input alone, parallel over time") };
    case "minLSTM": return { label: "minLSTM", description: vscode.l10n.t("minimal LSTM (Feng et al. 2024): normalised forget and input gates from the input alone") };
    default: return undefined;
  }
}

/** Every registered cell variant, in the registry's order. */
export function cellVariantItems(): CellVariantItem[] {
  return CELLS.flatMap((entry) => (entry.variants ?? [{ label: entry.label, options: {} }]).map((v) => {
    // a variant added to the registry without its text here still shows (in English), and the VS Code suite names it
    const text = variantText(v.label) ?? { label: v.label, description: entry.description };
    return { ...text, variant: v.label, cell: entry.type, options: v.options as Partial<ModelSpec> };
  }));
}

/** The registry variants that have no localised text here (the VS Code suite expects none). */
export function variantsWithoutText(): string[] {
  return CELLS.flatMap((entry) => (entry.variants ?? [{ label: entry.label }]).map((v) => v.label)).filter((l) => variantText(l) === undefined);
}
