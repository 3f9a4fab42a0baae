// Reading training text from files, refusing what is not text, with messages a person can act on.

import { readFileSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { InputError } from "./inputError";

export const MAX_CORPUS_BYTES = 512 * 1024 * 1024;

export function readTextFile(path: string): string {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new InputError(`${path} is a folder, not a text file`);
    size = st.size;
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === "ENOENT" ? `${path} does not exist` : `cannot read ${path}: ${code ?? String(e)}`);
  }
  if (size === 0) throw new InputError(`${path} is empty`);
  if (size > MAX_CORPUS_BYTES) throw new InputError(`${path} is ${(size / 2 ** 20).toFixed(0)} MiB; the limit is ${MAX_CORPUS_BYTES / 2 ** 20} MiB`);
  const bytes = readFileSync(path);
  return decodeText(bytes, path);
}

/** UTF-8 text, or an InputError saying why the bytes are not text. */
export function decodeText(bytes: Uint8Array, name: string): string {
  const probe = bytes.subarray(0, Math.min(bytes.length, 1 << 20));
  if (probe.includes(0)) throw new InputError(`${name} looks binary (it contains NUL bytes); train on UTF-8 text`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new InputError(`${name} is not valid UTF-8 text; convert it to UTF-8 first`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text;
}

export interface Corpus {
  text: string;
  files: string[];
  sha256: string;
}

export function readCorpus(paths: string[]): Corpus {
  if (paths.length === 0) throw new InputError("no input file given");
  const texts = paths.map(readTextFile);
  const text = texts.join("");
  return { text, files: paths, sha256: createHash("sha256").update(text).digest("hex") };
}
