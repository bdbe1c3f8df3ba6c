import { Field, ID, InputType } from '@nestjs/graphql';
import { LegalKind, LegalStatus } from '../legal-workflow';

@InputType({ description: 'Narrows myLegalRequests; fields combine with AND.' })
export class MyLegalRequestsFilter {
  @Field(() => LegalStatus, { nullable: true, description: 'Only requests in this status.' })
  status?: LegalStatus | null;

  @Field(() => LegalKind, { nullable: true, description: 'Only requests of this kind.' })
  kind?: LegalKind | null;
}

@InputType({ description: 'Narrows legalReviewQueue; fields combine with AND. Without `status`, the queue holds the undecided requests (SUBMITTED, UNDER_REVIEW).' })
export class LegalReviewQueueFilter {
  @Field(() => [LegalStatus], { nullable: true, description: 'Only requests in one of these statuses (default: SUBMITTED and UNDER_REVIEW).' })
  status?: LegalStatus[] | null;

  @Field(() => [LegalKind], { nullable: true, description: 'Only requests of one of these kinds.' })
  kind?: LegalKind[] | null;

  @Field(() => Boolean, { nullable: true, description: 'true: only undecided requests past their deadline; false: only the others.' })
  overdue?: boolean | null;

  @Field(() => String, { nullable: true, description: 'Only requests of this LEGAL partner.' })
  requester?: string | null;

  @Field(() => String, { nullable: true, description: 'Only requests about this subject.' })
  subject?: string | null;
}

@InputType({ description: 'One reviewer\'s approval.' })
export class ApproveLegalRequestInput {
  @Field(() => ID, { description: 'The request.' })
  id: string;

  @Field(() => String, { nullable: true, description: 'A note kept in the history (up to 2048 characters).' })
  comment?: string | null;
}

@InputType({ description: 'A reviewer\'s rejection.' })
export class RejectLegalRequestInput {
  @Field(() => ID, { description: 'The request.' })
  id: string;

  @Field({ description: 'Why (required, up to 2048 characters); the requester receives it.' })
  reason: string;
}

@InputType({ description: 'The requester withdraws its own request before a decision.' })
export class WithdrawLegalRequestInput {
  @Field(() => ID, { description: 'The request (yours).' })
  id: string;

  @Field(() => String, { nullable: true, description: 'Why (up to 2048 characters).' })
  reason?: string | null;
}

@InputType({ description: 'Asks to end a fulfilled FREEZE or PRESERVATION of yours; reviewed like the kind it releases.' })
export class RequestLegalReleaseInput {
  @Field(() => ID, { description: 'The FULFILLED FREEZE or PRESERVATION (yours) to end.' })
  requestId: string;

  @Field({ description: 'Why its effect should end (required, up to 4096 characters).' })
  justification: string;
}
