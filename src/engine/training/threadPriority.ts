// Training threads started from the editor run at a lower CPU priority than the editor, so that on
// a machine with few cores the editor's thread is scheduled first and never waits on training.
// Linux gives each thread its own nice value; elsewhere this does nothing.

import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";

/** Set in a training worker's environment; its shard threads inherit the environment and lower themselves too. */
export const LOW_PRIORITY_ENV = "RNN_LAB_LOW_PRIORITY";

export function lowerThisThreadPriority(): boolean {
  if (process.platform !== "linux") return false;
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, 10);
    return true;
  } catch {
    return false; // not allowed or no /proc: train at normal priority
  }
}
