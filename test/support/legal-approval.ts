import { DataSource } from 'typeorm';
import { AuditAction } from '../../src/audit/audit.actions';
import { LegalAction } from '../../src/legal/legal-request.entity';
import { LegalRequestsStore } from '../../src/legal/legal-requests.store';
import { accessUntil, LegalStatus } from '../../src/legal/legal-workflow';
import type { TestGateway } from './app';

/**
 * Moves a request to APPROVED through the store, as two reviewers would (review started, one
 * APPROVAL note per reviewer, APPROVED with its decision time and access window). The workflow's
 * `approveLegalRequest` mutation is built on another branch (lwork): after merging, replace each
 * call with two `approveLegalRequest` mutations by two OPERATOR partners.
 */
export async function approveThroughStoreUntilWorkflowMerged(gw: TestGateway, requestId: string, reviewers = ['operator', 'officer-2']): Promise<void> {
  const store = gw.app.get(LegalRequestsStore, { strict: false });
  await gw.app.get(DataSource).transaction(async (tx) => {
    const request = await store.lock(tx, requestId);
    await store.changeStatus(tx, request, { to: LegalStatus.UNDER_REVIEW, operation: 'start review', actor: reviewers[0], action: LegalAction.REVIEW_STARTED, audit: AuditAction.LegalReview });
    for (const reviewer of reviewers) await store.note(tx, request, { actor: reviewer, action: LegalAction.APPROVAL, reason: `lawful order, checked by ${reviewer}` }, AuditAction.LegalReview);
    const now = new Date();
    await store.changeStatus(tx, request, {
      to: LegalStatus.APPROVED, operation: 'approve', actor: reviewers[reviewers.length - 1], action: LegalAction.APPROVED, audit: AuditAction.LegalReview,
      set: { decidedAt: now, accessUntil: accessUntil(now, request.deadline, store.settings.disclosureDays) },
    });
  });
}
