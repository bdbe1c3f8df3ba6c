// Notices addressed to a partner rather than to watchers of a subject: a legal requester told of a
// decision on its request, an issuer told that a disclosure showed its events. They go to every
// stream of that partner that requested the event type (paused: held; disabled: dropped), in the
// caller's transaction, through the one outbox. Higher modules (legal) call this; delivery knows
// nothing of them.
import type { EntityManager } from 'typeorm';
import { DeliveryState } from './delivery.entity';
import { enqueueNotices, NewNotice } from './outbox';
import { PUSH_METHOD, StreamStatus } from './stream.entity';

export interface PartnerNotice {
  /** The receiving partner (each of its streams gets one copy). */
  partner: string;
  /** The event type URI (streams/event-types.ts); only streams that requested it receive it. */
  eventType: string;
  /** The pseudonymous subject it is about. */
  subject: string;
  /** The jti of the token that caused it (the SET `txn`), when there is one. */
  txn?: string | null;
  /** The event's members, in the profile's snake_case. */
  event: Record<string, unknown>;
  /** The stored event it concerns, if any (kept in the ledger as `event_id`). */
  eventId?: string | null;
}

const STREAMS_SQL = `SELECT s.id, s.owner, s.aud, s.status, s.delivery_method, s.events_requested::text[] AS events_requested
  FROM ssf_stream s JOIN partner p ON p.id = s.owner AND p.status = 'ACTIVE'
  WHERE s.owner = ANY($1::varchar[]) AND s.status <> 'disabled' ORDER BY s.id`;

/** Enqueues each notice on its partner's streams; answers how many deliveries were written. */
export async function enqueuePartnerNotices(tx: EntityManager, notices: PartnerNotice[]): Promise<number> {
  if (!notices.length) return 0;
  const streams = (await tx.query(STREAMS_SQL, [[...new Set(notices.map((n) => n.partner))]])) as Array<{
    id: string; owner: string; aud: string; status: string; delivery_method: string; events_requested: string[];
  }>;
  const rows: NewNotice[] = [];
  for (const n of notices) {
    for (const s of streams) {
      if (s.owner !== n.partner || !s.events_requested.includes(n.eventType)) continue;
      rows.push({
        streamId: s.id,
        receiver: s.owner,
        eventId: n.eventId ?? null,
        eventType: n.eventType,
        payload: { aud: s.aud, sub_id: { format: 'opaque', id: n.subject }, ...(n.txn ? { txn: n.txn } : {}), events: { [n.eventType]: n.event } },
        state: s.status === StreamStatus.PAUSED ? DeliveryState.HELD : DeliveryState.PENDING,
        push: s.delivery_method === PUSH_METHOD,
      });
    }
  }
  await enqueueNotices(tx, rows);
  return rows.length;
}
