// One webview panel on the host's side: its HTML (CSP with a nonce, local resources only), the
// typed protocol in both directions with every incoming message checked, the "ready" handshake
// (a webview that VS Code destroyed while hidden asks for everything again), and disposal.

import * as vscode from "vscode";
import { FromWebview, PanelKind, PanelRestore, ToWebview, parseFromWebview } from "../../protocol/webview";
import { newNonce, panelHtml } from "./panelHtml";

export const VIEW_TYPES: Record<PanelKind, string> = {
  dashboard: "rnnLab.dashboard", gateHeatmap: "rnnLab.gateHeatmap", gradientFlow: "rnnLab.gradientFlow",
  generateText: "rnnLab.generateText", compareRuns: "rnnLab.compareRuns", gradientCheck: "rnnLab.gradientCheck",
  forecast: "rnnLab.forecast", classificationReport: "rnnLab.classificationReport", explainPrediction: "rnnLab.explainPrediction", textTaskTraining: "rnnLab.textTaskTraining",
};

/** Only the live training stream needs its page kept while hidden; the others redraw from the host on "ready". */
const RETAIN: Record<PanelKind, boolean> = { dashboard: true, gateHeatmap: false, gradientFlow: false, generateText: true, compareRuns: false, gradientCheck: true, forecast: false, classificationReport: false, explainPrediction: false, textTaskTraining: true };

export type RenderSummary = Record<string, number | string | boolean>;

export class PanelHost implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private isReady = false;
  private disposed = false;
  private readonly messages = new vscode.EventEmitter<FromWebview>();
  private readonly readyEvents = new vscode.EventEmitter<void>();
  private readonly renders = new vscode.EventEmitter<RenderSummary>();
  private readonly disposeEvents = new vscode.EventEmitter<void>();
  /** Every message the webview sends, checked. */
  readonly onMessage = this.messages.event;
  /** The page loaded (again): send it everything it shows. */
  readonly onReady = this.readyEvents.event;
  /** What the page says it drew (the integration tests wait on it). */
  readonly onDidRender = this.renders.event;
  readonly onDidDispose = this.disposeEvents.event;
  /** The latest summaries merged, key by key. */
  rendered: RenderSummary = {};
  ignored = 0; // messages that failed the checks
  failure: string | null = null; // the last failure the page was told about

  static create(extensionUri: vscode.Uri, kind: PanelKind, title: string, restore: PanelRestore, log: vscode.LogOutputChannel, column = vscode.ViewColumn.Beside): PanelHost {
    const panel = vscode.window.createWebviewPanel(VIEW_TYPES[kind], title, { viewColumn: column, preserveFocus: false }, {
      enableScripts: true, retainContextWhenHidden: RETAIN[kind], enableFindWidget: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, "dist"), vscode.Uri.joinPath(extensionUri, "media")],
    });
    return new PanelHost(extensionUri, kind, panel, restore, log);
  }

  /** Also used by the serializer, for a panel VS Code brings back after a reload. */
  constructor(extensionUri: vscode.Uri, readonly kind: PanelKind, readonly panel: vscode.WebviewPanel, private restore: PanelRestore, private readonly log: vscode.LogOutputChannel) {
    const webview = panel.webview;
    webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, "dist"), vscode.Uri.joinPath(extensionUri, "media")] };
    panel.iconPath = vscode.Uri.joinPath(extensionUri, "media", "rnn-lab.svg");
    webview.html = panelHtml({
      kind, title: panel.title, cspSource: webview.cspSource, nonce: newNonce(), lang: vscode.env.language, l10n: vscode.l10n.bundle,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, "dist", "webview", `${kind}.js`)).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, "media", "panels.css")).toString(),
    });
    this.disposables.push(
      webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)),
      panel.onDidDispose(() => this.dispose()),
      this.messages, this.readyEvents, this.renders,
    );
  }

  private receive(raw: unknown): void {
    const m = parseFromWebview(this.kind, raw);
    if (!m) {
      this.ignored++;
      this.log.warn(`${this.kind} panel: ignored a message that is not part of the protocol: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    if (m.type === "ready") {
      this.isReady = true;
      void this.panel.webview.postMessage({ type: "restore", restore: this.restore } satisfies ToWebview);
      this.readyEvents.fire();
    } else if (m.type === "rendered") {
      this.rendered = { ...this.rendered, ...m.summary };
      this.log.trace(`${this.kind} panel drew ${JSON.stringify(m.summary)}`);
      this.renders.fire(m.summary);
    }
    this.messages.fire(m);
  }

  get ready(): boolean { return this.isReady && !this.disposed; }

  /** Sends when the page is ready (before that the page asks for everything itself). */
  post(m: ToWebview): void {
    if (m.type === "failed") {
      this.failure = m.message;
      this.log.warn(`${this.kind} panel: ${m.message}`);
    }
    if (this.ready) void this.panel.webview.postMessage(m);
  }

  /** A new restore record (the panel now shows other text, say): kept in the page's state for a reload. */
  setRestore(restore: PanelRestore): void {
    this.restore = restore;
    this.post({ type: "restore", restore });
  }

  /** Resolves with the next render summary that satisfies `accept` (tests). */
  nextRender(accept: (s: RenderSummary) => boolean = () => true): Promise<RenderSummary> {
    return new Promise((resolve) => {
      const sub = this.onDidRender((s) => { if (accept(s)) { sub.dispose(); resolve(s); } });
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.disposeEvents.fire();
    this.disposeEvents.dispose();
    this.panel.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
