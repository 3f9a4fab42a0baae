// npm run compare-cells -- --seconds N: every registered cell variant at equal parameter count and
// equal training time on the bundled corpus, as a markdown table (cellGradientFlow.ts).
//   --seconds N    training time per cell (default 60)
//   --threads N    training threads (default 1)
//   --hidden N     the target parameter count is an LSTM of this hidden size (default 128) …
//   --layers N     … and this many layers (default 1), which every cell also has
//   --only WORD    only the variants whose label contains WORD
// The table goes to stdout and the progress lines to stderr: `… > cells.md` keeps the table alone.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compareCells, comparisonTable, ComparisonOptions } from "./cellGradientFlow";

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

function positive(name: string, fallback: number): number {
  const v = Number(arg(name, String(fallback)));
  if (!(v > 0)) {
    process.stderr.write(`compare-cells: --${name} needs a positive number, not ${arg(name)}\n`);
    process.exit(2);
  }
  return v;
}

const options: ComparisonOptions = {
  seconds: positive("seconds", 60), threads: Math.round(positive("threads", 1)), layers: Math.round(positive("layers", 1)),
  targetHidden: Math.round(positive("hidden", 128)), only: arg("only"),
};
const text = readFileSync(join(__dirname, "..", "media", "corpus", "tinyshakespeare.txt"), "utf8");
const table = comparisonTable(options, compareCells(text, options, (line) => process.stderr.write(`  ${line}\n`)));
process.stdout.write(table);
