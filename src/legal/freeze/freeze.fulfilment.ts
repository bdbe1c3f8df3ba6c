// FREEZE (README "Freeze"): an approved freeze makes the gateway publish its own signed
// account-flag (`freeze`, consortium, carrying the order) in the approving transaction, so the
// subject's stored tier turns FREEZE and watching streams receive the flag before the approval
// commits. It ends by an approved RELEASE or at the order's deadline (freeze-deadlines.ts): the
// gateway publishes `flag-lifted` for its flag.
import { Injectable, OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditAction, SYSTEM_ACTOR } from '../../audit/audit.actions';
import { conflict } from '../../common/errors';
import { EventRecord, EventStatus } from '../../events/event.entity';
import { GatewayEventsService } from '../../events/gateway-events.service';
import { FulfilmentOutcome, LegalFulfilment } from '../legal-fulfilment';
import { LegalAction, LegalRequest } from '../legal-request.entity';
import { LegalRequestsStore } from '../legal-requests.store';
import { LegalKind, LegalStatus } from '../legal-workflow';

/** Reason codes of the gateway's flag-lifted: a reviewed release, or the order's deadline. */
export const LIFT_REASON = { release: 'legal_release', deadline: 'order_deadline' } as const;

export interface LiftCause {
  /** Who ended it, for the RELEASED history entry (`system`: the gateway carrying out a decision or a deadline). */
  actor: string;
  reason: 'release' | 'deadline';
  /** The approved RELEASE, when there is one. */
  releaseRequestId?: string;
}

@Injectable()
export class FreezeFulfilment implements OnModuleInit {
  constructor(
    private readonly fulfilment: LegalFulfilment,
    private readonly store: LegalRequestsStore,
    private readonly gatewayEvents: GatewayEventsService,
  ) {}

  onModuleInit(): void {
    this.fulfilment.register(LegalKind.FREEZE, { approved: (tx, request, _approvers, released) => this.approved(tx, request, released) });
  }

  private approved(tx: EntityManager, request: LegalRequest, released: LegalRequest | null): Promise<FulfilmentOutcome> {
    return request.kind === LegalKind.RELEASE ? this.release(tx, request, released) : this.freeze(tx, request);
  }

  /** Publishes the gateway's freeze flag for the order and records it on the request. */
  private async freeze(tx: EntityManager, request: LegalRequest): Promise<FulfilmentOutcome> {
    // A flag that expires at birth would freeze nothing: the order has lapsed, reject it instead.
    if (request.deadline && request.deadline.getTime() <= Date.now()) {
      throw conflict(`cannot approve: the freeze order's deadline ${request.deadline.toISOString()} has passed; reject the request instead`);
    }
    const flag = await this.gatewayEvents.storeGatewayEvent(tx, {
      kind: 'freeze',
      subject: request.subject,
      order: { requestId: request.id, caseReference: request.caseReference, authority: request.authority, deadline: request.deadline },
    });
    await tx.getRepository(LegalRequest).update({ id: request.id }, { flagEventId: flag.id });
    request.flagEventId = flag.id;
    return { fulfilled: true, details: { flag_event_id: flag.id, flag_jti: flag.jti } };
  }

  /** An approved RELEASE of a freeze: the gateway lifts its flag. */
  private async release(tx: EntityManager, release: LegalRequest, freeze: LegalRequest | null): Promise<FulfilmentOutcome> {
    if (!freeze || freeze.kind !== LegalKind.FREEZE) throw new Error('a freeze release needs the FREEZE it releases');
    if (freeze.status !== LegalStatus.FULFILLED) throw conflict(`cannot release: the freeze ${freeze.id} is ${freeze.status}; only a FULFILLED freeze can be released`);
    const lifted = await this.lift(tx, freeze, { actor: SYSTEM_ACTOR, reason: 'release', releaseRequestId: release.id });
    // Already ended by its deadline while the release was reviewed: the release has nothing left to do, and says so.
    return { fulfilled: true, details: { released_request_id: freeze.id, ...(lifted ? { flag_lifted_event_id: lifted } : { already_released_at: freeze.releasedAt?.toISOString() ?? null }) } };
  }

  /**
   * Ends a FULFILLED freeze (locked by the caller): publishes the gateway's flag-lifted for its flag
   * (when the flag is still stored and not lifted), sets `releasedAt`, and adds the RELEASED
   * history entry (audited as `legal.release`). Answers the lift's event id, or null when the
   * freeze had already ended.
   */
  async lift(tx: EntityManager, freeze: LegalRequest, cause: LiftCause): Promise<string | null> {
    if (freeze.releasedAt) return null;
    const flag = freeze.flagEventId
      ? await tx.getRepository(EventRecord).findOne({ select: { id: true, jti: true }, where: { id: freeze.flagEventId, status: EventStatus.ACTIVE } })
      : null;
    const lift = flag
      ? await this.gatewayEvents.storeGatewayEvent(tx, { kind: 'lift', subject: freeze.subject, flag: { id: flag.id, jti: flag.jti }, requestId: cause.releaseRequestId ?? freeze.id, reasonCode: LIFT_REASON[cause.reason] })
      : null;
    const now = new Date();
    await tx.getRepository(LegalRequest).update({ id: freeze.id }, { releasedAt: now, updatedAt: now });
    Object.assign(freeze, { releasedAt: now, updatedAt: now });
    await this.store.note(
      tx,
      freeze,
      {
        actor: cause.actor,
        action: LegalAction.RELEASED,
        reason: cause.reason === 'deadline' ? 'deadline' : `release ${cause.releaseRequestId} approved`,
        details: { ...(lift ? { flag_lifted_event_id: lift.id, flag_lifted_jti: lift.jti } : { flag: 'already lifted or purged' }), ...(cause.releaseRequestId ? { release_request_id: cause.releaseRequestId } : {}) },
      },
      AuditAction.LegalRelease,
    );
    return lift?.id ?? null;
  }
}
