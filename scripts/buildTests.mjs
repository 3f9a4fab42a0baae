// Bundles each test/unit/*.test.ts into out/test/ for `node --test`, next to copies of the wasm
// cores and the training-thread script (the engine loads them from its own folder).

import { copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as esbuild from "esbuild";

const root = new URL("..", import.meta.url).pathname;
const out = join(root, "out", "test");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
// test/unit (plain Node) and test/webview (panels in headless Chromium), flattened into out/test/
const entries = Object.fromEntries(["unit", "webview"].flatMap((dir) => readdirSync(join(root, "test", dir)).filter((f) => f.endsWith(".test.ts")).map((f) => [f.replace(/\.ts$/, ""), join(root, "test", dir, f)])));
// onnxruntime-web stays in node_modules: it loads its own .wasm files from there
await esbuild.build({ entryPoints: entries, outdir: out, bundle: true, platform: "node", target: "node20", format: "cjs", sourcemap: true, logLevel: "warning", loader: { ".py": "text" }, external: ["onnxruntime-web", "playwright-core"] });
// The real-VS-Code suite (run inside the extension host) and its runner (test/vscode/).
const vscodeOut = join(root, "out", "vscode");
rmSync(vscodeOut, { recursive: true, force: true });
await esbuild.build({
  entryPoints: { "suite/index": "test/vscode/suite/index.ts", "suite/extension.test": "test/vscode/suite/extension.test.ts", "suite/extension.zh-cn.test": "test/vscode/suite/extension.zh-cn.test.ts", "suite/forecast.test": "test/vscode/suite/forecast.test.ts", "suite/cells.test": "test/vscode/suite/cells.test.ts", "suite/textTasks.test": "test/vscode/suite/textTasks.test.ts", runInCodeServer: "test/vscode/runInCodeServer.ts" },
  outdir: vscodeOut, bundle: true, platform: "node", target: "node20", format: "cjs", sourcemap: true, logLevel: "warning", loader: { ".py": "text" },
  external: ["vscode", "mocha", "playwright-core"],
});
for (const w of ["core-relaxed.wasm", "core.wasm", "core-scalar.wasm", "core64.wasm", "shardWorker.js"]) copyFileSync(join(root, "dist", w), join(out, w));
