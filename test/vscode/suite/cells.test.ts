// Every registered cell in every variant of the registry (CELLS and their `variants`, so a new cell
// or option is covered without an edit here), inside a real VS Code extension host: a few training
// steps through the training worker, then its gate heatmap. The page's rendered summary must list
// the cell's own quantities (as the registry gives them for the trained spec, and by name for the
// ones a student looks for: the reset-before GRU's r∘h, the CTRNN's leak α = Δt/τ), every value
// finite, gates in [0, 1] and tanh outputs in [−1, 1]. The runner screenshots each heatmap
// (runInCodeServer.ts: the "screenshot:" lines) into .test-output/vscode/cells-*.png.

import { until } from "./wait";
import assert from "node:assert/strict";
import { join } from "node:path";
import * as vscode from "vscode";
import type { RnnLabApi } from "../../../src/extension/extension";
import { CELLS, CellEntry, ctrnnOptions } from "../../../src/engine/model/cells";
import { DEFAULT_MODEL } from "../../../src/engine/model/defaults";
import type { ModelSpec } from "../../../src/engine/model/modelSpec";

const EXTENSION_ID = "rnn-lab.rnn-lab";
const corpus = () => join(vscode.workspace.workspaceFolders![0].uri.fsPath, "corpus.txt");
const TEXT = "To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer";

type Panel = { host: { kind: string; rendered: Record<string, unknown>; failure: string | null; dispose(): void } };
interface Run { finishedEvent: Promise<{ type: string; checkpoint?: string; message?: string }> }

/** "name:min:max|…" → name → [min, max]. */
function ranges(summary: string): Map<string, [number, number]> {
  return new Map(summary.split("|").map((part) => {
    const [max, min, ...name] = part.split(":").reverse();
    return [name.reverse().join(":"), [Number(min), Number(max)]];
  }));
}

describe("Every registered cell variant trains and shows its own quantities in the gate heatmap", () => {
  let api: RnnLabApi;
  const panels = () => [...(api.panels.open as Set<Panel>)];

  before(async () => {
    api = await vscode.extensions.getExtension<RnnLabApi>(EXTENSION_ID)!.activate();
    const config = vscode.workspace.getConfiguration("rnnLab");
    for (const [k, v] of Object.entries({ threads: 1, checkpointEvery: 0, evalEvery: 0, sampleEvery: 0, trainingSteps: 0 })) await config.update(k, v, vscode.ConfigurationTarget.Workspace);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(corpus()));
  });

  const variants: { entry: CellEntry; label: string; options: Partial<ModelSpec> }[] = CELLS.flatMap((entry) =>
    (entry.variants ?? [{ label: entry.label, options: {} }]).map((v) => ({ entry, label: v.label, options: v.options as Partial<ModelSpec> })));

  it("the registry lists at least the cells of issue 17", () => {
    const labels = variants.map((v) => v.label);
    for (const l of ["LSTM", "GRU", "GRU (reset before)", "RNN", "CTRNN", "CTRNN (learned τ)", "Additive", "Additive (state form)", "minGRU", "minLSTM"]) assert.ok(labels.includes(l), `${l} in ${labels.join(", ")}`);
  });

  for (const { entry, label, options } of variants) {
    it(`${label}: 6 training steps, then the heatmap shows ${entry.label}'s quantities, all finite`, async () => {
      const spec: ModelSpec = { ...DEFAULT_MODEL, cell: entry.type, layers: 1, hidden: 12, vocabSize: 0, ...options };
      const run = await vscode.commands.executeCommand<Run>("rnnLab.trainOnCurrentFile", {
        // file: the open heatmap, not a text editor, is the active tab from the second cell on
        cell: entry.type, spec, steps: 6, options: { batch: 8, seq: 16 }, whenBusy: "queue", name: `cells · ${label}`, file: corpus(),
      });
      assert.ok(run, `${label}: the command returns the run`);
      const done = await run.finishedEvent;
      assert.equal(done.type, "done", `${label}: ${done.message}`);
      for (const p of panels()) p.host.dispose();
      await vscode.commands.executeCommand("rnnLab.showGateHeatmap", { kind: "checkpoint", model: null, path: done.checkpoint!, step: null, best: false }, { text: TEXT });
      const heat = await until(`${label}: the heatmap to draw`, () => panels().find((p) => p.host.kind === "gateHeatmap" && p.host.rendered.chars === Array.from(TEXT).length), 60_000)
        .catch((e: Error) => { throw new Error(`${e.message} (${panels().map((p) => `${p.host.kind} drew ${JSON.stringify(p.host.rendered)}; failure ${p.host.failure}`).join(" | ")})`); });
      const r = heat.host.rendered;
      assert.equal(r.units, 12);
      const expected = entry.heatmap(spec);
      assert.equal(r.quantities, expected.map((q) => q.name).join("|"), `${label}: the quantities of the trained spec`);
      assert.equal(r.finite, true, `${label}: every value finite`);
      const shown = ranges(String(r.ranges));
      for (const q of expected) {
        const [min, max] = shown.get(q.name) ?? [NaN, NaN];
        assert.ok(Number.isFinite(min) && Number.isFinite(max) && min <= max, `${label} ${q.name}: range ${min} … ${max}`);
        if (q.range === "gate") assert.ok(min >= 0 && max <= 1, `${label} ${q.name} is a gate: ${min} … ${max}`);
        if (q.range === "tanh") assert.ok(min >= -1 && max <= 1, `${label} ${q.name} is a tanh output: ${min} … ${max}`);
      }
      // what a student looks for in each of the newer cells, named here rather than read from the registry
      if (entry.type === "gru" && options.gruReset === "before") assert.ok(shown.has("reset hidden state"), "reset before: r ∘ h_{t−1}, what the candidate's product reads");
      if (entry.type === "gru") for (const g of ["reset gate", "update gate", "candidate"]) assert.ok(shown.has(g), `GRU: ${g}`);
      if (entry.type === "ctrnn") {
        const [min, max] = shown.get("leak α")!;
        const { tau, dt, learnTau } = ctrnnOptions(spec);
        if (learnTau) assert.ok(min > 0 && max < 1 && Math.abs(min - dt / tau) < 0.05 && Math.abs(max - dt / tau) < 0.05, `learned τ: α near its start Δt/τ = ${dt / tau} after 6 steps: ${min} … ${max}`);
        else assert.ok(Math.abs(min - dt / tau) < 1e-5 && Math.abs(max - dt / tau) < 1e-5, `fixed τ: α = Δt/τ = ${dt}/${tau} for every unit: ${min} … ${max}`);
      }
      if (entry.type === "additive") assert.ok(shown.has("increment"), "additive: the increment added to h");
      if (entry.linearRecurrence) assert.ok(!shown.has("reset gate") && [...shown.keys()].some((n) => n.includes("gate")), `${label}: its input-only gates`);
      // the runner photographs the panel on this line (runInCodeServer.ts), then the next cell's run starts;
      // the "trained" notifications of the runs before would cover the heatmap
      await vscode.commands.executeCommand("notifications.clearAll");
      console.log(`screenshot: cells-${label.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/-$/, "")}`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    });
  }

  after(() => {
    for (const p of panels()) p.host.dispose();
  });
});
