// Forecasting on a CSV inside a real VS Code extension host: the bundled example table opened, the
// quick pick of its columns (previewed with ranges and missing counts), the forecast panel from the
// baselines alone, the hover over a row, Train Forecaster on This File… through the training worker,
// and the panel and the hover showing the model once its checkpoint exists. The panel's screenshots
// are taken by the runner as a person would (runInCodeServer.ts, forecastAsPerson.ts).

import { until } from "./wait";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as vscode from "vscode";
import type { RnnLabApi } from "../../../src/extension/extension";
import type { Shown } from "../../../src/extension/prompts";
import { CELLS } from "../../../src/engine/model/cells";
import { variantsWithoutText } from "../../../src/extension/cellPick";

const EXTENSION_ID = "rnn-lab.rnn-lab";
let api: RnnLabApi;
const ws = () => vscode.workspace.workspaceFolders![0].uri.fsPath;

type Panel = { host: { kind: string; rendered: Record<string, unknown>; failure: string | null; panel: vscode.WebviewPanel; dispose(): void } };
const forecastPanels = () => [...(api.panels.open as Set<Panel>)].filter((p) => p.host.kind === "forecast");
const dashboards = () => [...(api.panels.open as Set<Panel>)].filter((p) => p.host.kind === "dashboard");
type Run = { checkpoint: string; recordPath: string; stop(): void; finished: Promise<{ state: string; message?: string; modelMae?: number; bestBaselineMae?: number }> };

/** The training dashboard of a forecaster's run, drawn as `accept` says. */
function dashboardDrawn(accept: (s: Record<string, unknown>) => boolean, ms = 60_000): Promise<Panel> {
  return until("the training dashboard to draw", () => dashboards().find((p) => p.host.rendered.forecast === true && accept(p.host.rendered)), ms).catch((e: Error) => {
    throw new Error(`${e.message}; drew ${dashboards().map((p) => `${JSON.stringify(p.host.rendered).slice(0, 400)}; failure: ${p.host.failure}`).join(" | ")}`);
  });
}

function drawn(accept: (s: Record<string, unknown>) => boolean, ms = 60_000): Promise<Panel> {
  return until("the forecast panel to draw", () => forecastPanels().find((p) => accept(p.host.rendered)), ms).catch((e: Error) => {
    throw new Error(`${e.message}; drew ${forecastPanels().map((p) => `${JSON.stringify(p.host.rendered).slice(0, 400)}; failure: ${p.host.failure}`).join(" | ")}`);
  });
}

async function hoverText(uri: vscode.Uri, line: number): Promise<string> {
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", uri, new vscode.Position(line, 3));
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === "string" ? c : (c as vscode.MarkdownString).value))).join("\n");
}

describe("Forecasting a CSV in VS Code", () => {
  let csv: vscode.Uri;
  const rows = () => readFileSync(csv.fsPath, "utf8").trim().split("\n").length - 1;

  before(async () => {
    api = await vscode.extensions.getExtension<RnnLabApi>(EXTENSION_ID)!.activate();
    const example = join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, "media", "examples", "daily-load.csv");
    assert.ok(existsSync(example), "the bundled example table");
    csv = vscode.Uri.file(join(ws(), "daily-load.csv"));
    copyFileSync(example, csv.fsPath);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(csv));
  });

  after(() => { for (const p of [...forecastPanels(), ...dashboards()]) p.host.dispose(); });

  it("Show Forecast Baselines for This File: a quick pick of the numeric columns with ranges and missing counts, then the panel from the baselines alone", async () => {
    let asked: Shown | undefined;
    api.prompts.answer((s) => { asked = s; return "load"; });
    await vscode.commands.executeCommand("rnnLab.showForecastBaselines");
    assert.ok(asked, "a column was asked for");
    assert.match(asked.text, /which column to forecast\? \(1461 rows, time from the column date\)/);
    assert.deepEqual(asked.items, ["load", "temperature"], "the numeric columns; the date column is the time");
    const p = await drawn((r) => r.values === rows());
    const r = p.host.rendered;
    assert.equal(r.models, "naive,seasonal_naive,mean,ar,tdnn");
    assert.ok((r.tdnnPoints as number) > 0, "the time-delay network's forecasts drawn in the overlay");
    assert.match(String(r.coverageCells), /tdnn=—/, "the time-delay network has no interval");
    assert.equal(r.hasModel, false);
    assert.match(String(r.facts), /1,?461 rows · 2020-01-01 to 2023-12-31 · test span: \d+ rows, \d+ forecast origins, 7 steps ahead each · season 7 \(from the autocorrelation\)/);
    assert.ok(String(r.winnerMae).length > 0);
    assert.equal(p.host.failure, null);
  });

  it("a hover on a data row shows the baselines' forecast from it, and on the header nothing", async () => {
    const text = await hoverText(csv, 1000);
    assert.match(text, /RNN Lab: forecast of load from row 1000/);
    assert.match(text, /\| step \| actual \| naive \| seasonal naive \| mean \| AR\(p\) \|/);
    assert.match(text, /\| \+1 \| \d/);
    assert.match(text, /Baselines only: no forecaster is trained on this column yet/);
    assert.doesNotMatch(await hoverText(csv, 0), /forecast of/);
  });

  it("Train Forecaster on This File…: trains in the training worker, the panel follows its validations, then shows the model; the hover too", async () => {
    const run = await vscode.commands.executeCommand<Run>(
      "rnnLab.trainForecaster", csv, { target: "load", inputs: ["temperature"], lookback: 14, horizon: 7, cell: "gru", steps: 150 });
    assert.ok(run, "the command returns the run");
    const done = await run.finished;
    assert.equal(done.state, "done", done.message);
    assert.ok(existsSync(run.checkpoint));
    console.log(`forecaster: test MAE ${done.modelMae?.toFixed(3)}, best baseline ${done.bestBaselineMae?.toFixed(3)}`);
    const p = await drawn((r) => r.hasModel === true && r.trainingState === "done", 120_000);
    const r = p.host.rendered;
    assert.equal(r.models, "model,naive,seasonal_naive,mean,ar,tdnn");
    assert.ok((r.trainingPoints as number) >= 2, "the validations drawn");
    assert.ok((r.modelPoints as number) > 0, "the model's forecasts drawn");
    const text = await hoverText(csv, 1000);
    assert.match(text, /\| step \| actual \| model \| naive \|/);
    assert.doesNotMatch(text, /Baselines only/);
    // the same run on the training dashboard: its validations and the best baseline's line
    await vscode.commands.executeCommand("rnnLab.openTrainingDashboard", { forecastRecord: run.recordPath });
    const d = (await dashboardDrawn((x) => x.state === "done")).host.rendered;
    assert.equal(d.validations, r.trainingPoints, "every validation the forecast panel drew");
    assert.equal(d.baselineLine, true);
    assert.equal(d.datasets, 3, "MAE, RMSE and the baseline's line");
    assert.equal(d.resumable, false, "a finished run does not resume");
    // its record carries the task's own results, and Compare Runs compares it by them (MAE first, the line to beat among them)
    const record = JSON.parse(readFileSync(run.recordPath, "utf8")) as { bestValMae: number; bestValMase: number; baselineValMae: number; baselineName: string; validations: { valMae: number; valMase: number }[] };
    const lowest = Math.min(...record.validations.map((v) => v.valMae));
    assert.equal(record.bestValMae, lowest, "the kept validation is the lowest MAE");
    assert.ok(record.bestValMase > 0 && Math.abs(record.bestValMase / record.bestValMae - record.validations[0].valMase / record.validations[0].valMae) < 1e-9, "MASE is MAE over one scale");
    assert.match(record.baselineName, /^(naive|seasonal_naive|mean|ar|tdnn)$/);
    type ComparePanel = { host: { rendered: Record<string, unknown>; failure: string | null } };
    const compare = await vscode.commands.executeCommand<ComparePanel>("rnnLab.compareRuns", undefined, undefined, { runDirs: [run.recordPath] });
    const compared = await until("the comparison to draw", () => (compare.host.rendered.runs === 1 ? compare.host.rendered : undefined), 30_000);
    assert.equal(compared.metric, "validation MAE");
    assert.equal(compared.metrics, "validation MAE|validation MASE|validation RMSE|best baseline's validation MAE");
    assert.equal(compared.best, lowest.toFixed(3));
    assert.equal(compare.host.failure, null);
    // the Models view lists the run: its column and file, its MASE beside the best baseline's, and its checkpoint under it
    await api.explorer.refresh(false);
    const node = api.explorer.getChildren().find((n) => n.kind === "forecast" && n.record.checkpoint === run.checkpoint);
    assert.ok(node, "the forecaster in the Models view");
    const item = api.explorer.getTreeItem(node);
    assert.equal(item.label, "forecast of load in daily-load.csv");
    assert.equal(item.description, `GRU · validation MASE ${record.bestValMase.toFixed(3)} (${record.baselineName}: ${(record as unknown as { baselineValMase: number }).baselineValMase.toFixed(3)})`);
    assert.equal(item.command?.command, "rnnLab.showForecastBaselines");
    assert.equal(item.contextValue, "rnnLab.forecast-done", "not the language-model queue's Pause/Stop menus (/\\.training$/)");
    const under = api.explorer.getChildren(node);
    assert.deepEqual(under.map((n) => n.kind === "checkpoint" && n.path), [run.checkpoint]);
    await vscode.commands.executeCommand("rnnLab.models.focus");
    console.log("screenshot: forecast-models-view"); // the runner (runInCodeServer.ts) takes it
    await new Promise((r) => setTimeout(r, 1500));
  });

  it("a quantile forecaster: the panel draws its 80 % band from the outer levels and gives its coverage against that level", async () => {
    const run = await vscode.commands.executeCommand<Run>("rnnLab.trainForecaster", csv, { target: "load", inputs: ["temperature"], lookback: 14, horizon: 7, cell: "gru", steps: 100, quantiles: [0.1, 0.5, 0.9] });
    const done = await run.finished;
    assert.equal(done.state, "done", done.message);
    const p = await drawn((r) => r.hasModel === true && r.trainingState === "done" && String(r.bandDatasets).includes("80"), 120_000);
    const r = p.host.rendered;
    assert.equal(r.intervalsOf, "model");
    assert.match(String(r.bandDatasets), /80 % interval/);
    assert.match(String(r.coverageCells), /model=\d+(\.\d)? % \(of 80 %\)/, "the model's coverage against its own level");
    assert.match(String(r.coverageCells), /ar=\d+(\.\d)? %;/, "the baselines' against the panel's 90 %");
  });

  it("Train Forecaster offers every registered cell variant (none bidirectional) and trains the one picked, or the one given as args, with its options", async () => {
    // every registered variant a forecaster can take (batch norm is refused: forecastAllows)
    const all = CELLS.flatMap((c) => (c.variants ?? [{ label: c.label, options: {} }]).map((v) => ({ label: v.label, options: v.options as { norm?: string } })));
    const variants = all.filter((v) => v.options.norm !== "batch").map((v) => v.label);
    assert.ok(variants.length >= all.length - 2, "only the batch-normalised variants are left out");
    assert.deepEqual(variantsWithoutText(), [], "every variant has its localised label and description");
    let asked: Shown | undefined;
    api.prompts.answer((s) => { asked = s; return "GRU (reset before)"; });
    const picked = await vscode.commands.executeCommand<Run>("rnnLab.trainForecaster", csv, { target: "load", inputs: ["temperature"], lookback: 14, horizon: 7, steps: 40 });
    assert.ok(asked, "the cell was asked for");
    assert.match(asked.text, /cell type/);
    assert.deepEqual(asked.items, variants, "the registry's variants, in its order");
    // Train on Current File asks from the same list (cellPick.ts); answered with nothing, it stops there
    let lmAsked: Shown | undefined;
    api.prompts.answer((s) => { lmAsked = s; return undefined; });
    await vscode.commands.executeCommand("rnnLab.trainOnCurrentFile", { file: csv.fsPath });
    assert.ok(lmAsked, "Train on Current File asked for the cell");
    assert.match(lmAsked.text, /cell type/);
    assert.deepEqual([...lmAsked.items].sort(), all.map((v) => v.label).sort(), "the language model's pick: every variant, batch norm included");
    const byArgs = async (args: Record<string, unknown>) => {
      const run = await vscode.commands.executeCommand<Run>("rnnLab.trainForecaster", csv, { target: "load", inputs: ["temperature"], lookback: 14, horizon: 7, steps: 40, ...args });
      const done = await run.finished;
      assert.equal(done.state, "done", done.message);
      return run;
    };
    const pickedDone = await picked.finished;
    assert.equal(pickedDone.state, "done", pickedDone.message);
    const normed = await byArgs({ cell: "lstm", cellOptions: { norm: "layer" } });
    for (const [run, cell, options] of [[picked, "gru", { gruReset: "before" }], [normed, "lstm", { norm: "layer" }]] as const) {
      const b = readFileSync(run.checkpoint);
      const header = JSON.parse(b.subarray(8, 8 + Number(b.readBigUInt64LE(0))).toString("utf8")) as { __metadata__: { model: string } };
      const model = JSON.parse(header.__metadata__.model) as Record<string, unknown>;
      assert.equal(model.cell, cell);
      for (const [k, v] of Object.entries(options)) assert.equal(model[k], v, `the checkpoint's network has ${k} ${v}`);
      assert.equal(model.bidirectional, undefined);
      const record = JSON.parse(readFileSync(run.recordPath, "utf8")) as { cellOptions?: Record<string, unknown> };
      assert.deepEqual(record.cellOptions, options, "the record keeps the variant (Resume trains the same network)");
    }
  });

  it("Stop on the training dashboard's forecaster writes a checkpoint; the dashboard then offers Resume", async () => {
    const run = await vscode.commands.executeCommand<Run>("rnnLab.trainForecaster", csv, { target: "load", inputs: ["temperature"], lookback: 14, horizon: 7, cell: "gru", steps: 200_000 });
    await vscode.commands.executeCommand("rnnLab.openTrainingDashboard", { forecastRecord: run.recordPath });
    await dashboardDrawn((x) => x.state === "training" && (x.validations as number) >= 1 && x.live === true, 120_000);
    run.stop(); // what the dashboard's Stop calls
    const done = await run.finished;
    assert.equal(done.state, "stopped", done.message);
    assert.ok(existsSync(run.checkpoint), "the stopped run wrote its checkpoint");
    const d = (await dashboardDrawn((x) => x.state === "stopped")).host.rendered;
    assert.equal(d.resumable, true);
    assert.equal(d.live, false);
  });

  it("a table with no numeric column says so in one line", async () => {
    const bad = vscode.Uri.file(join(ws(), "words.csv"));
    await vscode.workspace.fs.writeFile(bad, new TextEncoder().encode("name,colour\nann,red\nbob,blue\n"));
    const before = api.prompts.shown.length;
    await vscode.commands.executeCommand("rnnLab.showForecastBaselines", bad);
    const shown = api.prompts.shown.slice(before);
    assert.equal(shown.length, 1);
    assert.equal(shown[0].kind, "error");
    assert.equal(shown[0].text, "RNN Lab: words.csv has no numeric column to forecast (its columns: name, colour).");
  });
});
