// The engine's messages to a user, as templates: {0}, {1}, … are filled by userError() (inputError.ts).
// The CLI prints them in English; the VS Code extension looks each template up in its l10n bundle
// (l10n/bundle.l10n.zh-cn.json has every one: test/unit/l10n.test.ts checks it).

export const USER_MESSAGES = {
  // reading training text (corpusFile.ts)
  isFolder: "{0} is a folder, not a text file",
  doesNotExist: "{0} does not exist",
  cannotRead: "cannot read {0}: {1}",
  isEmpty: "{0} is empty",
  tooLarge: "{0} is {1} MiB; the limit is {2} MiB",
  looksBinary: "{0} looks binary (it contains NUL bytes); train on UTF-8 text",
  notUtf8: "{0} is not valid UTF-8 text; convert it to UTF-8 first",
  // vocabulary (charVocabulary.ts)
  tooFewDistinct: "the text needs at least 2 distinct characters to learn anything",
  tooFewDistinctOnly: "the text needs at least 2 distinct characters to learn anything (only {0})",
  notInVocabulary: "the text contains {0} ({1}), which this model's vocabulary does not have",
  // the run store (runStore.ts)
  notJson: "{0} is not valid JSON (damaged?)",
  noFormatVersion: "{0} has no format version",
  newerStore: "{0} was written by a newer RNN Lab (format {1}; this version reads up to {2}); update RNN Lab to use it",
  modelManifestIncomplete: "{0} is missing its name, spec or vocabulary",
  runManifestIncomplete: "{0} is missing its id, options or plan",
  runManifestBadField: "{0}: {1} must be {2}",
  cannotWriteRun: "cannot write in {0} ({1}); is the workspace read-only?",
  runLocked: "this run is being trained by another window or process (pid {0} on {1} since {2}); only one may write to it",
  couldNotLock: "could not take the lock of {0}",
  // checkpoints (checkpoint.ts, checkpointFile.ts)
  checkpointWhy: "{0}: {1}",
  notSafetensors: "{0}: not a valid safetensors file: {1}",
  notRnnLabCheckpoint: "{0}: not an RNN Lab checkpoint (no rnn-lab format in its metadata); PyTorch weights need importing first",
  newerCheckpoint: "{0}: written by a newer RNN Lab (checkpoint format {1}; this version reads up to {2}); update RNN Lab to open it",
  // runs (runDriver.ts)
  corpusMissing: "{0} is missing: the model's training text is gone, so its runs cannot continue",
  vocabularyDiffers: "the checkpoint's vocabulary differs from the model's; it belongs to another model",
} as const;

export type UserMessageKey = keyof typeof USER_MESSAGES;
