// Reading training text from files, refusing what is not text, with messages a person can act on.
//
// What a path names is checked with stat before it is opened (a FIFO would block the open, /dev/zero
// never ends, /proc files report size 0). Text is UTF-8 (a BOM is skipped) or, with a BOM, UTF-16.
// Training text is read twice in chunks and never held as one JavaScript string: a first pass checks
// it, counts every code point and hashes it; a second pass writes one token id per code point into
// the smallest typed array that holds the vocabulary (1, 2 or 4 bytes), on a SharedArrayBuffer so
// that training threads share it without a copy. A 500 MB text thus needs about 500 MB, not the
// ~10 bytes per character of a string, an array of numbers and an Int32Array.

import { closeSync, openSync, readFileSync, readSync, realpathSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { InputError, userError } from "../messages/inputError";
import { CharVocabulary, TokenIds, VocabularyReport } from "../model/charVocabulary";
import { MAX_CORPUS_BYTES, bytesPerTokenId, formatBytes } from "../core/limits";

export { MAX_CORPUS_BYTES };

type TextEncoding = "utf-8" | "utf-16le" | "utf-16be";
const CHUNK_BYTES = 8 * 1024 * 1024;
const UNICODE_SIZE = 0x110000;

/** What a path is, refused unless it is a readable, non-empty regular file of at most `limit` bytes. */
function inputFileSize(path: string, limit = MAX_CORPUS_BYTES): number {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw userError(InputError, "doesNotExist", path);
    if (code === "EACCES") throw userError(InputError, "permissionDenied", path);
    if (code === "ENOTDIR") throw userError(InputError, "pathPartIsFile", path);
    throw userError(InputError, "cannotRead", path, code ?? String(e));
  }
  const kind = st.isDirectory() ? "isFolder" : st.isFIFO() ? "isFifo" : st.isSocket() ? "isSocket"
    : st.isCharacterDevice() ? "isCharacterDevice" : st.isBlockDevice() ? "isBlockDevice" : st.isFile() ? null : "isNotRegularFile";
  if (kind) throw userError(InputError, kind, path);
  let real = path;
  try { real = realpathSync(path); } catch { /* stat succeeded; keep the path as given */ }
  if (/^\/(proc|sys)(\/|$)/.test(real)) {
    throw userError(InputError, "kernelPseudoFile", path, real.split("/")[1]);
  }
  if (st.size === 0) throw userError(InputError, "isEmpty", path);
  if (st.size > limit) throw userError(InputError, "tooLarge", path, formatBytes(st.size), formatBytes(limit));
  return st.size;
}

/** The encoding a byte-order mark announces (UTF-8 without one); UTF-32 is named and refused. */
function detectEncoding(head: Uint8Array, name: string): { encoding: TextEncoding; bom: number } {
  const b = (i: number) => (i < head.length ? head[i] : -1);
  if (b(0) === 0xef && b(1) === 0xbb && b(2) === 0xbf) return { encoding: "utf-8", bom: 3 };
  const utf32 = b(0) === 0xff && b(1) === 0xfe && b(2) === 0 && b(3) === 0 ? "little" : b(0) === 0 && b(1) === 0 && b(2) === 0xfe && b(3) === 0xff ? "big" : null;
  if (utf32) throw userError(InputError, utf32 === "little" ? "utf32LittleEndian" : "utf32BigEndian", name);
  if (b(0) === 0xff && b(1) === 0xfe) return { encoding: "utf-16le", bom: 2 };
  if (b(0) === 0xfe && b(1) === 0xff) return { encoding: "utf-16be", bom: 2 };
  return { encoding: "utf-8", bom: 0 };
}

function binaryError(name: string, offset: number): InputError {
  return userError(InputError, "looksBinary", name, offset.toLocaleString("en"));
}

function decodeUtf16(bytes: Uint8Array, encoding: TextEncoding, name: string): string {
  let text: string;
  try {
    text = new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    throw userError(InputError, "badByteOrderText", name, encoding.toUpperCase());
  }
  const nul = text.indexOf("\0");
  if (nul >= 0) throw binaryError(name, 2 + 2 * nul);
  return text;
}

/** UTF-8 (or, with a byte-order mark, UTF-16) text, or an InputError saying why the bytes are not text. */
export function decodeText(bytes: Uint8Array, name: string): string {
  const { encoding, bom } = detectEncoding(bytes.subarray(0, 4), name);
  if (encoding !== "utf-8") return decodeUtf16(bytes.subarray(bom), encoding, name);
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw binaryError(name, nul);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(bom));
  } catch {
    throw userError(InputError, "notUtf8", name);
  }
}

export function readTextFile(path: string): string {
  inputFileSize(path);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw userError(InputError, "cannotRead", path, (e as NodeJS.ErrnoException).code ?? String(e));
  }
  const text = decodeText(bytes, path);
  if (text.length === 0) throw userError(InputError, "isEmpty", path);
  return text;
}

export interface Corpus {
  text: string;
  files: string[];
  sha256: string;
}

/** The files' texts as one string (for small inputs: an export's data, a vocabulary). */
export function readCorpus(paths: string[]): Corpus {
  if (paths.length === 0) throw userError(InputError, "noInputFile");
  const texts = paths.map(readTextFile);
  const text = texts.join("");
  return { text, files: paths, sha256: createHash("sha256").update(text).digest("hex") };
}

// ---------------------------------------------------------------- training text, compactly

interface ScannedFile { path: string; encoding: TextEncoding; bom: number; size: number }

/** The training text after a first pass: checked, hashed and counted, but not held. */
export interface CorpusScan {
  files: string[];
  sha256: string; // of the text as UTF-8 (the files concatenated, byte-order marks dropped)
  chars: number; // code points
  counts: Uint32Array; // [0x110000] occurrences of each code point
  sources: ScannedFile[];
}

/**
 * Calls `each` with the code points of a UTF-8 file, read in chunks (strictly: no overlong forms,
 * surrogates or NUL; an error names the byte). `hash` receives the bytes after the BOM.
 */
function walkUtf8(f: ScannedFile, hash: ReturnType<typeof createHash>, each: (cp: number) => void): void {
  let fd: number;
  try {
    fd = openSync(f.path, "r");
  } catch (e) {
    throw userError(InputError, "cannotRead", f.path, (e as NodeJS.ErrnoException).code ?? String(e));
  }
  const buf = new Uint8Array(CHUNK_BYTES + 4);
  let carry = 0, filePos = 0, base = 0; // base: file offset of buf[0]
  const invalid = (at: number) => userError(InputError, "notUtf8", f.path, at.toLocaleString("en"));
  try {
    for (;;) {
      const n = readSync(fd, buf, carry, CHUNK_BYTES, filePos);
      const atEnd = n === 0;
      const end = carry + n;
      if (filePos === 0 && n > 0) {
        const skip = Math.min(f.bom, end);
        hash.update(buf.subarray(skip, end));
      } else if (n > 0) hash.update(buf.subarray(carry, end));
      filePos += n;
      let i = base === 0 && carry === 0 ? f.bom : 0;
      while (i < end) {
        const b0 = buf[i];
        if (b0 < 0x80) {
          if (b0 === 0) throw binaryError(f.path, base + i);
          each(b0);
          i++;
          continue;
        }
        const len = b0 >= 0xc2 && b0 <= 0xdf ? 2 : b0 >= 0xe0 && b0 <= 0xef ? 3 : b0 >= 0xf0 && b0 <= 0xf4 ? 4 : 0;
        if (len === 0) throw invalid(base + i);
        if (i + len > end) {
          if (atEnd) throw invalid(base + i);
          break; // the rest of this character is in the next chunk
        }
        let cp = b0 & (len === 2 ? 0x1f : len === 3 ? 0x0f : 0x07);
        for (let k = 1; k < len; k++) {
          const b = buf[i + k];
          if ((b & 0xc0) !== 0x80) throw invalid(base + i);
          cp = (cp << 6) | (b & 0x3f);
        }
        if ((len === 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len === 4 && (cp < 0x10000 || cp > 0x10ffff))) throw invalid(base + i);
        each(cp);
        i += len;
      }
      if (atEnd) break;
      carry = end - i;
      buf.copyWithin(0, i, end);
      base += i;
    }
  } finally {
    closeSync(fd);
  }
}

function walkFile(f: ScannedFile, hash: ReturnType<typeof createHash>, each: (cp: number) => void): void {
  if (f.encoding === "utf-8") return walkUtf8(f, hash, each);
  const text = decodeUtf16(readFileSync(f.path).subarray(f.bom), f.encoding, f.path);
  hash.update(text, "utf8");
  for (const ch of text) each(ch.codePointAt(0)!);
}

/** First pass over the training files: every check, the hash, the code-point counts. */
export function scanCorpus(paths: string[]): CorpusScan {
  if (paths.length === 0) throw userError(InputError, "noInputFile");
  const sources: ScannedFile[] = [];
  let totalBytes = 0;
  for (const path of paths) {
    const size = inputFileSize(path);
    totalBytes += size;
    if (totalBytes > MAX_CORPUS_BYTES) throw userError(InputError, "filesTooLarge", formatBytes(totalBytes), path, formatBytes(MAX_CORPUS_BYTES));
    const head = new Uint8Array(4);
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (e) {
      throw userError(InputError, "cannotRead", path, (e as NodeJS.ErrnoException).code ?? String(e));
    }
    try { readSync(fd, head, 0, 4, 0); } finally { closeSync(fd); }
    sources.push({ path, size, ...detectEncoding(head, path) });
  }
  const counts = new Uint32Array(UNICODE_SIZE);
  const hash = createHash("sha256");
  let chars = 0;
  for (const f of sources) {
    const before = chars;
    walkFile(f, hash, (cp) => { counts[cp]++; chars++; });
    if (chars === before) throw userError(InputError, "isEmpty", f.path);
  }
  return { files: paths, sha256: hash.digest("hex"), chars, counts, sources };
}

/** The vocabulary of a scanned text (as CharVocabulary.fromText would make it from the whole string). */
export function vocabularyFromScan(scan: CorpusScan, cap: number): { vocab: CharVocabulary; report: VocabularyReport } {
  const counts = new Map<string, number>();
  for (let cp = 0; cp < UNICODE_SIZE; cp++) if (scan.counts[cp] > 0) counts.set(String.fromCodePoint(cp), scan.counts[cp]);
  return CharVocabulary.fromCounts(counts, scan.chars, cap);
}

/**
 * Second pass: the text as token ids, 1, 2 or 4 bytes each (by vocabulary size), on a
 * SharedArrayBuffer. Characters the vocabulary lacks become <unk>, or an error naming one.
 */
export function encodeCorpus(scan: CorpusScan, vocab: CharVocabulary): TokenIds {
  const table = new Int32Array(UNICODE_SIZE).fill(vocab.unk);
  vocab.chars.forEach((c, i) => { if (i !== vocab.unk) table[c.codePointAt(0)!] = i; });
  for (let cp = 0; cp < UNICODE_SIZE; cp++) {
    if (scan.counts[cp] > 0 && table[cp] < 0) {
      const ch = String.fromCodePoint(cp);
      throw userError(InputError, "notInVocabulary", JSON.stringify(ch), `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`);
    }
  }
  const width = bytesPerTokenId(vocab.size);
  const buffer = new SharedArrayBuffer(scan.chars * width);
  const ids: TokenIds = width === 1 ? new Uint8Array(buffer) : width === 2 ? new Uint16Array(buffer) : new Int32Array(buffer);
  const hash = createHash("sha256");
  let k = 0;
  for (const f of scan.sources) {
    walkFile(f, hash, (cp) => {
      if (k < ids.length) ids[k] = table[cp];
      k++;
    });
  }
  if (k !== scan.chars || hash.digest("hex") !== scan.sha256) throw userError(InputError, "changedWhileRead", scan.files.join(", "));
  return ids;
}
