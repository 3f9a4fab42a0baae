// The compact corpus path (corpusFile.ts scanCorpus / vocabularyFromScan / encodeCorpus) gives
// exactly what the string path gives (CharVocabulary.fromText + encode, SHA-256 of the text), in
// the narrowest id type, across chunk boundaries that split a character.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { CharVocabulary } from "../../src/engine/model/charVocabulary";
import { decodeText, encodeCorpus, scanCorpus, vocabularyFromScan } from "../../src/engine/files/corpusFile";
import { InputError } from "../../src/engine/messages/inputError";
import { tempDir } from "../helpers";

const dir = tempDir("rnnlab-corpus-");
const write = (name: string, content: string | Uint8Array) => { const p = join(dir, name); writeFileSync(p, content); return p; };

function stringPath(text: string, cap: number) {
  const { vocab, report } = CharVocabulary.fromText(text, cap);
  return { vocab, report, ids: vocab.encode(text), sha256: createHash("sha256").update(text).digest("hex") };
}

describe("the compact corpus", () => {
  test("same vocabulary, report, ids and hash as the string path (multi-byte characters, emoji, <unk>, several files, a BOM)", () => {
    const a = "Hello, wörld — 你好, 世界 🙂🙂 ñ\n".repeat(50);
    const b = "ÆØÅ æøå 𝄞 music\r\n".repeat(30) + "z";
    const files = [write("a.txt", a), write("b.txt", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(b)]))];
    for (const cap of [5000, 12]) {
      const scan = scanCorpus(files);
      const { vocab, report } = vocabularyFromScan(scan, cap);
      const ids = encodeCorpus(scan, vocab);
      const ref = stringPath(a + b, cap);
      assert.deepEqual(vocab.chars, ref.vocab.chars);
      assert.equal(vocab.unk, ref.vocab.unk);
      assert.deepEqual(report, ref.report);
      assert.deepEqual(Array.from(ids), Array.from(ref.ids));
      assert.equal(scan.sha256, ref.sha256);
      assert.equal(scan.chars, ref.ids.length);
      assert.ok(ids instanceof Uint8Array && ids.buffer instanceof SharedArrayBuffer, "≤ 256 symbols: one byte each, shared with the training threads");
    }
  });

  test("over 256 symbols: two bytes per id; a character split by the 8 MiB read boundary decodes whole", () => {
    let many = "";
    for (let cp = 0x4e00; cp < 0x4e00 + 400; cp++) many += String.fromCodePoint(cp);
    const pad = "a".repeat(8 * 1024 * 1024 - 1); // "你" (3 bytes) then straddles the first chunk's end
    const text = pad + "你" + many + "🙂";
    const scan = scanCorpus([write("big.txt", text)]);
    const { vocab } = vocabularyFromScan(scan, 5000);
    const ids = encodeCorpus(scan, vocab);
    assert.ok(ids instanceof Uint16Array);
    const ref = stringPath(text, 5000);
    assert.equal(ids.length, ref.ids.length);
    assert.deepEqual(Array.from(ids.subarray(pad.length - 2)), Array.from(ref.ids.subarray(pad.length - 2)));
    assert.equal(scan.sha256, ref.sha256);
  });

  test("a vocabulary without a character of the text is refused by name; invalid UTF-8 names the byte", () => {
    const scan = scanCorpus([write("abc.txt", "abcabcx")]);
    const vocab = new CharVocabulary({ chars: ["a", "b", "c"], unk: -1 });
    assert.throws(() => encodeCorpus(scan, vocab), /the text contains "x" \(U\+0078\)/);
    assert.throws(() => scanCorpus([write("bad.txt", Uint8Array.of(0x61, 0x62, 0xc0, 0xaf))]), (e: Error) => e instanceof InputError && /bad\.txt is not valid UTF-8 text \(at byte 2\)/.test(e.message));
    assert.throws(() => scanCorpus([write("surrogate.txt", Uint8Array.of(0x61, 0xed, 0xa0, 0x80))]), /not valid UTF-8 text \(at byte 1\)/);
    assert.throws(() => scanCorpus([write("cut.txt", Uint8Array.of(0x61, 0x62, 0xe4, 0xbd))]), /not valid UTF-8 text \(at byte 2\)/);
    assert.throws(() => scanCorpus([write("bom-only.txt", Uint8Array.of(0xef, 0xbb, 0xbf))]), /bom-only\.txt is empty/);
  });

  test("decodeText (the extension's reader): UTF-16 with a BOM, NUL anywhere, UTF-32 named", () => {
    assert.equal(decodeText(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("héllo 你好", "utf16le")]), "le.txt"), "héllo 你好");
    const be = Buffer.from("héllo 你好", "utf16le").swap16();
    assert.equal(decodeText(Buffer.concat([Buffer.from([0xfe, 0xff]), be]), "be.txt"), "héllo 你好");
    const late = new Uint8Array(3 * 1024 * 1024).fill(0x61);
    late[2 * 1024 * 1024 + 5] = 0;
    assert.throws(() => decodeText(late, "late.txt"), /late\.txt looks binary \(it contains a NUL byte at byte 2,097,157\)/);
    assert.throws(() => decodeText(Uint8Array.of(0, 0, 0xfe, 0xff, 0, 0, 0, 0x61), "be32.txt"), /be32\.txt is UTF-32 text \(big-endian/);
    assert.throws(() => decodeText(Uint8Array.of(0xff, 0xfe, 0x00, 0xd8), "lone.txt"), /not valid UTF-16LE text/);
  });
});
