import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config';
import { AuditService } from './audit.service';

/** Signs a checkpoint every AUDIT_CHECKPOINT_SECONDS when there are new entries (any replica may; the lock makes one win). */
@Injectable()
export class AuditCheckpointScheduler implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('AuditCheckpoints');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    if (this.config.auditCheckpointSeconds === 0) return;
    this.timer = setInterval(() => {
      this.audit.checkpointNow().catch((e: Error) => this.logger.error(`checkpoint failed: ${e.message}`));
    }, this.config.auditCheckpointSeconds * 1000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}
