import { Inject, Injectable } from '@nestjs/common';
import type { AuthenticatedPartner } from '../../auth/authenticated-partner';
import { AppError, ErrorCode } from '../../common/errors';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { budgetSpentMessage } from '../../ratelimit/budget';
import { RateLimiterService } from '../../ratelimit/rate-limiter.service';
import { DeliveryWaker } from '../wakeup/delivery-waker';
import { NoticeLedger } from './notice-ledger';
import { readPollRequest } from './poll-request';

/** The answer of RFC 8936 section 2.5: `sets` by jti, and whether more are waiting. */
export interface PollResponse {
  sets: Record<string, string>;
  moreAvailable: boolean;
}

/**
 * RFC 8936 poll: acknowledgements and reported errors first, then the oldest PENDING SETs of the
 * stream. A returned SET stays PENDING until acknowledged, so it comes again on the next poll
 * (at-least-once); an acknowledged one never comes again. With nothing pending and
 * `returnImmediately` false, the request waits for a notice (LISTEN/NOTIFY, no busy loop) up to
 * POLL_MAX_WAIT_MS and then answers empty. If the client leaves meanwhile, it stops waiting; no row
 * changed, so nothing is lost.
 */
@Injectable()
export class PollService {
  constructor(
    private readonly ledger: NoticeLedger,
    private readonly waker: DeliveryWaker,
    private readonly limiter: RateLimiterService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Answers null when the client left before there was anything to say. */
  async poll(partner: AuthenticatedPartner, streamId: string, body: unknown, gone: AbortSignal): Promise<PollResponse | null> {
    const request = readPollRequest(body, this.config.pollMaxEvents);
    const stream = await this.ledger.ownPollStream(partner, streamId);
    // Like a GraphQL list of maxEvents items: 1 for the call and 1 per SET it may return.
    const decision = await this.limiter.consume(partner.id, partner.kind, 1 + request.maxEvents);
    if (!decision.allowed) throw new AppError(ErrorCode.RATE_LIMITED, budgetSpentMessage(decision), { retryAfter: decision.retryAfterSeconds, budget: decision.budget });

    if (request.ack.length) await this.ledger.acknowledge(stream.id, request.ack);
    if (request.setErrs.size) await this.ledger.recordErrors(stream.id, request.setErrs);
    if (request.maxEvents === 0) return { sets: {}, moreAvailable: await this.ledger.hasPending(stream.id) };

    const longPoll = !request.returnImmediately && this.config.pollMaxWaitMs > 0;
    // Opened before the first read, so a notice committed between the read and the wait is not missed.
    const watch = longPoll ? this.waker.watch(stream.id, partner.id) : null;
    try {
      const deadline = Date.now() + this.config.pollMaxWaitMs;
      let lastRead = !watch;
      for (;;) {
        const rows = await this.ledger.pending(stream.id, request.maxEvents + 1);
        if (rows.length || lastRead) {
          const signed = await this.ledger.sign(stream, rows.slice(0, request.maxEvents), 'poll');
          return { sets: Object.fromEntries(signed.map((n) => [n.id, n.token])), moreAvailable: rows.length > request.maxEvents };
        }
        // The wait is over: one last read (covers a notice sent while the listening connection was down).
        const woke = await (watch as NonNullable<typeof watch>).next(deadline - Date.now(), gone);
        if (woke === 'aborted') return null;
        if (woke === 'timeout') lastRead = true;
      }
    } finally {
      watch?.close();
    }
  }
}
