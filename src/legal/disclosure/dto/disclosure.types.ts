import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import '../../dto/legal.types'; // registers the LegalRequestStatus enum
import { LegalStatus } from '../../legal-workflow';

@ObjectType('LegalDisclosurePackage', {
  description:
    'A gateway-signed disclosure package (README "Disclosure packages"): the request token, the approvals, every disclosed partner token and the partner keys that signed them. Check it offline with `risk-exchange legal verify-package`.',
})
export class DisclosurePackageType {
  @Field(() => ID, { description: 'The disclosure request.' })
  requestId: string;

  @Field({ description: 'The package\'s own id (its `jti`; the audit entry of this issue names it).' })
  jti: string;

  @Field({ description: 'The package: a compact JWS signed with the gateway\'s Ed25519 key, typ `rx-disclosure-package+jwt`. Save it to a file as is.' })
  jws: string;

  @Field(() => Int, { description: 'How many partner event tokens it holds (besides the request token).' })
  events: number;

  @Field({ description: 'When it was issued (its `iat`).' })
  issuedAt: Date;

  @Field(() => LegalStatus, { description: 'The request\'s status after this issue: FULFILLED (the first issue fulfils an APPROVED disclosure).' })
  status: LegalStatus;
}
