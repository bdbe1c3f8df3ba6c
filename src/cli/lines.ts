// Line-oriented input for bulk commands: NDJSON and simple CSV (RFC 4180 quoting, one record per line).
import * as fs from 'node:fs';
import * as readline from 'node:readline';
import { usageError } from './cli-errors';

/** Lines of a file, or of stdin for "-" or no file; numbered from 1. */
export async function* readLines(file?: string): AsyncGenerator<{ lineNo: number; text: string }> {
  let input: NodeJS.ReadableStream;
  if (file && file !== '-') {
    if (!fs.existsSync(file)) throw usageError(`${file}: no such file`);
    input = fs.createReadStream(file, { encoding: 'utf8' });
  } else {
    if (process.stdin.isTTY) throw usageError('nothing to read: give a file, or pipe the input into stdin');
    input = process.stdin;
  }
  let lineNo = 0;
  for await (const text of readline.createInterface({ input, crlfDelay: Infinity })) {
    lineNo++;
    yield { lineNo, text };
  }
}

/** One CSV record; a quoted field may hold commas and doubled quotes, not line breaks. */
export function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new Error('a quoted field is not closed (line breaks inside fields are not supported)');
        field += line.slice(i, q);
        if (line[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      if (i < line.length && line[i] !== ',') throw new Error('text after a closing quote');
    } else {
      const c = line.indexOf(',', i);
      field = c < 0 ? line.slice(i) : line.slice(i, c);
      i = c < 0 ? line.length : c;
    }
    out.push(field);
    if (i >= line.length) return out;
    i++; // the comma
  }
}

export function csvField(v: string): string {
  return /[",\r\n]/.test(v) || /^\s|\s$/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
