// The active model off the extension host's thread: hover predictions, surprisal, file losses and
// samples, one request at a time, in the order they come.

import { parentPort } from "node:worker_threads";
import { Model, paramCount } from "../engine/files/checkpoint";
import { loadCheckpoint } from "../engine/files/checkpointFile";
import { Sampler } from "../engine/insight/sampler";
import { TextPredictor } from "../engine/insight/textPredictor";
import { translatableOf } from "../engine/messages/inputError";
import { serveRequests } from "../protocol/messageChannel";
import { ModelRequest, ModelResult, isModelRequest } from "../protocol/modelWorker";

const port = parentPort;
if (!port) throw new Error("modelWorker runs only as a worker thread");

let model: Model | null = null;
let predictor: TextPredictor | null = null;

class StaleText extends Error {}

function needModel(): { model: Model; predictor: TextPredictor } {
  if (!model || !predictor) throw new Error("no model is loaded");
  return { model, predictor };
}

function syncText(p: TextPredictor, doc: string, version: number, text?: { doc: string; version: number; text: string; changedFrom?: number }): void {
  if (text) p.setText(doc, text.version, text.text, p.versionOf(doc) === undefined ? undefined : text.changedFrom);
  if (p.versionOf(doc) !== version) throw new StaleText(`the model has version ${p.versionOf(doc) ?? "none"} of ${doc}, not ${version}`);
}

function handle(r: ModelRequest): ModelResult {
  switch (r.type) {
    case "load": {
      const m = loadCheckpoint(r.checkpoint);
      predictor = new TextPredictor(m, r.contextChars);
      model = m;
      return { type: "load", model: { checkpoint: r.checkpoint, spec: m.spec, params: paramCount(m.spec), step: m.training?.step ?? null, valLoss: m.training?.bestValLoss ?? null } };
    }
    case "predict": {
      const { predictor: p } = needModel();
      syncText(p, r.doc, r.version, r.text);
      return { type: "predict", prediction: p.predict(r.doc, r.offset, r.k) };
    }
    case "surprisal": {
      const { predictor: p } = needModel();
      syncText(p, r.doc, r.version, r.text);
      return { type: "surprisal", start: r.start, bits: p.surprisal(r.doc, r.start, r.end) };
    }
    case "fileLoss": {
      const { predictor: p } = needModel();
      const { loss, predicted, characters, unknown } = p.meanLoss(r.text);
      return { type: "fileLoss", loss, predicted, characters, unknown };
    }
    case "sample": {
      const { model: m } = needModel();
      const s = new Sampler(m, r.seed);
      if (r.prime) s.prime(r.prime);
      return { type: "sample", text: s.generate(r.length, { temperature: r.temperature, topK: r.topK, topP: r.topP }) };
    }
    case "forget":
      predictor?.forget(r.doc);
      return { type: "forget" };
  }
}

serveRequests<ModelRequest, ModelResult>(port, isModelRequest, (r, reply) => {
  try {
    reply.ok(handle(r));
  } catch (e) {
    reply.fail(e instanceof Error ? e.message : String(e), { stale: e instanceof StaleText, ...translatableOf(e) });
  }
});
