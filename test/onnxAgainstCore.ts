// One check for every ONNX export test of a cell without state c: the exported graph run by
// onnxruntime-web (an implementation nobody here wrote) against the core's own logits and final
// state, over a whole window from a non-zero h0 and stepped (the first `split` steps, then the rest
// from the returned hn), to 1e-4.

import assert from "node:assert/strict";
import * as ort from "onnxruntime-web";
import type { Model } from "../src/engine/files/checkpoint";
import { exportOnnx } from "../src/engine/interop/modelExport";
import { windowLogits } from "../src/engine/training/evaluate";
import { expectClose } from "./helpers";

/** The worst absolute logit difference over the whole window and onnxruntime's logits of it [T·B, V] (the assertions have passed when it returns). */
export async function expectOnnxMatchesCore(model: Model, B: number, T: number, split: number): Promise<{ worst: number; onnxLogits: Float32Array }> {
  const { layers, hidden } = model.spec, V = model.vocab.size;
  const ids = Int32Array.from({ length: T * B }, (_, i) => (i * 5 + 1) % V);
  const h0 = Float32Array.from({ length: layers * B * hidden }, (_, i) => 0.4 * Math.sin(i + 1));
  const session = await ort.InferenceSession.create(exportOnnx(model), { logSeverityLevel: 3 });
  try {
    const feed = (part: Int32Array, steps: number, h: Float32Array) => session.run({
      input_ids: new ort.Tensor("int64", BigInt64Array.from(part, (v) => BigInt(v)), [steps, B]),
      h0: new ort.Tensor("float32", h, [layers, B, hidden]),
    });
    const ref = windowLogits(model, ids, B, h0);
    const tol = { atol: 1e-4, rtol: 1e-4 };
    const whole = await feed(ids, T, h0);
    expectClose(whole.logits.data as Float32Array, ref.logits, tol, "logits");
    expectClose(whole.hn.data as Float32Array, ref.h, tol, "hn");
    assert.deepEqual(whole.hn.dims, [layers, B, hidden]);
    const first = await feed(ids.subarray(0, split * B), split, h0);
    const rest = await feed(ids.subarray(split * B), T - split, first.hn.data as Float32Array);
    expectClose(rest.logits.data as Float32Array, ref.logits.subarray(split * B * V), tol, "stepped logits");
    const got = whole.logits.data as Float32Array;
    return { worst: got.reduce((w, v, i) => Math.max(w, Math.abs(v - ref.logits[i])), 0), onnxLogits: got };
  } finally {
    await session.release();
  }
}
