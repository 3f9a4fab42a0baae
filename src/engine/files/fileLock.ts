// One writer at a time: a lock file created with O_EXCL holding the owner's pid, host and start
// time. Run folders hold theirs as run.lock (runStore.ts); the CLI holds one beside its --out
// (outputFile.ts). A lock whose process no longer runs (a crash, SIGKILL, a closed window) is stale
// and taken over; a live one is reported to the caller, which says who holds it.

import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { hostname } from "node:os";

export interface LockOwner { pid: number; host: string; since: string }

/** Whether a process with this pid runs on this machine (EPERM: it does, under another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function readLockFile(path: string): LockOwner | null {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as LockOwner;
  } catch {
    return null;
  }
}

/** Held by a process that still runs (or by another machine, which we cannot ask). */
export function lockOwnerIsLive(lock: LockOwner | null): boolean {
  if (!lock) return false;
  if (lock.host !== hostname()) return true;
  return processAlive(lock.pid);
}

/**
 * Takes the lock at `path` for this process: returns null when taken (or already ours), or the live
 * owner that holds it. Errors creating the file (EROFS, EACCES, ENOTDIR, …) are thrown as they are.
 */
export function acquireLockFile(path: string): LockOwner | null {
  const mine: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      try {
        writeSync(fd, JSON.stringify(mine));
      } finally {
        closeSync(fd);
      }
      return null;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const held = readLockFile(path);
      if (held && held.pid === process.pid && held.host === mine.host) return null;
      if (lockOwnerIsLive(held)) return held;
      rmSync(path, { force: true }); // stale: its owner is gone
    }
  }
  // a third process took it between our removal of the stale lock and our own attempt
  return readLockFile(path) ?? { pid: -1, host: "?", since: "?" };
}

/** Removes the lock if this process holds it (never another's). */
export function releaseLockFile(path: string): void {
  const held = readLockFile(path);
  if (held && held.pid === process.pid && held.host === hostname()) rmSync(path, { force: true });
}
