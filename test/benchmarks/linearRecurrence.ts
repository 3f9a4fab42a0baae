// npm run bench, minGRU and minLSTM (their gates read only the input, so the recurrence
// h_t = a_t∘h_{t−1} + b_t is linear, src/wasm/linearScan.ts):
//   scanVersusSequential  one forward + backward pass of the f32 core under each solver, per shape:
//                         is the chunked associative scan faster than the sequential loop on this CPU?
//   cellsAtEqualSize      (--cells SECONDS) LSTM 2×128 and minGRU / minLSTM with the hidden size of
//                         equal parameter count, each trained SECONDS on 2 threads: validation loss and
//                         the gradient flow ‖∂L_T/∂h_t‖ at distance 50 and 100 (engine/insight/gradientFlow.ts).

import { Core } from "../../src/engine/core/core";
import { LinearSolver } from "../../src/engine/core/coreAbi";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { CellType } from "../../src/engine/model/cells";
import { ModelSpec, coreShape } from "../../src/engine/model/modelSpec";
import { hiddenForParameters, parameterCount } from "../../src/engine/runs/experiments";
import { gradientFlow } from "../../src/engine/insight/gradientFlow";
import { DEFAULT_TRAIN_OPTIONS } from "../../src/engine/training/trainOptions";
import { Trainer, splitCorpus } from "../../src/engine/training/trainer";

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

export function cellsAtEqualSize(text: string, seconds: number): string {
  const { vocab } = CharVocabulary.fromText(text);
  const data = vocab.encode(text);
  const split = splitCorpus(data, 0.05);
  const valText = text.slice(text.length - Math.floor(text.length * 0.05));
  const lstm = spec("lstm", 2, 128, vocab.size);
  const target = parameterCount(lstm);
  let out = `\ncells at equal parameter count (LSTM 2×128 = ${target.toLocaleString("en")} parameters), each trained ${seconds} s on 2 threads (batch 50, seq 50, Adam 2e-3, clip 5)\n`;
  out += "| cell | hidden | parameters | steps | validation loss | ‖∂L_T/∂h_t‖ layer 1 at d = 0 / 50 / 100 | layer 2 at d = 0 / 50 / 100 |\n|---|---:|---:|---:|---:|---|---|\n";
  for (const cell of ["lstm", "gru", "mingru", "minlstm"] as const) {
    const s = cell === "lstm" ? lstm : { ...lstm, cell, hidden: hiddenForParameters({ ...lstm, cell }, target) };
    const t = new Trainer(s, vocab, split, { ...DEFAULT_TRAIN_OPTIONS }, { files: [], sha256: "", chars: 0, trainChars: 0 }, null, undefined, 2);
    const t0 = performance.now();
    try {
      while (performance.now() - t0 < seconds * 1000) t.trainStep();
    } finally {
      t.dispose();
    }
    const val = t.evaluate()!;
    const flow = gradientFlow(t.snapshot(), valText, 101, 16);
    const at = (l: number) => [0, 50, 100].map((d) => flow.norms[l][d].toExponential(2)).join(" / ");
    out += `| ${cell} | ${s.hidden} | ${parameterCount(s).toLocaleString("en")} | ${t.step} | ${val.toFixed(4)} | ${at(0)} | ${at(1)} |\n`;
  }
  return out + "(gradient flow: the loss of the character after a 101-character window read from a zero state, geometric mean over 16 windows of the validation text)\n";
}
