import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { Connection } from '../../../common/pagination';

@ObjectType('DeadLetter', { description: 'A push delivery the gateway gave up on (PUSH_MAX_ATTEMPTS reached, or refused by the receiver); replayDeadLetters sends it again.' })
export class DeadLetterType {
  @Field(() => ID, { description: 'The SET `jti`: a replay sends the same SET again.' })
  jti: string;

  @Field(() => ID, { description: 'The stream it was delivered on.' })
  streamId: string;

  @Field({ description: 'The event type URI (the single member of the SET `events` claim).' })
  eventType: string;

  @Field(() => ID, { nullable: true, description: 'The gateway id of the partner event it notifies, if any (tier changes and control events have none).' })
  eventId: string | null;

  @Field(() => Int, { description: 'Push attempts made.' })
  attempts: number;

  @Field(() => String, { nullable: true, description: 'Why the last attempt failed (HTTP status, RFC 8935 error, refusal of the outbound rules, timeout).' })
  lastError: string | null;

  @Field({ description: 'When the notice was committed.' })
  createdAt: Date;

  @Field(() => Date, { nullable: true, description: 'When it was first sent.' })
  firstSentAt: Date | null;

  @Field(() => String, { nullable: true, description: 'The signed SET (compact JWS) as it was sent; null if it was never signed.' })
  set: string | null;
}

@ObjectType({ description: 'A page of dead letters, newest first.' })
export class DeadLetterConnection extends Connection(DeadLetterType, 'DeadLetter') {}

@ObjectType({ description: 'What a replay did.' })
export class ReplayDeadLettersResult {
  @Field(() => Int, { description: 'Dead letters put back in the outbox (attempts reset, due now).' })
  replayed: number;

  @Field(() => [ID], { description: 'Their SET `jti`s.' })
  jtis: string[];

  @Field({ description: 'True when the stream is paused: the replayed deliveries are held until it is enabled.' })
  held: boolean;
}
