// Every user-facing string of the extension goes through vscode.l10n (or package.nls) and has a
// Simplified Chinese translation with the same placeholders.

import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { projectRoot } from "../helpers";
import { USER_MESSAGES } from "../../src/engine/messages/userMessages";

const read = (p: string) => readFileSync(join(projectRoot, p), "utf8");
// every .ts file under src/extension (panels/ included)
const sources = (readdirSync(join(projectRoot, "src", "extension"), { recursive: true }) as string[]).filter((f) => f.endsWith(".ts")).map((f) => ({ f, text: read(join("src", "extension", f)) }));
// the panels' pages (webview/*.ts) translate with t("…") from the same bundle, which the host hands them
const pages = readdirSync(join(projectRoot, "webview")).filter((f) => f.endsWith(".ts")).map((f) => ({ f, text: read(join("webview", f)) }));
/** Names the host sends and the pages translate with t(name): quantities (engine/activations.ts), settings of a comparison (compareRunsPanel.ts) and of a gradient check (gradientCheckCommand.ts). */
const SENT_NAMES = [
  "input gate", "forget gate", "output gate", "candidate", "cell state", "hidden state", "reset gate", "update gate",
  "normalised forget gate", "normalised input gate", "reset hidden state",
  "cell", "layers", "hidden", "parameters", "corpus", "optimizer", "learning rate", "batch", "sequence length", "clip", "init", "dropout", "weight decay", "seed", "budget", "steps", "best validation",
  "precision", "finite differences", "ε", "relative error", "hidden units", "vocabulary", "weight std",
  "pre-activation", "leak α", "increment", "normalised input (candidate)", "normalised recurrent (candidate)", "normalised cell state",
  // a text task's or forecaster's comparison: its settings and its metrics (compareRunsPanel.ts)
  "task", "data", "directions", "classes", "tags", "lookback", "horizon", "best validation F1", "best validation MAE",
  "validation macro F1", "validation span F1", "validation word F1", "validation accuracy", "validation loss", "validation MAE", "validation RMSE",
  "best validation MASE", "best baseline's validation MAE", "test MAE", "validation MASE",
];
const placeholders = (s: string) => (s.match(/\{\d+\}/g) ?? []).sort().join(",");

test("every vscode.l10n.t and page t() string has a zh-cn translation with the same placeholders", () => {
  const bundle = JSON.parse(read("l10n/bundle.l10n.zh-cn.json")) as Record<string, string>;
  const used = new Set<string>();
  for (const { text } of sources) {
    for (const m of text.matchAll(/vscode\.l10n\.t\(\s*("(?:[^"\\]|\\.)*")/g)) used.add(JSON.parse(m[1]) as string);
  }
  const inPages = new Set<string>(SENT_NAMES);
  for (const { text } of pages) {
    for (const m of text.matchAll(/(?<![\w.])t\(\s*("(?:[^"\\]|\\.)*")/g)) inPages.add(JSON.parse(m[1]) as string);
  }
  assert.ok(inPages.size > 80, `${inPages.size} page strings found`);
  for (const s of inPages) used.add(s);
  // the engine's messages to users: the extension translates their templates (errorText.ts)
  const engine = Object.values(USER_MESSAGES);
  assert.ok(engine.length > 20, `${engine.length} engine messages`);
  for (const s of engine) used.add(s);
  assert.ok(used.size > 100, `${used.size} strings found`);
  for (const s of used) {
    assert.ok(bundle[s], `no translation for ${JSON.stringify(s)}`);
    assert.equal(placeholders(bundle[s]), placeholders(s), `placeholders of ${JSON.stringify(s)}`);
  }
  for (const k of Object.keys(bundle)) assert.ok(used.has(k), `unused translation ${JSON.stringify(k)}`);
});

test("no message, quick pick title or prompt is a bare string literal", () => {
  for (const { f, text } of sources) {
    const bare = text.match(/show(Error|Information|Warning)Message\(\s*[`"]|prompts\.(info|warn|error|confirm)\(\s*[`"]|prompts\.message\(\s*"\w+",\s*[`"]|(title|prompt|placeHolder): [`"]/g);
    assert.equal(bare, null, `${f}: ${bare?.join(", ")}`);
  }
});

test("package.json's %keys% are in package.nls.json and package.nls.zh-cn.json", () => {
  const pkg = read("package.json");
  const en = JSON.parse(read("package.nls.json")) as Record<string, string>;
  const zh = JSON.parse(read("package.nls.zh-cn.json")) as Record<string, string>;
  const keys = [...pkg.matchAll(/"%([^%"]+)%"/g)].map((m) => m[1]);
  assert.ok(keys.length > 40);
  for (const k of keys) {
    assert.ok(en[k], `package.nls.json lacks ${k}`);
    assert.ok(zh[k] && zh[k] !== en[k] || k === "displayName" || k === "view.container", `package.nls.zh-cn.json lacks a translation of ${k}`);
  }
  assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort());
});
