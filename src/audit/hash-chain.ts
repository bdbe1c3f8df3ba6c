// The audit hash chain. Pure: no Nest or TypeORM import, so the gateway, the offline CLI and an
// outsider's re-implementation all compute the same thing. The canonical form is in the README.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** `prev_hash` of the first entry: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields an entry's hash covers (besides `prev_hash`). */
export interface AuditRecord {
  seq: number;
  /** ISO 8601 UTC with milliseconds, e.g. 2026-11-26T05:00:00.000Z */
  at: string;
  actor: string;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
}

/** A row as read back from the database (pg returns bigint as string, PGlite as number). */
export interface StoredAuditRow {
  seq: number | string;
  /** A Date, an ISO string, or epoch milliseconds. */
  at: Date | string | number;
  actor: string;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

/** RFC 8785 (JCS) serialization of {seq, at, actor, action, target, details}. */
export function canonicalEntry(record: AuditRecord): string {
  return canonicalize({
    seq: record.seq,
    at: record.at,
    actor: record.actor,
    action: record.action,
    target: record.target,
    details: record.details,
  }) as string;
}

/** hash = hex(SHA-256(prev_hash + "\n" + canonical entry)), UTF-8. */
export function entryHash(prevHash: string, record: AuditRecord): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalEntry(record)).digest('hex');
}

export function recordOf(row: StoredAuditRow): AuditRecord {
  return {
    seq: Number(row.seq),
    at: (row.at instanceof Date ? row.at : new Date(typeof row.at === 'string' && /^\d+(\.\d+)?$/.test(row.at) ? Number(row.at) : row.at)).toISOString(),
    actor: row.actor,
    action: row.action,
    target: row.target,
    details: row.details,
  };
}

export interface ChainVerification {
  ok: boolean;
  checkedEntries: number;
  firstBadSeq: number | null;
  reason: string | null;
  /** Hash of the last entry checked (the head, when the whole chain was read). */
  lastHash: string;
  lastSeq: number;
}

export interface VerifyChainOptions {
  /** First seq to check (default 1). */
  fromSeq?: number;
  /** Last seq to check (default: the end of the log). */
  toSeq?: number;
  /** Hash of entry fromSeq - 1 (GENESIS_HASH when fromSeq is 1). */
  anchorHash: string;
  /** Reads up to `limit` rows with seq > afterSeq and seq <= toSeq, in seq order. */
  fetchBatch(afterSeq: number, limit: number, toSeq: number | undefined): Promise<StoredAuditRow[]>;
  /** Expected hashes at some seqs (signed checkpoints); a mismatch or a missing entry is reported. */
  expect?: ReadonlyArray<{ seq: number; hash: string; what: string }>;
  batchSize?: number;
  onProgress?(checked: number, lastSeq: number): void;
}

/** Hashing gives the event loop a turn after about this long (checked every few entries). */
const YIELD_AFTER_MS = 5;
const YIELD_CHECK_EVERY = 32;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Walks the chain in seq order and names the first bad seq and why; yields to the event loop every few ms. */
export async function verifyChain(o: VerifyChainOptions): Promise<ChainVerification> {
  const from = o.fromSeq ?? 1;
  const batchSize = o.batchSize ?? 5000;
  const expectations = new Map((o.expect ?? []).map((e) => [e.seq, e]));
  let prevHash = o.anchorHash;
  let pending: Promise<StoredAuditRow[]> | null = null;
  let expectedSeq = from;
  let checked = 0;
  const fail = (seq: number, reason: string): ChainVerification => (void pending?.catch(() => undefined), { ok: false, checkedEntries: checked, firstBadSeq: seq, reason, lastHash: prevHash, lastSeq: expectedSeq - 1 });

  let sliceStart = performance.now();
  let sinceYield = 0;
  // Fetch the next batch while hashing the current one: I/O and CPU overlap.
  pending = o.fetchBatch(expectedSeq - 1, batchSize, o.toSeq);
  while (pending) {
    const rows: StoredAuditRow[] = await pending;
    pending = rows.length === batchSize ? o.fetchBatch(Number(rows[rows.length - 1].seq), batchSize, o.toSeq) : null;
    for (const row of rows) {
      if (++sinceYield >= YIELD_CHECK_EVERY && performance.now() - sliceStart > YIELD_AFTER_MS) {
        await yieldToLoop(); // a long walk must not hold the event loop: /health and requests are served in between
        sliceStart = performance.now();
        sinceYield = 0;
      }
      const record = recordOf(row);
      const ms = typeof row.at === 'string' && /^\d+(\.\d+)?$/.test(row.at) ? Number(row.at) : row.at;
      if (typeof ms === 'number' && !Number.isInteger(ms)) return fail(record.seq, 'the timestamp has sub-millisecond digits that were never hashed (the entry was altered)');
      if (record.seq !== expectedSeq) {
        return fail(expectedSeq, record.seq > expectedSeq ? `entry ${expectedSeq} is missing (next entry is ${record.seq})` : `entry ${record.seq} appears out of order`);
      }
      if (row.prev_hash !== prevHash) return fail(record.seq, 'prev_hash does not match the hash of the previous entry');
      const hash = entryHash(prevHash, record);
      if (hash !== row.hash) return fail(record.seq, 'hash does not match the entry contents (the entry was altered)');
      const expected = expectations.get(record.seq);
      if (expected && expected.hash !== hash) return fail(record.seq, `hash differs from the one signed in ${expected.what}`);
      prevHash = hash;
      expectedSeq++;
      checked++;
    }
    o.onProgress?.(checked, expectedSeq - 1);
  }
  const lastSeq = expectedSeq - 1;
  if (o.toSeq !== undefined && lastSeq < o.toSeq) {
    return fail(lastSeq + 1, `the log ends at seq ${lastSeq}, before seq ${o.toSeq}: entries were deleted`);
  }
  const beyond = [...expectations.values()].filter((e) => e.seq > lastSeq).sort((a, b) => a.seq - b.seq)[0];
  if (beyond) return fail(lastSeq + 1, `the log ends at seq ${lastSeq}, but ${beyond.what} signed seq ${beyond.seq}: entries were deleted`);
  return { ok: true, checkedEntries: checked, firstBadSeq: null, reason: null, lastHash: prevHash, lastSeq };
}
