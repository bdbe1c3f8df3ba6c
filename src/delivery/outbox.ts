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

const INSERT_SQL = `INSERT INTO delivery (id, stream_id, receiver, event_id, event_type, payload, state, created_at, next_attempt_at)
  SELECT r.id, r.stream_id, r.receiver, r.event_id, r.event_type, r.payload, r.state, now(), CASE WHEN r.push THEN now() END
  FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, stream_id uuid, receiver varchar, event_id uuid, event_type varchar, payload jsonb, state varchar, push boolean)`;

/** Inserts the notices (one statement) and notifies each stream once; answers their ids (the SET jtis). */
export async function enqueueNotices(tx: EntityManager, notices: NewNotice[]): Promise<string[]> {
  if (!notices.length) return [];
  const rows = notices.map((n) => ({ id: randomUUID(), stream_id: n.streamId, receiver: n.receiver, event_id: n.eventId, event_type: n.eventType, payload: n.payload, state: n.state, push: n.push }));
  await tx.query(INSERT_SQL, [JSON.stringify(rows)]);
  const streams = [...new Set(notices.filter((n) => n.state === DeliveryState.PENDING).map((n) => n.streamId))];
  if (streams.length) await tx.query(`SELECT pg_notify('${DELIVERY_CHANNEL}', s) FROM unnest($1::text[]) s`, [streams]);
  return rows.map((r) => r.id);
}
