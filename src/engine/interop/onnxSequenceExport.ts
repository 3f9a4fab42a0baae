// A classifier or tagger (a bidirectional model, or one whose head is classes or tags) as an ONNX
// graph (opset 17): input_ids [seq, batch] and sequence_lens [batch] (int32, each sequence's length;
// ONNX's RNN/LSTM/GRU take it as their fifth input and start the reverse direction at each
// sequence's own last step) → Gather or OneHot → one RNN/LSTM/GRU operator per layer with
// direction "bidirectional" (or "forward") → the head. Every sequence starts from the zero state, as
// in training (no h0 input).
//   Y of a layer is [seq, directions, batch, H] → Transpose [seq, batch, directions, H] → Reshape
//   [seq, batch, directions·H]: the forward half, then the backward half, as in the core.
//   tagger (per-step head): logits [seq, batch, O].
//   classifier: logits [batch, O] from the pooling the task entry names —
//     last  Y_h of the top layer [directions, batch, H] → [batch, directions·H] (the forward state
//           after the last real step, the backward state after the first: PyTorch's h_n)
//     mean  Σ_t mask·Y / length;   max  ReduceMax over t of Where(mask, Y, −∞)
//   with mask [seq, batch] = t < sequence_lens[b].
// Gate orders and operator attributes are the cell's registry entry's `onnx`; activations are
// repeated per direction, as ONNX wants them.

import { cellEntry } from "../model/cells";
import { InputError } from "../messages/inputError";
import { Model, tensorSlots } from "../files/checkpoint";
import { TensorKind, TensorSlot } from "../core/coreAbi";
import { toTorchLayout } from "../model/modelSpec";
import { Field, messageField, stringField } from "./protobuf";
import { Attr, FLOAT, INT32, INT64, Initializer, joined, modelProto, node, reorderBlocks, tensorProto, valueInfo } from "./onnxExport";

/** Whether the model is exported with sequence_lens and a task head (this file) rather than as a char model. */
export function isSequenceModel(model: Model): boolean {
  return model.spec.bidirectional === true || (model.task !== undefined && ["classify", "tag", "segment"].includes(model.task.name));
}

type Pooling = "last" | "mean" | "max" | "steps";

function poolingOf(model: Model): Pooling {
  if (model.task?.name !== "classify") return "steps";
  const pool = model.task.metadata.pool;
  return pool === "mean" || pool === "max" ? pool : "last";
}

export function exportSequenceOnnx(model: Model): Uint8Array {
  const { spec } = model;
  const H = spec.hidden, V = spec.vocabSize, L = spec.layers, O = spec.outputs ?? V;
  const D = spec.bidirectional ? 2 : 1, W = D * H;
  const cell = cellEntry(spec.cell);
  const onnx = cell.onnx;
  if (onnx.op === null) throw new InputError(`${cell.label}: ${onnx.refusal}`);
  if (cell.linearRecurrence) throw new InputError(`${cell.label} classifiers and taggers have no ONNX form yet (their Scan graph runs without sequence lengths)`);
  const pool = poolingOf(model);
  const order = [...onnx.gateOrder];
  const slots = tensorSlots(spec);
  const torch = (kind: TensorKind, layer: number, direction: number): Float32Array => {
    const slot = slots.find((s) => s.kind === kind && s.layer === layer && (s.direction ?? 0) === direction) as TensorSlot;
    return toTorchLayout(slot, model.params.subarray(slot.offset, slot.offset + slot.rows * slot.cols));
  };
  const inits: Initializer[] = [];
  const nodes: Field[] = [];
  const i64 = (name: string, ...values: number[]) => inits.push({ name, dims: [values.length], data: BigInt64Array.from(values, (v) => BigInt(v)) });

  let x = "x_l0";
  if (spec.embed > 0) {
    inits.push({ name: "embed.weight", dims: [V, spec.embed], data: torch(TensorKind.Embed, -1, 0) });
    nodes.push(node("Gather", ["embed.weight", "input_ids"], [x], "embed"));
  } else {
    i64("one_hot.depth", V);
    inits.push({ name: "one_hot.values", dims: [2], data: Float32Array.of(0, 1) });
    nodes.push(node("OneHot", ["input_ids", "one_hot.depth", "one_hot.values"], [x], "one_hot", [{ name: "axis", i: -1 }]));
  }
  i64("shape.seq_batch_width", 0, 0, W);
  i64("shape.batch_width", -1, W);
  let topHn = "";
  for (let l = 0; l < L; l++) {
    const inWidth = l > 0 ? W : spec.embed > 0 ? spec.embed : V;
    const G = order.length;
    const perDirection = (f: (d: number) => Float32Array) => joined(Array.from({ length: D }, (_, d) => f(d)));
    inits.push({ name: `W_l${l}`, dims: [D, G * H, inWidth], data: perDirection((d) => reorderBlocks(torch(TensorKind.WeightIh, l, d), H, inWidth, order)) });
    inits.push({ name: `R_l${l}`, dims: [D, G * H, H], data: perDirection((d) => reorderBlocks(torch(TensorKind.WeightHh, l, d), H, H, order)) });
    inits.push({ name: `B_l${l}`, dims: [D, 2 * G * H], data: perDirection((d) => joined([reorderBlocks(torch(TensorKind.BiasIh, l, d), H, 1, order), reorderBlocks(torch(TensorKind.BiasHh, l, d), H, 1, order)])) });
    const inputs = [x, `W_l${l}`, `R_l${l}`, `B_l${l}`, "sequence_lens"];
    const outputs = [`y4_l${l}`, `hn_l${l}`];
    if (spec.peephole && onnx.peepholes) {
      inputs.push("", ""); // initial_h, initial_c: zeros
      inits.push({ name: `P_l${l}`, dims: [D, 3 * H], data: perDirection((d) => joined(onnx.peepholes!.map((k) => torch(k, l, d)))) });
      inputs.push(`P_l${l}`);
    }
    const attrs: Attr[] = [{ name: "hidden_size", i: H }, { name: "direction", s: D === 2 ? "bidirectional" : "forward" }];
    for (const a of onnx.attributes(spec)) attrs.push("strings" in a ? { name: a.name, strings: Array.from({ length: D }, () => a.strings).flat() } : a);
    nodes.push(node(onnx.op, inputs, outputs, `${spec.cell}_l${l}`, attrs));
    // [seq, D, batch, H] → [seq, batch, D, H] → [seq, batch, D·H]
    nodes.push(node("Transpose", [`y4_l${l}`], [`yt_l${l}`], `transpose_l${l}`, [{ name: "perm", ints: [0, 2, 1, 3] }]));
    const y = `y_l${l}`;
    nodes.push(node("Reshape", [`yt_l${l}`, "shape.seq_batch_width"], [y], `reshape_l${l}`));
    let next = y;
    if (spec.residual && l > 0) {
      next = `res_l${l}`;
      nodes.push(node("Add", [y, x], [next], `residual_l${l}`));
    }
    topHn = `hn_l${l}`;
    x = next;
  }

  // the head reads [.., W]: per step, or one row per sequence
  let features = x;
  if (pool !== "steps") {
    if (pool === "last") {
      nodes.push(node("Transpose", [topHn], ["hn_t"], "last_transpose", [{ name: "perm", ints: [1, 0, 2] }]));
      nodes.push(node("Reshape", ["hn_t", "shape.batch_width"], ["pooled"], "last_reshape"));
    } else {
      // mask [seq, batch, 1]: t < sequence_lens[b]
      i64("axis0", 0);
      i64("axis1", 1);
      i64("axis2", 2);
      nodes.push(node("Shape", ["input_ids"], ["ids_shape"], "ids_shape"));
      nodes.push(node("Gather", ["ids_shape", "axis0"], ["seq_len1"], "seq_len1", [{ name: "axis", i: 0 }]));
      nodes.push(node("Squeeze", ["seq_len1", "axis0"], ["seq_len"], "seq_len"));
      inits.push({ name: "range.start0", dims: [], data: BigInt64Array.of(0n) }, { name: "range.delta1", dims: [], data: BigInt64Array.of(1n) });
      nodes.push(node("Range", ["range.start0", "seq_len", "range.delta1"], ["steps"], "steps"));
      nodes.push(node("Unsqueeze", ["steps", "axis1"], ["steps_col"], "steps_col"));
      nodes.push(node("Cast", ["sequence_lens"], ["lens64"], "lens64", [{ name: "to", i: INT64 }]));
      nodes.push(node("Unsqueeze", ["lens64", "axis0"], ["lens_row"], "lens_row"));
      nodes.push(node("Less", ["steps_col", "lens_row"], ["mask2"], "mask2"));
      nodes.push(node("Unsqueeze", ["mask2", "axis2"], ["mask"], "mask"));
      if (pool === "mean") {
        nodes.push(node("Cast", ["mask"], ["mask_f"], "mask_f", [{ name: "to", i: FLOAT }]));
        nodes.push(node("Mul", [x, "mask_f"], ["masked"], "masked"));
        nodes.push(node("ReduceSum", ["masked", "axis0"], ["sum"], "sum", [{ name: "keepdims", i: 0 }]));
        nodes.push(node("Cast", ["lens64"], ["lens_f"], "lens_f", [{ name: "to", i: FLOAT }]));
        nodes.push(node("Unsqueeze", ["lens_f", "axis1"], ["lens_col"], "lens_col"));
        nodes.push(node("Div", ["sum", "lens_col"], ["pooled"], "mean"));
      } else {
        inits.push({ name: "minus_infinity", dims: [], data: Float32Array.of(-Infinity) });
        nodes.push(node("Where", ["mask", x, "minus_infinity"], ["masked"], "masked"));
        nodes.push(node("ReduceMax", ["masked"], ["pooled"], "max", [{ name: "axes", ints: [0] }, { name: "keepdims", i: 0 }]));
      }
    }
    features = "pooled";
  }
  const headW = torch(TensorKind.HeadWeight, -1, 0); // [O, W]
  const headWT = new Float32Array(W * O);
  for (let o = 0; o < O; o++) for (let h = 0; h < W; h++) headWT[h * O + o] = headW[o * W + h];
  inits.push({ name: "head.weight_t", dims: [W, O], data: headWT });
  inits.push({ name: "head.bias", dims: [O], data: torch(TensorKind.HeadBias, -1, 0) });
  nodes.push(node("MatMul", [features, "head.weight_t"], ["head_mm"], "head_matmul"));
  nodes.push(node("Add", ["head_mm", "head.bias"], ["logits"], "head_bias"));

  const graph = [
    ...nodes,
    stringField(2, pool === "steps" ? "rnn_lab_tagger" : "rnn_lab_classifier"),
    ...inits.map((t) => messageField(5, ...tensorProto(t))),
    valueInfo(11, "input_ids", INT64, ["seq", "batch"]),
    valueInfo(11, "sequence_lens", INT32, ["batch"]),
    valueInfo(12, "logits", FLOAT, pool === "steps" ? ["seq", "batch", O] : ["batch", O]),
  ];
  return modelProto(model, graph);
}
