// The worker the extension starts for "RNN Lab: Run Gradient Check", driven as the extension does.

import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import type { GradientCheckReply } from "../../src/protocol/gradientCheckWorker";
import { projectRoot } from "../helpers";

function ask(request: unknown): Promise<GradientCheckReply[]> {
  const worker = new Worker(join(projectRoot, "dist", "gradientCheckWorker.js"));
  const replies: GradientCheckReply[] = [];
  return new Promise((resolve, reject) => {
    worker.on("error", reject);
    worker.on("message", (m: GradientCheckReply) => {
      replies.push(m);
      if (m.type !== "result") void worker.terminate().then(() => resolve(replies));
    });
    worker.postMessage(request);
  });
}

test("the gradient-check worker answers one result per model, then done", async () => {
  const spec = { cell: "gru", nonlinearity: "tanh", layers: 2, hidden: 3, embed: 0, vocabSize: 5, peephole: false, coupled: false, residual: false };
  const replies = await ask({ type: "gradientCheck", specs: [spec, { ...spec, cell: "lstm", peephole: true }] });
  assert.deepEqual(replies.map((r) => r.type), ["result", "result", "done"]);
  for (const r of replies) if (r.type === "result") for (const t of r.tensors) assert.ok(t.maxRelError < 1e-6, t.name);
});

test("the worker refuses a malformed request or model with an error reply", async () => {
  assert.deepEqual(await ask({ type: "nonsense" }), [{ type: "error", message: "unknown request" }]);
  const bad = await ask({ type: "gradientCheck", specs: [{ cell: "lstm", nonlinearity: "tanh", layers: 9, hidden: 3, embed: 0, vocabSize: 5, peephole: false, coupled: false, residual: false }] });
  assert.equal(bad[0].type, "error");
  assert.match((bad[0] as { message: string }).message, /layers must be 1 to 4/);
});
