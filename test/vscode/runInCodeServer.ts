// Runs RNN Lab in a real VS Code: code-server 4.100.3 (VS Code 1.100.3, a real Node extension host)
// driven by Debian's Chromium through playwright-core. @vscode/test-electron cannot download VS
// Code on these machines; this does what it does with what can be had (test/vscode/installCodeServer.sh).
//   1. the mocha suite (suite/extension.test.ts) inside the extension host, via the workbench payload
//   2. the same as a person: command palette → "RNN Lab: Train Model on Current File" → quick pick →
//      status bar → notification, with screenshots in .test-output/vscode/
// Prints "N passed, N failed" and exits non-zero on any failure.

import { ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { format } from "node:util";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, Frame, Page } from "playwright-core";

const root = join(__dirname, "..", "..");
const codeServer = join(root, ".vscode-test", "code-server", "node_modules", ".bin", "code-server");
const shots = join(root, ".test-output", "vscode");
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function makeWorkspace(): string {
  const ws = mkdtempSync(join(tmpdir(), "rnnlab-ws-"));
  writeFileSync(join(ws, "corpus.txt"), readFileSync(join(root, "media", "corpus", "tinyshakespeare.txt"), "utf8").slice(0, 60000));
  return ws;
}

async function startCodeServer(port: number): Promise<{ proc: ChildProcess; userData: string }> {
  const userData = mkdtempSync(join(tmpdir(), "rnnlab-ud-"));
  mkdirSync(join(userData, "User"), { recursive: true });
  writeFileSync(join(userData, "User", "settings.json"), JSON.stringify({ "security.workspace.trust.enabled": false, "workbench.startupEditor": "none", "window.commandCenter": false }));
  const extensions = mkdtempSync(join(tmpdir(), "rnnlab-ext-"));
  const proc = spawn(codeServer, ["--bind-addr", `127.0.0.1:${port}`, "--auth", "none", "--disable-telemetry", "--disable-update-check",
    "--user-data-dir", userData, "--extensions-dir", extensions], { env: { ...process.env, EXTENSIONS_GALLERY: "{}" }, detached: true, stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return { proc, userData };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("code-server did not start within 20 s");
}

function stop(proc: ChildProcess): void {
  // code-server leaves file-watcher children: end its whole process group
  try { process.kill(-proc.pid!, "SIGTERM"); } catch { /* already gone */ }
}

async function waitWorkbench(page: Page): Promise<void> {
  await page.waitForSelector(".monaco-workbench", { timeout: 60_000 });
}

async function runSuite(page: Page, port: number, ws: string): Promise<{ passed: number; failed: number }> {
  const remote = (p: string) => `vscode-remote://127.0.0.1:${port}${p}`;
  const payload = [["extensionDevelopmentPath", remote(root)], ["extensionTestsPath", remote(join(root, "out", "vscode", "suite", "index.js"))], ["skipWelcome", "true"]];
  let output = "";
  const exit = new Promise<number>((resolve) => {
    void page.exposeFunction("codeAutomationExit", (code: number) => resolve(code));
    void page.exposeFunction("codeAutomationLog", (_type: string, args: unknown[]) => {
      const line = format(...(args as [unknown, ...unknown[]])); // mocha logs printf-style
      if (/additional builtin extensions|ChatSessionStore|workbench contribution/.test(line)) return;
      output += line + "\n";
      process.stdout.write(`  [extension host] ${line}\n`);
    });
  });
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
  await waitWorkbench(page);
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([exit, new Promise<number>((r) => { timer = setTimeout(() => r(-1), 240_000); })]);
  clearTimeout(timer);
  await page.screenshot({ path: join(shots, "suite-end.png") });
  const passed = Number(/(\d+) passing/.exec(output)?.[1] ?? 0);
  const failed = Number(/(\d+) failing/.exec(output)?.[1] ?? 0) + (code === 0 ? 0 : passed === 0 ? 1 : 0);
  if (code === -1) process.stdout.write("  the suite did not finish within 240 s\n");
  return { passed, failed: code === 0 ? failed : Math.max(1, failed) };
}

/** Runs a command as a person does: Ctrl+Shift+P, its title, Enter. */
async function fromCommandPalette(page: Page, title: string): Promise<void> {
  await page.keyboard.press("Control+Shift+P");
  await page.waitForSelector(".quick-input-widget input");
  await page.keyboard.type(title);
  await page.waitForTimeout(800);
  await page.keyboard.press("Enter");
}

async function runAsPerson(page: Page, port: number, ws: string): Promise<string[]> {
  const problems: string[] = [];
  const payload = [["extensionDevelopmentPath", `vscode-remote://127.0.0.1:${port}${root}`], ["skipWelcome", "true"]];
  mkdirSync(join(ws, ".vscode"), { recursive: true });
  writeFileSync(join(ws, ".vscode", "settings.json"), JSON.stringify({ "rnnLab.trainingSeconds": 8, "rnnLab.hiddenSize": 64, "rnnLab.layers": 1, "rnnLab.threads": 2, "rnnLab.resumeInterruptedRuns": "never" }));
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
  await waitWorkbench(page);
  await page.waitForTimeout(2500);
  await page.keyboard.press("Control+P");
  await page.waitForSelector(".quick-input-widget input");
  await page.keyboard.type("corpus.txt");
  await page.waitForFunction(() => Array.from(document.querySelectorAll(".quick-input-list .monaco-list-row")).some((e) => (e.textContent ?? "").includes("corpus.txt")), undefined, { timeout: 20_000 });
  await page.keyboard.press("Enter");
  await page.waitForSelector(".monaco-editor .view-line", { timeout: 20_000 });
  await page.screenshot({ path: join(shots, "file-open.png") });
  await fromCommandPalette(page, "RNN Lab: Train Model on Current File");
  // three quick picks: cell, size, budget; the defaults come from the workspace settings
  for (const shot of ["cell-pick", "size-pick", "budget-pick"]) {
    await page.waitForSelector(".quick-input-widget .quick-input-list .monaco-list-row", { timeout: 20_000 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(shots, `${shot}.png`) });
    await page.keyboard.press("Enter");
  }
  try {
    await page.waitForFunction(() => Array.from(document.querySelectorAll(".statusbar-item")).some((e) => /RNN Lab: step \d+/.test(e.textContent ?? "")), undefined, { timeout: 30_000 });
    await page.screenshot({ path: join(shots, "training-status-bar.png") });
    // clicking the status bar item opens the run's live dashboard
    await page.locator(".statusbar-item", { hasText: /RNN Lab: step \d+/ }).first().click();
    if (!(await panelFrame(page, "#loss-chart"))) problems.push("clicking the status bar did not open the training dashboard");
    await page.waitForTimeout(1500);
    await page.screenshot({ path: join(shots, "dashboard-live.png") });
  } catch (e) {
    problems.push(`the status bar never showed training progress (${(e as Error).message.split("\n")[0]})`);
  }
  try {
    await page.waitForFunction(() => Array.from(document.querySelectorAll(".notification-list-item-message")).some((e) => /RNN Lab: trained .* to step \d+/.test(e.textContent ?? "")), undefined, { timeout: 60_000 });
    await page.screenshot({ path: join(shots, "training-done.png") });
  } catch {
    problems.push("no 'trained … to step N' notification");
    await page.screenshot({ path: join(shots, "training-done-missing.png") });
  }
  // the model explorer in the RNN Lab sidebar shows the new model
  await fromCommandPalette(page, "View: Show RNN Lab");
  try {
    await page.waitForFunction(() => Array.from(document.querySelectorAll(".monaco-list-row")).some((e) => /corpus\.txt.*LSTM 1×64.*done/.test(e.textContent ?? "")), undefined, { timeout: 20_000 });
    await page.screenshot({ path: join(shots, "model-explorer.png") });
  } catch {
    problems.push("the model explorer does not show the trained model as done");
    await page.screenshot({ path: join(shots, "model-explorer-missing.png") });
  }
  // hover over text in the editor and read the prediction
  try {
    const span = page.locator(".monaco-editor .view-line span span").nth(12);
    await span.hover();
    await page.waitForFunction(() => Array.from(document.querySelectorAll(".monaco-hover-content")).some((e) => /RNN Lab: next character/.test(e.textContent ?? "")), undefined, { timeout: 15_000 });
    await page.waitForTimeout(600); // the hover fades in
    await page.screenshot({ path: join(shots, "prediction-hover.png") });
  } catch {
    problems.push("no prediction hover over the text");
    await page.screenshot({ path: join(shots, "prediction-hover-missing.png") });
  }
  // the gate heatmap of the line under the cursor, from the command palette
  try {
    await page.locator(".monaco-editor .view-line").nth(2).click();
    await fromCommandPalette(page, "RNN Lab: Show Gate Heatmap");
    const frame = await panelFrame(page, "#heatmap");
    if (!frame) throw new Error("no heatmap in any webview");
    await frame.waitForFunction(() => (document.querySelector("#heatmap") as HTMLCanvasElement).width > 0, undefined, { timeout: 20_000 });
    await page.waitForTimeout(800);
    await page.screenshot({ path: join(shots, "gate-heatmap.png") });
  } catch (e) {
    problems.push(`the gate heatmap did not draw: ${(e as Error).message.split("\n")[0]}`);
    await page.screenshot({ path: join(shots, "gate-heatmap-missing.png") });
  }
  const runs = join(ws, ".rnnlab");
  const checkpoint = existsSync(runs) && readdirSync(runs).some((m) => existsSync(join(runs, m, "runs")) && readdirSync(join(runs, m, "runs")).some((r) => existsSync(join(runs, m, "runs", r, "checkpoints", "best.safetensors"))));
  if (!checkpoint) problems.push("no checkpoint under .rnnlab/<model>/runs/<run>/checkpoints/");
  return problems;
}

/** The webview frame (VS Code nests each panel's page in iframes) that has `selector`, within 30 s. */
async function panelFrame(page: Page, selector: string): Promise<Frame | null> {
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    for (const f of page.frames()) {
      if (await f.$(selector).catch(() => null)) return f;
    }
    await page.waitForTimeout(250);
  }
  return null;
}

/** A window with no folder open: training says it needs a folder and offers to open one; nothing is written. */
async function runWithoutFolder(page: Page, port: number): Promise<string[]> {
  const payload = [["extensionDevelopmentPath", `vscode-remote://127.0.0.1:${port}${root}`], ["skipWelcome", "true"]];
  await page.goto(`http://127.0.0.1:${port}/?ew=true&payload=${encodeURIComponent(JSON.stringify(payload))}`);
  await waitWorkbench(page);
  await page.waitForTimeout(2000);
  // pick the row by its exact label: "File: Compare New Untitled Text Files" matches the same words
  await page.keyboard.press("Control+Shift+P");
  await page.waitForSelector(".quick-input-widget input");
  await page.keyboard.type("New Untitled Text File");
  const row = page.locator(".quick-input-list .monaco-list-row", { has: page.locator(".label-name", { hasText: /^File: New Untitled Text File$/ }) });
  await row.first().click({ timeout: 20_000 });
  await page.waitForSelector(".monaco-editor .view-lines", { timeout: 20_000 });
  await page.keyboard.type("to be or not to be, that is the question\n".repeat(3));
  await fromCommandPalette(page, "RNN Lab: Train Model on Current File");
  try {
    await page.waitForFunction(() => Array.from(document.querySelectorAll(".notification-list-item")).some((e) => /open a folder first/.test(e.textContent ?? "") && /Open Folder/.test(e.textContent ?? "")), undefined, { timeout: 30_000 });
    await page.waitForTimeout(600); // the notification fades in
    await page.screenshot({ path: join(shots, "no-folder.png") });
    return [];
  } catch {
    await page.screenshot({ path: join(shots, "no-folder-missing.png") });
    return ["without a folder, training did not say to open one"];
  }
}

async function main(): Promise<number> {
  if (!existsSync(codeServer)) {
    process.stdout.write("code-server is not installed: run test/vscode/installCodeServer.sh (as root, Debian)\n");
    return 1;
  }
  rmSync(shots, { recursive: true, force: true });
  mkdirSync(shots, { recursive: true });
  const port = await freePort();
  const { proc } = await startCodeServer(port);
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  let passed = 0, failed = 0;
  try {
    const suite = await runSuite(await browser.newPage({ viewport: { width: 1400, height: 900 } }), port, makeWorkspace());
    passed += suite.passed;
    failed += suite.failed;
    const problems = await runAsPerson(await browser.newPage({ viewport: { width: 1400, height: 900 } }), port, makeWorkspace());
    problems.push(...await runWithoutFolder(await browser.newPage({ viewport: { width: 1400, height: 900 } }), port));
    for (const p of problems) process.stdout.write(`  UI: ${p}\n`);
    if (problems.length) failed++;
    else passed++;
    process.stdout.write(`  UI: trained from the command palette; screenshots in ${shots}\n`);
  } finally {
    await browser.close();
    stop(proc);
  }
  process.stdout.write(`vscode: ${passed} passed, ${failed} failed\n`);
  return failed ? 1 : 0;
}

// Exit explicitly: once the summary is out, a handle left behind by the browser or code-server (a
// pipe of a process that is already gone) must not keep the run, and CI, waiting.
void main().then((code) => process.exit(code), (e) => { process.stdout.write(`vscode: ${String(e)}\n`); process.exit(1); });
