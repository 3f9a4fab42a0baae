// Errors caused by what a user gave (a file, an option, a text): the message is meant for them, and
// callers show it as it is. Anything else that escapes the engine is a bug.
//
// An error made with userError() also carries its message as a template ({0}, {1}, …) from
// USER_MESSAGES and the arguments, so a host that speaks the user's language (the VS Code
// extension, through its l10n bundle) can word it there; the CLI prints `message`, the English.

import { USER_MESSAGES, UserMessageKey } from "./userMessages";

export type MessageArg = string | number;

export class InputError extends Error {}

/** What a translated error carries besides its English message. */
export interface Translatable { template: string; args: MessageArg[] }

/** "{0} is empty" with ["a.txt"] → "a.txt is empty". */
export function formatMessage(template: string, args: readonly MessageArg[]): string {
  return template.replace(/\{(\d+)\}/g, (whole, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : whole));
}

/** An error of class `Kind` whose message is USER_MESSAGES[key] filled with `args`, keeping both for translation. */
export function userError<E extends Error>(Kind: new (message: string) => E, key: UserMessageKey, ...args: MessageArg[]): E & Translatable {
  const template = USER_MESSAGES[key];
  return Object.assign(new Kind(formatMessage(template, args)), { template, args });
}

/** The template and arguments of an error made by userError (also after a trip through postMessage), else null. */
export function translatableOf(e: unknown): Translatable | null {
  const x = e as Partial<Translatable> | null;
  return x && typeof x.template === "string" && Array.isArray(x.args) && x.args.every((a) => typeof a === "string" || typeof a === "number") ? { template: x.template, args: x.args } : null;
}

/** How a validation message names a value that does not fit: "but it is missing", or "not <value>" (numbers as written, so 1e400 reads Infinity). */
export function found(v: unknown): string {
  if (v === undefined) return "but it is missing";
  return `not ${typeof v === "number" ? String(v) : JSON.stringify(v)}`;
}
