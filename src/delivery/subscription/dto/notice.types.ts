import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { PageInfo } from '../../../common/pagination';

@ObjectType('Notice', { description: 'One notice of a poll stream, as the `notices` subscription sends it: the signed SET and, for convenience, what it says.' })
export class NoticeType {
  @Field(() => ID, { description: 'The SET `jti`: acknowledge it with `acknowledgeNotices`.' })
  jti: string;

  @Field({ description: 'The SET (compact JWS, `typ` secevent+jwt) signed by the gateway: verify it with the JWKS before acting on it.' })
  set: string;

  @Field({ description: 'The event type URI, the single member of the SET `events` claim.' })
  eventType: string;

  @Field(() => String, { nullable: true, description: 'The subject (`sub_id.id`): the account concerned, or the stream for SSF control events.' })
  subject: string | null;

  @Field(() => String, { nullable: true, description: 'The `txn` claim: the `jti` of the partner event that caused the notice, when there is one.' })
  txn: string | null;

  @Field({ description: 'When the notice was committed.' })
  createdAt: Date;
}

@ObjectType({ description: 'What `acknowledgeNotices` did.' })
export class AcknowledgeNoticesResult {
  @Field(() => Int, { description: 'Notices of the stream that were pending and are now acknowledged (unknown or already acknowledged jtis are ignored).' })
  acknowledged: number;
}

@ObjectType('NotificationError', { description: 'An error the receiver reported about a SET it was delivered (RFC 8936 `setErrs`).' })
export class NotificationErrorType {
  @Field(() => ID, { description: 'The SET `jti`.' })
  jti: string;

  @Field({ description: 'The event type URI of the SET.' })
  eventType: string;

  @Field({ description: 'The error code the receiver gave (`err`).' })
  err: string;

  @Field(() => String, { nullable: true, description: 'The description the receiver gave.' })
  description: string | null;

  @Field({ description: 'When the notice was committed.' })
  createdAt: Date;

  @Field(() => Date, { nullable: true, description: 'When the report was received (it counts as acknowledgement).' })
  reportedAt: Date | null;
}

@ObjectType({ description: 'One reported error in a page.' })
export class NotificationErrorEdge {
  @Field({ description: 'Opaque cursor.' })
  cursor: string;

  @Field(() => NotificationErrorType, { description: 'The reported error.' })
  node: NotificationErrorType;
}

@ObjectType({ description: 'A page of reported errors, newest first.' })
export class NotificationErrorConnection {
  @Field(() => [NotificationErrorEdge], { description: 'The errors of this page.' })
  edges: NotificationErrorEdge[];

  @Field(() => PageInfo, { description: 'Where this page ends and whether more follow.' })
  pageInfo: PageInfo;
}
