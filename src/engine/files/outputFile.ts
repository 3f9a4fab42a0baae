// Where a command writes its result, checked before any work starts (the CLI's train, import and
// export; the extension's export through interopFiles.ts). The output is never one of the files the
// command reads (same path, a symlink or a hard link to it: compared by realpath and by device and
// inode), never a device, FIFO, socket or (for a file) a folder, never an existing file that is not
// this run's own checkpoint unless the user said --force; and its folder really takes a file: a
// temporary file is created and removed there, and the free space is compared with what will be
// written. What goes wrong is named as the user's environment (read-only, permission, full disk).

import { Stats, closeSync, fsyncSync, mkdirSync, openSync, readSync, readdirSync, realpathSync, rmSync, statSync, statfsSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";
import { LockOwner, acquireLockFile, lockOwnerIsLive, readLockFile, releaseLockFile } from "./fileLock";
import { InputError } from "../messages/inputError";

/** Why an output was refused, for hosts that say it in the user's language (the extension). */
export type OutputRefusal =
  | { reason: "input"; out: string; input: string } // the output is one of the inputs
  | { reason: "not-regular"; out: string } // a device, FIFO, socket, or a folder where a file is meant
  | { reason: "holds-input"; out: string; input: string } // a folder to replace holds one of the inputs
  | { reason: "exists"; out: string } // an existing file, replaced only with force
  | { reason: "unwritable"; out: string; code: string }; // EROFS, EACCES, ENOSPC, … (the errno code)

/** The output cannot be written, or may not be: the message says why and what to do. */
export class OutputError extends InputError {
  constructor(message: string, readonly refusal?: OutputRefusal) {
    super(message);
  }
}

export interface OutputRequest {
  out: string;
  /** "file": one regular file (a checkpoint, an ONNX graph); "folder": a folder written whole (the PyTorch project). */
  kind: "file" | "folder";
  /** Every file the command reads: the output is none of them and (a folder) contains none of them. */
  inputs: readonly string[];
  /** An existing file this command may replace without --force: the checkpoint `train --resume` continues. */
  ownCheckpoint?: string | null;
  /** Replace an existing output that is not `ownCheckpoint` (never an input, never a device, FIFO or socket). */
  force?: boolean;
  /** How the output was named, for messages ("--out"). */
  option?: string;
  /** When the output is an existing training checkpoint, suggest continuing it with --resume (train). */
  suggestResume?: boolean;
}

interface Identity { dev: number; ino: number; real: string }

function identity(path: string): Identity | null {
  try {
    const s = statSync(path);
    return { dev: s.dev, ino: s.ino, real: realpathSync(path) };
  } catch {
    return null;
  }
}

const sameFile = (a: Identity, b: Identity) => (a.dev === b.dev && a.ino === b.ino) || a.real === b.real;

function kindOf(s: Stats): string {
  if (s.isDirectory()) return "a folder";
  if (s.isCharacterDevice()) return "a character device";
  if (s.isBlockDevice()) return "a block device";
  if (s.isFIFO()) return "a FIFO (named pipe)";
  if (s.isSocket()) return "a socket";
  return "not a regular file";
}

/** What an existing file is, in a few words: an RNN Lab checkpoint (which model, which step) or not. */
export function describeExistingFile(path: string): { what: string; resumable: boolean } {
  let fd: number | null = null;
  try {
    fd = openSync(path, "r");
    const head = Buffer.alloc(8);
    if (readSync(fd, head, 0, 8, 0) === 8) {
      const n = Number(head.readBigUInt64LE(0));
      if (n > 0 && n <= 16 * 1024 * 1024) {
        const json = Buffer.alloc(n);
        if (readSync(fd, json, 0, n, 8) === n) {
          const md = (JSON.parse(json.toString("utf8")) as { __metadata__?: Record<string, string> }).__metadata__ ?? {};
          if (md.format === "rnn-lab") {
            let what = "an RNN Lab checkpoint";
            try {
              const m = JSON.parse(md.model) as { cell: string; layers: number; hidden: number };
              what += ` (${String(m.cell).toUpperCase()} ${m.layers}×${m.hidden}`;
              const step = md.training ? (JSON.parse(md.training) as { step?: unknown }).step : undefined;
              what += typeof step === "number" ? ` at step ${step})` : ", weights only)";
            } catch {
              // its model line is damaged: still a checkpoint as far as the user is concerned
            }
            return { what, resumable: md.training !== undefined };
          }
          return { what: "a safetensors file that is not an RNN Lab checkpoint", resumable: false };
        }
      }
    }
  } catch {
    // unreadable or not safetensors: just "a file"
  } finally {
    if (fd !== null) closeSync(fd);
  }
  return { what: "not an RNN Lab checkpoint", resumable: false };
}

/**
 * The checks that need no writing: what is at the output now, and whether it may be replaced.
 * Throws OutputError with one line that says what to do.
 */
export function checkOutputPath(req: OutputRequest): void {
  const option = req.option ?? "--out";
  const out = req.out;
  if (out.trim() === "") throw new OutputError(`${option} is empty; give the path to write`);
  const inputs = req.inputs.map((p) => ({ path: p, id: identity(p) })).filter((x) => x.id !== null) as { path: string; id: Identity }[];
  const own = req.ownCheckpoint ? identity(req.ownCheckpoint) : null;
  let st: Stats | null = null;
  try {
    st = statSync(out);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR") throw new OutputError(`cannot write ${out}: a part of its path is a file, not a folder; choose another ${option}`);
    if (code === "ELOOP") throw new OutputError(`cannot write ${out}: its symbolic links go round in a loop; choose another ${option}`);
    if (code !== "ENOENT") throw new OutputError(`cannot look at ${out} (${code ?? String(e)}); choose another ${option}`);
  }
  if (st) {
    const id = identity(out)!;
    const input = inputs.find((x) => sameFile(x.id, id));
    if (input && !(own && sameFile(own, id))) {
      throw new OutputError(`${option} ${out} is ${input.path === out ? "" : `the same file as ${input.path}, `}one of this command's input files; writing there would replace it: choose another ${option}`,
        { reason: "input", out, input: input.path });
    }
    if (req.kind === "file") {
      if (st.isDirectory()) throw new OutputError(`${option} ${out} is a folder; give a file name (for example ${join(out, "model.safetensors")})`, { reason: "not-regular", out });
      if (!st.isFile()) throw new OutputError(`${option} ${out} is ${kindOf(st)}, not a regular file; RNN Lab writes only regular files: choose another ${option}`, { reason: "not-regular", out });
      if (own && sameFile(own, id)) return;
      if (!req.force) {
        const existing = describeExistingFile(out);
        const resume = req.suggestResume && existing.resumable ? `to continue it, add --resume ${out}; ` : "";
        throw new OutputError(`${out} already exists and is ${existing.what}; ${resume}choose another ${option}, or pass --force to replace it`, { reason: "exists", out });
      }
      return;
    }
    // a folder output (the PyTorch project) is replaced whole: it may hold none of the inputs
    if (st.isDirectory()) {
      const real = id.real + sep;
      const inside = inputs.find((x) => x.id.real.startsWith(real));
      if (inside) throw new OutputError(`${option} ${out} holds ${inside.path}, which this command reads; replacing the folder would delete it: choose another ${option}`, { reason: "holds-input", out, input: inside.path });
      const names = readdirSync(out);
      if (names.length > 0 && !req.force) throw new OutputError(`${out} already exists and is not empty; choose another ${option}, or pass --force to replace it`, { reason: "exists", out });
      // --force replaces a project exported before, never an arbitrary folder (it is removed whole)
      if (names.length > 0 && !(names.includes("model.py") && names.includes("train.py"))) {
        throw new OutputError(`${option} ${out} is a folder that is not an exported PyTorch project (no model.py and train.py); replacing it would delete its files: choose another ${option}`, { reason: "exists", out });
      }
      return;
    }
    if (!st.isFile()) throw new OutputError(`${option} ${out} is ${kindOf(st)}; choose another ${option}`, { reason: "not-regular", out });
    if (!req.force) throw new OutputError(`${out} already exists (a file); choose another ${option}, or pass --force to replace it`, { reason: "exists", out });
  }
}

const ENVIRONMENT_ERRORS: Record<string, string> = {
  EROFS: "the folder is read-only (EROFS)",
  EACCES: "permission denied (EACCES)",
  EPERM: "the operation is not permitted (EPERM)",
  ENOSPC: "the disk is full (ENOSPC)",
  EDQUOT: "the disk quota is used up (EDQUOT)",
  ENOTDIR: "a part of the path is a file, not a folder (ENOTDIR)",
  EISDIR: "a folder is in the way (EISDIR)",
  ENAMETOOLONG: "the name is too long (ENAMETOOLONG)",
  EIO: "the disk reported an input/output error (EIO)",
  EMFILE: "too many open files (EMFILE)",
  ENFILE: "too many open files (ENFILE)",
  ENOENT: "the folder disappeared (ENOENT)",
};

/** Why a write failed when the cause is the user's environment ("the folder is read-only (EROFS)"), else null. */
function environmentReason(e: unknown): { why: string; full: boolean; code: string } | null {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  const why = code ? ENVIRONMENT_ERRORS[code] : undefined;
  return code && why ? { why, full: code === "ENOSPC" || code === "EDQUOT", code } : null;
}

/** A failed write as the user's environment (an OutputError naming the cause), or the error itself when it is none of those. */
export function describeWriteFailure(e: unknown, path: string, option = "--out"): unknown {
  if (e instanceof InputError) return e;
  const r = environmentReason(e);
  return r ? new OutputError(`cannot write ${path}: ${r.why}; ${r.full ? "free some space or " : ""}choose another ${option}`, { reason: "unwritable", out: path, code: r.code }) : e;
}

/** The nearest folder above `path` that exists (the folders between are created when writing). */
function nearestExistingFolder(path: string, option: string): string {
  let folder = dirname(resolve(path));
  for (;;) {
    try {
      const s = statSync(folder);
      if (!s.isDirectory()) throw new OutputError(`cannot write ${path}: ${folder} is a file, not a folder; choose another ${option}`, { reason: "unwritable", out: path, code: "ENOTDIR" });
      return folder;
    } catch (e) {
      if (e instanceof OutputError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOTDIR") {
        folder = dirname(folder);
        continue;
      }
      if (code !== "ENOENT") throw describeWriteFailure(e, path, option);
      const up = dirname(folder);
      if (up === folder) return folder;
      folder = up;
    }
  }
}

/**
 * Proves the output's folder takes a file before the work starts: creates, fsyncs and removes a
 * temporary file there (a read-only mount, a folder without permission, a full disk fail here, not
 * after minutes of training), and compares the free space with `bytes`, the size about to be written.
 */
export function probeOutputFolder(out: string, bytes: number, option = "--out"): void {
  const folder = nearestExistingFolder(out, option);
  // `.NAME.PID.tmp`, like every temporary file: a kill between create and remove leaves one the next start removes
  const probe = join(folder, `.${basename(out)}-probe.${process.pid}.tmp`);
  const failed = (e: unknown): never => {
    const r = environmentReason(e);
    if (r) throw new OutputError(`cannot write to ${folder}: ${r.why}; ${r.full ? "free some space or " : ""}choose another ${option}`, { reason: "unwritable", out, code: r.code });
    throw e;
  };
  try {
    rmSync(probe, { force: true });
    const fd = openSync(probe, "wx");
    try {
      writeSync(fd, Buffer.alloc(Math.min(4096, Math.max(1, bytes))));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    try { rmSync(probe, { force: true }); } catch { /* nothing was created */ }
    failed(e);
  }
  rmSync(probe, { force: true });
  if (bytes > 0) {
    let free = Infinity;
    try {
      const s = statfsSync(folder);
      // root may use the blocks reserved for it; others only the available ones
      free = (process.getuid?.() === 0 ? s.bfree : s.bavail) * s.bsize;
    } catch {
      // no statfs here: the write itself reports a full disk
    }
    if (free < bytes) {
      const mib = (n: number) => (n / 2 ** 20).toFixed(n < 2 ** 20 ? 2 : 1);
      throw new OutputError(`cannot write to ${folder}: the disk is full (ENOSPC): ${mib(free)} MiB free, the output needs ${mib(bytes)} MiB; free some space or choose another ${option}`, { reason: "unwritable", out, code: "ENOSPC" });
    }
  }
}

/** `.NAME.lock` beside the output: held while one process writes it. */
export const outputLockPath = (out: string) => join(dirname(resolve(out)), `.${basename(out)}.lock`);

const busy = (out: string, held: LockOwner, option: string) =>
  new OutputError(`${out} is being written by another process (pid ${held.pid} on ${held.host} since ${held.since}); wait for it to finish or choose another ${option}`);

/** Throws when a live process holds the output's lock (asked first, so that this is what a second writer hears). */
export function checkOutputNotLocked(out: string, option = "--out"): void {
  const held = readLockFile(outputLockPath(out));
  if (lockOwnerIsLive(held) && !(held!.pid === process.pid)) throw busy(out, held!, option);
}

/** Creates the output's folder and takes its lock, or throws an OutputError naming the process that holds it. */
export function lockOutput(out: string, option = "--out"): void {
  let held;
  try {
    mkdirSync(dirname(resolve(out)), { recursive: true });
    held = acquireLockFile(outputLockPath(out));
  } catch (e) {
    throw describeWriteFailure(e, out, option);
  }
  if (held) throw busy(out, held, option);
}

export function unlockOutput(out: string): void {
  releaseLockFile(outputLockPath(out));
}
