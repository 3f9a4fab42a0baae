// Defaults and lists written once: package.json's settings schema agrees with the engine's
// defaults and lists; the thread rule; the one duration formatter; settings validated before a
// model folder is written; and the whole-text work of starting a run done off the host's thread.

import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Worker } from "node:worker_threads";
import { CELL_TYPES } from "../../src/engine/model/cells";
import { CharVocabulary, DEFAULT_VOCAB_CAP } from "../../src/engine/model/charVocabulary";
import { DEFAULT_MODEL, MAX_THREADS, SETTING_DEFAULTS, trainingThreads } from "../../src/engine/model/defaults";
import { INIT_SCHEMES } from "../../src/engine/model/initialise";
import { ModelSpec } from "../../src/engine/model/modelSpec";
import { RunPlan, createModel, createRun, readModelManifest } from "../../src/engine/runs/runStore";
import { DEFAULT_TRAIN_OPTIONS } from "../../src/engine/training/trainOptions";
import { clock } from "../../src/protocol/clock";
import { CorpusRequestBody, CorpusResult, isCorpusReply } from "../../src/protocol/corpusWorker";
import { WorkerChannel } from "../../src/protocol/messageChannel";
import { projectRoot, tempDir } from "../helpers";

type Property = { type: string; default?: unknown; enum?: unknown[]; minimum?: number; maximum?: number };
const settings = (JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")) as { contributes: { configuration: { properties: Record<string, Property> } } }).contributes.configuration.properties;

describe("package.json's settings agree with the engine", () => {
  test("every setting with an engine default has that default", () => {
    for (const [key, value] of Object.entries(SETTING_DEFAULTS)) {
      const p = settings[`rnnLab.${key}`];
      assert.ok(p, `package.json has no rnnLab.${key}`);
      assert.deepEqual(p.default, value, `rnnLab.${key}`);
    }
  });

  test("the engine's defaults are the ones the settings map to", () => {
    // each setting names an engine value: a renamed or re-defaulted one shows here
    assert.equal(SETTING_DEFAULTS.cell, DEFAULT_MODEL.cell);
    assert.equal(SETTING_DEFAULTS.layers, DEFAULT_MODEL.layers);
    assert.equal(SETTING_DEFAULTS.hiddenSize, DEFAULT_MODEL.hidden);
    assert.equal(SETTING_DEFAULTS.learningRate, DEFAULT_TRAIN_OPTIONS.lr);
    for (const k of ["batch", "seq", "dropout", "clip", "weightDecay", "init", "seed"] as const) assert.equal(SETTING_DEFAULTS[k], DEFAULT_TRAIN_OPTIONS[k], k);
    assert.equal(SETTING_DEFAULTS.vocabularyCap, DEFAULT_VOCAB_CAP);
  });

  test("enums are the engine's lists; the thread limit is the engine's", () => {
    assert.deepEqual(settings["rnnLab.cell"].enum, [...CELL_TYPES]);
    assert.deepEqual(settings["rnnLab.init"].enum, [...INIT_SCHEMES]);
    assert.equal(settings["rnnLab.threads"].maximum, MAX_THREADS);
  });
});

describe("one rule, one formatter", () => {
  test("threads: 0 means cores − 1, at least 1, at most 64; a count is used as given within that", () => {
    assert.equal(trainingThreads(0, 8), 7);
    assert.equal(trainingThreads(0, 1), 1);
    assert.equal(trainingThreads(0, 200), 64);
    assert.equal(trainingThreads(3, 8), 3);
    assert.equal(trainingThreads(2.7, 8), 2);
    assert.equal(trainingThreads(500, 8), 64);
  });

  test("durations: m:ss below an hour, h:mm:ss from an hour (the dashboard's ETA dropped the hours)", () => {
    assert.equal(clock(0), "0:00");
    assert.equal(clock(59.6), "1:00");
    assert.equal(clock(605), "10:05");
    assert.equal(clock(5400), "1:30:00");
    assert.equal(clock(3 * 3600 + 7), "3:00:07");
    assert.equal(clock(-4), "0:00");
  });

  test("no module keeps a clock() of its own", () => {
    const roots = ["src", "webview"];
    const files = roots.flatMap((r) => (readdirSync(join(projectRoot, r), { recursive: true }) as string[]).filter((f) => f.endsWith(".ts")).map((f) => join(r, f)));
    const own = files.filter((f) => f !== join("src", "protocol", "clock.ts") && /function clock\(/.test(readFileSync(join(projectRoot, f), "utf8")));
    assert.deepEqual(own, []);
  });
});

const spec: ModelSpec = { ...DEFAULT_MODEL, layers: 1, hidden: 8, vocabSize: 5 };
const plan: RunPlan = { budget: { steps: 5 }, threads: 1, checkpointEvery: 5, keepCheckpoints: 1, evalEvery: 5, sampleEvery: 0, sampleLength: 10 };

describe("settings are validated before anything is written", () => {
  test("an invalid model writes no model folder", async () => {
    const root = tempDir("rnnlab-invalid-model-");
    await assert.rejects(createModel(root, { name: "bad", spec: { ...spec, layers: 9 }, vocab: { chars: ["a", "b"], unk: -1 }, corpus: { files: [], chars: 2, sha256: "x" } }, "ab"), /layers must be 1 to 4/);
    await assert.rejects(createModel(root, { name: "bad", spec: { ...spec, cell: "gru", peephole: true }, vocab: { chars: ["a", "b"], unk: -1 }, corpus: { files: [], chars: 2, sha256: "x" } }, "ab"), /peepholes are only for LSTM/);
    assert.deepEqual(existsSync(root) ? readdirSync(root) : [], []);
  });

  test("invalid training options write no run folder", async () => {
    const root = tempDir("rnnlab-invalid-run-");
    const modelDir = await createModel(root, { name: "ok", spec, vocab: { chars: ["a", "b", "c", "d", "e"], unk: -1 }, corpus: { files: [], chars: 5, sha256: "x" } }, "abcde");
    await assert.rejects(createRun(modelDir, { ...DEFAULT_TRAIN_OPTIONS, batch: 0 }, plan, null), /batch must be an integer from 1/);
    await assert.rejects(createRun(modelDir, { ...DEFAULT_TRAIN_OPTIONS, init: "zeros" as never }, plan, null), /init must be one of/);
    assert.ok(!existsSync(join(modelDir, "runs")) || readdirSync(join(modelDir, "runs")).length === 0);
  });
});

describe("the whole-text work of starting a run is the corpus worker's", () => {
  const corpusWorker = () => new WorkerChannel<CorpusRequestBody, CorpusResult>("corpus worker", () => new Worker(join(projectRoot, "dist", "corpusWorker.js")), { reply: isCorpusReply });

  test("it builds the model folder: the vocabulary, code-point length and hash of the text", async (t) => {
    const c = corpusWorker();
    t.after(() => c.stop("test over"));
    const root = tempDir("rnnlab-corpus-worker-");
    const text = "to be or not to be 春眠不觉晓 😀\n".repeat(20);
    const chosen = { ...DEFAULT_MODEL, cell: "gru" as const, hidden: 16, layers: 1 };
    const r = await c.request({ type: "createModel", root, name: "sonnet", spec: chosen, cap: 5000, text, files: ["a.txt"] }).result;
    assert.ok(r.type === "createModel");
    const manifest = readModelManifest(r.modelDir);
    const expected = CharVocabulary.fromText(text).vocab;
    assert.deepEqual(manifest.vocab, expected.toJSON());
    assert.equal(manifest.spec.vocabSize, expected.size);
    assert.deepEqual({ ...manifest.spec, vocabSize: 0 }, { ...chosen, vocabSize: 0 });
    assert.equal(manifest.corpus.chars, Array.from(text).length);
    assert.equal(manifest.corpus.sha256, (await import("node:crypto")).createHash("sha256").update(text).digest("hex"));
    assert.equal(readFileSync(join(r.modelDir, "corpus.txt"), "utf8"), text);
    const size = await c.request({ type: "vocabularySize", text: "abcabc", cap: 5000 }).result;
    assert.deepEqual(size, { type: "vocabularySize", size: 3, chars: 6 });
    // the length is in code points, as the model reads them: an emoji is one, a CJK character is one
    const cjk = await c.request({ type: "vocabularySize", text: "今天😀今天", cap: 5000 }).result;
    assert.deepEqual(cjk, { type: "vocabularySize", size: 3, chars: 5 });
  });

  test("a text it cannot learn from, or an invalid model, is an error reply and writes nothing", async (t) => {
    const c = corpusWorker();
    t.after(() => c.stop("test over"));
    const root = tempDir("rnnlab-corpus-worker-bad-");
    await assert.rejects(c.request({ type: "createModel", root, name: "x", spec: DEFAULT_MODEL, cap: 5000, text: "aaaa", files: [] }).result, /at least 2 distinct characters/);
    await assert.rejects(c.request({ type: "createModel", root, name: "x", spec: { ...DEFAULT_MODEL, hidden: 0 }, cap: 5000, text: "abab", files: [] }).result, /hidden size must be/);
    assert.deepEqual(existsSync(root) ? readdirSync(root) : [], []);
  });

  test("no extension-host module scans a text for its vocabulary", () => {
    const dir = join(projectRoot, "src", "extension");
    const host = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith(".ts") && !f.endsWith("Worker.ts"));
    assert.ok(host.length > 10);
    for (const f of host) assert.ok(!/CharVocabulary\.fromText|createModelFromText/.test(readFileSync(join(dir, f), "utf8")), `${f} builds a vocabulary on the host's thread`);
  });
});
