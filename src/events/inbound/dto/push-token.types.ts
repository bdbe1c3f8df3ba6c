import { Field, ID, InputType, ObjectType, registerEnumType } from '@nestjs/graphql';
import { Connection } from '../../../common/pagination';

export enum PushTokenStatus {
  ACTIVE = 'ACTIVE',
  REVOKED = 'REVOKED',
}
registerEnumType(PushTokenStatus, { name: 'PushTokenStatus', description: 'ACTIVE tokens authenticate POST /events; REVOKED ones nothing.' });

@ObjectType('PushToken', { description: "A static push token of a partner (for a standard SSF transmitter's authorization_header), without its secret." })
export class PushTokenType {
  @Field(() => ID, { description: 'Id of the token (to revoke it).' })
  id: string;

  @Field(() => ID, { description: 'The partner it authenticates.' })
  partnerId: string;

  @Field({ description: 'The first 12 characters of the token (`rxp_` and 8 more), to tell tokens apart.' })
  hint: string;

  @Field(() => String, { nullable: true, description: 'What it is for, as given at creation.' })
  label: string | null;

  @Field(() => PushTokenStatus, { description: 'ACTIVE or REVOKED.' })
  status: PushTokenStatus;

  @Field({ description: 'When it was created.' })
  createdAt: Date;

  @Field({ description: 'Who created it: the partner itself or the operator.' })
  createdBy: string;

  @Field(() => Date, { nullable: true, description: 'When it was revoked, if it was.' })
  revokedAt: Date | null;

  @Field(() => String, { nullable: true, description: 'Who revoked it, if anyone.' })
  revokedBy: string | null;
}

@ObjectType('CreatedPushToken', { description: 'A new push token: the secret is shown here once and never again.' })
export class CreatedPushTokenType {
  @Field({ description: 'The secret, `rxp_` and 54 base64url characters (320 random bits; the 48 of the hint aside, 272 stay secret): send it as `Authorization: Bearer <token>` on POST /events. Only its hash is kept.' })
  token: string;

  @Field(() => PushTokenType, { description: 'The stored token, as lists show it.' })
  pushToken: PushTokenType;
}

@ObjectType({ description: 'A page of push tokens, newest first.' })
export class PushTokenConnection extends Connection(PushTokenType, 'PushToken') {}

@InputType({ description: 'A new push token.' })
export class CreatePushTokenInput {
  @Field(() => ID, { nullable: true, description: 'The partner it authenticates; default the caller (only the operator names another partner).' })
  partnerId?: string | null;

  @Field(() => String, { nullable: true, description: 'What it is for (e.g. the transmitter), 1..200 characters.' })
  label?: string | null;
}
