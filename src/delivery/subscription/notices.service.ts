import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AuthenticatedPartner } from '../../auth/authenticated-partner';
import { decodeTimeCursor, encodeTimeCursor, pageOf, pageSize } from '../../common/pagination';
import { RateLimiterService } from '../../ratelimit/rate-limiter.service';
import { AuditAction } from '../../audit/audit.actions';
import { AuditService } from '../../audit/audit.service';
import { badInput } from '../../common/errors';
import { NoticeLedger, SignedNotice } from '../poll/notice-ledger';
import { MAX_ACKS } from '../poll/poll-request';
import { SsfStream } from '../stream.entity';
import { DeliveryWaker } from '../wakeup/delivery-waker';
import { StreamWatch } from '../wakeup/watchers';
import type { NoticeType, NotificationErrorConnection } from './dto/notice.types';

/**
 * Most notices one subscription has sent and not yet seen acknowledged: past it, nothing new is
 * sent until the receiver acknowledges (flow control, like a prefetch window). It also bounds
 * what each wake-up re-reads.
 */
export const SUBSCRIPTION_WINDOW = 500;
/** An idle subscription re-reads the ledger this often even without a wake-up (a safety net, not the path). */
const IDLE_RECHECK_MS = 60_000;

/**
 * The GraphQL `notices` subscription of a poll stream: first what is unacknowledged (oldest
 * first), then each new notice as it commits, woken by LISTEN/NOTIFY. It reads the same PENDING
 * rows as RFC 8936 poll; a notice leaves only when acknowledged (`acknowledgeNotices`, or a poll
 * `ack`), so a receiver that reconnects gets again what it had not acknowledged.
 */
@Injectable()
export class NoticesService {
  constructor(
    private readonly db: DataSource,
    private readonly ledger: NoticeLedger,
    private readonly waker: DeliveryWaker,
    private readonly limiter: RateLimiterService,
    private readonly audit: AuditService,
  ) {}

  /** Checks the stream and the waiting bounds now (errors reach the subscriber), then streams. */
  async subscribe(partner: AuthenticatedPartner, streamId: string): Promise<AsyncIterableIterator<{ notices: NoticeType }>> {
    const stream = await this.ledger.ownPollStream(partner, streamId);
    const watch = this.waker.watch(stream.id, partner.id);
    return new NoticeIterator(this.ledger, this.limiter, partner, stream, watch);
  }

  async acknowledge(partner: AuthenticatedPartner, streamId: string, jtis: string[]): Promise<number> {
    if (jtis.length > MAX_ACKS) throw badInput(`jtis lists ${jtis.length} notices, more than the ${MAX_ACKS} one call may acknowledge`);
    const stream = await this.ledger.ownPollStream(partner, streamId);
    // A mutation, audited with its outcome in its own transaction like every other one.
    return this.db.transaction(async (tx) => {
      const acknowledged = await this.ledger.acknowledge(stream.id, jtis, tx);
      await this.audit.append(tx, { actor: partner.id, action: AuditAction.NoticesAcknowledge, target: stream.id, details: { outcome: 'ok', requested: jtis.length, acknowledged }, concerns: [partner.id] });
      return acknowledged;
    });
  }

  /** Errors the receiver reported with `setErrs` on its own stream, newest first. */
  async notificationErrors(partner: AuthenticatedPartner, streamId: string, first?: number | null, after?: string | null): Promise<NotificationErrorConnection> {
    const size = pageSize(first);
    const cursor = decodeTimeCursor(after);
    const stream = await this.ledger.ownPollStream(partner, streamId);
    const params: unknown[] = [stream.id, size + 1];
    let where = '';
    if (cursor) {
      params.push(cursor.at, cursor.id);
      where = `AND (date_trunc('milliseconds', created_at), id) < ($3::timestamptz, $4::uuid)`;
    }
    const rows = (await this.db.query(
      `SELECT id, event_type, set_err_code, set_err_description, created_at, acked_at FROM delivery
        WHERE stream_id = $1 AND set_err_code IS NOT NULL ${where}
        ORDER BY date_trunc('milliseconds', created_at) DESC, id DESC LIMIT $2`,
      params,
    )) as Array<{ id: string; event_type: string; set_err_code: string; set_err_description: string | null; created_at: Date; acked_at: Date | null }>;
    return pageOf(
      rows,
      size,
      (r) => encodeTimeCursor(r.created_at, r.id),
      (r) => ({ jti: r.id, eventType: r.event_type, err: r.set_err_code, description: r.set_err_description, createdAt: r.created_at, reportedAt: r.acked_at }),
    );
  }
}

/**
 * An async iterator rather than an async generator: `return()` (the client unsubscribed or the
 * socket closed) must end a wait in progress at once, and a generator would only see it at its
 * next `yield`.
 */
class NoticeIterator implements AsyncIterableIterator<{ notices: NoticeType }> {
  private readonly stop = new AbortController();
  private readonly ready: SignedNotice[] = [];
  /** Sent on this subscription and still pending when last read: not sent again. */
  private sent = new Set<string>();

  constructor(
    private readonly ledger: NoticeLedger,
    private readonly limiter: RateLimiterService,
    private readonly partner: AuthenticatedPartner,
    private readonly stream: SsfStream,
    private readonly watch: StreamWatch,
  ) {}

  [Symbol.asyncIterator]() {
    return this;
  }

  async next(): Promise<IteratorResult<{ notices: NoticeType }>> {
    while (!this.ready.length) {
      if (this.stop.signal.aborted) return this.finish();
      const fresh = await this.read();
      if (fresh.length) {
        // Each notice sent draws 1 on the partner's budget; when it is spent, wait rather than drop.
        const decision = await this.limiter.consume(this.partner.id, this.partner.kind, fresh.length);
        if (!decision.allowed) {
          for (const n of fresh) this.sent.delete(n.id);
          // Sleep out the minute (a notice arriving meanwhile stays marked on the watch).
          await sleep(decision.retryAfterSeconds * 1000, this.stop.signal);
          continue;
        }
        this.ready.push(...(await this.ledger.sign(this.stream, fresh, 'subscription')));
        continue;
      }
      await this.watch.next(IDLE_RECHECK_MS, this.stop.signal);
    }
    const n = this.ready.shift() as SignedNotice;
    return { done: false, value: { notices: noticeOf(n) } };
  }

  async return(): Promise<IteratorResult<{ notices: NoticeType }>> {
    this.stop.abort();
    return this.finish();
  }

  async throw(e?: unknown): Promise<IteratorResult<{ notices: NoticeType }>> {
    this.stop.abort();
    this.finish();
    throw e;
  }

  /** Pending notices not yet sent on this subscription; forgets sent ones no longer pending (acknowledged). */
  private async read() {
    const rows = await this.ledger.pending(this.stream.id, SUBSCRIPTION_WINDOW);
    const fresh = rows.filter((r) => !this.sent.has(r.id));
    this.sent = new Set(rows.map((r) => r.id));
    return fresh;
  }

  private finish(): IteratorResult<{ notices: NoticeType }> {
    this.watch.close();
    this.ready.length = 0;
    return { done: true, value: undefined };
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function noticeOf(n: SignedNotice): NoticeType {
  const sub = n.payload.sub_id as { id?: unknown } | undefined;
  return {
    jti: n.id,
    set: n.token,
    eventType: n.eventType,
    subject: typeof sub?.id === 'string' ? sub.id : null,
    txn: typeof n.payload.txn === 'string' ? n.payload.txn : null,
    createdAt: n.createdAt,
  };
}
