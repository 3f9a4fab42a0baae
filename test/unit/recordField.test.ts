// The text field of a CSV/TSV/JSONL line, where Explain Prediction's colours go: its value must be
// what the file's reader (csv-parse, JSON.parse) gives for that record, and each character's column
// must be where that character is written in the line.

import assert from "node:assert/strict";
import { test } from "node:test";
import { csvRecords } from "../../src/engine/files/csvTable";
import { recordTextField } from "../../src/engine/tasks/recordField";

/** Each character of the value is at its column, or (an escape or a doubled quote) starts one there. */
function assertPlaced(line: string, text: string, columns: number[], escapes: Record<string, string[]>): void {
  const chars = Array.from(text);
  assert.equal(columns.length, chars.length);
  chars.forEach((c, i) => {
    const written = line.slice(columns[i]);
    assert.ok(written.startsWith(c) || (escapes[c] ?? []).some((e) => written.startsWith(e)), `character ${i} ${JSON.stringify(c)} at column ${columns[i]}: ${JSON.stringify(written.slice(0, 8))}`);
    if (i > 0) assert.ok(columns[i] > columns[i - 1], "columns increase");
  });
}

test("CSV: the text column's value as csv-parse reads it (quotes, doubled quotes, commas, CJK and an emoji), at its columns", () => {
  const lines = ["id,text,label", '1,"Nay, go ""not"" from us",statement', "2,今天是个好日子😀,pos", '3,plain,"neg"', '4,"",neu', "5,x y,neg"];
  const file = lines.join("\n") + "\n";
  // independent: the file's own reader (csv-parse), record by record
  const rows = csvRecords(file, "t.csv", { delimiter: "," });
  for (const [k, line] of lines.entries()) {
    if (k === 0) continue;
    const f = recordTextField("csv", lines[0], line);
    assert.ok(f, line);
    assert.equal(f.text, rows.find((r) => r.line === k + 1)!.cells[1]);
    if (k === 4) { assert.equal(f.text, ""); continue; }
    assertPlaced(line, f.text, f.columns, { '"': ['""'] });
  }
  assert.deepEqual(recordTextField("csv", lines[0], lines[1])!.columns.slice(0, 4), [3, 4, 5, 6], "after 1,\" the text starts at column 3");
  // the emoji is one character, two columns
  const zh = recordTextField("csv", lines[0], lines[2])!;
  assert.equal(zh.columns.length, 8);
  assert.equal(zh.columns[7], 2 + 7);
});

test("TSV and a chosen column; a line that is not a whole record, or a header without the column, gives null", () => {
  const header = "label\treview";
  const f = recordTextField("tsv", header, "pos\tgood, \"really\"", "review")!;
  assert.equal(f.text, 'good, "really"');
  assert.equal(f.columns[0], 4);
  assert.equal(recordTextField("csv", "id,text", '1,"runs on'), null, "an open quote: the record goes on past the line");
  assert.equal(recordTextField("csv", "id,review", "1,good"), null, "no text column");
  assert.equal(recordTextField("csv", "\uFEFFtext,label", "ok,pos")!.text, "ok", "a byte-order mark before the header");
});

test("JSONL: the key's string as JSON.parse reads it (escapes, \\u, a surrogate pair, nested values before it), each character at the column it is written from", () => {
  const lines = [
    String.raw`{"id": 1, "meta": {"text": "not this", "a": [1, "}"]}, "text": "Tab\there \"quoted\" \u4eca\ud83d\ude00 and 😀", "label": "pos"}`,
    `{"label":"neg","text":"plain"}`,
    `{"text": 3, "label": "neg"}`,
    `{"text": "first", "text": "last"}`,
  ];
  const first = recordTextField("jsonl", null, lines[0])!;
  assert.equal(first.text, (JSON.parse(lines[0]) as { text: string }).text);
  assertPlaced(lines[0], first.text, first.columns, { "\t": ["\\t"], '"': ['\\"'], "今": ["\\u4eca"], "😀": ["\\ud83d"] });
  const plain = recordTextField("jsonl", null, lines[1])!;
  assert.equal(plain.text, "plain");
  assert.equal(plain.columns[0], lines[1].indexOf("plain"));
  assert.equal(recordTextField("jsonl", null, lines[2]), null, "not a string");
  assert.equal(recordTextField("jsonl", null, "{broken"), null);
  assert.equal(recordTextField("jsonl", null, lines[3])!.text, "last", "a repeated key: JSON.parse's last value");
});
