// npm run build: the AssemblyScript core in two precisions, then the TypeScript bundles.
//   dist/core-relaxed.wasm  f32, SIMD with relaxed (fused) multiply-add
//   dist/core.wasm          f32, SIMD128
//   dist/core-scalar.wasm   f32, no SIMD (runs anywhere)
//   dist/core64.wasm        f64 (gradient checks)
// The engine picks the first f32 build the runtime validates (src/engine/core/coreLoader.ts).
// Skips the wasm step when its outputs are newer than every source file.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import * as esbuild from "esbuild";

const root = new URL("..", import.meta.url).pathname;
const dist = join(root, "dist");
mkdirSync(dist, { recursive: true });

function newestMtime(dir) {
  let t = 0;
  for (const f of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, f.name);
    t = Math.max(t, f.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

const asc = join(root, "node_modules", ".bin", "asc");
const wasmSrc = join(root, "src", "wasm");
const builds = [
  { out: "core-relaxed.wasm", args: ["--use", "real=f32", "--enable", "simd", "--enable", "relaxed-simd"] },
  { out: "core.wasm", args: ["--use", "real=f32", "--enable", "simd"] },
  { out: "core-scalar.wasm", args: ["--use", "real=f32"] },
  { out: "core64.wasm", args: ["--use", "real=f64"] },
];
const srcTime = Math.max(newestMtime(wasmSrc), statSync(new URL(import.meta.url).pathname).mtimeMs);
for (const b of builds) {
  const out = join(dist, b.out);
  if (existsSync(out) && statSync(out).mtimeMs > srcTime) continue;
  execFileSync(asc, [join(wasmSrc, "index.ts"), "-o", out, "-O3", "--runtime", "stub", "--noAssert", ...b.args], { stdio: "inherit" });
}

const common = { bundle: true, platform: "node", target: "node20", format: "cjs", sourcemap: true, logLevel: "warning", loader: { ".py": "text" } };
await esbuild.build({
  ...common,
  entryPoints: {
    cli: "src/cli/main.ts",
    bench: "test/benchmarks/trainingThroughput.ts",
    compareCells: "test/benchmarks/compareCells.ts",
    extension: "src/extension/extension.ts",
    gradientCheckWorker: "src/extension/gradientCheckWorker.ts",
    interopWorker: "src/extension/interopWorker.ts",
    trainingWorker: "src/extension/trainingWorker.ts",
    modelWorker: "src/extension/modelWorker.ts",
    shardWorker: "src/engine/training/shardWorker.ts",
    insightWorker: "src/extension/insightWorker.ts",
    corpusWorker: "src/extension/corpusWorker.ts",
    forecastWorker: "src/extension/forecastWorker.ts",
    textTaskWorker: "src/extension/textTaskWorker.ts",
  },
  external: ["vscode"],
  outdir: dist,
});

// The panels' browser bundles (webview/): one ES module per panel, no Node, minified; what several
// panels share (Chart.js, the toolkit) goes once into chunk-*.js files that the entries import.
rmSync(join(dist, "webview"), { recursive: true, force: true }); // no chunks left from an older build
await esbuild.build({
  entryPoints: ["dashboard", "gateHeatmap", "gradientFlow", "generateText", "compareRuns", "gradientCheck", "forecast", "classificationReport", "explainPrediction", "textTaskTraining"].map((p) => `webview/${p}.ts`),
  outdir: join(dist, "webview"), bundle: true, platform: "browser", target: "chrome120", format: "esm", splitting: true,
  chunkNames: "chunk-[hash]", minify: true, sourcemap: false, logLevel: "warning",
});
