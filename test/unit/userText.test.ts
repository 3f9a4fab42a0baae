// The engine's words for a user: one description of a model in parts (the extension words each part
// in the user's language), and errors that carry their message template and arguments.

import assert from "node:assert/strict";
import { test } from "node:test";
import { InputError, formatMessage, translatableOf, userError } from "../../src/engine/messages/inputError";
import { ModelSpec, describeModel, describeSpec } from "../../src/engine/model/modelSpec";
import { StoreError } from "../../src/engine/runs/runStore";
import { decodeText } from "../../src/engine/files/corpusFile";
import { USER_MESSAGES } from "../../src/engine/messages/userMessages";

const spec: ModelSpec = { cell: "lstm", nonlinearity: "tanh", layers: 2, hidden: 128, embed: 0, vocabSize: 65, peephole: true, coupled: false, residual: true };

test("describeModel gives the cell, layers × hidden and the options in parts, and the English rendering", () => {
  const d = describeModel(spec);
  assert.deepEqual({ cell: d.cell, layers: d.layers, hidden: d.hidden, size: d.size }, { cell: "LSTM", layers: 2, hidden: 128, size: "2×128" });
  assert.deepEqual(d.options, [{ kind: "one-hot" }, { kind: "vocabulary", size: 65 }, { kind: "peepholes" }, { kind: "residual" }]);
  assert.equal(d.english, "LSTM 2×128, one-hot input, vocabulary 65, peepholes, residual");
  assert.equal(describeSpec(spec), d.english);
  assert.equal(describeModel({ ...spec, cell: "rnn", nonlinearity: "relu", peephole: false, residual: false, embed: 16 }).english, "RNN (relu) 2×128, embedding 16, vocabulary 65");
  assert.equal(describeModel({ ...spec, cell: "gru", peephole: false, residual: false }).cell, "GRU");
});

test("userError keeps the template and arguments (also through structured clone, as between threads), and fills the English message", () => {
  assert.equal(formatMessage("{0} is {1} MiB; the limit is {2} MiB", ["a.txt", 600, 512]), "a.txt is 600 MiB; the limit is 512 MiB");
  assert.equal(formatMessage("{0} and {3}", ["x"]), "x and {3}", "a missing argument stays visible");
  const e = userError(StoreError, "runLocked", 42, "host", "noon");
  assert.ok(e instanceof StoreError && e instanceof InputError);
  assert.equal(e.message, "this run is being trained by another window or process (pid 42 on host since noon); only one may write to it");
  assert.deepEqual(translatableOf(e), { template: USER_MESSAGES.runLocked, args: [42, "host", "noon"] });
  assert.deepEqual(translatableOf(structuredClone({ message: e.message, template: e.template, args: e.args })), { template: USER_MESSAGES.runLocked, args: [42, "host", "noon"] });
  assert.equal(translatableOf(new Error("plain")), null);
  assert.equal(translatableOf({ template: "x", args: [{}] }), null, "arguments are strings or numbers");
  assert.throws(() => decodeText(new Uint8Array([0x41, 0, 0x42]), "pic.png"), (err: unknown) => {
    // the NUL is the file's second byte: offset 1
    assert.deepEqual(translatableOf(err), { template: USER_MESSAGES.looksBinary, args: ["pic.png", "1"] });
    return (err as Error).message === "pic.png looks binary (it contains a NUL byte at byte 1); train on UTF-8 or UTF-16 text";
  });
});
