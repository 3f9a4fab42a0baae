// The work over a whole training text, off the extension host's thread: the vocabulary a text would
// have, and a new model's folder (vocabulary, length, hash, corpus.txt and model.json).

import { parentPort } from "node:worker_threads";
import { CharVocabulary } from "../engine/model/charVocabulary";
import { translatableOf } from "../engine/messages/inputError";
import { createModelFromText } from "../engine/runs/runStore";
import { previewLabelledText } from "../engine/tasks/labelledPreview";
import { readFileSync } from "node:fs";
import { serveRequests } from "../protocol/messageChannel";
import { CorpusRequest, CorpusResult, isCorpusRequest } from "../protocol/corpusWorker";

const port = parentPort;
if (!port) throw new Error("corpusWorker runs only as a worker thread");

// an engine error made for translation keeps its template and arguments (inputError.ts)
const failure = (e: unknown) => [e instanceof Error ? e.message : String(e), { ...translatableOf(e) }] as const;

serveRequests<CorpusRequest, CorpusResult>(port, isCorpusRequest, (r, reply) => {
  if (r.type === "vocabularySize") {
    try {
      let chars = 0;
      for (const _ of r.text) chars++; // code points, as the model reads them
      return reply.ok({ type: "vocabularySize", size: CharVocabulary.fromText(r.text, r.cap).vocab.size, chars });
    } catch (e) {
      return reply.fail(...failure(e));
    }
  }
  if (r.type === "labelledPreview") {
    try {
      const text = readFileSync(r.file, "utf8");
      return reply.ok({ type: "labelledPreview", preview: previewLabelledText(text, r.file, r.task, { ...(r.textColumn ? { textColumn: r.textColumn } : {}), ...(r.labelColumn ? { labelColumn: r.labelColumn } : {}) }) });
    } catch (e) {
      return reply.fail(...failure(e));
    }
  }
  createModelFromText(r.root, { name: r.name, spec: r.spec, files: r.files }, r.text, r.cap).then(
    ({ modelDir, spec }) => reply.ok({ type: "createModel", modelDir, spec }),
    (e: unknown) => reply.fail(...failure(e)),
  );
});
