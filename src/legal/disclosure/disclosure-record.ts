// What every disclosure read leaves behind, in the reading transaction: a DISCLOSED note in the
// request's history (counts only, so the history stays small), a `legal.disclosure.read` audit
// entry that concerns every issuer whose events were shown (each sees it in myAuditTrail), and a
// `legal-disclosure` notice to each such issuer listing its own events that were shown.
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditAction } from '../../audit/audit.actions';
import { AuditService } from '../../audit/audit.service';
import { enqueuePartnerNotices } from '../../delivery/partner-notices';
import { EVENT_TYPE } from '../../delivery/streams/event-types';
import { LegalAction, LegalRequest } from '../legal-request.entity';
import { LegalRequestsStore } from '../legal-requests.store';
import { GATEWAY_EVENT_ISSUER } from './package';

/** Which read it was. */
export type DisclosureRead = 'events' | 'score-history' | 'package';

@Injectable()
export class DisclosureRecord {
  constructor(
    private readonly store: LegalRequestsStore,
    private readonly audit: AuditService,
  ) {}

  /** Records one read of `shown` (the events, or the causes of score changes, that the answer named). */
  async record(tx: EntityManager, request: LegalRequest, read: DisclosureRead, shown: Array<{ id: string; issuer: string }>, extra: Record<string, unknown> = {}): Promise<void> {
    const items: Record<string, string[]> = {};
    for (const e of shown) (items[e.issuer] ??= []).push(e.id);
    // The gateway's own events (a freeze flag) concern no partner; the requester is told nothing of its own.
    const issuers = Object.keys(items).filter((i) => i !== GATEWAY_EVENT_ISSUER && i !== request.requester).sort();
    const at = Math.floor(Date.now() / 1000);
    // The request's history says that (and when) it was read, at most once an hour, so a requester
    // reading page after page cannot grow it without bound; the audit log keeps every read in full.
    const recent = (await tx.query(
      `SELECT 1 FROM legal_request_history WHERE request_id = $1 AND action = '${LegalAction.DISCLOSED}' AND at > now() - interval '1 hour' LIMIT 1`,
      [request.id],
    )) as unknown[];
    if (!recent.length) await this.store.note(tx, request, { actor: request.requester, action: LegalAction.DISCLOSED, details: { read, events: shown.length, issuers: issuers.length, ...extra } }, null);
    await enqueuePartnerNotices(
      tx,
      issuers.map((issuer) => ({
        partner: issuer,
        eventType: EVENT_TYPE.legalDisclosure,
        subject: request.subject,
        txn: request.jti,
        event: {
          request_id: request.id,
          requester: request.requester,
          authority: request.authority,
          case_reference: request.caseReference,
          legal_basis: request.legalBasis,
          event_ids: items[issuer],
          disclosed_at: at,
        },
      })),
    );
    // Last: the audit append lock is held until commit.
    await this.audit.append(tx, {
      actor: request.requester,
      action: AuditAction.LegalDisclosureRead,
      target: request.id,
      details: { outcome: 'ok', read, subject: request.subject, case_reference: request.caseReference, items, ...extra },
      concerns: issuers,
    });
  }
}
