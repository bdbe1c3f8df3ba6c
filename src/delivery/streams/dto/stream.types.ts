import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { Connection } from '../../../common/pagination';
import { StreamStatus } from '../../stream.entity';

/** SSF delivery methods, by name (the stream's `delivery.method` URN on the SSF endpoints). */
export enum DeliveryMethod {
  POLL = 'urn:ietf:rfc:8936',
  PUSH = 'urn:ietf:rfc:8935',
}

/** The gateway signature of a stream's SETs. */
export enum StreamSigningAlg {
  EDDSA = 'EdDSA',
  RS256 = 'RS256',
}

registerEnumType(DeliveryMethod, { name: 'DeliveryMethod', description: 'POLL (RFC 8936, urn:ietf:rfc:8936) or PUSH (RFC 8935, urn:ietf:rfc:8935).' });
registerEnumType(StreamSigningAlg, { name: 'StreamSigningAlg', description: 'The algorithm of the gateway signature on a stream\'s SETs (keys in /.well-known/jwks.json).' });
registerEnumType(StreamStatus, { name: 'StreamStatus', description: 'ENABLED: delivered; PAUSED: held (up to DELIVERY_PAUSED_CAP, oldest dropped beyond); DISABLED: nothing is kept.' });

@ObjectType('Stream', { description: 'An SSF event stream you own (SSF 1.0 section 8.1.1). The push Authorization header is never shown.' })
export class StreamType {
  @Field(() => ID, { description: 'stream_id.' })
  streamId: string;

  @Field({ description: 'The gateway issuer (iss of every SET).' })
  iss: string;

  @Field({ description: 'The aud of every SET on this stream (your partner id).' })
  aud: string;

  @Field(() => [String], { description: 'Event types the gateway can deliver.' })
  eventsSupported: string[];

  @Field(() => [String], { description: 'Event types you asked for.' })
  eventsRequested: string[];

  @Field(() => [String], { description: 'Event types delivered: requested and supported.' })
  eventsDelivered: string[];

  @Field(() => DeliveryMethod, { description: 'How notices reach you.' })
  deliveryMethod: DeliveryMethod;

  @Field({ description: 'Push: your receiver URL. Poll: the gateway URL to poll.' })
  endpointUrl: string;

  @Field({ description: 'Whether pushes carry an Authorization header you set (its value is never shown).' })
  hasAuthorizationHeader: boolean;

  @Field(() => String, { nullable: true, description: 'Your description of the stream.' })
  description: string | null;

  @Field(() => Int, { description: 'Seconds between two verification requests.' })
  minVerificationInterval: number;

  @Field(() => StreamSigningAlg, { description: 'Algorithm of the gateway signature on this stream\'s SETs.' })
  signingAlg: StreamSigningAlg;

  @Field(() => StreamStatus, { description: 'Whether notices are delivered, held or dropped.' })
  status: StreamStatus;

  @Field(() => String, { nullable: true, description: 'Why the status was last set.' })
  statusReason: string | null;

  @Field({ description: 'When the stream was created.' })
  createdAt: Date;

  @Field({ description: 'When its configuration or status last changed.' })
  updatedAt: Date;
}

@ObjectType({ description: 'A page of your streams, newest first.' })
export class StreamConnection extends Connection(StreamType, 'Stream') {}

@InputType({ description: 'A new stream. Without deliveryMethod it is a POLL stream whose URL the gateway supplies.' })
export class CreateStreamInput {
  @Field(() => [String], { nullable: true, description: 'Event type URIs to receive (at most 32); unknown ones are ignored.' })
  eventsRequested?: string[] | null;

  @Field(() => DeliveryMethod, { nullable: true, description: 'POLL (default) or PUSH.' })
  deliveryMethod?: DeliveryMethod | null;

  @Field(() => String, { nullable: true, description: 'PUSH only: your https receiver URL.' })
  endpointUrl?: string | null;

  @Field(() => String, { nullable: true, description: 'PUSH only: sent verbatim as the Authorization header of every push; never shown again.' })
  authorizationHeader?: string | null;

  @Field(() => String, { nullable: true, description: 'A description (at most 1024 characters).' })
  description?: string | null;

  @Field(() => StreamSigningAlg, { nullable: true, description: 'EDDSA (default) or RS256.' })
  signingAlg?: StreamSigningAlg | null;
}

@InputType({ description: 'Changes to a stream (merge, like SSF PATCH): a field left out keeps its value; description null clears it.' })
export class UpdateStreamInput extends CreateStreamInput {
  @Field(() => ID, { description: 'The stream to change.' })
  streamId: string;
}

@InputType({ description: 'A status change (SSF 1.0 section 8.1.2).' })
export class SetStreamStatusInput {
  @Field(() => ID, { description: 'The stream.' })
  streamId: string;

  @Field(() => StreamStatus, { description: 'The new status.' })
  status: StreamStatus;

  @Field(() => String, { nullable: true, description: 'Why (at most 512 characters).' })
  reason?: string | null;
}

@ObjectType({ description: 'A stream\'s status.' })
export class StreamStatusResult {
  @Field(() => ID, { description: 'The stream.' })
  streamId: string;

  @Field(() => StreamStatus, { description: 'Its status.' })
  status: StreamStatus;

  @Field(() => String, { nullable: true, description: 'Why it was set.' })
  reason: string | null;
}

@InputType({ description: 'Subjects to add to or remove from a stream (1..1000 opaque subject ids of the token profile).' })
export class StreamSubjectsInput {
  @Field(() => ID, { description: 'The stream.' })
  streamId: string;

  @Field(() => [String], { description: 'Subject ids (sub_id.id of the token profile).' })
  subjects: string[];
}

@ObjectType({ description: 'How many subjects the stream watches after the change (the same answer whether or not anything is known about them).' })
export class StreamSubjectsResult {
  @Field(() => ID, { description: 'The stream.' })
  streamId: string;

  @Field(() => Int, { description: 'Subjects the stream watches now.' })
  subjectCount: number;
}

@InputType({ description: 'Ask for a verification event (SSF 1.0 section 8.1.4).' })
export class VerifyStreamInput {
  @Field(() => ID, { description: 'The stream.' })
  streamId: string;

  @Field(() => String, { nullable: true, description: 'Echoed in the verification event (at most 1024 characters).' })
  state?: string | null;
}

@ObjectType({ description: 'A verification event was enqueued.' })
export class VerifyStreamResult {
  @Field(() => ID, { description: 'The stream.' })
  streamId: string;

  @Field(() => ID, { description: 'The jti of the verification SET.' })
  jti: string;
}

// Dead letters are the push module's type (one GraphQL type per name).
export { DeadLetterType as DeadLetter, DeadLetterConnection } from '../../push/dto/dead-letter.types';
import { DeadLetterConnection } from '../../push/dto/dead-letter.types';

@ObjectType({ description: 'Where the deliveries of one stream stand.' })
export class DeliveryStatus {
  @Field(() => ID, { description: 'The stream.' })
  streamId: string;

  @Field(() => StreamStatus, { description: 'The stream status.' })
  status: StreamStatus;

  @Field(() => Int, { description: 'Notices not yet acknowledged: PENDING and HELD.' })
  backlog: number;

  @Field(() => Float, { nullable: true, description: 'Age in seconds of the oldest PENDING notice.' })
  oldestPendingAgeSeconds: number | null;

  @Field(() => String, { nullable: true, description: 'The most recent delivery error on this stream.' })
  lastError: string | null;

  @Field(() => Int, { description: 'Dead letters (push gave up).' })
  deadLetterCount: number;

  @Field(() => DeadLetterConnection, { description: 'A page of dead letters (first/after of the query).' })
  deadLetters: DeadLetterConnection;
}
