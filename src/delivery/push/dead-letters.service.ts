import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditAction } from '../../audit/audit.actions';
import { AuditService } from '../../audit/audit.service';
import { AuthenticatedPartner } from '../../auth/authenticated-partner';
import { badInput, notFound } from '../../common/errors';
import { decodeTimeCursor, encodeTimeCursor, MAX_PAGE_SIZE, pageOf, pageSize } from '../../common/pagination';
import { DELIVERY_CHANNEL } from '../outbox';
import { StreamStatus } from '../stream.entity';
import { DeadLetterConnection, DeadLetterType, ReplayDeadLettersResult } from './dto/dead-letter.types';
import { PushWorker } from './push.worker';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface DeadRow {
  id: string;
  stream_id: string;
  event_type: string;
  event_id: string | null;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  first_sent_at: Date | null;
  token: string | null;
}

/** Dead letters of push streams: listed and replayed by the stream's owner only. */
@Injectable()
export class DeliveryDeadLettersService {
  constructor(
    private readonly db: DataSource,
    private readonly audit: AuditService,
    private readonly worker: PushWorker,
  ) {}

  async list(caller: AuthenticatedPartner, streamId: string, first?: number | null, after?: string | null): Promise<DeadLetterConnection> {
    const size = pageSize(first);
    const cursor = decodeTimeCursor(after);
    return this.db.transaction(async (tx) => {
      await this.ownedStream(tx, caller, streamId);
      const params: unknown[] = [streamId, size + 1];
      let page = '';
      if (cursor) {
        params.push(cursor.at, cursor.id);
        page = 'AND (created_at, id) < ($3, $4)';
      }
      const rows = (await tx.query(
        `SELECT id, stream_id, event_type, event_id, attempts, last_error, created_at, first_sent_at, token FROM delivery
          WHERE stream_id = $1 AND state = 'DEAD' ${page} ORDER BY created_at DESC, id DESC LIMIT $2`,
        params,
      )) as DeadRow[];
      const [{ n }] = (await tx.query(`SELECT count(*)::int AS n FROM delivery WHERE stream_id = $1 AND state = 'DEAD'`, [streamId])) as Array<{ n: number }>;
      await this.audit.append(tx, { actor: caller.id, action: AuditAction.DeadLettersRead, target: streamId, details: { outcome: 'ok', returned: Math.min(rows.length, size) }, concerns: [caller.id] });
      return { ...pageOf(rows, size, (r) => encodeTimeCursor(new Date(r.created_at), r.id), toType), totalCount: n };
    });
  }

  /**
   * Puts dead letters back in the outbox: attempts reset, due now, same SET (same `jti`). All of
   * the stream's dead letters, or those of `ids` (others, and ids that are not dead letters of
   * this stream, are left alone). On a paused stream they are held until it is enabled.
   */
  async replay(caller: AuthenticatedPartner, streamId: string, ids?: string[] | null): Promise<ReplayDeadLettersResult> {
    if (ids) {
      if (ids.length === 0 || ids.length > MAX_PAGE_SIZE) throw badInput(`ids must list 1..${MAX_PAGE_SIZE} dead-letter jtis (omit it to replay them all)`, { field: 'ids' });
      const bad = ids.find((id) => !UUID.test(id));
      if (bad !== undefined) throw badInput(`ids must be SET jtis (lowercase UUIDs), got "${bad.slice(0, 64)}"`, { field: 'ids' });
    }
    const result = await this.db.transaction(async (tx) => {
      const status = await this.ownedStream(tx, caller, streamId);
      if (status === StreamStatus.DISABLED) throw badInput('the stream is disabled: enable it before replaying its dead letters', { field: 'streamId' });
      const held = status === StreamStatus.PAUSED;
      const res = (await tx.query(
        `UPDATE delivery SET state = $3, attempts = 0, next_attempt_at = now(), last_error = NULL
          WHERE stream_id = $1 AND state = 'DEAD' AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[])) RETURNING id, event_id`,
        [streamId, ids ?? null, held ? 'HELD' : 'PENDING'],
      )) as Array<{ id: string; event_id: string | null }> | [Array<{ id: string; event_id: string | null }>, number];
      const rows = (res.length === 2 && Array.isArray(res[0]) ? res[0] : res) as Array<{ id: string; event_id: string | null }>;
      // The issuers of the replayed events see in their own trail that their events went out again.
      const eventIds = [...new Set(rows.map((r) => r.event_id).filter((e): e is string => e !== null))];
      const issuers = eventIds.length ? ((await tx.query(`SELECT DISTINCT issuer FROM event WHERE id = ANY($1::uuid[])`, [eventIds])) as Array<{ issuer: string }>).map((r) => r.issuer) : [];
      if (rows.length && !held) await tx.query(`SELECT pg_notify('${DELIVERY_CHANNEL}', $1)`, [streamId]);
      await this.audit.append(tx, {
        actor: caller.id,
        action: AuditAction.DeadLettersReplay,
        target: streamId,
        details: { outcome: 'ok', replayed: rows.length, held, selected: ids ? ids.length : 'all' },
        concerns: [...new Set([caller.id, ...issuers])],
      });
      return { replayed: rows.length, jtis: rows.map((r) => r.id), held };
    });
    if (result.replayed && !result.held) this.worker.wake();
    return result;
  }

  /** The stream's status when the caller owns it; another partner's stream reads exactly like a missing one. */
  private async ownedStream(tx: EntityManager, caller: AuthenticatedPartner, streamId: string): Promise<string> {
    const rows = UUID.test(streamId) ? ((await tx.query(`SELECT status FROM ssf_stream WHERE id = $1 AND owner = $2`, [streamId, caller.id])) as Array<{ status: string }>) : [];
    if (!rows.length) throw notFound(`no stream "${streamId.slice(0, 64)}"`);
    return rows[0].status;
  }
}

function toType(r: DeadRow): DeadLetterType {
  return {
    jti: r.id,
    streamId: r.stream_id,
    eventType: r.event_type,
    eventId: r.event_id,
    attempts: r.attempts,
    lastError: r.last_error,
    createdAt: new Date(r.created_at),
    firstSentAt: r.first_sent_at ? new Date(r.first_sent_at) : null,
    set: r.token,
  };
}
