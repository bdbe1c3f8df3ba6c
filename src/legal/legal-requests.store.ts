// The shared core of the legal workflow: opening requests from stored legal-request events (through
// the events-stored hook, in the publishing transaction), locking a request, and recording every
// status change and history entry with its audit entry and the requester's notice. The workflow
// service (reviews), the fulfilment handlers (disclosure, freeze, preservation) and the deadline
// sweep all change requests through here, so the rules live in one place.
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AuditAction, SYSTEM_ACTOR } from '../audit/audit.actions';
import { AuditService } from '../audit/audit.service';
import { conflict, notFound } from '../common/errors';
import { APP_CONFIG, AppConfig } from '../config/config';
import { enqueuePartnerNotices } from '../delivery/partner-notices';
import { EVENT_TYPE } from '../delivery/streams/event-types';
import { StoredEventType } from '../events/event.entity';
import { EventsStoredHook, HOOK_ORDER, StoredEvent } from '../events/events-stored.hook';
import { LegalAction, LegalRequest, LegalRequestHistory } from './legal-request.entity';
import { KIND_OF_TOKEN, LegalKind, LegalStatus, transitionRefusal } from './legal-workflow';

/** Listener order: after scoring, before delivery (legal requests are never delivered as events). */
export const LEGAL_HOOK_ORDER = HOOK_ORDER.scoring + 50;

export interface Step {
  actor: string;
  action: LegalAction;
  reason?: string | null;
  details?: Record<string, unknown> | null;
}

export interface StatusChange extends Step {
  to: LegalStatus;
  /** The operation in words, for the refusal ("approve", "withdraw"). */
  operation: string;
  /** The audit action of this change. */
  audit: AuditAction;
  /** Columns to set with the status (decidedAt, accessUntil, ...). */
  set?: Partial<LegalRequest>;
}

const lower = (s: string) => s.toLowerCase();

@Injectable()
export class LegalRequestsStore implements OnModuleInit {
  constructor(
    private readonly audit: AuditService,
    private readonly eventsStored: EventsStoredHook,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.eventsStored.register('legal', LEGAL_HOOK_ORDER, (tx, events) => this.openFromEvents(tx, events));
  }

  /** A legal-request event was stored: open its request (SUBMITTED), in the same transaction. */
  private async openFromEvents(tx: EntityManager, events: StoredEvent[]): Promise<void> {
    const ids = events.filter((e) => e.type === StoredEventType.LEGAL_REQUEST).map((e) => e.id);
    if (!ids.length) return;
    const rows = (await tx.query(
      `SELECT id, issuer, jti, subject, details, token, received_at FROM event WHERE id = ANY($1::uuid[]) ORDER BY received_at, id`,
      [ids],
    )) as Array<{ id: string; issuer: string; jti: string; subject: string; details: Record<string, unknown>; token: string; received_at: Date }>;
    const requests = rows.map((r) => requestOfEvent(r));
    await tx.getRepository(LegalRequest).insert(requests);
    await tx.getRepository(LegalRequestHistory).insert(
      requests.map((r) => ({ id: randomUUID(), requestId: r.id, at: r.submittedAt, actor: r.requester, action: LegalAction.SUBMITTED, fromStatus: null, toStatus: LegalStatus.SUBMITTED, reason: null, details: null })),
    );
    await this.audit.append(tx, {
      actor: SYSTEM_ACTOR,
      action: AuditAction.LegalSubmit,
      target: requests.length === 1 ? requests[0].id : null,
      details: { outcome: 'ok', requests: requests.map((r) => ({ id: r.id, requester: r.requester, kind: r.kind, case_reference: r.caseReference })) },
      concerns: [...new Set(requests.map((r) => r.requester))],
    });
  }

  /** Opens a request that does not come from a token (a RELEASE), SUBMITTED, with its history and audit entry. */
  async open(tx: EntityManager, request: LegalRequest, actor: string, details: Record<string, unknown> = {}): Promise<void> {
    await tx.getRepository(LegalRequest).insert(request);
    await tx.getRepository(LegalRequestHistory).insert({ id: randomUUID(), requestId: request.id, at: request.submittedAt, actor, action: LegalAction.SUBMITTED, fromStatus: null, toStatus: LegalStatus.SUBMITTED, reason: null, details: details as never });
    await this.audit.append(tx, {
      actor,
      action: AuditAction.LegalSubmit,
      target: request.id,
      details: { outcome: 'ok', requests: [{ id: request.id, requester: request.requester, kind: request.kind, case_reference: request.caseReference }], ...details },
      concerns: [request.requester],
    });
  }

  /** The request, locked for this transaction (every change of one request is serialised). */
  async lock(tx: EntityManager, id: string): Promise<LegalRequest> {
    const request = await tx.getRepository(LegalRequest).createQueryBuilder('r').setLock('pessimistic_write').where('r.id = :id', { id }).getOne();
    if (!request) throw notFound(`legal request ${id} not found`);
    return request;
  }

  /**
   * Changes the status: refused (CONFLICT, naming the current status) when the workflow does not
   * allow it; otherwise updates the row, adds the history entry, appends the audit entry (concerning
   * the requester) and tells the requester through delivery. Call with the request locked.
   */
  async changeStatus(tx: EntityManager, request: LegalRequest, change: StatusChange): Promise<LegalRequest> {
    const refusal = transitionRefusal(change.operation, request.status, change.to);
    if (refusal) throw conflict(refusal);
    const from = request.status;
    const now = new Date();
    Object.assign(request, change.set ?? {}, { status: change.to, updatedAt: now });
    await tx.getRepository(LegalRequest).update({ id: request.id }, { ...(change.set ?? {}), status: change.to, updatedAt: now });
    await this.insertHistory(tx, request.id, now, from, change.to, change);
    await this.audit.append(tx, {
      actor: change.actor,
      action: change.audit,
      target: request.id,
      details: { outcome: 'ok', kind: request.kind, from, to: change.to, action: change.action, ...(change.reason ? { reason: change.reason } : {}), ...(change.details ?? {}) },
      concerns: [request.requester],
    });
    await this.notifyRequester(tx, request, change);
    return request;
  }

  /** A history entry that does not change the status (an approval short of the count, OVERDUE, DISCLOSED, RELEASED). */
  async note(tx: EntityManager, request: LegalRequest, step: Step, audit: AuditAction | null, concerns: string[] = [request.requester]): Promise<void> {
    const now = new Date();
    await this.insertHistory(tx, request.id, now, request.status, request.status, step);
    if (audit) {
      await this.audit.append(tx, {
        actor: step.actor,
        action: audit,
        target: request.id,
        details: { outcome: 'ok', kind: request.kind, status: request.status, action: step.action, ...(step.reason ? { reason: step.reason } : {}), ...(step.details ?? {}) },
        concerns,
      });
    }
  }

  /** The request's history, oldest first. */
  history(m: EntityManager, requestId: string): Promise<LegalRequestHistory[]> {
    return m.getRepository(LegalRequestHistory).find({ where: { requestId }, order: { at: 'ASC', id: 'ASC' } });
  }

  /** The distinct reviewers who approved the request so far. */
  async approvers(m: EntityManager, requestId: string): Promise<string[]> {
    const rows = await m.getRepository(LegalRequestHistory).find({ select: { actor: true }, where: { requestId, action: LegalAction.APPROVAL }, order: { at: 'ASC' } });
    return rows.map((r) => r.actor);
  }

  private insertHistory(tx: EntityManager, requestId: string, at: Date, from: LegalStatus | null, to: LegalStatus, step: Step) {
    return tx.getRepository(LegalRequestHistory).insert({
      id: randomUUID(), requestId, at, actor: step.actor, action: step.action, fromStatus: from, toStatus: to, reason: step.reason ?? null, details: (step.details ?? null) as never,
    });
  }

  /** `legal-request-decision` to the requester's streams that asked for it. */
  private async notifyRequester(tx: EntityManager, request: LegalRequest, change: StatusChange): Promise<void> {
    const event: Record<string, unknown> = {
      request_id: request.id,
      kind: lower(request.kind),
      status: lower(change.to),
      action: lower(change.action),
      case_reference: request.caseReference,
      changed_at: Math.floor(Date.now() / 1000),
    };
    if (change.reason) event.reason = change.reason;
    if (request.accessUntil) event.access_until = Math.floor(request.accessUntil.getTime() / 1000);
    await enqueuePartnerNotices(tx, [{ partner: request.requester, eventType: EVENT_TYPE.legalRequestDecision, subject: request.subject, txn: request.jti, event }]);
  }

  /** LEGAL_MIN_APPROVALS and the other settings, for the services built on this store. */
  get settings(): AppConfig['legal'] {
    return this.config.legal;
  }
}

/** The request a stored legal-request event opens (its details are the verified token's fields). */
export function requestOfEvent(r: { id: string; issuer: string; jti: string; subject: string; details: Record<string, unknown>; token: string; received_at: Date }): LegalRequest {
  const d = r.details ?? {};
  const at = new Date(r.received_at);
  return {
    id: r.id,
    requester: r.issuer,
    kind: KIND_OF_TOKEN[String(d.kind)] ?? LegalKind.DISCLOSURE,
    subject: r.subject,
    legalBasis: String(d.legal_basis ?? ''),
    caseReference: String(d.case_reference ?? ''),
    authority: String(d.authority ?? ''),
    deadline: typeof d.deadline === 'number' ? new Date(d.deadline * 1000) : null,
    justification: typeof d.justification === 'string' ? d.justification : null,
    token: r.token,
    jti: r.jti,
    status: LegalStatus.SUBMITTED,
    submittedAt: at,
    updatedAt: at,
    decidedAt: null,
    accessUntil: null,
    overdueAt: null,
    releases: null,
    releasedAt: null,
    flagEventId: null,
  };
}
