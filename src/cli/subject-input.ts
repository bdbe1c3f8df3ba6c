// Subject ids for `stream add-subjects|remove-subjects`: from arguments, or a file/stdin of ids one
// per line, or the NDJSON or CSV that `hash-subject` prints (the "subject" field or column).
import { usageError } from './cli-errors';
import { parseCsvLine, readLines } from './lines';

/** The opaque subject id the gateway accepts (README "Streams": 8..256 of [A-Za-z0-9._~:+/=-]). */
export const SUBJECT_ID = /^[A-Za-z0-9._~:+/=-]{8,256}$/;

export interface SubjectLine {
  where: string;
  id?: string;
  error?: string;
}

/** Reads ids from a file or stdin ("-"); the format is taken from the first non-empty line. */
export async function* subjectLines(file: string, column = 'subject'): AsyncGenerator<SubjectLine> {
  let format: 'ndjson' | 'csv' | 'plain' | undefined;
  let col = -1;
  for await (const { lineNo, text } of readLines(file)) {
    const line = text.trim();
    if (!line) continue;
    const where = `line ${lineNo}`;
    if (!format) {
      if (line.startsWith('{')) format = 'ndjson';
      else if (line.includes(',') || line === column) {
        format = 'csv';
        col = parseCsvLine(line).map((c) => c.trim()).indexOf(column);
        if (col < 0) throw usageError(`${file === '-' ? 'stdin' : file}: the CSV header has no "${column}" column (it has ${line}); hash-subject output has one, or give --column`);
        continue;
      } else format = 'plain';
    }
    let id: unknown;
    if (format === 'ndjson') {
      try {
        const row = JSON.parse(line);
        id = row?.[column];
      } catch {
        yield { where, error: 'not a JSON object' };
        continue;
      }
      if (typeof id !== 'string') {
        yield { where, error: `no "${column}" field` };
        continue;
      }
    } else if (format === 'csv') {
      try {
        id = parseCsvLine(line)[col]?.trim();
      } catch (e) {
        yield { where, error: (e as Error).message };
        continue;
      }
    } else id = line;
    yield checked(id as string, where);
  }
}

export function checked(id: string, where: string): SubjectLine {
  return SUBJECT_ID.test(id ?? '') ? { where, id } : { where, error: `"${String(id ?? '').slice(0, 40)}" is not a subject id (8..256 of A-Z a-z 0-9 . _ ~ : + / = -; make them with hash-subject)` };
}
