import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditService } from '../../audit/audit.service';
import { GroupRunner } from '../../common/group-runner';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { MetricsService } from '../../observability/metrics';
import { NoticeSigner } from '../notice-signer';
import { OutboundRefused } from './address-policy';
import { Outbound } from './outbound';
import { clip, outcomeOf, PushOutcome, retryDelayMs } from './push-outcome';
import { ClaimedDelivery, claimDue, countStreamFailure, markAcked, markFailed, PushTarget, streamHasRoom, targetsOf } from './push-store';
import { StreamStatus } from '../stream.entity';
import { StreamsService } from '../streams/streams.service';
import { DeliveryWaker } from '../wakeup/delivery-waker';

/**
 * RFC 8935 push: sends the due deliveries of enabled push streams from the outbox, at least once.
 * Runs in every replica (unless PUSH_WORKER=false); replicas share the work through the claim in
 * push-store.ts. It wakes on NOTIFY rx_delivery (a notice committed on any replica), on a local
 * wake-up (a replay), and every PUSH_SCAN_INTERVAL_MS for retries that came due.
 */
@Injectable()
export class PushWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('PushWorker');
  private readonly outbound: Outbound;
  private running = false;
  private inflight = new Set<Promise<void>>();
  /** Sends in flight per stream (at most PUSH_STREAM_CONCURRENCY each). */
  private readonly busy = new Map<string, number>();
  private pumping: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private unlisten: (() => void) | null = null;
  /** Acknowledgements arriving together are written together (group commit). */
  private readonly acks = new GroupRunner<{ id: string; note: string | null }, boolean>(async (items) => {
    const fresh = await markAcked(this.db.manager, items);
    return items.map((i) => fresh.has(i.id));
  });

  constructor(
    private readonly db: DataSource,
    private readonly signer: NoticeSigner,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly streams: StreamsService,
    private readonly waker: DeliveryWaker,
  ) {
    this.outbound = new Outbound({ allowInsecure: config.push.allowInsecure, allowedPrivateCidrs: config.push.allowedPrivateCidrs }, config.push.timeoutMs, config.push.concurrency);
  }

  onApplicationBootstrap(): void {
    if (!this.config.push.worker) return;
    this.running = true;
    this.timer = setInterval(() => this.wake(), this.config.push.scanIntervalMs);
    this.timer.unref();
    // Every replica's LISTEN rx_delivery (or PGlite's listen) wakes the worker at once.
    this.unlisten = this.waker.onNotice(() => this.wake());
    this.wake();
  }

  /** Stops claiming and waits for the sends in flight (each ends within PUSH_TIMEOUT_MS), so their outcomes are written. */
  async onModuleDestroy(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.unlisten?.();
    await this.pumping;
    await Promise.allSettled([...this.inflight]);
    await this.outbound.close();
  }

  /** Looks for due deliveries now (coalesced: a wake-up during a scan makes one more scan). */
  wake(): void {
    if (!this.running) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump()
      .catch((e) => this.logger.warn(`push scan failed: ${(e as Error).message}`))
      .finally(() => {
        this.pumping = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Free slots a claim waits for (claims come in batches, not one row per finished send). */
  private get claimBatch(): number {
    return Math.ceil(this.config.push.concurrency / 4);
  }

  private async pump(): Promise<void> {
    const push = this.config.push;
    while (this.running) {
      const room = push.concurrency - this.inflight.size;
      if (room <= 0 || (this.inflight.size > 0 && room < this.claimBatch)) return;
      const claimed = await claimDue(this.db.manager, room, push.leaseMs, push.streamConcurrency, this.busy);
      if (!claimed.length) return;
      const targets = await targetsOf(this.db.manager, [...new Set(claimed.map((c) => c.streamId))]);
      const tokens = await this.tokensOf(claimed, targets);
      for (const c of claimed) {
        this.busy.set(c.streamId, (this.busy.get(c.streamId) ?? 0) + 1);
        const p: Promise<void> = this.deliver(c, targets.get(c.streamId), tokens.get(c.id))
          .catch((e) => this.logger.warn(`push of ${c.id} failed to record: ${(e as Error).message}`))
          .finally(() => {
            this.inflight.delete(p);
            const left = (this.busy.get(c.streamId) ?? 1) - 1;
            if (left > 0) this.busy.set(c.streamId, left);
            else this.busy.delete(c.streamId);
            // Claim again only when a claim can bring a batch: this stream just got room back,
            // or the process did (otherwise every finished send would cost a claim query).
            const streamReopened = streamHasRoom(left, push.streamConcurrency) && !streamHasRoom(left + 1, push.streamConcurrency);
            if (streamReopened || push.concurrency - this.inflight.size === this.claimBatch || this.inflight.size === 0) this.wake();
          });
        this.inflight.add(p);
      }
    }
  }

  /** The SETs, signed once per delivery (NoticeSigner), by algorithm: a stream whose algorithm cannot sign fails alone, as a failed attempt. */
  private async tokensOf(claimed: ClaimedDelivery[], targets: Map<string, PushTarget>): Promise<Map<string, string | Error>> {
    const byAlg = new Map<string, ClaimedDelivery[]>();
    for (const c of claimed) {
      const alg = targets.get(c.streamId)?.signingAlg ?? 'EdDSA';
      byAlg.set(alg, [...(byAlg.get(alg) ?? []), c]);
    }
    const out = new Map<string, string | Error>();
    for (const [alg, group] of byAlg) {
      try {
        const tokens = await this.signer.tokensOf(this.db.manager, group.map((c) => ({ id: c.id, token: c.token, payload: c.payload, alg })));
        for (const [id, token] of tokens) out.set(id, token);
      } catch (e) {
        for (const c of group) out.set(c.id, new Error(`the gateway could not sign the SET with ${alg}: ${(e as Error).message}`));
      }
    }
    return out;
  }

  private async deliver(c: ClaimedDelivery, target: PushTarget | undefined, token: string | Error | undefined): Promise<void> {
    // No token and no error: the signer withdrew the notice (its event was purged before it was ever
    // sent; NoticeSigner deletes such a row). Nothing was attempted, so nothing counts against the stream.
    if (token === undefined && target) return;
    let outcome: PushOutcome;
    if (!target?.endpointUrl || !token || token instanceof Error) {
      const error = token instanceof Error ? token.message : !target ? 'the stream is gone' : !target.endpointUrl ? 'the stream has no endpoint_url' : 'the SET was not signed';
      outcome = { kind: 'retry', error: clip(error), retryAfterMs: null };
    } else {
      try {
        const answer = await this.outbound.postSet(target.endpointUrl, token, target.authorizationHeader);
        outcome = outcomeOf(answer.status, answer.retryAfter, answer.body);
      } catch (e) {
        outcome = { kind: 'retry', error: clip(e instanceof OutboundRefused ? e.message : (e as Error).message), retryAfterMs: null };
      }
    }
    await this.record(c, target, outcome);
  }

  private async record(c: ClaimedDelivery, target: PushTarget | undefined, outcome: PushOutcome): Promise<void> {
    const push = this.config.push;
    if (outcome.kind === 'acked') {
      if (await this.acks.submit({ id: c.id, note: outcome.note })) {
        this.metrics.deliveryLatency.observe({ method: 'push' }, Math.max(0, Date.now() - c.createdAt.getTime()) / 1000);
      }
      return;
    }
    const dead = outcome.kind === 'rejected' || c.attempts >= push.maxAttempts;
    const error = outcome.kind === 'retry' && dead ? clip(`${outcome.error} (gave up after ${c.attempts} attempts)`) : outcome.error;
    const delay = outcome.kind === 'retry' ? retryDelayMs(c.attempts, push.baseDelayMs, push.maxDelayMs, outcome.retryAfterMs) : 0;
    await markFailed(this.db.manager, c.id, error, dead, delay);
    const run = await countStreamFailure(this.db.manager, c.streamId);
    if (run >= push.pauseAfterFailures) {
      const where = target?.endpointUrl ? safeOrigin(target.endpointUrl) : 'the receiver';
      const reason = clip(`paused by the gateway: ${run} push attempts to ${where} failed in a row; last: ${outcome.error}`, 512);
      // The gateway's status change: held notices, a stream-updated event to the receiver, audited.
      const status = await this.streams.setStatusByGateway(c.streamId, StreamStatus.PAUSED, reason).catch((e: Error) => this.logger.warn(`pausing stream ${c.streamId} failed: ${e.message}`));
      if (status) this.logger.warn(`stream ${c.streamId} ${reason}`);
    }
  }
}

/** Scheme, host and port only: the path or query of a receiver URL may carry a secret. */
function safeOrigin(raw: string): string {
  try {
    return new URL(raw).origin;
  } catch {
    return 'the receiver';
  }
}
