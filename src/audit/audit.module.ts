import { Global, Module } from '@nestjs/common';
import { AuditCheckpointScheduler } from './audit-checkpoint.scheduler';
import { AuditQueryService } from './audit-query.service';
import { AuditResolver } from './audit.resolver';
import { AuditService } from './audit.service';
import { AuthFailureRecorder } from './auth-failures';
import { CheckpointVerificationService } from './checkpoint-verification.service';

@Global()
@Module({
  providers: [AuditService, CheckpointVerificationService, AuditQueryService, AuditResolver, AuthFailureRecorder, AuditCheckpointScheduler],
  exports: [AuditService, AuthFailureRecorder],
})
export class AuditModule {}
