// Issue 17's closing-note numbers: each cell at the LSTM 1×128's parameter count (hidden size from
// hiddenForParameters) trained for the same wall-clock time (argv[2] seconds, 1 thread, seed 1) on
// the bundled corpus, then ‖∂L_T/∂h_t‖ at distance 0, 50 and 100 (gradientFlow, window 101, 16
// windows of the corpus's last 100,000 characters, geometric mean), at initialisation and trained.
// Bundle next to dist/cli.js and run:  npx esbuild test/benchmarks/cellGradientFlow.ts --bundle
//   --platform=node --outfile=dist/cellGradientFlow.js && node dist/cellGradientFlow.js 40
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { hiddenForParameters, parameterCount } from "../../src/engine/runs/experiments";
import { loadCheckpoint } from "../../src/engine/files/checkpointFile";
import { gradientFlow } from "../../src/engine/insight/gradientFlow";
import { Core } from "../../src/engine/core/core";
import { coreShape } from "../../src/engine/model/cells";
import { initialiseParameters } from "../../src/engine/model/initialise";
import type { ModelSpec } from "../../src/engine/model/modelSpec";
const corpus = join(__dirname, "..", "media", "corpus", "tinyshakespeare.txt");
const cli = join(__dirname, "cli.js");
const seconds = process.argv[2] ?? "40";
const base: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 1, hidden: 128, embed: 0, vocabSize: 65, peephole: false, coupled: false, residual: false };
const target = parameterCount(base);
const cells: [string, Partial<ModelSpec>, string[]][] = [
  ["LSTM", { cell: "lstm" }, []], ["GRU", { cell: "gru" }, []], ["RNN", { cell: "rnn" }, []],
  ["CTRNN τ=4", { cell: "ctrnn", tau: 4 }, ["--tau", "4"]], ["CTRNN τ learned from 4", { cell: "ctrnn", tau: 4, learnTau: true }, ["--tau", "4", "--learn-tau"]],
  ["additive input", { cell: "additive", additiveForm: "input" }, ["--additive-form", "input"]], ["additive state", { cell: "additive", additiveForm: "state" }, ["--additive-form", "state"]],
];
const text = readFileSync(corpus, "utf8").slice(1_000_000, 1_100_000);
for (const [name, o, flags] of cells) {
  const spec = { ...base, ...o } as ModelSpec;
  const hidden = spec.cell === "lstm" ? 128 : hiddenForParameters(spec, target);
  const out = `/tmp/gf/${name.replace(/[^a-z0-9]+/gi, "_")}.safetensors`;
  const args = [cli, "train", corpus, "--cell", spec.cell, ...flags, "--layers", "1", "--hidden", String(hidden), "--seconds", seconds, "--threads", "1", "--out", out, "--force", "--json", "--seed", "1"];
  let val = NaN;
  for (const line of execFileSync("node", args, { encoding: "utf8", maxBuffer: 1 << 26 }).split("\n")) {
    try { const r = JSON.parse(line); if (r.type === "eval" && typeof r.val_loss === "number") val = r.val_loss; if (r.type === "summary" && typeof r.val_loss === "number") val = r.val_loss; } catch { /* progress */ }
  }
  const model = loadCheckpoint(out);
  const core = new Core(coreShape(model.spec));
  initialiseParameters(core, model.spec, "scaled", 1, 1);
  const init = gradientFlow({ ...model, params: Float32Array.from(core.params()) }, text, 101, 16).norms[0];
  const flow = gradientFlow(model, text, 101, 16).norms[0];
  const e = (x: number) => Number(x.toPrecision(3));
  console.log(JSON.stringify({ name, hidden, params: parameterCount({ ...spec, hidden }), val_loss: e(val),
    init: { d0: e(init[0]), d50: e(init[50]), d100: e(init[100]) }, trained: { d0: e(flow[0]), d50: e(flow[50]), d100: e(flow[100]) } }));
}
