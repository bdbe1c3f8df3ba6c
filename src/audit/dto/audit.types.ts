import { Field, InputType, Int, ObjectType } from '@nestjs/graphql';
import { PageInfo } from '../../common/pagination';

@ObjectType('AuditEntry', { description: 'One entry of the tamper-evident audit log.' })
export class AuditEntryType {
  @Field(() => Int, { description: 'Position in the chain: gapless, from 1.' })
  seq: number;

  @Field({ description: 'When the action happened (millisecond precision, as hashed).' })
  at: Date;

  @Field({ description: 'The partner id that acted, or `system`.' })
  actor: string;

  @Field({ description: 'Dotted action name, e.g. `key.revoke`.' })
  action: string;

  @Field(() => String, { nullable: true, description: 'What the action was about (a partner id, an event id, ...).' })
  target: string | null;

  @Field({ description: "JSON text of the entry's details. In `myAuditTrail`, parts about other partners are removed." })
  details: string;

  @Field({ description: 'Hash of the previous entry (64 zeros for the first).' })
  prevHash: string;

  @Field({ description: 'SHA-256 over prevHash and the canonical entry (see the README).' })
  hash: string;
}

@ObjectType({ description: 'One audit entry in a page.' })
export class AuditEntryEdge {
  @Field({ description: 'Opaque cursor of this entry.' })
  cursor: string;

  @Field(() => AuditEntryType, { description: 'The entry.' })
  node: AuditEntryType;
}

@ObjectType({ description: 'A page of audit entries, newest first.' })
export class AuditEntryConnection {
  @Field(() => [AuditEntryEdge], { description: 'The entries of this page.' })
  edges: AuditEntryEdge[];

  @Field(() => PageInfo, { description: 'Where this page ends and whether more follow.' })
  pageInfo: PageInfo;
}

@InputType({ description: 'Narrows an audit listing; every field is optional and they combine with AND.' })
export class AuditLogFilter {
  @Field(() => String, { nullable: true, description: 'Only entries by this actor (partner id or `system`).' })
  actor?: string | null;

  @Field(() => String, { nullable: true, description: 'Only this action, e.g. `key.revoke`.' })
  action?: string | null;

  @Field(() => String, { nullable: true, description: 'Only entries about this target.' })
  target?: string | null;

  @Field(() => Date, { nullable: true, description: 'Only entries at or after this instant.' })
  since?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Only entries before this instant.' })
  until?: Date | null;
}

@ObjectType('AuditCheckpoint', { description: 'A gateway-signed statement that the chain up to `seq` hashes to `hash`. Keep it: it proves later that history was not rewritten.' })
export class AuditCheckpointType {
  @Field(() => Int, { description: 'Last entry covered.' })
  seq: number;

  @Field({ description: 'Hash of entry `seq`.' })
  hash: string;

  @Field({ description: 'When it was signed.' })
  at: Date;

  @Field({ description: 'Compact JWS (EdDSA, typ `audit-checkpoint+jwt`) over {seq, hash, at}; verify it with /.well-known/jwks.json.' })
  jws: string;
}

@ObjectType('AuditVerification', { description: 'Outcome of checking the chain.' })
export class AuditVerificationType {
  @Field({ description: 'True when every checked entry is intact.' })
  ok: boolean;

  @Field(() => Int, { description: 'How many entries were checked before the result.' })
  checkedEntries: number;

  @Field(() => Int, { nullable: true, description: 'The first entry that is altered, missing or out of order.' })
  firstBadSeq: number | null;

  @Field(() => String, { nullable: true, description: 'Why that entry is bad.' })
  reason: string | null;
}
