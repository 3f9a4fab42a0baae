// Where a record's text field sits in its line of a CSV, TSV or JSONL file: the field's value as the
// reader gives it (quotes and escapes undone) and, per character of that value (code points), the
// UTF-16 column of the line it was written at. Explain Prediction on a record explains the value and
// colours those columns, not the line's other columns, quotes or escapes.

export interface RecordField {
  /** the field's value, as parseClassificationData reads it */
  text: string;
  /** per code point of `text`: its first UTF-16 column in the line */
  columns: number[];
}

/**
 * The fields of one CSV/TSV line (RFC 4180 quoting: a quoted field, "" for a quote inside it).
 * Null when the line is not a whole record (an unterminated quote: the record goes on past the line).
 */
export function delimitedFields(line: string, delimiter: "," | "\t"): RecordField[] | null {
  const fields: RecordField[] = [];
  let i = 0;
  for (;;) {
    const field: RecordField = { text: "", columns: [] };
    const put = (at: number) => {
      const cp = String.fromCodePoint(line.codePointAt(at)!);
      field.text += cp;
      field.columns.push(at);
      return cp.length;
    };
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) return null;
        if (line[i] === '"') {
          if (line[i + 1] === '"') { field.text += '"'; field.columns.push(i); i += 2; continue; }
          i++;
          break;
        }
        i += put(i);
      }
      // text after the closing quote up to the delimiter is kept, as csv-parse's relax_quotes does not: refuse it
      if (i < line.length && line[i] !== delimiter) return null;
    } else {
      while (i < line.length && line[i] !== delimiter) i += put(i);
    }
    fields.push(field);
    if (i >= line.length) return fields;
    i++; // the delimiter
  }
}

/** The string value of top-level key `key` of a JSONL line, with the columns each character came from; null when absent or not a string. */
export function jsonStringField(line: string, key: string): RecordField | null {
  let value: unknown;
  try { value = JSON.parse(line); } catch { return null; }
  if (!value || typeof value !== "object" || Array.isArray(value) || typeof (value as Record<string, unknown>)[key] !== "string") return null;
  let i = 0;
  const ws = () => { while (/\s/.test(line[i] ?? "")) i++; };
  /** A JSON string from line[i] (its opening quote), with each decoded character's column. */
  const str = (): RecordField => {
    const out: RecordField = { text: "", columns: [] };
    i++;
    while (line[i] !== '"') {
      const at = i;
      let unit: string;
      if (line[i] === "\\") {
        const e = line[i + 1];
        if (e === "u") { unit = String.fromCharCode(parseInt(line.slice(i + 2, i + 6), 16)); i += 6; }
        else { unit = ({ b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" } as Record<string, string>)[e] ?? e; i += 2; }
      } else {
        unit = line[i];
        i++;
      }
      // a low surrogate (written or escaped) joins its high one: one character, at the high one's column
      const prev = out.text.charCodeAt(out.text.length - 1);
      if (unit.charCodeAt(0) >= 0xdc00 && unit.charCodeAt(0) <= 0xdfff && prev >= 0xd800 && prev <= 0xdbff) out.text += unit;
      else { out.text += unit; out.columns.push(at); }
    }
    i++;
    return out;
  };
  /** Skips one value (the line parsed, so it is well formed). */
  const skip = (): void => {
    ws();
    if (line[i] === '"') { str(); return; }
    if (line[i] === "{" || line[i] === "[") {
      let depth = 0;
      do {
        if (line[i] === '"') { str(); continue; }
        if (line[i] === "{" || line[i] === "[") depth++;
        else if (line[i] === "}" || line[i] === "]") depth--;
        i++;
      } while (depth > 0);
      return;
    }
    while (i < line.length && !/[,}\]\s]/.test(line[i])) i++;
  };
  ws();
  i++; // {
  let found: RecordField | null = null;
  for (;;) {
    ws();
    if (line[i] !== '"') return found;
    const name = str().text;
    ws();
    i++; // :
    ws();
    // JSON.parse keeps a repeated key's last value: so does this
    if (name === key && line[i] === '"') found = str();
    else skip();
    ws();
    if (line[i] === ",") i++;
  }
}

/**
 * The text field of line `line` of a labelled file: `header` is the file's first line (CSV/TSV), and
 * `textColumn` the column or key (default "text"). Null where the line is not a whole record or
 * has no such field (the caller explains the line as it is; the header line is the caller's to skip).
 */
export function recordTextField(format: "csv" | "tsv" | "jsonl", header: string | null, line: string, textColumn = "text"): RecordField | null {
  if (format === "jsonl") return jsonStringField(line, textColumn);
  const delimiter = format === "csv" ? "," : "\t";
  const names = header === null ? null : delimitedFields(header.replace(/^\uFEFF/, ""), delimiter);
  const k = names?.findIndex((f) => f.text === textColumn) ?? -1; // the reader's own match: the name as written
  if (k < 0) return null;
  return delimitedFields(line, delimiter)?.[k] ?? null;
}
