import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { AuthenticatedPartner } from '../auth/authenticated-partner';
import { AnyOfPermissions, CurrentPartner, Permissions } from '../auth/decorators';
import { Permission } from '../auth/permissions';
import { ApproveLegalRequestInput, LegalReviewQueueFilter, MyLegalRequestsFilter, RejectLegalRequestInput, RequestLegalReleaseInput, WithdrawLegalRequestInput } from './dto/legal.inputs';
import { LegalRequestConnection, LegalRequestType } from './dto/legal.types';
import { LegalQueries } from './legal-queries';
import { LegalService } from './legal.service';

const FIRST = { type: () => Int, nullable: true, description: 'Page size, 1..100 (default 20).' } as const;
const AFTER = { type: () => String, nullable: true, description: 'Cursor of the last request of the previous page.' } as const;
const ID_ARG = { type: () => ID, description: 'The legal request.' } as const;

/** Legal requests (README "Legal requests"): LEGAL partners submit and follow theirs; OPERATOR reviewers decide. */
@Resolver()
export class LegalResolver {
  constructor(
    private readonly legal: LegalService,
    private readonly queries: LegalQueries,
  ) {}

  @Mutation(() => LegalRequestType, { description: 'Submits a signed legal-request token (profile section 3) through the normal ingest, like publishEvents, and answers the request it opened; a refused token is an error naming why.' })
  @Permissions(Permission.SubmitLegalRequests)
  async submitLegalRequest(@CurrentPartner() caller: AuthenticatedPartner, @Args('token', { description: 'The compact legal-request SET.' }) token: string): Promise<LegalRequestType> {
    return this.queries.byId(await this.legal.submit(caller, token));
  }

  @Query(() => LegalRequestConnection, { description: 'Your own legal requests with their history, newest first.' })
  @Permissions(Permission.SubmitLegalRequests)
  myLegalRequests(
    @CurrentPartner() caller: AuthenticatedPartner,
    @Args('filter', { type: () => MyLegalRequestsFilter, nullable: true }) filter?: MyLegalRequestsFilter,
    @Args('first', FIRST) first?: number,
    @Args('after', AFTER) after?: string,
  ): Promise<LegalRequestConnection> {
    return this.queries.myRequests(caller, filter, first, after);
  }

  @Query(() => LegalRequestType, { description: 'One legal request with its history: your own (LEGAL), or any (reviewers). Another partner\'s request is NOT_FOUND.' })
  @AnyOfPermissions(Permission.SubmitLegalRequests, Permission.ReviewLegalRequests)
  legalRequest(@CurrentPartner() caller: AuthenticatedPartner, @Args('id', ID_ARG) id: string): Promise<LegalRequestType> {
    return this.queries.one(caller, id);
  }

  @Query(() => LegalRequestConnection, { description: 'The reviewers\' queue, oldest first; by default the undecided requests (SUBMITTED, UNDER_REVIEW).' })
  @Permissions(Permission.ReviewLegalRequests)
  legalReviewQueue(
    @CurrentPartner() caller: AuthenticatedPartner,
    @Args('filter', { type: () => LegalReviewQueueFilter, nullable: true }) filter?: LegalReviewQueueFilter,
    @Args('first', FIRST) first?: number,
    @Args('after', AFTER) after?: string,
  ): Promise<LegalRequestConnection> {
    return this.queries.reviewQueue(caller, filter, first, after);
  }

  @Mutation(() => LegalRequestType, { description: 'Takes a SUBMITTED request into review (UNDER_REVIEW).' })
  @Permissions(Permission.ReviewLegalRequests)
  async startLegalReview(@CurrentPartner() caller: AuthenticatedPartner, @Args('id', ID_ARG) id: string): Promise<LegalRequestType> {
    return this.queries.byId(await this.legal.startReview(caller.id, id));
  }

  @Mutation(() => LegalRequestType, { description: 'Your approval (four-eyes: each reviewer once; never the requester). The approval that reaches approvalsNeeded decides the request (APPROVED) and the gateway carries it out.' })
  @Permissions(Permission.ReviewLegalRequests)
  async approveLegalRequest(@CurrentPartner() caller: AuthenticatedPartner, @Args('input') input: ApproveLegalRequestInput): Promise<LegalRequestType> {
    return this.queries.byId(await this.legal.approve(caller.id, input.id, input.comment, caller.kid));
  }

  @Mutation(() => LegalRequestType, { description: 'Rejects an undecided request; the reason is required and reaches the requester.' })
  @Permissions(Permission.ReviewLegalRequests)
  async rejectLegalRequest(@CurrentPartner() caller: AuthenticatedPartner, @Args('input') input: RejectLegalRequestInput): Promise<LegalRequestType> {
    return this.queries.byId(await this.legal.reject(caller.id, input.id, input.reason));
  }

  @Mutation(() => LegalRequestType, { description: 'Withdraws your own request before a decision.' })
  @Permissions(Permission.SubmitLegalRequests)
  async withdrawLegalRequest(@CurrentPartner() caller: AuthenticatedPartner, @Args('input') input: WithdrawLegalRequestInput): Promise<LegalRequestType> {
    return this.queries.byId(await this.legal.withdraw(caller.id, input.id, input.reason));
  }

  @Mutation(() => LegalRequestType, { description: 'Asks to end your FULFILLED FREEZE or PRESERVATION: opens a RELEASE request, reviewed like the kind it releases.' })
  @Permissions(Permission.SubmitLegalRequests)
  async requestLegalRelease(@CurrentPartner() caller: AuthenticatedPartner, @Args('input') input: RequestLegalReleaseInput): Promise<LegalRequestType> {
    return this.queries.byId(await this.legal.requestRelease(caller.id, input));
  }
}
