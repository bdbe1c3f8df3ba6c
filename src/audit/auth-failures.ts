import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AuditAction, SYSTEM_ACTOR } from './audit.actions';
import { AuditService } from './audit.service';

const MAX_BUCKETS = 1000;
export const UNKNOWN_PARTNER = 'unknown';

/**
 * Authentication failures, aggregated per partner and minute: one audit entry per partner per
 * minute (per replica), whatever the flood. Failures naming no registered partner share one bucket.
 */
@Injectable()
export class AuthFailureRecorder implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('AuthFailures');
  private buckets = new Map<string, { partner: string; minute: string; count: number; rules: Record<string, number> }>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly audit: AuditService) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(false), 15_000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush(true);
  }

  note(partnerId: string | undefined, rule: string, now = new Date()): void {
    const minute = now.toISOString().slice(0, 16) + 'Z';
    let partner = partnerId ?? UNKNOWN_PARTNER;
    if (!this.buckets.has(`${partner}|${minute}`) && this.buckets.size >= MAX_BUCKETS) partner = UNKNOWN_PARTNER;
    const key = `${partner}|${minute}`;
    const bucket = this.buckets.get(key) ?? { partner, minute, count: 0, rules: {} };
    bucket.count++;
    bucket.rules[rule] = (bucket.rules[rule] ?? 0) + 1;
    this.buckets.set(key, bucket);
  }

  /** Writes the buckets of finished minutes (all of them when `all`). */
  async flush(all: boolean, now = new Date()): Promise<number> {
    const current = now.toISOString().slice(0, 16) + 'Z';
    const done = [...this.buckets.entries()].filter(([, b]) => all || b.minute < current);
    for (const [key, b] of done) {
      this.buckets.delete(key);
      try {
        await this.audit.record({
          actor: SYSTEM_ACTOR,
          action: AuditAction.AuthFailure,
          target: b.partner,
          details: { minute: b.minute, count: b.count, rules: b.rules },
          concerns: b.partner === UNKNOWN_PARTNER ? [] : [b.partner],
        });
      } catch (e) {
        this.logger.error(`could not record ${b.count} authentication failures: ${(e as Error).message}`);
      }
    }
    return done.length;
  }
}
