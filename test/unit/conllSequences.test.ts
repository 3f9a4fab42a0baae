// A CoNLL document's sequences as the editor sends them to a tagger: the same blocks, texts and first
// lines as the training reader (parseTaggingData) finds, and each row given back its own tag.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { conllSequences, rowTags } from "../../src/engine/tasks/conllSequences";
import { parseTaggingData } from "../../src/engine/tasks/labelledText";
import { projectRoot } from "../helpers";

test("the bundled CoNLL example: one sequence per blank-line-separated block, as the reader reads it", () => {
  const text = readFileSync(join(projectRoot, "media", "examples", "shakespeare-names.conll"), "utf8");
  const lines = text.split(/\r?\n/);
  const sequences = conllSequences(lines);
  const records = parseTaggingData(text, "names.conll", "conll").records;
  assert.ok(records.length > 10);
  assert.deepEqual(sequences.map((q) => [q.line, q.text]), records.map((r) => [r.line, r.chars.join("")]));
  // each row gets back the tag of its own character, at its own line
  const first = sequences[0], rows = rowTags(first, records[0].tags);
  assert.equal(rows.length, records[0].chars.length);
  rows.forEach((r, k) => {
    assert.equal(r.line, first.line + k);
    assert.deepEqual(r.tags, [records[0].tags[k]]);
    assert.equal(lines[r.line - 1].split("\t")[1], records[0].tags[k], "the tag written on that line");
  });
});

test("a space is a character of the sequence; blank lines and a document's later start line", () => {
  const q = conllSequences(["a\tB", " \tO", "b\tB", "", "", "c\tO"], 10);
  assert.deepEqual(q.map((x) => [x.line, x.text]), [[10, "a b"], [15, "c"]]);
});
