import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Client } from 'pg';
import { Gauge } from 'prom-client';
import { getPGliteInstance } from 'typeorm-pglite';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { MetricsService } from '../../observability/metrics';
import { DELIVERY_CHANNEL } from '../outbox';
import { StreamWatch, Watchers, WakeReason } from './watchers';

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5000;

export type NoticeListener = (streamId: string) => void;

/**
 * Wake-ups across replicas: one dedicated connection per process LISTENs on `rx_delivery`
 * (`enqueueNotices` NOTIFYs with the stream id in the publishing transaction, so the notice is
 * heard on every replica once it commits, never for a rollback). Long polls, subscriptions and
 * the push worker wait here instead of polling the table.
 *
 * When the listening connection drops (the database restarted, the network hiccuped) it
 * reconnects with capped exponential backoff and jitter, and then wakes every waiter once:
 * notices sent while nobody listened are found by the waiters' next read of the ledger.
 * On the embedded default (PGlite, one process) PGlite's own `listen` is used.
 */
@Injectable()
export class DeliveryWaker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('DeliveryWaker');
  private readonly watchers: Watchers;
  private readonly listeners = new Set<NoticeListener>();
  private client: Client | null = null;
  private unlistenPglite: (() => Promise<void>) | null = null;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private listeningNow = false;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig, metrics: MetricsService) {
    this.watchers = new Watchers({ perPartner: config.deliveryMaxWaitersPerPartner, total: config.deliveryMaxWaiters });
    const self = this;
    new Gauge({ name: 'rx_delivery_waiters', help: 'Long polls and subscriptions waiting for notices on this replica.', registers: [metrics.registry], collect() { this.set(self.waiting); } });
    new Gauge({ name: 'rx_delivery_listening', help: '1 while this replica hears delivery notices (LISTEN rx_delivery), 0 while it reconnects.', registers: [metrics.registry], collect() { this.set(self.listening ? 1 : 0); } });
  }

  /** Whether notices from other replicas are heard right now (false while reconnecting). */
  get listening(): boolean {
    return this.listeningNow;
  }

  /** Waiters open on this replica. */
  get waiting(): number {
    return this.watchers.size;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.databaseUrl) await this.connect();
    else {
      const pg = await getPGliteInstance();
      this.unlistenPglite = await pg.listen(DELIVERY_CHANNEL, (payload) => this.heard(payload));
      this.listeningNow = true;
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.listeningNow = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.watchers.notifyAll(); // waiters re-read and answer; their requests finish before the server closes
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
    await this.unlistenPglite?.().catch(() => undefined);
  }

  /**
   * Opens a watch on a stream for a partner, counted against DELIVERY_MAX_WAITERS_PER_PARTNER and
   * DELIVERY_MAX_WAITERS (throws OVERLOADED when full). Open it before reading the ledger, then
   * `next()` after a read that found nothing; `close()` it when done.
   */
  watch(streamId: string, partnerId: string): StreamWatch {
    return this.watchers.open(streamId, partnerId);
  }

  /** Waits once for a notice on the stream (a watch opened, awaited and closed). */
  async waitFor(streamId: string, timeoutMs: number, signal: AbortSignal | undefined, partnerId: string): Promise<WakeReason> {
    const w = this.watch(streamId, partnerId);
    try {
      return await w.next(timeoutMs, signal);
    } finally {
      w.close();
    }
  }

  /** Every notice heard (any stream), for workers that serve many streams (push); returns the unsubscribe. */
  onNotice(listener: NoticeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private heard(streamId: string): void {
    this.watchers.notify(streamId);
    for (const l of this.listeners) {
      try {
        l(streamId);
      } catch (e) {
        this.logger.error(`a notice listener failed: ${(e as Error).message}`);
      }
    }
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.config.databaseUrl, keepAlive: true, connectionTimeoutMillis: 5000, application_name: 'rx-delivery-listener' });
    // 'error' alone may not come on a clean server shutdown; 'end' always does.
    let lost = false;
    const onLost = (why: string) => {
      if (lost) return;
      lost = true;
      this.listeningNow = false;
      if (this.client === client) this.client = null;
      client.end().catch(() => undefined);
      if (!this.stopped) {
        this.logger.warn(`the LISTEN connection was lost (${why}); reconnecting`);
        this.scheduleReconnect();
      }
    };
    client.on('error', (e) => onLost(e.message));
    client.on('end', () => onLost('connection ended'));
    client.on('notification', (m) => {
      if (m.channel === DELIVERY_CHANNEL && m.payload) this.heard(m.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${DELIVERY_CHANNEL}`);
    } catch (e) {
      onLost((e as Error).message);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.listeningNow = true;
    const wasRetrying = this.retryMs !== FIRST_RETRY_MS;
    this.retryMs = FIRST_RETRY_MS;
    if (wasRetrying) {
      this.logger.log('listening for delivery notices again');
      this.watchers.notifyAll();
      for (const l of this.listeners) l('*');
    }
  }

  private scheduleReconnect(): void {
    if (this.retryTimer || this.stopped) return;
    const delay = Math.round(this.retryMs * (0.5 + Math.random() / 2));
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, delay);
    this.retryTimer.unref();
  }
}
