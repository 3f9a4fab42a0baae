// Runs gradient checks off the extension host's thread: one reply per model, then "done".

import { parentPort } from "node:worker_threads";
import { gradientCheck } from "../engine/gradientCheck";
import { validateSpec } from "../engine/modelSpec";
import type { GradientCheckReply, GradientCheckRequest } from "../protocol/gradientCheckWorker";

const port = parentPort;
if (!port) throw new Error("gradientCheckWorker runs only as a worker thread");

port.on("message", (request: GradientCheckRequest) => {
  const reply = (r: GradientCheckReply) => port.postMessage(r);
  try {
    if (request?.type !== "gradientCheck" || !Array.isArray(request.specs)) throw new Error("unknown request");
    for (const spec of request.specs) {
      validateSpec(spec);
      reply({ type: "result", spec, tensors: gradientCheck(spec) });
    }
    reply({ type: "done" });
  } catch (e) {
    reply({ type: "error", message: e instanceof Error ? e.message : String(e) });
  }
});
