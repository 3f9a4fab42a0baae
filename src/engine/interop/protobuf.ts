// A protocol-buffers writer, just enough for ONNX files: varints, length-delimited fields, packed
// repeated ints. Messages are built bottom-up as byte arrays.

export type Field = Uint8Array;

function varint(value: number | bigint): number[] {
  // int64 fields: negative numbers take ten bytes in two's complement
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}

function key(field: number, wireType: 0 | 2 | 5): number[] {
  return varint((field << 3) | wireType);
}

export function intField(field: number, value: number | bigint): Field {
  return Uint8Array.from([...key(field, 0), ...varint(value)]);
}

export function floatField(field: number, value: number): Field {
  const out = new Uint8Array(key(field, 5).length + 4);
  out.set(key(field, 5));
  new DataView(out.buffer).setFloat32(out.length - 4, value, true);
  return out;
}

export function bytesField(field: number, bytes: Uint8Array): Field {
  const head = [...key(field, 2), ...varint(bytes.length)];
  const out = new Uint8Array(head.length + bytes.length);
  out.set(head);
  out.set(bytes, head.length);
  return out;
}

export function stringField(field: number, text: string): Field {
  return bytesField(field, new TextEncoder().encode(text));
}

export function messageField(field: number, ...parts: Field[]): Field {
  return bytesField(field, concat(parts));
}

export function packedIntsField(field: number, values: (number | bigint)[]): Field {
  return bytesField(field, Uint8Array.from(values.flatMap((v) => varint(v))));
}

export function concat(parts: Field[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
