import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { AuthenticatedPartner } from '../../auth/authenticated-partner';
import { badInput, notFound } from '../../common/errors';
import { MetricsService } from '../../observability/metrics';
import { DeliveryState } from '../delivery.entity';
import { NoticeSigner } from '../notice-signer';
import { POLL_METHOD, SsfStream } from '../stream.entity';
import type { SetErr } from './poll-request';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A PENDING delivery as the pull methods read it. */
export interface PendingNotice {
  id: string;
  token: string | null;
  payload: Record<string, unknown>;
  eventType: string;
  createdAt: Date;
}

/** A signed notice ready to hand over. */
export interface SignedNotice extends PendingNotice {
  token: string;
}

export type PullMethod = 'poll' | 'subscription';

/**
 * The ledger as the pull methods (RFC 8936 poll, GraphQL subscription) see it: the caller's own
 * poll stream, its PENDING rows oldest first, acknowledgement and receiver-reported errors.
 * Every statement names the stream, so a jti of another stream is never touched (unknown ones
 * are ignored, as RFC 8936 section 2.4 asks).
 */
@Injectable()
export class NoticeLedger {
  constructor(
    private readonly db: DataSource,
    private readonly signer: NoticeSigner,
    private readonly metrics: MetricsService,
  ) {}

  /** The caller's poll stream; another partner's stream and a missing one answer the same 404. */
  async ownPollStream(partner: AuthenticatedPartner, streamId: string): Promise<SsfStream> {
    const stream = UUID.test(streamId) ? await this.db.getRepository(SsfStream).findOne({ where: { id: streamId.toLowerCase(), owner: partner.id } }) : null;
    if (!stream) throw notFound(`no stream ${streamId}`);
    if (stream.deliveryMethod !== POLL_METHOD) throw badInput(`stream ${streamId} delivers by push (${stream.deliveryMethod}); only a poll stream (${POLL_METHOD}) can be polled or subscribed to`);
    return stream;
  }

  /** Marks these jtis of the stream acknowledged; answers how many were pending and now are not. */
  async acknowledge(streamId: string, jtis: string[], m: EntityManager = this.db.manager): Promise<number> {
    const ids = jtis.filter((j) => UUID.test(j)).map((j) => j.toLowerCase());
    if (!ids.length) return 0;
    return affected(await m.query(
      `UPDATE delivery SET state = '${DeliveryState.ACKED}', acked_at = now() WHERE stream_id = $1 AND id = ANY($2::uuid[]) AND state IN ('${DeliveryState.PENDING}', '${DeliveryState.HELD}')`,
      [streamId, ids],
    ));
  }

  /**
   * Records what the receiver reported about SETs it could not accept (RFC 8936 `setErrs`). A
   * reported SET counts as acknowledged: the receiver has it and said why it refused it, so
   * sending it again would only repeat the error (RFC 8936 section 2.4: acknowledge every SET,
   * in `ack` or in `setErrs`). The report stays readable (`notificationErrors`).
   */
  async recordErrors(streamId: string, errs: Map<string, SetErr>): Promise<number> {
    const rows = [...errs].filter(([j]) => UUID.test(j)).map(([j, e]) => ({ id: j.toLowerCase(), err: e.err, description: e.description }));
    if (!rows.length) return 0;
    return affected(await this.db.query(
      `UPDATE delivery d SET state = '${DeliveryState.ACKED}', acked_at = coalesce(d.acked_at, now()), set_err_code = r.err, set_err_description = r.description
         FROM jsonb_to_recordset($2::jsonb) AS r(id uuid, err varchar, description varchar)
        WHERE d.id = r.id AND d.stream_id = $1 AND d.first_sent_at IS NOT NULL`,
      [streamId, JSON.stringify(rows)],
    ));
  }

  /** Up to `limit` PENDING notices of the stream, oldest first. */
  async pending(streamId: string, limit: number): Promise<PendingNotice[]> {
    const rows = (await this.db.query(
      `SELECT id, token, payload, event_type, created_at FROM delivery WHERE stream_id = $1 AND state = '${DeliveryState.PENDING}' ORDER BY created_at, id LIMIT $2`,
      [streamId, limit],
    )) as Array<{ id: string; token: string | null; payload: Record<string, unknown>; event_type: string; created_at: Date }>;
    return rows.map((r) => ({ id: r.id, token: r.token, payload: r.payload, eventType: r.event_type, createdAt: r.created_at }));
  }

  /** Whether the stream has any PENDING notice. */
  async hasPending(streamId: string): Promise<boolean> {
    const rows = (await this.db.query(`SELECT 1 FROM delivery WHERE stream_id = $1 AND state = '${DeliveryState.PENDING}' LIMIT 1`, [streamId])) as unknown[];
    return rows.length > 0;
  }

  /**
   * The SETs of these notices (signed once, at their first hand-over, with the stream's algorithm),
   * and the commit-to-delivery latency of those handed over for the first time.
   */
  async sign(stream: SsfStream, notices: PendingNotice[], method: PullMethod): Promise<SignedNotice[]> {
    if (!notices.length) return [];
    const tokens = await this.signer.tokensOf(
      this.db.manager,
      notices.map((n) => ({ id: n.id, token: n.token, payload: n.payload, alg: stream.signingAlg })),
    );
    const now = Date.now();
    for (const n of notices) if (n.token === null) this.metrics.deliveryLatency.observe({ method }, Math.max(0, now - n.createdAt.getTime()) / 1000);
    return notices.filter((n) => tokens.has(n.id)).map((n) => ({ ...n, token: tokens.get(n.id) as string }));
  }
}

/** Rows an UPDATE changed (TypeORM answers `[rows, count]` for an UPDATE on PostgreSQL). */
function affected(result: unknown): number {
  return Array.isArray(result) && result.length === 2 && typeof result[1] === 'number' ? result[1] : 0;
}
