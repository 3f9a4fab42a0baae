// A model's description in the window's language: the engine's parts (describeModel) worded through
// vscode.l10n. Every title, label and tooltip that names a model uses these, so a model reads the
// same everywhere (explorer, panel and tab titles, the dashboard's header, the gradient check).

import * as vscode from "vscode";
import { paramCount } from "../engine/files/checkpoint";
import { ModelOption, ModelSpec, describeModel } from "../engine/model/modelSpec";

function option(o: ModelOption): string {
  switch (o.kind) {
    case "one-hot": return vscode.l10n.t("one-hot input");
    case "embedding": return vscode.l10n.t("embedding {0}", o.size);
    case "vocabulary": return vscode.l10n.t("vocabulary {0}", o.size);
    case "peepholes": return vscode.l10n.t("peepholes");
    case "coupled": return vscode.l10n.t("coupled input and forget gates");
    case "residual": return vscode.l10n.t("residual");
    case "tau": return o.learned ? vscode.l10n.t("τ {0} (learned)", o.tau) : vscode.l10n.t("τ {0}", o.tau);
    case "dt": return vscode.l10n.t("Δt {0}", o.dt);
    case "additive-form": return o.form === "state" ? vscode.l10n.t("state form") : vscode.l10n.t("input form");
    case "reset-before": return vscode.l10n.t("reset gate before the recurrent product");
    case "layer-norm": return vscode.l10n.t("layer normalisation");
    case "batch-norm": return vscode.l10n.t("batch normalisation");
    case "bidirectional": return vscode.l10n.t("bidirectional");
  }
}

/** "LSTM 2×128": the cell and layers × hidden units. */
export function modelShape(spec: ModelSpec): string {
  const d = describeModel(spec);
  return `${d.cell} ${d.size}`;
}

/** "LSTM 2×128, one-hot input, vocabulary 65" in the window's language. */
export function modelDescription(spec: ModelSpec): string {
  const d = describeModel(spec);
  return [`${d.cell} ${d.size}`, ...d.options.map(option)].join(vscode.l10n.t(", "));
}

/** The description and the parameter count: "LSTM 2×128, one-hot input, vocabulary 65, 200,000 parameters". */
export function modelDescriptionWithParams(spec: ModelSpec): string {
  return vscode.l10n.t("{0}, {1} parameters", modelDescription(spec), paramCount(spec).toLocaleString(vscode.env.language));
}

/** "name (LSTM 2×128)" where a name alone would be ambiguous (legends, candidates). */
export function namedShape(name: string, spec: ModelSpec): string {
  return vscode.l10n.t("{0} ({1})", name, modelShape(spec));
}

/** "LSTM, peepholes, 2 layers": the cell, its options and the depth (the gradient check's models, which share one small size). */
export function modelCheckLabel(spec: ModelSpec): string {
  const d = describeModel(spec);
  const options = d.options.filter((o) => o.kind === "peepholes" || o.kind === "coupled" || o.kind === "residual"
    || o.kind === "tau" || o.kind === "dt" || o.kind === "additive-form" || o.kind === "reset-before" || o.kind === "layer-norm" || o.kind === "bidirectional").map(option);
  const depth = spec.layers === 1 ? vscode.l10n.t("1 layer") : vscode.l10n.t("{0} layers", spec.layers);
  return [d.cell, ...options, depth].join(vscode.l10n.t(", "));
}
