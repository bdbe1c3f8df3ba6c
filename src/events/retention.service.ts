import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditAction, SYSTEM_ACTOR } from '../audit/audit.actions';
import { AuditService } from '../audit/audit.service';
import { APP_CONFIG, AppConfig } from '../config/config';

/**
 * Purges events older than expires_at + RETENTION_DAYS, except those under a legal hold.
 * Each purge is audited with counts, never with contents.
 */
@Injectable()
export class RetentionService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Retention');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly db: DataSource,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    if (this.config.retentionIntervalSeconds === 0) return;
    this.timer = setInterval(() => {
      this.purge().catch((e: Error) => this.logger.error(`retention purge failed: ${e.message}`));
    }, this.config.retentionIntervalSeconds * 1000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async purge(now = new Date()): Promise<{ purged: number; byType: Record<string, number> }> {
    const cutoff = new Date(now.getTime() - this.config.retentionDays * 86_400_000);
    return this.db.transaction(async (tx) => {
      const rows = (await tx.query(
        `DELETE FROM event WHERE expires_at < $1 AND NOT legal_hold RETURNING type`,
        [cutoff],
      )) as [Array<{ type: string }>, number] | Array<{ type: string }>;
      const deleted = Array.isArray(rows[0]) ? (rows[0] as Array<{ type: string }>) : (rows as Array<{ type: string }>);
      const byType: Record<string, number> = {};
      for (const r of deleted) byType[r.type] = (byType[r.type] ?? 0) + 1;
      if (deleted.length) {
        await this.audit.append(tx, {
          actor: SYSTEM_ACTOR,
          action: AuditAction.EventsPurge,
          details: { outcome: 'ok', purged: deleted.length, byType, expiredBefore: cutoff.toISOString(), retentionDays: this.config.retentionDays },
        });
        this.logger.log(`purged ${deleted.length} events that expired before ${cutoff.toISOString()}`);
      }
      return { purged: deleted.length, byType };
    });
  }
}
