// A model as an ONNX graph (opset 17): input ids → Gather (embedding) or OneHot → one LSTM/GRU/RNN
// operator per layer → MatMul + Add (head) → logits. The recurrent state is a graph input (h0, and c0
// for an LSTM, [layers, batch, hidden]) and output (hn, cn), so a runtime can step the model a window
// or a character at a time; feed zeros to start from the beginning of a text.
//
// ONNX orders gates differently from PyTorch: each cell's operator, gate order, peephole order and
// attributes are its registry entry's `onnx` (cells.ts). Biases are [input bias, recurrent bias].
// Every variant has an ONNX form: peepholes (input P), coupled gates (input_forget = 1, f = 1 − i),
// residual layers (Add), the reset-before GRU (linear_before_reset = 0; b_hn outside the reset, as here).
// minGRU and minLSTM (registry `linearRecurrence`) have no ONNX operator: they are decomposed into
// standard ones — MatMul + Add for all gates of the window at once, Sigmoid, Sub, Div, Mul for the
// coefficients a, b, and a Scan over time whose body is h = a ∘ h + b. A cell without an ONNX operator
// (CTRNN, additive) is refused with its entry's one-line reason.

import { cellEntry } from "../model/cells";
import { InputError } from "../messages/inputError";
import { Model, tensorSlots } from "../files/checkpoint";
import { TensorKind, TensorSlot } from "../core/coreAbi";
import { toTorchLayout } from "../model/modelSpec";
import { Field, concat, floatField, intField, messageField, packedIntsField, stringField, bytesField } from "./protobuf";
import { exportSequenceOnnx, isSequenceModel } from "./onnxSequenceExport";

export const FLOAT = 1, INT64 = 7, INT32 = 6;
const ATTR_INT = 2, ATTR_STRING = 3, ATTR_STRINGS = 8, ATTR_FLOATS = 6, ATTR_GRAPH = 5, ATTR_INTS = 7;
export const ONNX_OPSET = 17;
const IR_VERSION = 8;

export interface Initializer { name: string; dims: number[]; data: Float32Array | BigInt64Array }

export function tensorProto(t: Initializer): Field[] {
  const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return [packedIntsField(1, t.dims), intField(2, t.data instanceof Float32Array ? FLOAT : INT64), stringField(8, t.name), bytesField(9, raw)];
}

export type Attr = { name: string } & ({ i: number } | { s: string } | { strings: string[] } | { floats: number[] } | { ints: number[] } | { graph: Field[] });

function attribute(a: Attr): Field[] {
  const f: Field[] = [stringField(1, a.name)];
  if ("i" in a) f.push(intField(3, a.i), intField(20, ATTR_INT));
  else if ("s" in a) f.push(stringField(4, a.s), intField(20, ATTR_STRING));
  else if ("strings" in a) f.push(...a.strings.map((s) => stringField(9, s)), intField(20, ATTR_STRINGS));
  else if ("graph" in a) f.push(messageField(6, ...a.graph), intField(20, ATTR_GRAPH));
  else if ("ints" in a) f.push(...a.ints.map((x) => intField(8, x)), intField(20, ATTR_INTS));
  else f.push(...a.floats.map((x) => floatField(7, x)), intField(20, ATTR_FLOATS));
  return f;
}

export function node(op: string, inputs: string[], outputs: string[], name: string, attrs: Attr[] = []): Field {
  return messageField(1, ...inputs.map((n) => stringField(1, n)), ...outputs.map((n) => stringField(2, n)), stringField(3, name), stringField(4, op),
    ...attrs.map((a) => messageField(5, ...attribute(a))));
}

export function valueInfo(field: number, name: string, elemType: number, dims: (number | string)[]): Field {
  const shape = dims.map((d) => messageField(1, typeof d === "number" ? intField(1, d) : stringField(2, d)));
  return messageField(field, stringField(1, name), messageField(2, messageField(1, intField(1, elemType), messageField(2, ...shape))));
}

/** Rows of a [blocks·H, cols] matrix (or a [blocks·H] vector) with its H-row blocks in `order`. */
export function reorderBlocks(data: Float32Array, H: number, cols: number, order: number[]): Float32Array {
  const out = new Float32Array(data.length);
  order.forEach((from, to) => out.set(data.subarray(from * H * cols, (from + 1) * H * cols), to * H * cols));
  return out;
}

export function joined(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function exportOnnx(model: Model): Uint8Array {
  if (isSequenceModel(model)) return exportSequenceOnnx(model);
  const { spec } = model;
  const H = spec.hidden, V = spec.vocabSize, L = spec.layers;
  const cell = cellEntry(spec.cell);
  const onnx = cell.onnx;
  if (onnx.op === null) throw new InputError(`${cell.label}: ${onnx.refusal}`);
  const order = [...onnx.gateOrder];
  const slots = tensorSlots(spec);
  const torch = (kind: TensorKind, layer = -1): Float32Array => {
    const slot = slots.find((s) => s.kind === kind && s.layer === layer) as TensorSlot;
    return toTorchLayout(slot, model.params.subarray(slot.offset, slot.offset + slot.rows * slot.cols));
  };
  const inits: Initializer[] = [];
  const nodes: Field[] = [];
  const lstm = cell.cellState; // c0 / cn travel with h0 / hn
  const op = onnx.op;

  let x = "x_l0";
  if (spec.embed > 0) {
    inits.push({ name: "embed.weight", dims: [V, spec.embed], data: torch(TensorKind.Embed) });
    nodes.push(node("Gather", ["embed.weight", "input_ids"], [x], "embed"));
  } else {
    inits.push({ name: "one_hot.depth", dims: [1], data: BigInt64Array.of(BigInt(V)) });
    inits.push({ name: "one_hot.values", dims: [2], data: Float32Array.of(0, 1) });
    nodes.push(node("OneHot", ["input_ids", "one_hot.depth", "one_hot.values"], [x], "one_hot", [{ name: "axis", i: -1 }]));
  }
  inits.push({ name: "squeeze.axes", dims: [1], data: BigInt64Array.of(1n) });
  const hOut: string[] = [], cOut: string[] = [];
  for (let l = 0; l < L; l++) {
    const inWidth = l > 0 ? H : spec.embed > 0 ? spec.embed : V;
    if (cell.linearRecurrence) {
      x = linearRecurrenceLayer(model, l, x, torch(TensorKind.WeightIh, l), torch(TensorKind.BiasIh, l), inWidth, inits, nodes);
      hOut.push(`hn_l${l}`);
      continue;
    }
    const G = order.length;
    inits.push({ name: `W_l${l}`, dims: [1, G * H, inWidth], data: reorderBlocks(torch(TensorKind.WeightIh, l), H, inWidth, order) });
    inits.push({ name: `R_l${l}`, dims: [1, G * H, H], data: reorderBlocks(torch(TensorKind.WeightHh, l), H, H, order) });
    const bias = joined([reorderBlocks(torch(TensorKind.BiasIh, l), H, 1, order), reorderBlocks(torch(TensorKind.BiasHh, l), H, 1, order)]);
    inits.push({ name: `B_l${l}`, dims: [1, 2 * G * H], data: bias });
    inits.push({ name: `layer_l${l}`, dims: [1], data: BigInt64Array.of(BigInt(l)) });
    nodes.push(node("Gather", ["h0", `layer_l${l}`], [`h0_l${l}`], `h0_l${l}`, [{ name: "axis", i: 0 }]));
    const inputs = [x, `W_l${l}`, `R_l${l}`, `B_l${l}`, "", `h0_l${l}`];
    const outputs = [`y4_l${l}`, `hn_l${l}`];
    const attrs: Attr[] = [{ name: "hidden_size", i: H }];
    if (lstm) {
      nodes.push(node("Gather", ["c0", `layer_l${l}`], [`c0_l${l}`], `c0_l${l}`, [{ name: "axis", i: 0 }]));
      inputs.push(`c0_l${l}`);
      outputs.push(`cn_l${l}`);
      if (spec.peephole && onnx.peepholes) {
        const p = onnx.peepholes.map((k) => torch(k, l));
        inits.push({ name: `P_l${l}`, dims: [1, 3 * H], data: joined(p) });
        inputs.push(`P_l${l}`);
      }
    }
    attrs.push(...onnx.attributes(spec));
    nodes.push(node(op, inputs, outputs, `${spec.cell}_l${l}`, attrs));
    // Y is [seq, directions = 1, batch, hidden]
    const y = `y_l${l}`;
    nodes.push(node("Squeeze", [`y4_l${l}`, "squeeze.axes"], [y], `squeeze_l${l}`));
    let next = y;
    if (spec.residual && l > 0) {
      next = `res_l${l}`;
      nodes.push(node("Add", [y, x], [next], `residual_l${l}`));
    }
    hOut.push(`hn_l${l}`);
    if (lstm) cOut.push(`cn_l${l}`);
    x = next;
  }
  nodes.push(node("Concat", hOut, ["hn"], "hn", [{ name: "axis", i: 0 }]));
  if (lstm) nodes.push(node("Concat", cOut, ["cn"], "cn", [{ name: "axis", i: 0 }]));
  const headW = torch(TensorKind.HeadWeight); // [V, H]
  const headWT = new Float32Array(H * V);
  for (let v = 0; v < V; v++) for (let h = 0; h < H; h++) headWT[h * V + v] = headW[v * H + h];
  inits.push({ name: "head.weight_t", dims: [H, V], data: headWT });
  inits.push({ name: "head.bias", dims: [V], data: torch(TensorKind.HeadBias) });
  nodes.push(node("MatMul", [x, "head.weight_t"], ["head_mm"], "head_matmul"));
  nodes.push(node("Add", ["head_mm", "head.bias"], ["logits"], "head_bias"));

  const stateDims = [L, "batch", H];
  const graph = [
    ...nodes,
    stringField(2, "rnn_lab_char_model"),
    ...inits.map((t) => messageField(5, ...tensorProto(t))),
    valueInfo(11, "input_ids", INT64, ["seq", "batch"]),
    valueInfo(11, "h0", FLOAT, stateDims),
    ...(lstm ? [valueInfo(11, "c0", FLOAT, stateDims)] : []),
    valueInfo(12, "logits", FLOAT, ["seq", "batch", V]),
    valueInfo(12, "hn", FLOAT, stateDims),
    ...(lstm ? [valueInfo(12, "cn", FLOAT, stateDims)] : []),
  ];
  return modelProto(model, graph);
}

/** The ModelProto around a graph: IR version, producer, opset, and the model's spec, vocabulary (and task entry) as metadata. */
export function modelProto(model: Model, graph: Field[]): Uint8Array {
  const metadata = [
    ["rnn_lab.model", JSON.stringify(model.spec)],
    ["rnn_lab.vocab", JSON.stringify(model.vocab.toJSON())],
    ...(model.task ? [["rnn_lab.task", JSON.stringify(model.task)]] : []),
  ].map(([k, v]) => messageField(14, stringField(1, k), stringField(2, v)));
  return concat([
    intField(1, IR_VERSION),
    stringField(2, "rnn-lab"),
    messageField(7, ...graph),
    messageField(8, stringField(1, ""), intField(2, ONNX_OPSET)),
    ...metadata,
  ]);
}

/**
 * Layer l of a minGRU / minLSTM as standard operators; x [seq, batch, in] → returns the layer's output
 * name ([seq, batch, H], residual added) and leaves hn_l{l} [1, batch, H]. W [G·H, in] and bias [G·H]
 * in PyTorch layout, gate blocks in the registry's order (z, h̃ or f, i, h̃).
 */
function linearRecurrenceLayer(model: Model, l: number, x: string, W: Float32Array, bias: Float32Array, inWidth: number, inits: Initializer[], nodes: Field[]): string {
  const { spec } = model, H = spec.hidden, G = W.length / (H * inWidth);
  const p = (name: string) => `${spec.cell}_l${l}.${name}`;
  const Wt = new Float32Array(inWidth * G * H); // [in, G·H] for MatMul
  for (let r = 0; r < G * H; r++) for (let c = 0; c < inWidth; c++) Wt[c * G * H + r] = W[r * inWidth + c];
  inits.push({ name: p("weight_t"), dims: [inWidth, G * H], data: Wt }, { name: p("bias"), dims: [G * H], data: bias });
  if (l === 0) {
    inits.push({ name: "split.sizes2", dims: [2], data: BigInt64Array.of(BigInt(H), BigInt(H)) }, { name: "split.sizes3", dims: [3], data: BigInt64Array.of(BigInt(H), BigInt(H), BigInt(H)) });
    inits.push({ name: "axes0", dims: [1], data: BigInt64Array.of(0n) }, { name: "one", dims: [], data: Float32Array.of(1) });
  }
  nodes.push(node("MatMul", [x, p("weight_t")], [p("mm")], p("matmul")));
  nodes.push(node("Add", [p("mm"), p("bias")], [p("pre")], p("bias_add")));
  if (spec.cell === "mingru") {
    // z = σ(pre_z), a = 1 − z, b = z ∘ h̃
    nodes.push(node("Split", [p("pre"), "split.sizes2"], [p("z_pre"), p("candidate")], p("split"), [{ name: "axis", i: 2 }]));
    nodes.push(node("Sigmoid", [p("z_pre")], [p("z")], p("z")));
    nodes.push(node("Sub", ["one", p("z")], [p("a")], p("a")));
    nodes.push(node("Mul", [p("z"), p("candidate")], [p("b")], p("b")));
  } else {
    // f' = f / (f + i), i' = i / (f + i); a = f', b = i' ∘ h̃
    nodes.push(node("Split", [p("pre"), "split.sizes3"], [p("f_pre"), p("i_pre"), p("candidate")], p("split"), [{ name: "axis", i: 2 }]));
    nodes.push(node("Sigmoid", [p("f_pre")], [p("f")], p("f")));
    nodes.push(node("Sigmoid", [p("i_pre")], [p("i")], p("i")));
    nodes.push(node("Add", [p("f"), p("i")], [p("sum")], p("sum")));
    nodes.push(node("Div", [p("f"), p("sum")], [p("a")], p("a")));
    nodes.push(node("Div", [p("i"), p("sum")], [p("i_share")], p("i_share")));
    nodes.push(node("Mul", [p("i_share"), p("candidate")], [p("b")], p("b")));
  }
  // h_t = a_t ∘ h_{t−1} + b_t over the sequence: a Scan with state h [batch, H] and scan inputs a, b
  inits.push({ name: `layer_l${l}`, dims: [1], data: BigInt64Array.of(BigInt(l)) });
  nodes.push(node("Gather", ["h0", `layer_l${l}`], [`h0_l${l}`], `h0_l${l}`, [{ name: "axis", i: 0 }]));
  nodes.push(node("Squeeze", [`h0_l${l}`, "axes0"], [p("h0")], p("h0")));
  const state = [-1, H].map((d) => (d < 0 ? "batch" : d));
  const body = [
    node("Mul", [p("s.a"), p("s.h")], [p("s.ah")], p("s.mul")),
    node("Add", [p("s.ah"), p("s.b")], [p("s.h_next")], p("s.add")),
    node("Identity", [p("s.h_next")], [p("s.y")], p("s.y")),
    stringField(2, p("step")),
    valueInfo(11, p("s.h"), FLOAT, state), valueInfo(11, p("s.a"), FLOAT, state), valueInfo(11, p("s.b"), FLOAT, state),
    valueInfo(12, p("s.h_next"), FLOAT, state), valueInfo(12, p("s.y"), FLOAT, state),
  ];
  nodes.push(node("Scan", [p("h0"), p("a"), p("b")], [p("hn"), p("y")], p("scan"), [{ name: "body", graph: body }, { name: "num_scan_inputs", i: 2 }]));
  nodes.push(node("Unsqueeze", [p("hn"), "axes0"], [`hn_l${l}`], `hn_l${l}`));
  if (spec.residual && l > 0) {
    nodes.push(node("Add", [p("y"), x], [`res_l${l}`], `residual_l${l}`));
    return `res_l${l}`;
  }
  return p("y");
}
