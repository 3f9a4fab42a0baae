// npm run bench, minGRU and minLSTM (their gates read only the input, so the recurrence
// h_t = a_t∘h_{t−1} + b_t is linear, src/wasm/linearScan.ts): scanVersusSequential times one
// forward + backward pass of the f32 core under each solver, per shape: is the chunked associative
// scan faster than the sequential loop on this CPU? (The cells at equal size: cellGradientFlow.ts.)

import { Core } from "../../src/engine/core/core";
import { LinearSolver } from "../../src/engine/core/coreAbi";
import { CellType } from "../../src/engine/model/cells";
import { ModelSpec, coreShape } from "../../src/engine/model/modelSpec";

const spec = (cell: CellType, layers: number, hidden: number, vocabSize: number): ModelSpec =>
  ({ cell, nonlinearity: "tanh", layers, hidden, embed: 0, vocabSize, peephole: false, coupled: false, residual: false });

/** Milliseconds per forward + backward pass (the best of `reps` timed batches). */
function passMs(core: Core, solver: LinearSolver, seconds: number): number {
  core.setLinearSolver(solver);
  for (let k = 0; k < 3; k++) { core.forward(true, 0, true); core.backward(); }
  let best = Infinity;
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    const t0 = performance.now();
    for (let k = 0; k < 5; k++) { core.zeroGrads(); core.forward(true, 0, true); core.backward(); }
    best = Math.min(best, (performance.now() - t0) / 5);
  }
  return best;
}

export function scanVersusSequential(seconds: number, V: number): string {
  const shapes: [string, number, number, number, number][] = [ // name, layers, hidden, batch, steps
    ["1×256 b32 s100", 1, 256, 32, 100], ["2×128 b50 s50", 2, 128, 50, 50], ["1×64 b1 s1000", 1, 64, 1, 1000], ["1×16 b1 s2000", 1, 16, 1, 2000],
  ];
  let out = "\nminGRU / minLSTM: one forward + backward pass, sequential recurrence vs chunked associative scan (f32 core, one thread)\n";
  out += "| cell | shape | sequential ms | scan ms | scan / sequential |\n|---|---|---:|---:|---:|\n";
  for (const cell of ["mingru", "minlstm"] as const) {
    for (const [name, layers, hidden, batch, steps] of shapes) {
      const core = new Core(coreShape(spec(cell, layers, hidden, V)));
      core.setShape(batch, steps);
      core.seed(1);
      core.fillRandom(core.params(), 0.1);
      const ids = core.inputs(), targets = core.targets();
      for (let k = 0; k < ids.length; k++) { ids[k] = k % V; targets[k] = (k * 7) % V; }
      const seq = passMs(core, LinearSolver.Sequential, seconds / 2), scan = passMs(core, LinearSolver.Scan, seconds / 2);
      out += `| ${cell} | ${name} | ${seq.toFixed(3)} | ${scan.toFixed(3)} | ${(scan / seq).toFixed(2)}× |\n`;
    }
  }
  return out + "(the scan does about twice the arithmetic of the loop; its two independent passes are what several threads would share, and this core runs one thread per shard)\n";
}
