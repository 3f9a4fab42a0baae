// Characters are code points: Chinese, emoji and combining text behave; the cap folds rare ones into <unk>.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CharVocabulary, UNK } from "../../src/engine/model/charVocabulary";
import { decodeText } from "../../src/engine/files/corpusFile";
import { InputError } from "../../src/engine/messages/inputError";
import { StreamBatches } from "../../src/engine/training/streamBatches";

describe("vocabulary", () => {
  test("Chinese characters and emoji are one symbol each; encode/decode round-trips", () => {
    const text = "床前明月光，疑是地上霜。🙂 ok";
    const { vocab } = CharVocabulary.fromText(text);
    assert.equal(vocab.size, new Set([...text]).size);
    assert.ok(vocab.has("🙂"));
    const enc = vocab.encode(text);
    assert.equal(enc.length, [...text].length);
    assert.equal(vocab.decode(enc), text);
  });

  test("ordered by code point", () => {
    const { vocab } = CharVocabulary.fromText("cab中a");
    assert.deepEqual(vocab.chars, ["a", "b", "c", "中"]);
  });

  test("over the cap, the rarest characters become <unk>", () => {
    const text = "aaaaabbbbcccdde";
    const { vocab, report } = CharVocabulary.fromText(text, 4);
    assert.deepEqual(vocab.chars, ["a", "b", "c", UNK]);
    assert.equal(report.distinct, 5);
    assert.equal(report.mappedToUnk, 2);
    assert.ok(Math.abs(report.unkShare - 3 / 15) < 1e-12);
    assert.equal(vocab.decode(vocab.encode("abde")), `ab${UNK}${UNK}`);
  });

  test("too few characters are refused", () => {
    assert.throws(() => CharVocabulary.fromText("aaaaaa"), /at least 2 distinct characters .*\(only "a"\)/);
    assert.throws(() => CharVocabulary.fromText(""), /at least 2 distinct/);
  });
});

describe("text input", () => {
  test("NUL bytes and invalid UTF-8 are refused as binary", () => {
    assert.throws(() => decodeText(Uint8Array.of(0x50, 0x4b, 0x03, 0x04, 0x00, 0x10), "x.zip"), (e: Error) => e instanceof InputError && /binary/.test(e.message));
    assert.throws(() => decodeText(Uint8Array.of(0x61, 0xff, 0xfe, 0x62), "x.bin"), /not valid UTF-8/);
    assert.equal(decodeText(new TextEncoder().encode("\ufeff你好"), "bom.txt"), "你好");
  });

  test("stream batches: targets are inputs shifted by one, streams are contiguous", () => {
    const data = Int32Array.from({ length: 41 }, (_, i) => i);
    const b = new StreamBatches(data, 4, 3);
    assert.equal(b.streamLength, 10);
    assert.equal(b.windowsPerEpoch, 3);
    const x = new Int32Array(12), y = new Int32Array(12);
    b.fill(1, x, y);
    // time-major: row t·B + b; stream b starts at 10·b, window 1 starts at step 3
    assert.deepEqual(Array.from(x.subarray(0, 4)), [3, 13, 23, 33]);
    assert.deepEqual(Array.from(y.subarray(8, 12)), [6, 16, 26, 36]);
    assert.throws(() => new StreamBatches(Int32Array.from({ length: 10 }), 4, 3), /fewer than one batch needs .*13/);
  });
});
