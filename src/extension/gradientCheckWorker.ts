// Runs gradient checks off the extension host's thread: one reply per model, then "done".

import { parentPort } from "node:worker_threads";
import { gradientCheck } from "../engine/insight/gradientCheck";
import { validateSpec } from "../engine/model/modelSpec";
import { GradientCheckReply, isGradientCheckRequest } from "../protocol/gradientCheckWorker";
import { receiveMessages } from "../protocol/messageChannel";

const port = parentPort;
if (!port) throw new Error("gradientCheckWorker runs only as a worker thread");

const reply = (r: GradientCheckReply) => port.postMessage(r);

receiveMessages(port, isGradientCheckRequest, (request) => {
  try {
    for (const spec of request.specs) {
      validateSpec(spec);
      reply({ type: "result", spec, tensors: gradientCheck(spec) });
    }
    reply({ type: "done" });
  } catch (e) {
    reply({ type: "error", message: e instanceof Error ? e.message : String(e) });
  }
}, () => reply({ type: "error", message: "unknown request" }));
