// The webview's end of the host protocol (src/protocol/webview.ts): posting, receiving, and the
// saved state that brings a panel back after a window reload.

import type { FromWebview, PanelRestore, ToWebview, WebviewState } from "../src/protocol/webview";

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();

export function post(m: FromWebview): void {
  api.postMessage(m);
}

/** Calls `handle` with each message from the host; "restore" records are saved here and not passed on. */
export function onMessage(handle: (m: ToWebview) => void): void {
  window.addEventListener("message", (e: MessageEvent) => {
    const m = e.data as ToWebview;
    if (typeof m !== "object" || m === null || typeof m.type !== "string") return;
    if (m.type === "restore") return saveState({ restore: m.restore });
    try {
      handle(m);
    } catch (err) {
      showFailure(`RNN Lab could not draw this: ${(err as Error).message}`);
      console.error(err);
    }
  });
}

export function loadState(): WebviewState {
  const s = api.getState();
  return typeof s === "object" && s !== null ? (s as WebviewState) : {};
}

export function saveState(change: Partial<WebviewState>): void {
  api.setState({ ...loadState(), ...change });
}

/** The panel's own view settings (layer, sort order, axis …), kept across reloads. */
export function viewSetting<T>(key: string, fallback: T): T {
  const v = loadState().view?.[key];
  return v === undefined ? fallback : (v as T);
}

export function saveViewSetting(key: string, value: unknown): void {
  saveState({ view: { ...loadState().view, [key]: value } });
}

export function restoreRecord(): PanelRestore | undefined {
  return loadState().restore;
}

/** Tells the host what was drawn (numbers only): the host's tests and trace log read it. */
export function reportRendered(summary: Record<string, number | string | boolean>): void {
  post({ type: "rendered", summary });
}

export function showFailure(message: string): void {
  const el = document.getElementById("status");
  if (el) {
    el.textContent = message;
    el.className = "status error";
  }
}

export function showStatus(message: string): void {
  const el = document.getElementById("status");
  if (el) {
    el.textContent = message;
    el.className = message ? "status" : "status hidden";
  }
}

export function ready(): void {
  post({ type: "ready" });
}
