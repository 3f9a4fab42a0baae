// The sequences of an open CoNLL document as a tagger reads them: each blank-line-separated block of
// rows is one sequence (its rows' first columns, in order), predicted whole, and each row then gets
// the tags of its own characters back. Predicting row by row would tag every character alone,
// without the context the model was trained with.

export interface ConllRow { /** 1-based line */ line: number; /** the row's first column (the character) */ chars: string[] }
export interface ConllSequence { /** 1-based line of its first row */ line: number; text: string; rows: ConllRow[] }

/** The blocks of `lines` (a document's lines, in order, the first being `firstLine`, 1-based). */
export function conllSequences(lines: readonly string[], firstLine = 1): ConllSequence[] {
  const out: ConllSequence[] = [];
  let rows: ConllRow[] = [];
  const flush = () => {
    if (rows.length) out.push({ line: rows[0].line, text: rows.map((r) => r.chars.join("")).join(""), rows });
    rows = [];
  };
  lines.forEach((raw, i) => {
    if (raw.trim() === "") return flush();
    const chars = Array.from(raw.split("\t")[0]);
    if (chars.length) rows.push({ line: firstLine + i, chars });
  });
  flush();
  return out;
}

/** Each row's own tags out of its sequence's (one per character, in the rows' order). */
export function rowTags(sequence: ConllSequence, tags: readonly string[]): { line: number; column: number; tags: string[] }[] {
  let k = 0;
  return sequence.rows.map((r) => {
    const own = tags.slice(k, k + r.chars.length);
    k += r.chars.length;
    return { line: r.line, column: 0, tags: own };
  });
}
