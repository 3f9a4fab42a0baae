// Checkpoints on disk: written atomically (temporary file in the same folder, fsync, rename), so a
// crash mid-write leaves the previous checkpoint whole; read with errors that name the file.
// The temporary file is `.NAME.PID.tmp`: a writer killed mid-write (SIGKILL, power loss) leaves it
// behind, and the next start removes those whose PID no longer runs (removeStaleTempFiles).

import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { CheckpointError, Model, decodeCheckpoint, encodeCheckpoint } from "./checkpoint";
import { processAlive } from "./fileLock";

/** `.NAME.PID.tmp`: the temporary file (or, for a PyTorch project, folder) this process writes NAME through. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
}

const TEMP_NAME = /^\..+\.(\d+)\.tmp$/;

/**
 * Removes the temporary files (and staging folders) that writers killed mid-write left in `folder`:
 * only those whose PID is not a live process, never this process's or another live one's.
 * Returns the names removed; a folder that does not exist or cannot be listed has none.
 */
export function removeStaleTempFiles(folder: string): string[] {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    try {
      rmSync(join(folder, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      // a read-only folder: the write that follows reports it
    }
  }
  return removed;
}
import { userError } from "../messages/inputError";

export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    // never through whatever already has the temporary name (a planted symlink, a FIFO)
    rmSync(tmp, { recursive: true, force: true });
    const fd = openSync(tmp, "wx");
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
  const tmp = tempPathFor(path);
  try {
    await rm(tmp, { recursive: true, force: true });
    const file = await open(tmp, "wx");
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
