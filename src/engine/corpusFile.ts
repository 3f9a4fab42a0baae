// Reading training text from files, refusing what is not text, with messages a person can act on.

import { readFileSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { InputError, userError } from "./inputError";

export const MAX_CORPUS_BYTES = 512 * 1024 * 1024;

export function readTextFile(path: string): string {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw userError(InputError, "isFolder", path);
    size = st.size;
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw code === "ENOENT" ? userError(InputError, "doesNotExist", path) : userError(InputError, "cannotRead", path, code ?? String(e));
  }
  if (size === 0) throw userError(InputError, "isEmpty", path);
  if (size > MAX_CORPUS_BYTES) throw userError(InputError, "tooLarge", path, (size / 2 ** 20).toFixed(0), MAX_CORPUS_BYTES / 2 ** 20);
  const bytes = readFileSync(path);
  return decodeText(bytes, path);
}

/** UTF-8 text, or an InputError saying why the bytes are not text. */
export function decodeText(bytes: Uint8Array, name: string): string {
  const probe = bytes.subarray(0, Math.min(bytes.length, 1 << 20));
  if (probe.includes(0)) throw userError(InputError, "looksBinary", name);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw userError(InputError, "notUtf8", name);
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
