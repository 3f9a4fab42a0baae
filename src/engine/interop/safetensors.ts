// The safetensors format, on bytes: u64 little-endian header length N, N bytes of JSON header
// (starting with '{', padded with spaces to a multiple of 8), then the tensor data. Offsets are
// relative to the data section and must tile it exactly. Parsing assumes nothing about the input.

export class SafetensorsError extends Error {}

export type Dtype = "F32" | "F64" | "F16" | "BF16";
const DTYPE_BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
}

export function encodeSafetensors(tensors: NamedTensor[], metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`tensor ${t.name}: shape [${t.shape}] holds ${count} values, data has ${t.data.length}`);
    header[t.name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  let json = JSON.stringify(header);
  const jsonBytes = new TextEncoder().encode(json);
  const padded = Math.ceil(jsonBytes.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(jsonBytes, 8);
  out.fill(0x20, 8 + jsonBytes.length, 8 + padded);
  let p = 8 + padded;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), p);
    p += t.data.byteLength;
  }
  return out;
}

/** One tensor's entry in the header: where its bytes lie in the data section. */
export interface TensorEntry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number; // bytes into the data section
  end: number;
}

export interface SafetensorsHeader {
  metadata: Record<string, string>;
  entries: Map<string, TensorEntry>;
  dataStart: number; // bytes into the file
}

/** The header alone, checked (offsets tile the data exactly); allocates nothing tensor-sized. */
export function readSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  const fail = (why: string): never => { throw new SafetensorsError(why); };
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, too short for a safetensors header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) fail(`header length ${n} is over the ${MAX_HEADER_BYTES}-byte limit`);
  if (n > BigInt(bytes.length - 8)) fail(`header length ${n} runs past the end of the ${bytes.length}-byte file (truncated?)`);
  const headerLen = Number(n);
  if (headerLen < 2 || bytes[8] !== 0x7b) fail("header does not start with '{'");
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) fail("header is not a JSON object");
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: TensorEntry[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail("__metadata__ is not an object");
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== "string") fail(`__metadata__.${k} is not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof info !== "object" || info === null || Array.isArray(info)) fail(`tensor ${name}: entry is not an object`);
    if (typeof info.dtype !== "string" || !Object.hasOwn(DTYPE_BYTES, info.dtype)) fail(info.dtype === undefined ? `tensor ${name}: its dtype is missing` : `tensor ${name}: unknown dtype ${JSON.stringify(info.dtype)}`);
    const dtype = info.dtype as string;
    if (!Array.isArray(info.shape) || !info.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor ${name}: shape is not a list of non-negative integers`);
    const shape = info.shape as number[];
    const off = info.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor ${name}: data_offsets is not [begin, end]`);
    const [begin, end] = off as number[];
    if (begin > end) fail(`tensor ${name}: data_offsets [${begin}, ${end}] run backwards`);
    if (end > dataLen) fail(`tensor ${name}: data_offsets [${begin}, ${end}] go past the ${dataLen} bytes of data (truncated?)`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (count * DTYPE_BYTES[dtype] !== end - begin) fail(`tensor ${name}: shape [${shape}] of ${dtype} needs ${count * DTYPE_BYTES[dtype]} bytes, offsets give ${end - begin}`);
    entries.push({ name, dtype, shape, begin, end });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expect = 0;
  for (const e of sorted) {
    if (e.begin < expect) fail(`tensor ${e.name}: its bytes overlap the previous tensor's`);
    if (e.begin > expect) fail(`tensor ${e.name}: a hole of ${e.begin - expect} bytes precedes it`);
    expect = e.end;
  }
  if (expect !== dataLen) fail(`${dataLen - expect} bytes after the last tensor belong to none (corrupted?)`);
  return { metadata, entries: new Map(entries.map((e) => [e.name, e])), dataStart };
}

/** One tensor's values as float32 (a new array). */
export function tensorValues(bytes: Uint8Array, header: SafetensorsHeader, entry: TensorEntry): Float32Array {
  if (!["F32", "F64", "F16", "BF16"].includes(entry.dtype)) throw new SafetensorsError(`tensor ${entry.name}: dtype ${entry.dtype} is not a floating-point type`);
  return toFloat32(bytes.subarray(header.dataStart + entry.begin, header.dataStart + entry.end), entry.dtype as Dtype);
}

export function decodeSafetensors(bytes: Uint8Array): SafetensorsFile {
  const header = readSafetensorsHeader(bytes);
  const tensors = new Map<string, NamedTensor>();
  for (const e of header.entries.values()) {
    tensors.set(e.name, { name: e.name, shape: e.shape, data: tensorValues(bytes, header, e) });
  }
  return { tensors, metadata: header.metadata };
}

function toFloat32(raw: Uint8Array, dtype: Dtype): Float32Array {
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = raw.byteLength / (dtype === "F64" ? 8 : dtype === "F32" ? 4 : 2);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (dtype === "F32") out[i] = v.getFloat32(4 * i, true);
    else if (dtype === "F64") out[i] = v.getFloat64(8 * i, true);
    else if (dtype === "BF16") out[i] = bf16ToFloat(v.getUint16(2 * i, true));
    else out[i] = f16ToFloat(v.getUint16(2 * i, true));
  }
  return out;
}

const scratch = new DataView(new ArrayBuffer(4));
function bf16ToFloat(h: number): number {
  scratch.setUint32(0, h << 16);
  return scratch.getFloat32(0);
}

function f16ToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}
