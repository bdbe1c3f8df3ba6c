import type { DataSource } from 'typeorm';
import { AuditAction } from '../../audit/audit.actions';
import { AuditService } from '../../audit/audit.service';
import { SYSTEM_ACTOR } from '../../audit/audit.actions';
import { StreamStatus } from '../stream.entity';

/**
 * Pauses a push stream whose receiver failed PUSH_PAUSE_AFTER_FAILURES attempts in a row, with
 * the reason, so its notices are held instead of being dead-lettered one after the other: its
 * PENDING deliveries become HELD, and flow again when the owner enables the stream.
 *
 * INTEGRATION: the streams branch exports `StreamsService.setStatusByGateway(streamId, status,
 * reason)`, which also sends the SSF `stream-updated` event; at merge this body becomes that call
 * (keeping the reset of `consecutive_failures`, so an enabled stream starts a fresh count).
 */
export async function pauseStreamForFailures(db: DataSource, audit: AuditService, streamId: string, reason: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const paused = (await tx.query(
      `UPDATE ssf_stream SET status = '${StreamStatus.PAUSED}', status_reason = $2, consecutive_failures = 0, updated_at = now()
        WHERE id = $1 AND status = '${StreamStatus.ENABLED}' RETURNING owner`,
      [streamId, reason.slice(0, 512)],
    )) as Array<{ owner: string }> | [Array<{ owner: string }>, number];
    const rows = (Array.isArray(paused[0]) ? paused[0] : paused) as Array<{ owner: string }>;
    if (!rows.length) return false;
    await tx.query(`UPDATE delivery SET state = 'HELD' WHERE stream_id = $1 AND state = 'PENDING'`, [streamId]);
    await audit.append(tx, { actor: SYSTEM_ACTOR, action: AuditAction.PushStreamPaused, target: streamId, details: { outcome: 'ok', reason: reason.slice(0, 512) }, concerns: [rows[0].owner] });
    return true;
  });
}
