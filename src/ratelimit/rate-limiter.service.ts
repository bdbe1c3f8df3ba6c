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
 * in Redis when REDIS_URL is set, otherwise in PostgreSQL (one UPSERT per request).
 */
@Injectable()
export class RateLimiterService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimit');
  private redis?: Redis;
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    if (this.config.redisUrl) {
      this.redis = new Redis(this.config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2, enableOfflineQueue: true });
      this.redis.on('error', (e: Error) => this.logger.warn(`redis: ${e.message}`));
    } else {
      // Old windows are useless after a minute; sweep them now and then.
      this.sweeper = setInterval(() => {
        this.db.query(`DELETE FROM rate_limit_window WHERE window_start < now() - interval '10 minutes'`).catch(() => undefined);
      }, 60_000);
      this.sweeper.unref();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    await this.redis?.quit().catch(() => undefined);
  }

  get backend(): 'redis' | 'postgres' {
    return this.redis ? 'redis' : 'postgres';
  }

  /** Charges `cost` to the partner's current minute and says whether it stays within budget. */
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
      const [row] = (await this.db.query(
        `INSERT INTO rate_limit_window (partner_id, window_start, cost) VALUES ($1, $2, $3)
         ON CONFLICT (partner_id, window_start) DO UPDATE SET cost = rate_limit_window.cost + EXCLUDED.cost RETURNING cost`,
        [partnerId, new Date(windowStart), cost],
      )) as Array<{ cost: string | number }>;
      spent = Number(row.cost);
    }
    return { allowed: spent <= budget, spent, budget, retryAfterSeconds };
  }
}
