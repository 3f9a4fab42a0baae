// The HTML every panel starts from: a strict Content-Security-Policy (the entry script only with this
// page's nonce; the chunks it imports, styles, fonts and images only from the extension's own files),
// the shared stylesheet and the panel's bundle. No vscode import: the Chromium tests load the same page.

import type { PanelKind } from "../../protocol/webview";

export interface PanelPage {
  kind: PanelKind;
  title: string;
  cspSource: string; // webview.cspSource
  scriptUri: string; // dist/webview/<kind>.js through asWebviewUri
  styleUri: string; // media/panels.css through asWebviewUri
  nonce: string;
  lang?: string;
  /** VS Code's l10n bundle for the display language (vscode.l10n.bundle); none for English. */
  l10n?: Record<string, string>;
}

export function newNonce(): string {
  const bytes = new Uint8Array(18);
  crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString("base64").replace(/[^A-Za-z0-9]/g, "");
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function panelHtml(p: PanelPage): string {
  const csp = [
    "default-src 'none'",
    `img-src ${p.cspSource} data:`,
    // the nonce: the toolkit (FAST) probes :focus-visible support with a <style> element that carries the csp-nonce below
    `style-src ${p.cspSource} 'nonce-${p.nonce}'`,
    `font-src ${p.cspSource}`,
    // the entry needs this page's nonce; the chunks it imports come from the extension's own files
    `script-src 'nonce-${p.nonce}' ${p.cspSource}`,
  ].join("; ");
  return `<!DOCTYPE html>
<html lang="${escape(p.lang ?? "en")}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta property="csp-nonce" content="${p.nonce}">
<meta name="rnn-lab-l10n" content="${escape(JSON.stringify(p.l10n ?? {}))}">
<link rel="stylesheet" href="${escape(p.styleUri)}">
<title>${escape(p.title)}</title>
</head>
<body data-panel="${p.kind}">
<div id="status" class="status hidden" role="status"></div>
<main id="app"></main>
<script type="module" nonce="${p.nonce}" src="${escape(p.scriptUri)}"></script>
</body>
</html>`;
}
