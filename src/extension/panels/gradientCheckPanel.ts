// Gradient check report controller: runs the check (in its worker) and passes each model's
// per-tensor errors to the page as they arrive. The page keeps the report in its state, so a
// reloaded window shows it again without re-running the check.

import * as vscode from "vscode";
import type { ModelSpec } from "../../engine/model/modelSpec";
import type { ToWebview } from "../../protocol/webview";
import { GradientCheckSummary, runGradientCheck } from "../gradientCheckCommand";
import { PanelContext } from "./panelContext";
import { PanelController } from "./panelController";
import { PanelHost } from "./panelHost";

export class GradientCheckPanel extends PanelController {
  /** Everything sent so far, replayed when the page loads. */
  private readonly sent: ToWebview[] = [];
  summary: Thenable<GradientCheckSummary | undefined> | null = null;

  static show(ctx: PanelContext, like?: ModelSpec): GradientCheckPanel {
    const host = PanelHost.create(ctx.extensionUri, "gradientCheck", vscode.l10n.t("Gradient check"), { kind: "gradientCheck" }, ctx.log);
    const panel = new GradientCheckPanel(ctx, host);
    panel.run(like);
    return panel;
  }

  constructor(ctx: PanelContext, host: PanelHost) {
    super(ctx, host);
    this.subscriptions.push(
      host.onReady(() => { for (const m of this.sent) host.post(m); }),
    );
  }

  private send(m: ToWebview): void {
    this.sent.push(m);
    this.host.post(m);
  }

  run(like?: ModelSpec): void {
    this.summary = runGradientCheck(this.ctx.extensionPath, this.ctx.log, like, {
      start: (settings, threshold, models) => this.send({ type: "check.start", settings, threshold, models }),
      result: (model, tensors) => this.send({ type: "check.result", model, tensors }),
      done: (passed, worst) => this.send({ type: "check.done", passed, worst }),
      failed: (message) => this.send({ type: "failed", message }),
    });
  }

}
