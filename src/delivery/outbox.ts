// Writing notices into the delivery ledger/outbox, in the caller's transaction, and waking every
// replica's pollers, pushers and subscribers when it commits (PostgreSQL NOTIFY is transactional:
// listeners hear it only after COMMIT, and never for a rolled-back transaction).
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { DeliveryState } from './delivery.entity';

/** The NOTIFY channel; the payload is a stream id. */
export const DELIVERY_CHANNEL = 'rx_delivery';

export interface NewNotice {
  streamId: string;
  receiver: string;
  eventId: string | null;
  /** The event type URI, the single member of `events`. */
  eventType: string;
  /** SET claims except iss/iat/jti: aud, sub_id, txn (optional), events. Already masked. */
  payload: Record<string, unknown>;
  /** HELD when the stream is paused. */
  state: DeliveryState.PENDING | DeliveryState.HELD;
  /** Push streams: due at once; poll streams: null. */
  push: boolean;
}

const INSERT_INTO = `INSERT INTO delivery (id, stream_id, receiver, event_id, event_type, payload, state, created_at, next_attempt_at)`;

/** The NOTIFY of each stream that got a PENDING notice, once, over the rows of CTE `ins`. */
const WOKE_SQL = `SELECT count(pg_notify('${DELIVERY_CHANNEL}', w.stream_id::text)) AS notified FROM (SELECT DISTINCT stream_id FROM ins WHERE state = '${DeliveryState.PENDING}') w`;

/** Insert and NOTIFY in one statement (one round trip in the publishing transaction, not two). */
const INSERT_SQL = `WITH ins AS (${INSERT_INTO}
  SELECT r.id, r.stream_id, r.receiver, r.event_id, r.event_type, r.payload, r.state, now(), CASE WHEN r.push THEN now() END
  FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, stream_id uuid, receiver varchar, event_id uuid, event_type varchar, payload jsonb, state varchar, push boolean)
  RETURNING stream_id, state)
${WOKE_SQL}`;

/** Inserts the notices and notifies each stream with a PENDING one once (one statement); answers their ids (the SET jtis). */
export async function enqueueNotices(tx: EntityManager, notices: NewNotice[]): Promise<string[]> {
  if (!notices.length) return [];
  const rows = notices.map((n) => ({ id: randomUUID(), stream_id: n.streamId, receiver: n.receiver, event_id: n.eventId, event_type: n.eventType, payload: n.payload, state: n.state, push: n.push }));
  await tx.query(INSERT_SQL, [JSON.stringify(rows)]);
  return rows.map((r) => r.id);
}

/**
 * One statement for a caller that computes its notices in SQL (the fan-out): `select` yields the
 * columns of NewNotice (stream_id, receiver, event_id, event_type, payload jsonb, state, push, and
 * any of the caller's own), as CTE `n`; the rows are inserted with fresh ids and each stream with a
 * PENDING notice is notified once, as enqueueNotices does, in the same round trip. `answer` is the
 * statement's result: a SELECT that must read `FROM woke` (one row; `woke.notified` counts the
 * streams notified), which is what makes PostgreSQL run the NOTIFY (a read-only CTE runs only when
 * read; the INSERT always runs). It may read `n` for the caller's own columns.
 */
export function enqueueSelectedSql(select: string, answer: string): string {
  return `WITH n AS MATERIALIZED (${select}),
  ins AS (${INSERT_INTO}
    SELECT gen_random_uuid(), n.stream_id, n.receiver, n.event_id, n.event_type, n.payload, n.state, now(), CASE WHEN n.push THEN now() END FROM n
    RETURNING stream_id, state),
  woke AS (${WOKE_SQL})
${answer}`;
}
