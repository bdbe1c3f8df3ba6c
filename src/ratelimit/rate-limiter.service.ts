import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/config';

export interface RateDecision {
  allowed: boolean;
  spent: number;
  budget: number;
  retryAfterSeconds: number;
}

/**
 * Per-partner query-cost budget per minute, by kind. The counters are shared by every replica:
 * in Redis when REDIS_URL is set, otherwise in PostgreSQL (pushed in batches, see consume).
 */
@Injectable()
export class RateLimiterService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimit');
  private redis?: Redis;
  private sweeper?: NodeJS.Timeout;
  private pusher?: NodeJS.Timeout;

  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    if (this.config.redisUrl) {
      this.redis = new Redis(this.config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2, enableOfflineQueue: true });
      this.redis.on('error', (e: Error) => this.logger.warn(`redis: ${e.message}`));
    } else {
      // Share local counters every 250 ms; sweep windows older than 10 minutes once a minute.
      this.pusher = setInterval(() => this.pushAll(), 250);
      this.pusher.unref();
      this.sweeper = setInterval(() => {
        this.db.query(`DELETE FROM rate_limit_window WHERE window_start < now() - interval '10 minutes'`).catch(() => undefined);
      }, 60_000);
      this.sweeper.unref();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    clearInterval(this.pusher);
    await this.redis?.quit().catch(() => undefined);
  }

  get backend(): 'redis' | 'postgres' {
    return this.redis ? 'redis' : 'postgres';
  }

  /**
   * Charges `cost` to the partner's current minute and says whether it stays within budget.
   * With PostgreSQL, charges accumulate in memory and are pushed (one UPSERT per partner) every
   * 250 ms, or at once when they reach 5 % of the budget or the budget looks spent, so the hot path
   * rarely waits for a write. Replicas see each other's spending within that delay.
   */
  async consume(partnerId: string, kind: string, cost: number, now = Date.now()): Promise<RateDecision> {
    const budget = this.config.rateLimitCostPerMinute[kind] ?? 0;
    const windowStart = Math.floor(now / 60_000) * 60_000;
    const retryAfterSeconds = Math.max(1, Math.ceil((windowStart + 60_000 - now) / 1000));
    let spent: number;
    if (this.redis) {
      const key = `rx:rl:${partnerId}:${windowStart}`;
      const [[, total]] = (await this.redis.multi().incrby(key, cost).expire(key, 120).exec()) as [[Error | null, number], unknown];
      spent = Number(total);
    } else {
      let c = this.local.get(partnerId);
      if (!c || c.windowStart !== windowStart) {
        c = { windowStart, unflushed: 0, shared: 0 };
        this.local.set(partnerId, c);
      }
      c.unflushed += cost;
      if (c.unflushed >= budget * 0.05 || c.shared + c.unflushed > budget) await this.push(partnerId, c);
      spent = c.shared + c.unflushed;
    }
    return { allowed: spent <= budget, spent, budget, retryAfterSeconds };
  }

  private readonly local = new Map<string, { windowStart: number; unflushed: number; shared: number }>();

  /** Adds a partner's unflushed cost to the shared counter and learns the total. */
  private async push(partnerId: string, c: { windowStart: number; unflushed: number; shared: number }): Promise<void> {
    const delta = c.unflushed;
    if (delta === 0) return;
    c.unflushed -= delta;
    try {
      const [row] = (await this.db.query(
        `INSERT INTO rate_limit_window (partner_id, window_start, cost) VALUES ($1, $2, $3)
         ON CONFLICT (partner_id, window_start) DO UPDATE SET cost = rate_limit_window.cost + EXCLUDED.cost RETURNING cost`,
        [partnerId, new Date(c.windowStart), delta],
      )) as Array<{ cost: string | number }>;
      c.shared = Math.max(c.shared, Number(row.cost));
    } catch (e) {
      c.unflushed += delta; // try again with the next push
      throw e;
    }
  }

  private pushAll(): void {
    const current = Math.floor(Date.now() / 60_000) * 60_000;
    for (const [partnerId, c] of this.local) {
      if (c.windowStart < current - 60_000) this.local.delete(partnerId);
      else if (c.unflushed > 0) this.push(partnerId, c).catch((e: Error) => this.logger.warn(`could not share rate-limit counters: ${e.message}`));
    }
  }
}
