// What every panel controller shares: it is registered among the open panels while its page
// lives, owns subscriptions that end with it, and closing the page disposes it (and the reverse).

import * as vscode from "vscode";
import type { PanelContext } from "./panelContext";
import type { PanelHost } from "./panelHost";
import { pngBytes, saveExport } from "./panelExport";

export abstract class PanelController implements vscode.Disposable {
  protected readonly subscriptions: vscode.Disposable[] = [];

  constructor(protected readonly ctx: PanelContext, readonly host: PanelHost) {
    ctx.open.add(this);
    this.subscriptions.push(
      host.onDidDispose(() => this.dispose()),
      // any panel's charts can be saved as PNG
      host.onMessage((m) => { if (m.type === "export.png") void saveExport(ctx.log, m.name, "png", pngBytes(m.dataUrl)); }),
    );
  }

  dispose(): void {
    this.ctx.open.delete(this);
    for (const s of this.subscriptions) s.dispose();
    this.subscriptions.length = 0;
    this.host.dispose();
  }
}
