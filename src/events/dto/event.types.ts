import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { PageInfo } from '../../common/pagination';
import { EventStatus, StoredEventType } from '../event.entity';
import { PublishStatus } from '../events.ingest.service';

registerEnumType(StoredEventType, { name: 'EventType', description: 'The kind of event (the token profile\'s event types).' });
registerEnumType(EventStatus, { name: 'EventStatus', description: 'ACTIVE, or RETRACTED / LIFTED by a later event of the same issuer.' });
registerEnumType(PublishStatus, { name: 'PublishStatus', description: 'What happened to one token of a publishEvents batch.' });

@ObjectType('PublishResult', { description: 'The outcome of one token, in the order the tokens were sent.' })
export class PublishResultType {
  @Field(() => Int, { description: 'Position of the token in the batch, from 0.' })
  index: number;

  @Field(() => String, { nullable: true, description: 'The token\'s jti, when it could be read.' })
  jti: string | null;

  @Field(() => PublishStatus, { description: 'ACCEPTED (stored now), DUPLICATE (stored before, byte-identical), REJECTED, or IGNORED (an SSF control event or a standard event with no mapping: audited, not stored).' })
  status: PublishStatus;

  @Field(() => ID, { nullable: true, description: 'The stored event (the original one for a DUPLICATE).' })
  eventId: string | null;

  @Field(() => String, { nullable: true, description: 'For REJECTED: invalid_request, invalid_key, invalid_issuer, invalid_audience or access_denied (RFC 8935).' })
  code: string | null;

  @Field(() => String, { nullable: true, description: 'For REJECTED: what is wrong, in words.' })
  description: string | null;
}

@ObjectType('Event', { description: 'A stored event with its original signed token.' })
export class EventType {
  @Field(() => ID, { description: 'Gateway id of the event.' })
  id: string;

  @Field({ description: 'Partner id of the publisher (the token\'s iss).' })
  issuer: string;

  @Field({ description: 'The publisher\'s unique id of the token.' })
  jti: string;

  @Field({ description: 'Pseudonymous account identifier (sub_id.id).' })
  subject: string;

  @Field(() => StoredEventType, { description: 'Kind of event.' })
  type: StoredEventType;

  @Field(() => String, { nullable: true, description: 'Risk-signal category.' })
  category: string | null;

  @Field(() => String, { nullable: true, description: 'Account-flag action: warn, restrict, freeze or close.' })
  action: string | null;

  @Field(() => Float, { nullable: true, description: 'Risk-signal score in [0, 1].' })
  score: number | null;

  @Field(() => Float, { nullable: true, description: 'Risk-signal confidence in [0, 1].' })
  confidence: number | null;

  @Field(() => [String], { nullable: true, description: 'Reason codes.' })
  reasonCodes: string[] | null;

  @Field(() => String, { nullable: true, description: 'issuer_only, granted or consortium.' })
  distribution: string | null;

  @Field(() => Date, { nullable: true, description: 'When the publisher observed the behaviour.' })
  observedAt: Date | null;

  @Field({ description: 'The token\'s iat.' })
  issuedAt: Date;

  @Field(() => Date, { nullable: true, description: 'When an account flag takes effect.' })
  effectiveAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the event stops counting.' })
  expiresAt: Date | null;

  @Field(() => String, { nullable: true, description: 'Evidence as JSON text.' })
  evidence: string | null;

  @Field(() => String, { nullable: true, description: 'Groups events of one root cause.' })
  txn: string | null;

  @Field(() => String, { nullable: true, description: 'For retractions and lifts: the jti acted on.' })
  targetJti: string | null;

  @Field(() => String, { nullable: true, description: 'Type-specific details as JSON text (retraction reason, legal request fields).' })
  details: string | null;

  @Field(() => String, { nullable: true, description: 'The original compact token, byte for byte: re-verify it with the issuer\'s key. Null when withheld (see redactedFields).' })
  token: string | null;

  @Field({ description: 'When the gateway stored it.' })
  receivedAt: Date;

  @Field(() => EventStatus, { description: 'ACTIVE, RETRACTED or LIFTED.' })
  status: EventStatus;

  @Field(() => Date, { nullable: true, description: 'When the status changed.' })
  statusChangedAt: Date | null;

  @Field(() => ID, { nullable: true, description: 'The retraction or flag-lifted event that changed the status (its issuer is this event\'s issuer).' })
  statusChangedBy: string | null;

  @Field(() => [String], { description: 'Fields withheld from you (evidence, token, reasonCodes): you are neither the issuer nor a grantee with includeEvidence.' })
  redactedFields: string[];
}

@ObjectType({ description: 'One event in a page.' })
export class EventEdge {
  @Field({ description: 'Opaque cursor.' })
  cursor: string;

  @Field(() => EventType, { description: 'The event.' })
  node: EventType;
}

@ObjectType({ description: 'A page of events, newest first.' })
export class EventConnection {
  @Field(() => [EventEdge], { description: 'The events of this page.' })
  edges: EventEdge[];

  @Field(() => PageInfo, { description: 'Where this page ends and whether more follow.' })
  pageInfo: PageInfo;
}

@InputType({ description: 'Narrows myEvents; fields combine with AND.' })
export class MyEventsFilter {
  @Field(() => String, { nullable: true, description: 'Only this subject.' })
  subject?: string | null;

  @Field(() => StoredEventType, { nullable: true, description: 'Only this kind of event.' })
  type?: StoredEventType | null;

  @Field(() => String, { nullable: true, description: 'Only this risk-signal category.' })
  category?: string | null;

  @Field(() => EventStatus, { nullable: true, description: 'Only this status.' })
  status?: EventStatus | null;

  @Field(() => Date, { nullable: true, description: 'Only events received at or after this instant.' })
  since?: Date | null;
}
