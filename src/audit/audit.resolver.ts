import { Args, Context, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { AuthenticatedPartner } from '../auth/authenticated-partner';
import { CurrentPartner, Permissions } from '../auth/decorators';
import { Permission } from '../auth/permissions';
import { badInput } from '../common/errors';
import { AuditQueryService } from './audit-query.service';
import { AuditService } from './audit.service';
import { CheckpointVerificationService } from './checkpoint-verification.service';
import { PartnerKind } from '../partners/partner.enums';
import { AuditCheckpointType, AuditEntryConnection, AuditLogFilter, AuditVerificationType } from './dto/audit.types';

const MAX_CHECKPOINT_TEXT = 4096;

@Resolver()
export class AuditResolver {
  constructor(
    private readonly audit: AuditService,
    private readonly queries: AuditQueryService,
    private readonly checkpoints: CheckpointVerificationService,
  ) {}

  @Query(() => AuditEntryConnection, { description: 'The audit log, newest first, filtered (operator only).' })
  @Permissions(Permission.ReadAuditLog)
  auditLog(
    @Args('filter', { type: () => AuditLogFilter, nullable: true }) filter?: AuditLogFilter,
    @Args('first', { type: () => Int, nullable: true, description: 'Page size, 1..100 (default 20).' }) first?: number,
    @Args('after', { type: () => String, nullable: true, description: 'Cursor of the last entry of the previous page.' }) after?: string,
  ): Promise<AuditEntryConnection> {
    return this.queries.list(filter, first, after);
  }

  @Query(() => AuditEntryConnection, { description: "Access transparency: audit entries about the caller's own data (who changed or read it), newest first." })
  @Permissions(Permission.ReadOwnAuditTrail)
  myAuditTrail(
    @CurrentPartner() caller: AuthenticatedPartner,
    @Args('filter', { type: () => AuditLogFilter, nullable: true }) filter?: AuditLogFilter,
    @Args('first', { type: () => Int, nullable: true, description: 'Page size, 1..100 (default 20).' }) first?: number,
    @Args('after', { type: () => String, nullable: true, description: 'Cursor of the last entry of the previous page.' }) after?: string,
  ): Promise<AuditEntryConnection> {
    return this.queries.list(filter, first, after, caller.id);
  }

  @Query(() => AuditCheckpointType, { nullable: true, description: 'The latest signed checkpoint; keep it to check the log later with verifyAuditCheckpoint.' })
  @Permissions(Permission.ReadAuditCheckpoint)
  latestAuditCheckpoint(): Promise<AuditCheckpointType | null> {
    return this.audit.latestCheckpoint();
  }

  @Query(() => AuditVerificationType, { description: 'Checks the chain from fromSeq to toSeq (default: all of it) and every stored checkpoint in range (operator only).' })
  @Permissions(Permission.VerifyAuditLog)
  async verifyAudit(
    @Args('fromSeq', { type: () => Int, nullable: true }) fromSeq?: number,
    @Args('toSeq', { type: () => Int, nullable: true }) toSeq?: number,
  ): Promise<AuditVerificationType> {
    try {
      return await this.audit.verify(fromSeq ?? undefined, toSeq ?? undefined);
    } catch (e) {
      if (e instanceof RangeError) throw badInput(e.message);
      throw e;
    }
  }

  @Query(() => AuditVerificationType, {
    description:
      'Checks a checkpoint you kept: that the gateway signed it, and that the chain still produces its hash at its seq. For partners it costs what is new since the gateway last verified the chain (see the README for what it proves); the operator checks from entry 1.',
  })
  @Permissions(Permission.ReadAuditCheckpoint)
  verifyAuditCheckpoint(
    @CurrentPartner() caller: AuthenticatedPartner,
    @Args('checkpoint', { description: 'The checkpoint JWS.' }) checkpoint: string,
    @Context() context: { reply?: { header(name: string, value: string): unknown } },
  ): Promise<AuditVerificationType> {
    if (checkpoint.length > MAX_CHECKPOINT_TEXT) throw badInput(`checkpoint must be at most ${MAX_CHECKPOINT_TEXT} characters`);
    if (caller.kind === PartnerKind.OPERATOR) return this.audit.verifyCheckpoint(checkpoint);
    return this.checkpoints.verify(checkpoint, (s) => context.reply?.header('retry-after', String(s)));
  }

  @Mutation(() => AuditCheckpointType, { description: 'Signs a checkpoint of the log now (operator only).' })
  @Permissions(Permission.CreateAuditCheckpoint)
  async createAuditCheckpoint(@CurrentPartner() caller: AuthenticatedPartner): Promise<AuditCheckpointType> {
    return (await this.audit.checkpointNow(caller.id, true)) as AuditCheckpointType;
  }
}
