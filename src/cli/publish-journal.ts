// The journal of `publish`: which input lines are settled, so a rerun after an interruption
// publishes only the rest. One NDJSON record per finished batch, appended with one write(2):
// a killed process leaves whole records behind (the kernel keeps what was written), and at
// worst one torn last line, which is cut off. Batches in flight when the process died are not
// in it; they are sent again and the gateway answers DUPLICATE for what it had stored.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { usageError } from './cli-errors';

export interface Rejection {
  file: string;
  line: number;
  jti: string | null;
  code: string;
  description: string;
}

export interface BatchRecord {
  from: number;
  to: number;
  /** sha256 of the batch's lines, so a changed input is noticed instead of skipped. */
  sha256: string;
  accepted: number;
  duplicate: number;
  rejected: Rejection[];
}

export function linesHash(lines: readonly string[]): string {
  const h = createHash('sha256');
  for (const l of lines) h.update(l).update('\n');
  return h.digest('hex');
}

export class PublishJournal {
  private readonly done: BatchRecord[] = [];
  private fd: number | null = null;

  private constructor(readonly path: string | null) {}

  /** Opens (or, with restart, empties) the journal at `path`; null keeps no journal. */
  static open(path: string | null, restart: boolean): PublishJournal {
    const j = new PublishJournal(path);
    if (!path) return j;
    if (restart && fs.existsSync(path)) fs.rmSync(path);
    if (fs.existsSync(path)) {
      const text = fs.readFileSync(path, 'utf8');
      const lines = text.split('\n');
      lines.forEach((line, i) => {
        if (!line.trim()) return;
        try {
          const r = JSON.parse(line) as BatchRecord & { journal?: string };
          if (r.journal) return; // the header
          if (typeof r.from !== 'number' || typeof r.to !== 'number' || typeof r.sha256 !== 'string') throw new Error();
          j.done.push(r);
        } catch {
          // Only the last line, unterminated, may be torn by a kill: cut it off. Anything else is not our journal.
          if (i !== lines.length - 1) throw usageError(`${path} is not a publish journal (line ${i + 1}); move it away or give --restart`);
          fs.truncateSync(path, Buffer.byteLength(text) - Buffer.byteLength(line));
        }
      });
    }
    try {
      j.fd = fs.openSync(path, 'a');
    } catch (e) {
      throw usageError(`cannot write the journal ${path} (${(e as NodeJS.ErrnoException).code}); give --journal <file> somewhere writable`);
    }
    if (fs.fstatSync(j.fd).size === 0) fs.writeSync(j.fd, JSON.stringify({ journal: 'risk-exchange publish', startedAt: new Date().toISOString() }) + '\n');
    return j;
  }

  get settledBatches(): readonly BatchRecord[] {
    return this.done;
  }

  /** The earlier records by their first line. */
  byFirstLine(): Map<number, BatchRecord> {
    return new Map(this.done.map((r) => [r.from, r]));
  }

  append(record: BatchRecord): void {
    this.done.push(record);
    if (this.fd !== null) fs.writeSync(this.fd, JSON.stringify(record) + '\n');
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}
