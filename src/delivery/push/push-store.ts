// The push worker's reads and writes of the outbox (the `delivery` table), one statement each.
import type { EntityManager } from 'typeorm';
import { PUSH_METHOD, StreamStatus } from '../stream.entity';
import { EVENT_TYPE } from '../streams/event-types';

const STREAM_UPDATED = EVENT_TYPE.streamUpdated;

/** A delivery claimed for one attempt. */
export interface ClaimedDelivery {
  id: string;
  streamId: string;
  token: string | null;
  payload: Record<string, unknown>;
  /** Including this attempt. */
  attempts: number;
  createdAt: Date;
}

export interface PushTarget {
  id: string;
  endpointUrl: string | null;
  authorizationHeader: string | null;
  signingAlg: string;
}

type Rows<T> = T[] | [T[], number];
/** UPDATE ... RETURNING answers [rows, count] through TypeORM's pg driver and plain rows through PGlite. */
const rowsOf = <T>(r: Rows<T>): T[] => (r.length === 2 && Array.isArray(r[0]) && typeof r[1] === 'number' ? (r[0] as T[]) : (r as T[]));

/**
 * Claims up to `limit` due deliveries of enabled push streams in one statement (its own short
 * transaction): the rows are locked with SKIP LOCKED, so replicas claiming at the same moment
 * take different rows, and their next_attempt_at moves `leaseMs` ahead, which is the lease: no
 * replica sees them as due until then. A replica that dies mid-send leaves them to be retried
 * once the lease has run out. The attempt is counted here, so a delivery that kills its sender
 * still reaches PUSH_MAX_ATTEMPTS.
 *
 * Fairness: no stream gets more than `perStream` sends in flight in this process (`busy` counts
 * those already in flight), so one slow or hanging receiver cannot take every slot and hold up
 * the other partners' notices. The earliest `scan` due rows of the streams that have room are
 * ranked per stream; the lock re-checks each row (another replica may have claimed it).
 */
/**
 * Whether a stream with `busy` sends in flight may be claimed for: only once half its slots are
 * free, so that each claim brings several of its rows rather than one per finished send.
 */
export function streamHasRoom(busy: number, perStream: number): boolean {
  return busy <= Math.floor(perStream / 2);
}

export async function claimDue(m: EntityManager, limit: number, leaseMs: number, perStream: number, busy: ReadonlyMap<string, number>): Promise<ClaimedDelivery[]> {
  const full = [...busy].filter(([, n]) => !streamHasRoom(n, perStream)).map(([id]) => id);
  const rows = rowsOf<{ id: string; stream_id: string; token: string | null; payload: Record<string, unknown>; attempts: number; created_at: Date }>(
    await m.query(
      `WITH early AS (
         SELECT d.id, d.stream_id, d.next_attempt_at FROM delivery d JOIN ssf_stream s ON s.id = d.stream_id
          WHERE d.state = 'PENDING' AND d.next_attempt_at IS NOT NULL AND d.next_attempt_at <= now()
            -- A paused stream still gets the stream-updated event that tells its receiver so (SSF 8.1.5).
            AND (s.status = '${StreamStatus.ENABLED}' OR (s.status = '${StreamStatus.PAUSED}' AND d.event_type = '${STREAM_UPDATED}')) AND s.delivery_method = '${PUSH_METHOD}'
            AND d.stream_id <> ALL($3::uuid[])
          ORDER BY d.next_attempt_at
          LIMIT $4),
       ranked AS (
         SELECT e.id, row_number() OVER (PARTITION BY e.stream_id ORDER BY e.next_attempt_at, e.id) AS rn, coalesce(b.value::int, 0) AS busy
           FROM early e LEFT JOIN jsonb_each_text($5::jsonb) b ON b.key = e.stream_id::text),
       due AS (
         SELECT d.id FROM delivery d JOIN ranked r ON r.id = d.id
          WHERE r.rn <= $6 - r.busy AND d.state = 'PENDING' AND d.next_attempt_at <= now()
          ORDER BY d.next_attempt_at
          LIMIT $1
          FOR UPDATE OF d SKIP LOCKED)
       UPDATE delivery d SET next_attempt_at = now() + $2 * interval '1 millisecond', attempts = d.attempts + 1
         FROM due WHERE d.id = due.id
       RETURNING d.id, d.stream_id, d.token, d.payload, d.attempts, d.created_at`,
      [limit, leaseMs, full, Math.max(limit * 4, 200), JSON.stringify(Object.fromEntries(busy)), perStream],
    ),
  );
  return rows.map((r) => ({ id: r.id, streamId: r.stream_id, token: r.token, payload: r.payload, attempts: r.attempts, createdAt: new Date(r.created_at) }));
}

export async function targetsOf(m: EntityManager, streamIds: string[]): Promise<Map<string, PushTarget>> {
  const rows = (await m.query(`SELECT id, endpoint_url, authorization_header, signing_alg FROM ssf_stream WHERE id = ANY($1::uuid[])`, [streamIds])) as Array<{
    id: string;
    endpoint_url: string | null;
    authorization_header: string | null;
    signing_alg: string;
  }>;
  return new Map(rows.map((r) => [r.id, { id: r.id, endpointUrl: r.endpoint_url, authorizationHeader: r.authorization_header, signingAlg: r.signing_alg }]));
}

/**
 * The receivers took them: ACKED (whatever happened meanwhile: they were delivered), and their
 * streams' runs of failures end. One statement for a whole group of acknowledgements.
 * Answers the ids that were not acknowledged before.
 */
export async function markAcked(m: EntityManager, acks: Array<{ id: string; note: string | null }>): Promise<Set<string>> {
  const rows = rowsOf<{ id: string }>(
    await m.query(
      `WITH acked AS (
         UPDATE delivery d SET state = 'ACKED', acked_at = now(), next_attempt_at = NULL, last_error = r.note
           FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, note text)
          WHERE d.id = r.id AND d.state <> 'ACKED'
          RETURNING d.id, d.stream_id),
       reset AS (
         UPDATE ssf_stream s SET consecutive_failures = 0 WHERE s.id IN (SELECT stream_id FROM acked) AND s.consecutive_failures <> 0)
       SELECT id FROM acked`,
      [JSON.stringify(acks)],
    ),
  );
  return new Set(rows.map((r) => r.id));
}

/** A failed attempt: due again after `delayMs`, or DEAD (`dead`). A row held meanwhile (stream paused) stays HELD. */
export async function markFailed(m: EntityManager, id: string, error: string, dead: boolean, delayMs: number): Promise<void> {
  if (dead) {
    await m.query(`UPDATE delivery SET state = 'DEAD', next_attempt_at = NULL, last_error = $2 WHERE id = $1 AND state IN ('PENDING', 'HELD')`, [id, error]);
  } else {
    await m.query(`UPDATE delivery SET next_attempt_at = now() + $3 * interval '1 millisecond', last_error = $2 WHERE id = $1 AND state IN ('PENDING', 'HELD')`, [id, error, delayMs]);
  }
}

/** Counts a failed attempt on the stream; answers the run of failures so far (0 when the stream is not enabled). */
export async function countStreamFailure(m: EntityManager, streamId: string): Promise<number> {
  const rows = rowsOf<{ consecutive_failures: number }>(
    await m.query(`UPDATE ssf_stream SET consecutive_failures = consecutive_failures + 1 WHERE id = $1 AND status = '${StreamStatus.ENABLED}' RETURNING consecutive_failures`, [streamId]),
  );
  return rows[0]?.consecutive_failures ?? 0;
}
