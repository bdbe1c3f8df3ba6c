// What a stream's status does to its rows in the delivery ledger (SSF 1.0 section 8.1.2), in the
// caller's transaction. Rows that were already sent once (first_sent_at set) are never deleted:
// the ledger is how a later retraction reaches everyone who heard the original.
import type { EntityManager } from 'typeorm';
import { DELIVERY_CHANNEL } from '../outbox';

/** paused: nothing is transmitted; what is pending waits as HELD. */
export async function holdPending(tx: EntityManager, streamId: string): Promise<void> {
  await tx.query(`UPDATE delivery SET state = 'HELD' WHERE stream_id = $1 AND state = 'PENDING'`, [streamId]);
}

/**
 * enabled: the held notices (at most `cap`, the newest) become PENDING again, due at once on a
 * push stream, and every replica's pollers, pushers and subscribers are woken at COMMIT.
 */
export async function releaseHeld(tx: EntityManager, streamId: string, push: boolean, cap: number): Promise<number> {
  await trimHeldNotices(tx, cap, [streamId]);
  const count = affected(await tx.query(`UPDATE delivery SET state = 'PENDING', next_attempt_at = CASE WHEN $2::boolean THEN now() END WHERE stream_id = $1 AND state = 'HELD' RETURNING id`, [streamId, push]));
  await tx.query(`SELECT pg_notify('${DELIVERY_CHANNEL}', $1)`, [streamId]);
  return count;
}

/**
 * disabled: nothing is held for later. Notices never sent are dropped; one already sent but not
 * acknowledged stays in the ledger as HELD (not transmitted while disabled), so a correction of
 * it still reaches this stream.
 */
export async function dropUndelivered(tx: EntityManager, streamId: string): Promise<void> {
  await tx.query(`DELETE FROM delivery WHERE stream_id = $1 AND state IN ('PENDING', 'HELD') AND first_sent_at IS NULL`, [streamId]);
  await tx.query(`UPDATE delivery SET state = 'HELD' WHERE stream_id = $1 AND state = 'PENDING'`, [streamId]);
}

/**
 * DELIVERY_PAUSED_CAP: a stream keeps at most `cap` never-sent HELD notices; the oldest beyond it
 * are dropped. Runs when a stream is enabled, and every minute for paused streams (the fan-out may
 * also call it after inserting HELD rows). `streamIds` unset: every paused stream.
 */
export async function trimHeldNotices(m: EntityManager, cap: number, streamIds?: string[]): Promise<number> {
  const scope = streamIds ? 'stream_id = ANY($2::uuid[])' : `stream_id IN (SELECT id FROM ssf_stream WHERE status = 'paused')`;
  return affected(
    await m.query(
    `DELETE FROM delivery d USING (
       SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY stream_id ORDER BY created_at DESC, id DESC) AS n
                         FROM delivery WHERE state = 'HELD' AND first_sent_at IS NULL AND ${scope}) ranked
        WHERE n > $1) old
     WHERE d.id = old.id RETURNING d.id`,
      streamIds ? [cap, streamIds] : [cap],
    ),
  );
}

/** Rows an UPDATE/DELETE ... RETURNING touched: TypeORM's pg driver answers [rows, count], PGlite's the rows. */
export function affected(result: unknown): number {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[1];
  return Array.isArray(result) ? result.length : 0;
}
