// The GraphQL shape of legal requests (README "Legal requests"). Output types only; inputs are in
// legal.inputs.ts. Enums are UPPER_CASE here and lowercase in tokens and notices.
import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { Connection } from '../../common/pagination';
import { LegalAction } from '../legal-request.entity';
import { LegalKind, LegalStatus } from '../legal-workflow';

registerEnumType(LegalKind, {
  name: 'LegalRequestKind',
  description: 'What a legal request asks for (the token\'s lowercase `kind`); RELEASE ends an approved FREEZE or PRESERVATION.',
  valuesMap: {
    DISCLOSURE: { description: 'Read access to one subject\'s events and score history during a window (approvals: LEGAL_MIN_APPROVALS).' },
    FREEZE: { description: 'The gateway publishes its own freeze flag on the subject (approvals: LEGAL_MIN_APPROVALS).' },
    PRESERVATION: { description: 'A legal hold: retention keeps the subject\'s events (one approval).' },
    RELEASE: { description: 'Ends a fulfilled FREEZE or PRESERVATION; needs the approvals of the kind it releases.' },
  },
});
registerEnumType(LegalStatus, {
  name: 'LegalRequestStatus',
  description: 'Where a request stands: SUBMITTED → UNDER_REVIEW → APPROVED | REJECTED; APPROVED → FULFILLED | EXPIRED; WITHDRAWN before a decision.',
  valuesMap: {
    SUBMITTED: { description: 'Received; no reviewer has acted yet.' },
    UNDER_REVIEW: { description: 'A reviewer started the review (or gave a first approval).' },
    APPROVED: { description: 'Enough distinct reviewers approved; a disclosure\'s access window is open.' },
    REJECTED: { description: 'A reviewer rejected it, with a reason.' },
    FULFILLED: { description: 'Carried out: a freeze, preservation or release took effect; a disclosure\'s package was issued.' },
    EXPIRED: { description: 'An approved disclosure whose window closed without a package being issued.' },
    WITHDRAWN: { description: 'The requester withdrew it before a decision.' },
  },
});
registerEnumType(LegalAction, { name: 'LegalAction', description: 'What happened to a legal request, as recorded in its history.' });

@ObjectType('LegalRequestEvent', { description: 'One entry of a legal request\'s history (oldest first).' })
export class LegalRequestEventType {
  @Field(() => Date, { description: 'When it happened.' })
  at: Date;

  @Field({ description: 'The partner that acted, or `system` (deadlines, fulfilment by the gateway).' })
  actor: string;

  @Field(() => LegalAction, { description: 'What happened.' })
  action: LegalAction;

  @Field(() => LegalStatus, { nullable: true, description: 'The status before (null for SUBMITTED).' })
  fromStatus: LegalStatus | null;

  @Field(() => LegalStatus, { description: 'The status after (equal to fromStatus for an APPROVAL short of the count, OVERDUE, DISCLOSED, RELEASED, ACCESS_ENDED).' })
  toStatus: LegalStatus;

  @Field(() => String, { nullable: true, description: 'Why: a rejection\'s reason, an approval\'s comment, a withdrawal\'s reason.' })
  reason: string | null;

  @Field(() => String, { nullable: true, description: 'Further facts as a JSON object (approval counts, fulfilment details), or null.' })
  details: string | null;
}

@ObjectType('LegalRequest', { description: 'A legal request and its review (README "Legal requests"). Its id is the id of the stored legal-request event.' })
export class LegalRequestType {
  @Field(() => ID, { description: 'The request id (the stored legal-request event\'s id; a RELEASE has its own).' })
  id: string;

  @Field({ description: 'The LEGAL partner that asked.' })
  requester: string;

  @Field(() => LegalKind, { description: 'What it asks for.' })
  kind: LegalKind;

  @Field({ description: 'The pseudonymous account concerned.' })
  subject: string;

  @Field({ description: 'The legal basis given in the token.' })
  legalBasis: string;

  @Field({ description: 'The case reference given in the token.' })
  caseReference: string;

  @Field({ description: 'The authority that issued the order.' })
  authority: string;

  @Field(() => Date, { nullable: true, description: 'The order\'s deadline, if it has one.' })
  deadline: Date | null;

  @Field(() => String, { nullable: true, description: 'The justification given (a RELEASE: why the effect should end).' })
  justification: string | null;

  @Field({ description: 'The requester\'s signed legal-request token, as received (a RELEASE carries the released request\'s token).' })
  token: string;

  @Field(() => LegalStatus, { description: 'Where the request stands.' })
  status: LegalStatus;

  @Field(() => Date, { description: 'When it was received.' })
  submittedAt: Date;

  @Field(() => Date, { description: 'When its status last changed.' })
  updatedAt: Date;

  @Field(() => Date, { nullable: true, description: 'When it was approved, rejected or withdrawn.' })
  decidedAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'DISCLOSURE: the end of the access window (the earlier of the deadline and LEGAL_DISCLOSURE_DAYS after approval).' })
  accessUntil: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the gateway first found it undecided past its deadline.' })
  overdueAt: Date | null;

  @Field(() => ID, { nullable: true, description: 'RELEASE: the FREEZE or PRESERVATION it ends.' })
  releases: string | null;

  @Field(() => Date, { nullable: true, description: 'FREEZE or PRESERVATION: when its effect ended.' })
  releasedAt: Date | null;

  @Field(() => ID, { nullable: true, description: 'FREEZE: the gateway\'s own account-flag event that carries it.' })
  flagEventId: string | null;

  @Field(() => Int, { description: 'Approvals from distinct reviewers so far.' })
  approvals: number;

  @Field(() => Int, { description: 'Approvals it needs (LEGAL_MIN_APPROVALS for DISCLOSURE and FREEZE, one for PRESERVATION; a RELEASE as the kind it releases).' })
  approvalsNeeded: number;

  @Field({ description: 'Undecided (SUBMITTED or UNDER_REVIEW) and past its deadline.' })
  overdue: boolean;

  @Field(() => [LegalRequestEventType], { description: 'Everything that happened to it, oldest first.' })
  history: LegalRequestEventType[];
}

@ObjectType({ description: 'A page of legal requests.' })
export class LegalRequestConnection extends Connection(LegalRequestType, 'LegalRequest') {}
