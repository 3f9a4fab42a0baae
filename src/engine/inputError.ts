// Errors caused by what a user gave (a file, an option, a text): the message is meant for them, and
// callers show it as it is. Anything else that escapes the engine is a bug.

export class InputError extends Error {}
