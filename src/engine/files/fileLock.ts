// One writer at a time: a lock file created with O_EXCL holding the owner's pid, host and start
// time. Run folders hold theirs as run.lock (runStore.ts); the CLI holds one beside its --out
// (outputFile.ts). A lock whose process no longer runs (a crash, SIGKILL, a closed window) is stale
// and taken over; a live one is reported to the caller, which says who holds it.

import { randomBytes } from "node:crypto";
import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
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
  return parseOwner(readRaw(path));
}

/** Held by a process that still runs (or by another machine, which we cannot ask). */
export function lockOwnerIsLive(lock: LockOwner | null): boolean {
  if (!lock) return false;
  if (lock.host !== hostname()) return true;
  return processAlive(lock.pid);
}

/** Who holds a lock we could not read: being written by another process this moment, or damaged. */
const UNKNOWN_OWNER: LockOwner = { pid: -1, host: "?", since: "?" };
/** An unreadable lock file older than this is a leftover (an older RNN Lab crashed writing it), not one in the making. */
const UNREADABLE_STALE_MS = 5000;

function readRaw(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

function parseOwner(raw: string | null): LockOwner | null {
  if (raw === null) return null;
  try {
    const o = JSON.parse(raw) as LockOwner;
    return typeof o === "object" && o !== null && typeof o.pid === "number" ? o : null;
  } catch {
    return null;
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Puts our lock at `path` if nothing is there, whole: the owner is written to a file of our own
 * first and hard-linked into place, so no reader ever sees a lock half written. Returns false when
 * `path` exists. Where the file system has no hard links (FAT, some network shares) it falls back
 * to create-exclusive-then-write.
 */
function placeLock(path: string, staged: string, content: string): boolean {
  try {
    linkSync(staged, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS" && code !== "EXDEV") throw e;
  }
  try {
    const fd = openSync(path, "wx");
    try {
      writeSync(fd, content);
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  }
}

/**
 * Removes a dead process's takeover guard if it is still the one we read (renamed aside first, so
 * of several processes doing this at once one gets it; a fresh guard renamed by mistake is linked
 * back). A guard only exists for the microseconds of a takeover, so this runs only after a crash
 * inside one.
 */
function removeDeadGuard(guard: string, deadRaw: string, aside: string): void {
  try {
    renameSync(guard, aside);
  } catch {
    return; // gone already
  }
  if (readRaw(aside) !== deadRaw) {
    try {
      linkSync(aside, guard);
    } catch { /* someone placed a newer guard: theirs stands */ }
  }
  rmSync(aside, { force: true });
}

const pause = new Int32Array(new SharedArrayBuffer(4));
/** A takeover guard held longer than this belongs to a hung or dead process. */
const GUARD_STALE_MS = 10_000;

/**
 * Takes the lock at `path` for this process: returns null when taken (or already ours), or the live
 * owner that holds it. Errors creating the file (EROFS, EACCES, ENOTDIR, …) are thrown as they are.
 *
 * A stale lock is removed only by the holder of its takeover guard (`<path>.takeover`, placed like
 * a lock), after checking under the guard that it is still the same stale lock; new locks are only
 * ever placed exclusively. So of several processes that find one stale lock at the same moment,
 * exactly one takes it (test/unit/fileLock.test.ts races six).
 */
export function acquireLockFile(path: string): LockOwner | null {
  const mine: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  const content = JSON.stringify(mine);
  const unique = `${process.pid}.${randomBytes(4).toString("hex")}`;
  const staged = `${path}.${unique}.new`;
  const guard = `${path}.takeover`;
  writeFileSync(staged, content, { flag: "wx" });
  try {
    for (let attempt = 0; attempt < 100; attempt++) {
      if (placeLock(path, staged, content)) return null;
      const raw = readRaw(path);
      const held = parseOwner(raw);
      if (held && held.pid === process.pid && held.host === mine.host) return null;
      if (raw === null) continue; // released this moment: try again
      if (held === null && ageMs(path) < UNREADABLE_STALE_MS) return UNKNOWN_OWNER; // being written by an older RNN Lab
      if (lockOwnerIsLive(held)) return held!;
      // stale: take it over under the guard
      if (!placeLock(guard, staged, content)) {
        const guardRaw = readRaw(guard);
        const guardOwner = parseOwner(guardRaw);
        if (guardRaw !== null && (!lockOwnerIsLive(guardOwner) || ageMs(guard) > GUARD_STALE_MS)) removeDeadGuard(guard, guardRaw, `${guard}.${unique}.stale`);
        else Atomics.wait(pause, 0, 0, 5); // another process is taking it over: see what it leaves
        continue;
      }
      try {
        if (readRaw(path) === raw) rmSync(path, { force: true });
        if (placeLock(path, staged, content)) return null;
      } finally {
        rmSync(guard, { force: true });
      }
    }
    // other processes keep taking and releasing it
    return parseOwner(readRaw(path)) ?? UNKNOWN_OWNER;
  } finally {
    rmSync(staged, { force: true });
  }
}

/** Removes the lock if this process holds it (never another's). */
export function releaseLockFile(path: string): void {
  const held = readLockFile(path);
  if (held && held.pid === process.pid && held.host === hostname()) rmSync(path, { force: true });
}
