// A classifier, tagger or segmenter run off the extension host's thread: what a checkpoint is,
// predictions for a labelled file's records or for lines of a document, and the classification
// report of a labelled file (the engine's textTaskModel.ts loads and predicts; the report's counting
// is tasks/taskMetrics.ts's). The last checkpoint loaded is kept while its file is unchanged.

import { statSync } from "node:fs";
import { basename } from "node:path";
import { parentPort } from "node:worker_threads";
import { translatableOf } from "../engine/messages/inputError";
import { describeSpec } from "../engine/model/modelSpec";
import { argmax, classificationReportData } from "../engine/insight/classificationReportData";
import { attributions } from "../engine/insight/attributions";
import { formatFromName, parseTextRecords } from "../engine/tasks/labelledText";
import { TextTaskModel, loadTextTaskModel, predictTexts, readLabelledFile } from "../engine/tasks/textTaskModel";
import { readFileSync } from "node:fs";
import { serveRequests } from "../protocol/messageChannel";
import type { ClassPredictions, TagPredictions } from "../protocol/textPredictions";
import { TextTaskRequest, TextTaskResult, isTextTaskRequest } from "../protocol/textTaskWorker";

const port = parentPort;
if (!port) throw new Error("textTaskWorker runs only as a worker thread");

/** Integrated gradients' completeness the explanation reaches (relative), and the most steps it takes for it. */
const COMPLETENESS = 0.01, MAX_STEPS = 1024;

let cached: { path: string; mtimeMs: number; model: TextTaskModel } | null = null;

function modelOf(checkpoint: string): TextTaskModel {
  const mtimeMs = statSync(checkpoint).mtimeMs;
  if (cached && cached.path === checkpoint && cached.mtimeMs === mtimeMs) return cached.model;
  const model = loadTextTaskModel(checkpoint);
  cached = { path: checkpoint, mtimeMs, model };
  return model;
}

/** A classification file's texts with their labels where the file has a label column, else the texts alone. */
function classifiedRecords(m: TextTaskModel, file: string, textColumn?: string, labelColumn?: string): { texts: string[]; lines: number[]; truth: (string | null)[] } {
  try {
    const f = readLabelledFile(file, "classify", { textColumn, labelColumn, maxClasses: m.names.length + 1000 });
    return { texts: f.sequences.map((s) => s.join("")), lines: f.lines, truth: f.labels as string[] };
  } catch (labelled) {
    const format = formatFromName(file, "classify");
    if (format !== "csv" && format !== "tsv" && format !== "jsonl") throw labelled;
    try {
      const r = parseTextRecords(readFileSync(file, "utf8"), file, { format, textColumn });
      return { ...r, truth: r.texts.map(() => null) };
    } catch {
      throw labelled; // the labelled reading's error says more
    }
  }
}

function probabilitiesOf(m: TextTaskModel, texts: string[]): number[][] {
  return predictTexts(m, texts).map((p) => (p.task === "classify" ? m.names.map((n) => p.probabilities[n]) : []));
}

function handle(r: TextTaskRequest): TextTaskResult {
  const m = modelOf(r.checkpoint);
  switch (r.type) {
    case "describe":
      return { type: "describe", kind: m.kind, names: m.names, description: describeSpec(m.model.spec) };
    case "predictFile": {
      if (m.kind === "classify") {
        const recs = classifiedRecords(m, r.file, r.textColumn, r.labelColumn);
        const probabilities = probabilitiesOf(m, recs.texts);
        const predictions: ClassPredictions = { task: "classify", classes: m.names, records: recs.lines.map((line, i) => ({ line, truth: recs.truth[i], probabilities: probabilities[i] })) };
        return { type: "predictions", predictions };
      }
      const lines = readFileSync(r.file, "utf8").split(/\r?\n/).map((text, i) => ({ line: i + 1, column: 0, text })).filter((l) => l.text.trim() !== "");
      return { type: "predictions", predictions: tagLines(m, lines) };
    }
    case "predictLines":
      if (m.kind === "classify") {
        const probabilities = probabilitiesOf(m, r.lines.map((l) => l.text));
        return { type: "predictions", predictions: { task: "classify", classes: m.names, records: r.lines.map((l, i) => ({ line: l.line, truth: null, probabilities: probabilities[i] })) } };
      }
      return { type: "predictions", predictions: tagLines(m, r.lines) };
    case "report": {
      const recs = classifiedRecords(m, r.file, r.textColumn, r.labelColumn);
      if (recs.truth.some((t) => t === null)) throw new Error(`${basename(r.file)} has no label column: a classification report needs the true labels`);
      const probabilities = probabilitiesOf(m, recs.texts);
      const records = recs.texts.map((text, i) => ({ text, label: recs.truth[i]!, line: recs.lines[i] }));
      return { type: "report", report: classificationReportData(r.title, r.file, m.names, records, probabilities) };
    }
    case "explain": {
      if (m.kind !== "classify") throw new Error(`${basename(r.checkpoint)} is a ${m.kind === "tag" ? "tagger" : "segmenter"}; Explain Prediction explains a classifier's class`);
      const probabilities = probabilitiesOf(m, [r.text])[0];
      const target = argmax(probabilities);
      const gi = attributions(m.model, r.text, target, "gradxinput");
      // the quadrature's error grows with how sharp the trained model is: from the steps asked for,
      // double them until the scores add up to the logit difference within 1 % (or 1024 steps)
      let ig = attributions(m.model, r.text, target, "ig", r.steps);
      while ((ig.completenessError ?? 0) > COMPLETENESS && ig.steps < MAX_STEPS) ig = attributions(m.model, r.text, target, "ig", Math.min(MAX_STEPS, 2 * ig.steps));
      return {
        type: "explain",
        attribution: { chars: ig.characters, classes: m.names, target, probabilities, gradientTimesInput: gi.scores, integratedGradients: ig.scores, steps: ig.steps, logit: ig.logit, baselineLogit: ig.baselineLogit },
      };
    }
  }
}

function tagLines(m: TextTaskModel, lines: { line: number; column: number; text: string }[]): TagPredictions {
  const predicted = predictTexts(m, lines.map((l) => l.text));
  return {
    task: m.kind === "segment" ? "segment" : "tag", tags: m.names,
    sequences: lines.map((l, i) => { const p = predicted[i]; return { line: l.line, column: l.column, tags: p.task === "classify" ? [] : p.tags }; }),
  };
}

serveRequests<TextTaskRequest, TextTaskResult>(port, isTextTaskRequest, (r, reply) => {
  try {
    reply.ok(handle(r));
  } catch (e) {
    // an engine error made for translation keeps its template and arguments (inputError.ts)
    reply.fail(e instanceof Error ? e.message : String(e), { ...translatableOf(e) });
  }
});
