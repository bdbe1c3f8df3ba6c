import { Field, Float, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import { Connection } from '../../common/pagination';
import { KeyStatus, PartnerKind, PartnerStatus, SigningAlg } from '../partner.enums';
import './enums.graphql';

@ObjectType('PartnerKey', { description: "One of a partner's public signing keys." })
export class PartnerKeyType {
  @Field({ description: 'Key id, unique within the partner; tokens name it in their `kid` header.' })
  kid: string;

  @Field(() => SigningAlg, { description: 'The one algorithm this key verifies.' })
  alg: SigningAlg;

  @Field(() => KeyStatus, { description: 'ACTIVE keys verify; REVOKED keys verify nothing.' })
  status: KeyStatus;

  @Field({ description: 'The public JWK as JSON text.' })
  publicJwk: string;

  @Field({ description: 'When the key was registered.' })
  createdAt: Date;

  @Field(() => Date, { nullable: true, description: 'When the key was revoked, if it was.' })
  revokedAt: Date | null;
}

@ObjectType('Partner', { description: 'An institution connected to the exchange.' })
export class PartnerType {
  @Field(() => ID, { description: 'Slug id, `^[a-z0-9][a-z0-9-]{1,62}$`; the `iss` of its tokens.' })
  id: string;

  @Field({ description: 'Display name.' })
  name: string;

  @Field(() => PartnerKind, { description: 'Kind of institution; decides its permissions.' })
  kind: PartnerKind;

  @Field(() => PartnerStatus, { description: 'SUSPENDED partners are refused on every request.' })
  status: PartnerStatus;

  @Field(() => Float, { description: 'How much its signals weigh in merged scores, in [0, 1].' })
  trustWeight: number;

  // `keys` is a paged field resolved by PartnersResolver (at most 100 per page).

  @Field(() => String, { nullable: true, description: 'The https issuer URL of its standard SSF transmitter: a SET whose `iss` is exactly this is the partner\'s.' })
  ssfIssuer: string | null;

  @Field(() => Int, { nullable: true, description: 'Oldest accepted `iat` of its SETs, in seconds (300..2592000); null: 7 days.' })
  maxIatAgeSeconds: number | null;

  @Field({ description: 'When the partner was registered.' })
  createdAt: Date;

  @Field({ description: 'When the partner record last changed.' })
  updatedAt: Date;
}

@ObjectType({ description: 'A page of partners.' })
export class PartnerConnection extends Connection(PartnerType, 'Partner') {}

@InputType({ description: 'A new partner and its first keys.' })
export class RegisterPartnerInput {
  @Field({ description: 'Slug id, `^[a-z0-9][a-z0-9-]{1,62}$`.' })
  id: string;

  @Field({ description: 'Display name, 1..200 characters.' })
  name: string;

  @Field(() => PartnerKind, { description: 'Kind of institution.' })
  kind: PartnerKind;

  @Field({ description: 'Public JWKS as JSON text: `{"keys":[...]}`.' })
  jwks: string;

  @Field(() => Float, { nullable: true, description: 'Weight in merged scores, in [0, 1]; default 0.5.' })
  trustWeight?: number | null;

  @Field(() => String, { nullable: true, description: 'The https issuer URL its standard SSF transmitter puts in `iss` (unique across partners).' })
  ssfIssuer?: string | null;

  @Field(() => Int, { nullable: true, description: 'Oldest accepted `iat` of its SETs, in seconds, 300..2592000 (30 days); default 7 days.' })
  maxIatAgeSeconds?: number | null;
}

@InputType({ description: "A partner's SSF identity, as the operator sets it." })
export class UpdatePartnerSsfInput {
  @Field(() => ID, { description: 'The partner.' })
  partnerId: string;

  @Field(() => String, { nullable: true, description: 'The https issuer URL, or null to remove it.' })
  ssfIssuer: string | null;

  @Field(() => Int, { nullable: true, description: 'Oldest accepted `iat`, in seconds (300..2592000), or null for 7 days.' })
  maxIatAgeSeconds: number | null;
}
