// The engine's messages to a user, as templates: {0}, {1}, … are filled by userError() (inputError.ts).
// The CLI prints them in English; the VS Code extension looks each template up in its l10n bundle
// (l10n/bundle.l10n.zh-cn.json has every one: test/unit/l10n.test.ts checks it).

export const USER_MESSAGES = {
  // reading training text (corpusFile.ts)
  isFolder: "{0} is a folder, not a text file; RNN Lab reads regular files",
  isFifo: "{0} is a named pipe (FIFO), not a text file; save the text to a regular file first",
  isSocket: "{0} is a socket, not a text file; save the text to a regular file first",
  isCharacterDevice: "{0} is a character device, not a text file; save the text to a regular file first",
  isBlockDevice: "{0} is a block device, not a text file; save the text to a regular file first",
  isNotRegularFile: "{0} is not a regular file; save the text to a regular file first",
  kernelPseudoFile: "{0} is a kernel pseudo-file (under /{1}), whose size is not known before reading; copy it to a regular file first",
  doesNotExist: "{0} does not exist",
  pathPartIsFile: "{0} does not exist (a part of the path is a file, not a folder)",
  permissionDenied: "cannot read {0}: permission denied (EACCES)",
  cannotRead: "cannot read {0}: {1}",
  noInputFile: "no input file given",
  isEmpty: "{0} is empty",
  tooLarge: "{0} is {1}; the limit is {2}",
  filesTooLarge: "the training files are {0} together (from {1} on); the limit is {2}",
  looksBinary: "{0} looks binary (it contains a NUL byte at byte {1}); train on UTF-8 or UTF-16 text",
  utf32LittleEndian: "{0} is UTF-32 text (little-endian, by its byte-order mark); convert it to UTF-8 first (iconv -f UTF-32 -t UTF-8)",
  utf32BigEndian: "{0} is UTF-32 text (big-endian, by its byte-order mark); convert it to UTF-8 first (iconv -f UTF-32 -t UTF-8)",
  badByteOrderText: "{0} starts with a {1} byte-order mark but is not valid {1} text",
  notUtf8: "{0} is not valid UTF-8 text (at byte {1}); convert it to UTF-8 first",
  changedWhileRead: "{0} changed while being read; try again once nothing is writing to it",
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
