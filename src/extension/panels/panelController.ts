// What every panel controller shares: it is registered among the open panels while its page
// lives, owns subscriptions that end with it, and closing the page disposes it (and the reverse).

import * as vscode from "vscode";
import type { PanelContext } from "./panelContext";
import type { PanelHost } from "./panelHost";

export abstract class PanelController implements vscode.Disposable {
  protected readonly subscriptions: vscode.Disposable[] = [];

  constructor(protected readonly ctx: PanelContext, readonly host: PanelHost) {
    ctx.open.add(this);
    this.subscriptions.push(host.onDidDispose(() => this.dispose()));
  }

  dispose(): void {
    this.ctx.open.delete(this);
    for (const s of this.subscriptions) s.dispose();
    this.subscriptions.length = 0;
    this.host.dispose();
  }
}
