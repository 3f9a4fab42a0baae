// Checkpoints on disk: written atomically (temporary file in the same folder, fsync, rename), so a
// crash mid-write leaves the previous checkpoint whole; read with errors that name the file.

import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { CheckpointError, Model, decodeCheckpoint, encodeCheckpoint } from "./checkpoint";
import { userError } from "./inputError";

export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    const fd = openSync(tmp, "w");
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** The same, off the calling thread (libuv's pool): for the extension host, where an fsync must not stall the editor. */
export async function writeFileAtomicAsync(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    const file = await open(tmp, "w");
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

export function saveCheckpoint(path: string, model: Model): void {
  writeFileAtomic(path, encodeCheckpoint(model));
}

export function loadCheckpoint(path: string): Model {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw code === "ENOENT" ? userError(CheckpointError, "doesNotExist", path) : userError(CheckpointError, "cannotRead", path, code ?? String(e));
  }
  return decodeCheckpoint(bytes, path);
}
