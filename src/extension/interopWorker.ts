// Reads, converts and writes model files off the extension host's thread: one request, one reply.

import { parentPort } from "node:worker_threads";
import { exportModel, readTorchWeights, saveImportedCheckpoint } from "../engine/interop/interopFiles";
import { OutputError } from "../engine/files/outputFile";
import { InteropReply, isInteropRequest } from "../protocol/interopWorker";
import { receiveMessages } from "../protocol/messageChannel";

const port = parentPort;
if (!port) throw new Error("interopWorker runs only as a worker thread");

const reply = (r: InteropReply) => port.postMessage(r);

receiveMessages(port, isInteropRequest, (request) => {
  try {
    if (request.type === "inspect" || request.type === "import") {
      const r = readTorchWeights(request.weights, request.vocab, { map: request.map, nonlinearity: request.nonlinearity, cell: request.cell });
      if (request.type === "inspect") return reply({ type: "inspected", summary: r.summary, spec: r.model.spec });
      saveImportedCheckpoint(request.out, r.model, request);
      return reply({ type: "imported", out: request.out, summary: r.summary });
    }
    const r = exportModel({ checkpoint: request.checkpoint, format: request.format, out: request.out, force: request.force, corpusBase: request.corpusBase });
    return reply({ type: "exported", out: r.out, bytes: r.bytes, files: r.files, data: r.data });
  } catch (e) {
    reply({ type: "error", message: e instanceof Error ? e.message : String(e), ...(e instanceof OutputError && e.refusal ? { refusal: e.refusal } : {}) });
  }
}, () => reply({ type: "error", message: "unknown request" }));
