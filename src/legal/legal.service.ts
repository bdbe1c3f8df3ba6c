// The review workflow on top of LegalRequestsStore: start review, approve (four-eyes), reject,
// withdraw, ask for a release, and submit a token through the normal ingest. Each operation is one
// transaction with the request row locked, so two reviewers approving at once are serialised: the
// second sees the first's approval, and the count is neither lost nor doubled.
import { OPERATOR_ID } from '../partners/operator-bootstrap.service';
import { independenceRefusal } from './reviewer-independence';
import { Injectable } from '@nestjs/common';
import { decodeJwt } from 'jose';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AuditAction, SYSTEM_ACTOR } from '../audit/audit.actions';
import type { AuthenticatedPartner } from '../auth/authenticated-partner';
import { badInput, conflict, forbidden, notFound } from '../common/errors';
import { EventsIngestService, PublishStatus } from '../events/events.ingest.service';
import { LegalFulfilment } from './legal-fulfilment';
import { LegalAction, LegalRequest } from './legal-request.entity';
import { LegalRequestsStore } from './legal-requests.store';
import { accessUntil, approvalRefusal, approvalsNeeded, LegalKind, LegalStatus, UNDECIDED } from './legal-workflow';
import { requestId, optionalText, requiredText } from './legal-inputs';

const LEGAL_REQUEST_TYPE = 'urn:risk-exchange:event:legal-request';
/** What a RELEASE may end. */
const RELEASABLE: readonly LegalKind[] = [LegalKind.FREEZE, LegalKind.PRESERVATION];

/** The refusal of a review step on a request that is already decided (names the current state). */
function undecidedOnly(operation: string, status: LegalStatus): void {
  if (!UNDECIDED.includes(status)) throw conflict(`cannot ${operation}: the request is ${status}; ${operation} needs ${UNDECIDED.join(' or ')}`);
}

@Injectable()
export class LegalService {
  constructor(
    private readonly db: DataSource,
    private readonly store: LegalRequestsStore,
    private readonly fulfilment: LegalFulfilment,
    private readonly ingest: EventsIngestService,
  ) {}

  /**
   * Publishes a legal-request token through the normal ingest (same verification, audit and hook
   * as publishEvents) and answers the id of the request it opened. Only legal-request tokens: any
   * other event would be stored as that event, which is not what this operation is for.
   */
  async submit(caller: AuthenticatedPartner, token: string): Promise<string> {
    let type: string[];
    try {
      type = Object.keys((decodeJwt(token).events as Record<string, unknown> | undefined) ?? {});
    } catch {
      throw badInput('token is not a compact JWT (a signed legal-request SET)');
    }
    if (type.length !== 1 || type[0] !== LEGAL_REQUEST_TYPE) throw badInput(`token must carry exactly one ${LEGAL_REQUEST_TYPE} event, got ${type.join(', ') || 'none'}`);
    const [result] = await this.ingest.publish(caller, [token]);
    if (result.status === PublishStatus.ACCEPTED || result.status === PublishStatus.DUPLICATE) {
      if (result.eventId && (await this.db.getRepository(LegalRequest).existsBy({ id: result.eventId }))) return result.eventId;
      throw conflict(`the token was ${result.status.toLowerCase()} but opened no legal request`);
    }
    const refusal = `the legal-request token was refused (${result.code ?? result.status.toLowerCase()}): ${result.description ?? 'no description'}`;
    throw result.code === 'access_denied' ? forbidden(refusal) : badInput(refusal, { code: result.code });
  }

  /** A reviewer takes the request into review: SUBMITTED → UNDER_REVIEW. */
  async startReview(reviewer: string, id: string): Promise<string> {
    const requestIdValue = requestId(id);
    await this.db.transaction(async (tx) => {
      const request = await this.store.lock(tx, requestIdValue);
      await this.store.changeStatus(tx, request, { to: LegalStatus.UNDER_REVIEW, operation: 'start review', actor: reviewer, action: LegalAction.REVIEW_STARTED, audit: AuditAction.LegalReview });
    });
    return requestIdValue;
  }

  /**
   * One reviewer's approval. The first approval of a SUBMITTED request starts its review; the
   * approval that reaches approvalsNeeded decides it (APPROVED), runs the kind's fulfilment and,
   * when that carries it out at once, makes it FULFILLED, all in this transaction.
   */
  async approve(reviewer: string, id: string, comment?: string | null, reviewerKid = ''): Promise<string> {
    const rid = requestId(id);
    const note = optionalText('comment', comment, 2048);
    await this.db.transaction(async (tx) => {
      const { request, released } = await this.lockWithReleased(tx, rid);
      undecidedOnly('approve', request.status);
      if (released) this.assertReleasable(released, 'approve the release');
      const earlier = await this.store.approvers(tx, rid);
      const refusal =
        approvalRefusal(reviewer, request.requester, earlier) ??
        (await independenceRefusal(tx, { reviewer, reviewerKid, requester: request.requester, earlierApprovers: earlier, bootstrapOperator: OPERATOR_ID }));
      if (refusal) throw forbidden(refusal);
      const needed = approvalsNeeded(request.kind, this.store.settings.minApprovals, released?.kind ?? null);
      if (request.status === LegalStatus.SUBMITTED) await this.startImplicitly(tx, request, reviewer, 'approve');
      const approvers = [...earlier, reviewer];
      await this.store.note(tx, request, { actor: reviewer, action: LegalAction.APPROVAL, reason: note, details: { approvals: approvers.length, needed } }, AuditAction.LegalReview);
      if (approvers.length < needed) return;
      await this.decideApproved(tx, request, released, approvers);
    });
    return rid;
  }

  /** A reviewer rejects an undecided request; the reason is required and reaches the requester. */
  async reject(reviewer: string, id: string, reason: string): Promise<string> {
    const rid = requestId(id);
    const why = requiredText('reason', reason, 2048);
    await this.db.transaction(async (tx) => {
      const request = await this.store.lock(tx, rid);
      undecidedOnly('reject', request.status);
      if (request.status === LegalStatus.SUBMITTED) await this.startImplicitly(tx, request, reviewer, 'reject');
      await this.store.changeStatus(tx, request, { to: LegalStatus.REJECTED, operation: 'reject', actor: reviewer, action: LegalAction.REJECTED, audit: AuditAction.LegalReview, reason: why, set: { decidedAt: new Date() } });
    });
    return rid;
  }

  /** The requester withdraws its own request before a decision (another partner's is NOT_FOUND). */
  async withdraw(requester: string, id: string, reason?: string | null): Promise<string> {
    const rid = requestId(id);
    const why = optionalText('reason', reason, 2048);
    await this.db.transaction(async (tx) => {
      const request = await this.store.lock(tx, rid);
      if (request.requester !== requester) throw notFound(`legal request ${rid} not found`);
      await this.store.changeStatus(tx, request, { to: LegalStatus.WITHDRAWN, operation: 'withdraw', actor: requester, action: LegalAction.WITHDRAWN, audit: AuditAction.LegalWithdraw, reason: why, set: { decidedAt: new Date() } });
    });
    return rid;
  }

  /**
   * Opens a RELEASE of the caller's FULFILLED, unreleased FREEZE or PRESERVATION, copying its
   * subject, legal basis, case, authority and original token; one pending release at a time.
   */
  async requestRelease(requester: string, input: { requestId: string; justification: string }): Promise<string> {
    const target = requestId(input.requestId, 'requestId');
    const justification = requiredText('justification', input.justification, 4096);
    const id = randomUUID();
    await this.db.transaction(async (tx) => {
      const released = await this.store.lock(tx, target);
      if (released.requester !== requester) throw notFound(`legal request ${target} not found`);
      this.assertReleasable(released, 'request a release');
      const pending = (await tx.query(`SELECT id FROM legal_request WHERE releases = $1 AND status = ANY($2::varchar[]) LIMIT 1`, [target, [...UNDECIDED, LegalStatus.APPROVED]])) as Array<{ id: string }>;
      if (pending.length) throw conflict(`cannot request a release: release ${pending[0].id} of this request is already pending`);
      const now = new Date();
      const release: LegalRequest = {
        id, requester, kind: LegalKind.RELEASE, subject: released.subject, legalBasis: released.legalBasis, caseReference: released.caseReference,
        authority: released.authority, deadline: null, justification, token: released.token, jti: released.jti, status: LegalStatus.SUBMITTED,
        submittedAt: now, updatedAt: now, decidedAt: null, accessUntil: null, overdueAt: null, releases: target, releasedAt: null, flagEventId: null,
      };
      await this.store.open(tx, release, requester, { releases: target, released_kind: released.kind });
    });
    return id;
  }

  /** The request, locked; a RELEASE also locks the request it ends, both in id order (no deadlock with a concurrent change of either). */
  private async lockWithReleased(tx: EntityManager, id: string): Promise<{ request: LegalRequest; released: LegalRequest | null }> {
    const peek = await tx.getRepository(LegalRequest).findOne({ select: { id: true, releases: true }, where: { id } });
    if (!peek) throw notFound(`legal request ${id} not found`);
    if (!peek.releases) return { request: await this.store.lock(tx, id), released: null };
    const locked = new Map<string, LegalRequest>();
    for (const rid of [id, peek.releases].sort()) locked.set(rid, await this.store.lock(tx, rid));
    return { request: locked.get(id)!, released: locked.get(peek.releases)! };
  }

  /** A release needs a FULFILLED FREEZE or PRESERVATION whose effect has not ended yet. */
  private assertReleasable(released: LegalRequest, operation: string): void {
    if (!RELEASABLE.includes(released.kind)) throw badInput(`cannot ${operation}: request ${released.id} is a ${released.kind}; only a FREEZE or PRESERVATION can be released`);
    if (released.releasedAt) throw conflict(`cannot ${operation}: request ${released.id} was already released at ${released.releasedAt.toISOString()}`);
    if (released.status !== LegalStatus.FULFILLED) throw conflict(`cannot ${operation}: request ${released.id} is ${released.status}; a release needs it FULFILLED`);
  }

  /** The first approval or rejection of a SUBMITTED request starts its review (recorded as such). */
  private async startImplicitly(tx: EntityManager, request: LegalRequest, reviewer: string, operation: string): Promise<void> {
    await this.store.changeStatus(tx, request, { to: LegalStatus.UNDER_REVIEW, operation, actor: reviewer, action: LegalAction.REVIEW_STARTED, audit: AuditAction.LegalReview, details: { implicit: true } });
  }

  /** Enough approvals: APPROVED (a disclosure's window opens), then the kind's fulfilment; a release ends the released request's effect. */
  private async decideApproved(tx: EntityManager, request: LegalRequest, released: LegalRequest | null, approvers: string[]): Promise<void> {
    const now = new Date();
    const set: Partial<LegalRequest> = { decidedAt: now };
    if (request.kind === LegalKind.DISCLOSURE) set.accessUntil = accessUntil(now, request.deadline, this.store.settings.disclosureDays);
    const last = approvers[approvers.length - 1];
    await this.store.changeStatus(tx, request, { to: LegalStatus.APPROVED, operation: 'approve', actor: last, action: LegalAction.APPROVED, audit: AuditAction.LegalReview, set, details: { approvers } });
    const outcome = await this.fulfilment.approved(tx, request, approvers, released);
    // The kind's handler ends the released request's effect and records it (freeze: the lift; preservation: the hold);
    // this is the fallback for a handler that did not.
    if (released && !released.releasedAt) {
      await tx.getRepository(LegalRequest).update({ id: released.id }, { releasedAt: now, updatedAt: now });
      Object.assign(released, { releasedAt: now, updatedAt: now });
      await this.store.note(tx, released, { actor: SYSTEM_ACTOR, action: LegalAction.RELEASED, details: { release: request.id, approvers } }, AuditAction.LegalRelease);
    }
    if (outcome.fulfilled) {
      await this.store.changeStatus(tx, request, { to: LegalStatus.FULFILLED, operation: 'fulfil', actor: SYSTEM_ACTOR, action: LegalAction.FULFILLED, audit: AuditAction.LegalFulfil, details: outcome.details ?? {} });
    }
  }
}
