// CSV/TSV records with the file line each starts on, through csv-parse (RFC 4180: quoted fields
// with delimiters, doubled quotes and newlines). One place, so every task reads tables alike and
// reports a malformed one in the same words.

import { parse } from "csv-parse/sync";
import { InputError } from "../messages/inputError";

export interface CsvRecord { cells: string[]; line: number }

/** Every record, the header included; empty lines skipped; a ragged row is an InputError naming its line. */
export function csvRecords(text: string, file: string, options: { delimiter: string; trim?: boolean }): CsvRecord[] {
  try {
    const parsed = parse(text, {
      delimiter: options.delimiter, info: true, raw: true, bom: true, skip_empty_lines: true, trim: options.trim ?? false, relax_column_count: false,
    }) as unknown as { record: string[]; info: { lines: number }; raw: string }[];
    // info.lines is the line a record ENDS on; a quoted field can hold newlines, so the line it starts
    // on (what a user looks for) is that minus the newlines inside its raw text
    return parsed.map((r) => ({ cells: r.record, line: r.info.lines - (r.raw.replace(/\r?\n$/, "").match(/\n/g)?.length ?? 0) }));
  } catch (e) {
    const err = e as { message: string; lines?: number };
    throw new InputError(`${file}${err.lines ? `:${err.lines}` : ""}: not a CSV table (${err.message.replace(/^Invalid\s*/i, "").split("\n")[0]})`);
  }
}
