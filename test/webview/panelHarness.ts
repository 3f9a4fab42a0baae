// Loads a panel's real bundle (dist/webview/<panel>.js) in headless Chromium, in the page the host
// makes (src/extension/panels/panelHtml.ts, CSP and all), served over a local HTTP server, with a
// stub of VS Code's acquireVsCodeApi bridge that records what the page posts and holds its state.
// Messages are fed as VS Code would; typed arrays cross into the page intact.

import { createServer, Server } from "node:http";
import { readFileSync, existsSync, mkdirSync } from "node:fs";
import { join, normalize } from "node:path";
import { after, before } from "node:test";
import { AddressInfo } from "node:net";
import { Browser, Page, chromium } from "playwright-core";
import { panelHtml } from "../../src/extension/panels/panelHtml";
import type { PanelKind, ToWebview } from "../../src/protocol/webview";
import { projectRoot } from "../helpers";

export const SCREENSHOTS = join(projectRoot, ".test-output", "webview");
const CHROMIUM = "/usr/bin/chromium";
export const chromiumAvailable = existsSync(CHROMIUM);

/** A subset of a real VS Code theme's variables (values from Light+ and Dark+). */
export const THEMES = {
  light: {
    bodyClass: "vscode-light",
    vars: {
      "--vscode-foreground": "#3b3b3b", "--vscode-editor-foreground": "#3b3b3b", "--vscode-editor-background": "#ffffff", "--vscode-descriptionForeground": "#717171",
      "--vscode-charts-lines": "rgba(97, 97, 97, 0.5)", "--vscode-charts-blue": "#1a85ff", "--vscode-charts-orange": "#d18616", "--vscode-charts-green": "#388a34",
      "--vscode-charts-red": "#e51400", "--vscode-charts-purple": "#652d90", "--vscode-charts-yellow": "#bf8803", "--vscode-focusBorder": "#005fb8",
      "--vscode-font-family": "sans-serif", "--vscode-font-size": "13px", "--vscode-editor-font-family": "monospace", "--vscode-editor-font-size": "13px",
      "--vscode-button-background": "#005fb8", "--vscode-button-foreground": "#ffffff", "--vscode-panel-border": "#e5e5e5",
      "--vscode-editor-findMatchHighlightBackground": "rgba(234, 92, 0, 0.33)", "--vscode-textBlockQuote-background": "#f8f8f8",
      "--vscode-dropdown-background": "#ffffff", "--vscode-dropdown-foreground": "#3b3b3b", "--vscode-dropdown-border": "#cecece",
      "--vscode-input-background": "#ffffff", "--vscode-input-foreground": "#3b3b3b", "--vscode-input-border": "#cecece",
      "--vscode-checkbox-background": "#f8f8f8", "--vscode-checkbox-foreground": "#3b3b3b", "--vscode-checkbox-border": "#cecece",
      "--vscode-button-secondaryBackground": "#e5e5e5", "--vscode-button-secondaryForeground": "#3b3b3b",
    },
  },
  dark: {
    bodyClass: "vscode-dark",
    vars: {
      "--vscode-foreground": "#cccccc", "--vscode-editor-foreground": "#cccccc", "--vscode-editor-background": "#1f1f1f", "--vscode-descriptionForeground": "#9d9d9d",
      "--vscode-charts-lines": "rgba(204, 204, 204, 0.5)", "--vscode-charts-blue": "#3794ff", "--vscode-charts-orange": "#d18616", "--vscode-charts-green": "#89d185",
      "--vscode-charts-red": "#f14c4c", "--vscode-charts-purple": "#b180d7", "--vscode-charts-yellow": "#cca700", "--vscode-focusBorder": "#0078d4",
      "--vscode-font-family": "sans-serif", "--vscode-font-size": "13px", "--vscode-editor-font-family": "monospace", "--vscode-editor-font-size": "13px",
      "--vscode-button-background": "#0078d4", "--vscode-button-foreground": "#ffffff", "--vscode-panel-border": "#2b2b2b",
      "--vscode-editor-findMatchHighlightBackground": "rgba(234, 92, 0, 0.33)", "--vscode-textBlockQuote-background": "#2b2b2b",
      "--vscode-dropdown-background": "#313131", "--vscode-dropdown-foreground": "#cccccc", "--vscode-dropdown-border": "#3c3c3c",
      "--vscode-input-background": "#313131", "--vscode-input-foreground": "#cccccc", "--vscode-input-border": "#3c3c3c",
      "--vscode-checkbox-background": "#313131", "--vscode-checkbox-foreground": "#cccccc", "--vscode-checkbox-border": "#3c3c3c",
      "--vscode-button-secondaryBackground": "#313131", "--vscode-button-secondaryForeground": "#cccccc",
    },
  },
  // VS Code's Dark High Contrast: black, white text, cyan borders and an orange focus ring (values as
  // the colour registry gives them for hcDark, where a theme leaves them to it)
  highContrast: {
    bodyClass: "vscode-high-contrast",
    vars: {
      "--vscode-foreground": "#ffffff", "--vscode-editor-foreground": "#ffffff", "--vscode-editor-background": "#000000", "--vscode-descriptionForeground": "#ffffffb3",
      "--vscode-charts-lines": "rgba(255, 255, 255, 0.5)", "--vscode-charts-blue": "#3794ff", "--vscode-charts-orange": "#f38518", "--vscode-charts-green": "#89d185",
      "--vscode-charts-red": "#f48771", "--vscode-charts-purple": "#b180d7", "--vscode-charts-yellow": "#ffd370", "--vscode-focusBorder": "#f38518",
      "--vscode-contrastBorder": "#6fc3df", "--vscode-contrastActiveBorder": "#f38518",
      "--vscode-font-family": "sans-serif", "--vscode-font-size": "13px", "--vscode-editor-font-family": "monospace", "--vscode-editor-font-size": "13px",
      "--vscode-button-background": "#000000", "--vscode-button-foreground": "#ffffff", "--vscode-button-border": "#6fc3df", "--vscode-panel-border": "#6fc3df",
      "--vscode-editor-findMatchHighlightBackground": "transparent", "--vscode-editor-findMatchHighlightBorder": "#f38518", "--vscode-textBlockQuote-background": "#000000",
      "--vscode-dropdown-background": "#000000", "--vscode-dropdown-foreground": "#ffffff", "--vscode-dropdown-border": "#6fc3df",
      "--vscode-input-background": "#000000", "--vscode-input-foreground": "#ffffff", "--vscode-input-border": "#6fc3df",
      "--vscode-checkbox-background": "#000000", "--vscode-checkbox-foreground": "#ffffff", "--vscode-checkbox-border": "#6fc3df",
      "--vscode-button-secondaryBackground": "#000000", "--vscode-button-secondaryForeground": "#ffffff",
    },
  },
};
export type ThemeName = keyof typeof THEMES;

let server: Server | null = null;
let origin = "";
let browser: Browser | null = null;

/** The harness for one test file: started before its tests (failing them, with the fix, where Chromium is missing), stopped after. */
export function useHarness(): void {
  before(async () => {
    if (!chromiumAvailable) throw new Error("the panel tests need Debian's chromium at /usr/bin/chromium: run test/vscode/installCodeServer.sh (npm test does)");
    await startHarness();
  });
  after(async () => { if (chromiumAvailable) await stopHarness(); });
}

export async function startHarness(): Promise<void> {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", origin);
    if (url.pathname === "/favicon.ico") { res.writeHead(204); return res.end(); } // a browser asks; a webview would not
    const m = url.pathname.match(/^\/panel\/(\w+)\.html$/);
    if (m) {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      // ?lang=zh-cn: the bundle VS Code would hand the host in Simplified Chinese
      const l10n = url.searchParams.get("lang") === "zh-cn" ? JSON.parse(readFileSync(join(projectRoot, "l10n", "bundle.l10n.zh-cn.json"), "utf8")) : undefined;
      return res.end(panelHtml({ kind: m[1] as PanelKind, title: m[1], cspSource: origin, nonce: "testnonce" + Date.now(), scriptUri: `${origin}/dist/webview/${m[1]}.js`, styleUri: `${origin}/media/panels.css`, l10n, lang: l10n ? "zh-cn" : "en" }));
    }
    const path = normalize(join(projectRoot, url.pathname));
    if (!(path.startsWith(join(projectRoot, "dist")) || path.startsWith(join(projectRoot, "media"))) || !existsSync(path)) { res.writeHead(404); return res.end(); }
    res.writeHead(200, { "content-type": path.endsWith(".js") ? "text/javascript" : path.endsWith(".css") ? "text/css" : "application/octet-stream" });
    res.end(readFileSync(path));
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"] });
  mkdirSync(SCREENSHOTS, { recursive: true });
}

export async function stopHarness(): Promise<void> {
  await browser?.close();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
}

export interface OpenPanel {
  page: Page;
  /** Everything the page posted to the host, in order. */
  posted(): Promise<{ type: string; [k: string]: unknown }[]>;
  send(m: ToWebview): Promise<void>;
  /** Resolves with the next "rendered" summary posted after `since` messages. */
  rendered(since?: number, accept?: (s: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  problems: string[]; // CSP violations, page errors, console errors
  setTheme(theme: ThemeName): Promise<void>;
  screenshot(name: string): Promise<string>;
}

// Typed arrays as base64 of their bytes for page.evaluate, revived inside the page as the same type.
function encode(v: unknown): unknown {
  if (ArrayBuffer.isView(v)) return { __typed: v.constructor.name, b64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") };
  if (Array.isArray(v)) return v.map(encode);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encode(x)]));
  return v;
}

export async function openPanel(kind: PanelKind, theme: ThemeName, state: unknown = undefined, zoom = 1, lang: "en" | "zh-cn" = "en"): Promise<OpenPanel> {
  const context = await browser!.newContext({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: zoom });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  await page.addInitScript(({ theme, state }) => {
    const w = window as unknown as Record<string, unknown>;
    const posted: unknown[] = [];
    w.__posted = posted;
    w.__state = state;
    w.acquireVsCodeApi = () => ({ postMessage: (m: unknown) => posted.push(JSON.parse(JSON.stringify(m))), getState: () => w.__state, setState: (s: unknown) => { w.__state = s; } });
    document.addEventListener("securitypolicyviolation", (e) => posted.push({ type: "__csp", directive: e.violatedDirective, uri: e.blockedURI }));
    // the init script runs before <html> exists: apply the theme as the elements appear
    const applied = { root: false, body: false };
    const apply = () => {
      if (!applied.root && document.documentElement) { for (const [k, v] of Object.entries(theme.vars)) document.documentElement.style.setProperty(k, v); applied.root = true; }
      if (!applied.body && document.body) { document.body.classList.add(theme.bodyClass); applied.body = true; }
      return applied.root && applied.body;
    };
    if (!apply()) { const obs = new MutationObserver(() => { if (apply()) obs.disconnect(); }); obs.observe(document, { childList: true, subtree: true }); }
    w.__revive = (v: unknown): unknown => {
      const r = w.__revive as (x: unknown) => unknown;
      if (Array.isArray(v)) return v.map(r);
      if (v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        if (typeof o.__typed === "string") {
          const bytes = Uint8Array.from(atob(o.b64 as string), (c) => c.charCodeAt(0));
          return new (globalThis as unknown as Record<string, new (b: ArrayBuffer) => unknown>)[o.__typed](bytes.buffer);
        }
        return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, r(x)]));
      }
      return v;
    };
  }, { theme: THEMES[theme], state });
  await page.goto(`${origin}/panel/${kind}.html?lang=${lang}`);
  const posted = () => page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted) as Promise<{ type: string; [k: string]: unknown }[]>;
  await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === "ready"));
  const open: OpenPanel = {
    page, problems, posted,
    send: async (m) => {
      await page.evaluate((data) => {
        const w = window as unknown as { __revive: (x: unknown) => unknown };
        window.postMessage(w.__revive(data), "*");
      }, encode(m));
    },
    rendered: async (since = 0, accept = () => true) => {
      for (let k = 0; k < 200; k++) {
        const all = await posted();
        const hit = all.slice(since).find((m) => m.type === "rendered" && accept(m.summary as Record<string, unknown>));
        if (hit) return hit.summary as Record<string, unknown>;
        await page.waitForTimeout(25);
      }
      throw new Error(`${kind}: no matching render; posted ${JSON.stringify((await posted()).slice(since)).slice(0, 500)}`);
    },
    setTheme: async (name) => {
      await page.evaluate((t) => {
        for (const [k, v] of Object.entries(t.vars)) document.documentElement.style.setProperty(k, v);
        document.body.classList.remove("vscode-light", "vscode-dark", "vscode-high-contrast");
        document.body.classList.add(t.bodyClass);
      }, THEMES[name]);
    },
    screenshot: async (name) => {
      const path = join(SCREENSHOTS, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
  };
  // the last page's context may still be closing when stopHarness closes the browser: that is no error
  page.on("close", () => context.close().catch(() => undefined));
  return open;
}

/** [r, g, b, a] of a canvas's own pixel (canvas coordinates, not CSS pixels). */
export function canvasPixel(page: Page, selector: string, x: number, y: number): Promise<number[]> {
  return page.evaluate(({ selector, x, y }) => {
    const c = document.querySelector(selector) as HTMLCanvasElement;
    return Array.from(c.getContext("2d")!.getImageData(x, y, 1, 1).data);
  }, { selector, x, y });
}

/** How many pixels of a canvas are within `tol` of an rgb colour (lines of a chart in a series colour). */
export function countColor(page: Page, selector: string, rgb: number[], tol = 40): Promise<number> {
  return page.evaluate(({ selector, rgb, tol }) => {
    const c = document.querySelector(selector) as HTMLCanvasElement;
    const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let p = 0; p < d.length; p += 4) {
      if (d[p + 3] > 128 && Math.abs(d[p] - rgb[0]) + Math.abs(d[p + 1] - rgb[1]) + Math.abs(d[p + 2] - rgb[2]) < tol) n++;
    }
    return n;
  }, { selector, rgb, tol });
}

export function hex(h: string): number[] {
  return [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
}
