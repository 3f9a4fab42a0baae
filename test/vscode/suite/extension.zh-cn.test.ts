// The same extension in a VS Code whose display language is Simplified Chinese (runInCodeServer.ts
// starts a second code-server with a zh-cn language pack): every string a user meets on the way
// through training, the explorer, panels, hovers, the lens and bad input comes from the l10n
// bundles, engine errors and model descriptions included, with one term per unit (奈特/字符, 比特).

import { until } from "./wait";
import assert from "node:assert/strict";
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as vscode from "vscode";
import type { RnnLabApi } from "../../../src/extension/extension";
import type { ExplorerNode } from "../../../src/extension/modelExplorer";
import type { Shown } from "../../../src/extension/prompts";
import { readModelManifest } from "../../../src/engine/runs/runStore";

const EXTENSION_ID = "rnn-lab.rnn-lab";
let api: RnnLabApi;
const ws = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
const corpus = () => vscode.Uri.file(join(ws(), "corpus.txt"));

interface Run { run: { modelDir: string; runDir: string }; finishedEvent: Promise<{ type: string; step?: number; message?: string }> }


/** Asks the runner (runInCodeServer.ts) for a screenshot of the window now, and gives it time to take it. */
async function screenshot(name: string): Promise<void> {
  console.log(`screenshot: ${name}`);
  await new Promise((r) => setTimeout(r, 1500));
}

const openCorpus = async () => vscode.window.showTextDocument(await vscode.workspace.openTextDocument(corpus()));
const shownSince = (from: number): Shown[] => api.prompts.shown.slice(from);
const modelNodes = () => api.explorer.getChildren().filter((n): n is Extract<ExplorerNode, { kind: "model" }> => n.kind === "model");
const markdown = (hovers: vscode.Hover[]) => hovers.flatMap((h) => h.contents.map((c) => (typeof c === "string" ? c : (c as vscode.MarkdownString).value))).join("\n");
/** English words that must not appear in a Chinese window's strings (names such as LSTM, GRU, best.safetensors, rnnLab.batch are not words). */
const ENGLISH = /\b(nats|bits|char|characters|parameters|one-hot|vocabulary|trained|validation|loss|step|delete|trash|unknown|skipped)\b/i;

describe("RNN Lab in VS Code, in Simplified Chinese", () => {
  let run: Run;
  before(async () => {
    const ext = vscode.extensions.getExtension<RnnLabApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    const config = vscode.workspace.getConfiguration("rnnLab");
    for (const [k, v] of Object.entries({ hiddenSize: 32, layers: 1, threads: 0, checkpointEvery: 10, evalEvery: 10, sampleEvery: 0, trainingSteps: 0 })) await config.update(k, v, vscode.ConfigurationTarget.Workspace);
  });

  it("runs in zh-cn, and the two sampling commands have different Chinese names", () => {
    assert.equal(vscode.env.language, "zh-cn");
    const commands = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.commands as { command: string; title: { value: string; original: string } | string }[];
    const title = (id: string) => { const t = commands.find((c) => c.command === id)!.title; return typeof t === "string" ? t : t.value; };
    assert.equal(title("rnnLab.sampleText"), "采样文本到新文档…");
    assert.equal(title("rnnLab.generateText"), "打开文本生成器");
    const titles = commands.map((c) => (typeof c.title === "string" ? c.title : c.title.value));
    assert.equal(new Set(titles).size, titles.length, `every command title differs: ${titles.join(" | ")}`);
  });

  it("training ends with a Chinese notification in 奈特/字符 offering the dashboard and text generation", async () => {
    await openCorpus();
    const from = api.prompts.shown.length;
    run = await vscode.commands.executeCommand<Run>("rnnLab.trainOnCurrentFile", { cell: "gru", steps: 20 });
    assert.equal((await run.finishedEvent).type, "done");
    const done = await until("the final notification", () => shownSince(from).find((p) => p.text.includes("已训练到第 20 步")));
    assert.match(done.text, /^RNN Lab：corpus\.txt 已训练到第 20 步；验证损失 \d\.\d{3} 奈特\/字符。$/);
    assert.deepEqual(done.items, ["打开仪表板", "生成文本"]);
  });

  it("the explorer describes the model in Chinese (label, description and tooltip), with the unit", async () => {
    await api.explorer.refresh();
    const node = await until("the model", () => modelNodes().find((n) => n.model.dir === run.run.modelDir && n.state === "done"));
    const item = api.explorer.getTreeItem(node);
    assert.match(String(item.description), /^GRU 1×32 · \d+K 个参数 · 最佳 \d\.\d{3} 奈特\/字符 · 已完成/);
    const tip = (item.tooltip as vscode.MarkdownString).value;
    const V = readModelManifest(run.run.modelDir).spec.vocabSize;
    assert.ok(tip.includes(`GRU 1×32，独热输入，词表 ${V}，`), tip);
    assert.match(tip, /个参数/);
    assert.doesNotMatch(tip.replace(/corpus\\?\.txt/g, ""), ENGLISH, tip);
  });

  it("panel titles describe the model in Chinese", async () => {
    const node = modelNodes().find((n) => n.model.dir === run.run.modelDir)!;
    await vscode.commands.executeCommand("rnnLab.generateText", node);
    const V = readModelManifest(run.run.modelDir).spec.vocabSize;
    const panel = await until("the generate panel", () => [...api.panels.open].find((p) => p.host.kind === "generateText"));
    assert.equal(panel.host.panel.title, `生成：corpus.txt（GRU 1×32，独热输入，词表 ${V}）`);
    await vscode.commands.executeCommand("rnnLab.compareRuns", undefined, undefined, { runDirs: [run.run.runDir] });
    const compare = await until("the compare panel", () => [...api.panels.open].find((p) => p.host.kind === "compareRuns"));
    assert.equal(compare.host.panel.title, "比较 1 个运行");
    for (const p of [...api.panels.open]) p.host.dispose();
  });

  it("the hover and the lens speak Chinese, say a character is unknown to the model and how many were skipped", async () => {
    await until("an active model", () => api.client.model);
    const file = join(ws(), "chinese.txt");
    const text = "To be, or not to be: 生存还是毁灭，这是一个问题。\n";
    writeFileSync(file, text.repeat(10));
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(file)));
    const unknownHover = markdown(await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", editor.document.uri, new vscode.Position(0, text.indexOf("生"))));
    assert.match(unknownHover, /实际：模型不认识 `生`：它不在训练文本中/);
    const knownHover = markdown(await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", editor.document.uri, new vscode.Position(0, 3)));
    assert.match(knownHover, /意外度 \d+\.\d\d 比特/);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>("vscode.executeCodeLensProvider", editor.document.uri, 1);
    const title = lenses.map((l) => l.command?.title ?? "").join(" | ");
    assert.match(title, /^RNN Lab：\d\.\d{3} 奈特\/字符（\d\.\d\d 比特\/字符），基于 [\d,]+ 个字符中的 [\d,]+ 个；[\d,]+ 个是模型不认识的字符，已跳过 · best\.safetensors$/);
  });

  it("engine errors reach the user in Chinese: a binary file, a damaged checkpoint", async () => {
    const binary = join(ws(), "image.bin");
    writeFileSync(binary, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13, 0xff, 0xfe]));
    let from = api.prompts.shown.length;
    assert.equal(await vscode.commands.executeCommand("rnnLab.trainOnCurrentFile", { cell: "lstm", steps: 5, file: binary }), undefined);
    // the first NUL is the file's fifth byte (offset 4)
    assert.equal(shownSince(from)[0]?.text, "RNN Lab：image.bin 看起来是二进制文件（第 4 字节是 NUL）；请在 UTF-8 或 UTF-16 文本上训练");
    const damaged = join(ws(), "damaged.safetensors");
    writeFileSync(damaged, "this is not a checkpoint");
    from = api.prompts.shown.length;
    assert.equal(await vscode.commands.executeCommand("rnnLab.setActiveModel", { kind: "checkpoint", model: null, path: damaged, step: null, best: false }), false);
    assert.match(shownSince(from)[0]?.text ?? "", /^RNN Lab：无法使用此检查点：.*damaged\.safetensors：不是有效的 safetensors 文件：/);
  });

  it("too-short text, Delete… without a trash, Compare Runs with nothing ticked and the surprisal key: all in Chinese", async () => {
    const short = join(ws(), "short.txt");
    writeFileSync(short, readFileSync(corpus().fsPath, "utf8").slice(0, 433));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(short)));
    let from = api.prompts.shown.length;
    api.prompts.answer(() => undefined);
    await vscode.commands.executeCommand("rnnLab.trainOnCurrentFile");
    const trainChars = 433 - Math.floor(433 * 0.05), streams = Math.floor((trainChars - 1) / 50);
    assert.equal(shownSince(from)[0].text, `RNN Lab：short.txt 只有 ${trainChars} 个可用于训练的字符，少于一个批次所需：rnnLab.batch × rnnLab.seq + 1 = 50 × 50 + 1 = 2,501。`);
    assert.deepEqual(shownSince(from)[0].items, [`以批大小 ${streams}、窗口 50 训练`, "打开设置"]);

    const copy = run.run.modelDir + "-copy";
    cpSync(run.run.modelDir, copy, { recursive: true });
    await api.explorer.refresh();
    from = api.prompts.shown.length;
    api.prompts.answer(() => "删除", () => undefined);
    await vscode.commands.executeCommand("rnnLab.deleteModel", modelNodes().find((n) => n.model.dir === copy));
    const [first, second] = shownSince(from);
    assert.match(first.text, /^RNN Lab：删除 .*-copy？此窗口没有回收站，因此其文件将被永久删除。$/);
    assert.equal(first.detail, "远程窗口和浏览器窗口（code-server、SSH、WSL、Codespaces）无法把文件移到回收站。");
    assert.deepEqual(second.items, ["永久删除"]);
    assert.ok(existsSync(copy), "kept: the second question was cancelled");

    from = api.prompts.shown.length;
    api.prompts.answer(() => []);
    await vscode.commands.executeCommand("rnnLab.compareRuns");
    assert.equal(shownSince(from)[0].text, "RNN Lab：要比较的运行（用空格键勾选，然后按回车）");
    assert.equal(shownSince(from)[1].text, "RNN Lab：没有勾选任何运行；请勾选要比较的运行（按空格键或单击复选框），然后按回车。");

    await openCorpus();
    assert.equal(await vscode.commands.executeCommand("rnnLab.toggleSurprisal"), true);
    const legend = (api.surprisal as unknown as { legend: vscode.StatusBarItem }).legend;
    assert.equal(legend.text, "$(symbol-color) 意外度：1 · 2 · 4 · 6 · 8 比特");
    assert.match((legend.tooltip as vscode.MarkdownString).value, /1 到 2 比特[\s\S]*8 比特及以上/);
    assert.equal(await vscode.commands.executeCommand("rnnLab.toggleSurprisal"), false);
    assert.ok(readdirSync(join(ws(), ".rnnlab")).length >= 2);
  });

  it("training the word segmenter on the bundled Chinese example: the notification, its button, the training panel and the explorer in Chinese", async function () {
    this.timeout(120_000);
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    const data = vscode.Uri.file(join(ws(), "chinese-sentences.txt"));
    cpSync(join(ext, "media", "examples", "chinese-sentences.txt"), data.fsPath);
    const from = api.prompts.shown.length;
    const run = await vscode.commands.executeCommand<{ checkpoint: string; finished: Promise<{ state: string; message?: string; bestValF1?: number | null; bestValAccuracy?: number | null }> }>(
      "rnnLab.trainSegmenter", data, { cell: "lstm", bidirectional: false, layers: 1, hidden: 16, seconds: 3 });
    const done = await run.finished;
    assert.equal(done.state, "done", done.message);
    const note = await until("the segmenter's notification", () => shownSince(from).find((p) => p.text.startsWith("RNN Lab：已在 chinese-sentences.txt 上训练")), 30_000);
    assert.match(note.text, /^RNN Lab：已在 chinese-sentences\.txt 上训练 \d+ 步：最佳验证准确率 \d+\.\d %，F1 \d\.\d{3}。$/);
    assert.equal(note.text.match(/F1 (\d\.\d{3})/)![1], done.bestValF1!.toFixed(3), "the run's own best F1");
    assert.deepEqual(note.items, ["在此文件上预测"], "a segmenter has no classification report");
    assert.doesNotMatch(note.text, ENGLISH);
    // its training panel, titled and drawn in Chinese
    type Panel = { host: { kind: string; panel: vscode.WebviewPanel; rendered: Record<string, unknown> } };
    const panel = await until("the training panel", () => [...(api.panels.open as Set<Panel>)].find((p) => p.host.kind === "textTaskTraining" && p.host.rendered.state === "done"), 30_000);
    assert.equal(panel.host.panel.title, "训练：chinese-sentences.segment");
    // the explorer: the run, its tags and its best scores
    await api.explorer.refresh();
    const item = api.explorer.getChildren().filter((n) => n.kind === "textTask").map((n) => api.explorer.getTreeItem(n)).find((i) => String(i.id).endsWith(run.checkpoint))!;
    assert.equal(item.label, "chinese-sentences.txt 的分词器");
    assert.match(String(item.description), /^4 种标签 · 最佳验证准确率 \d+\.\d %，F1 \d\.\d{3}$/);
    assert.doesNotMatch(`${item.label} ${item.description} ${item.tooltip}`, ENGLISH);
    await screenshot("zh-cn-segmenter");
  });
});
