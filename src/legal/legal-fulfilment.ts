// What the gateway does when a request is approved, per kind. The workflow service calls the
// handler in the approving transaction; the disclosure, freeze and preservation parts register
// their handler here (each in its own file), so the workflow knows no kind's details.
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { LegalRequest } from './legal-request.entity';
import { LegalKind } from './legal-workflow';

export interface FulfilmentOutcome {
  /** True: the request is carried out now (APPROVED → FULFILLED in the same transaction). */
  fulfilled: boolean;
  /** Recorded in the FULFILLED history entry and its audit entry. */
  details?: Record<string, unknown>;
}

export interface FulfilmentHandler {
  /**
   * The request reached its approvals. For a RELEASE, `released` is the approved FREEZE or
   * PRESERVATION it ends (locked), and the handler registered for that request's kind runs.
   */
  approved(tx: EntityManager, request: LegalRequest, approvers: string[], released: LegalRequest | null): Promise<FulfilmentOutcome>;
}

@Injectable()
export class LegalFulfilment {
  private readonly handlers = new Map<LegalKind, FulfilmentHandler>();

  /** One handler per kind; a RELEASE is handled by the handler of the kind it releases. */
  register(kind: LegalKind, handler: FulfilmentHandler): void {
    if (kind === LegalKind.RELEASE) throw new Error('a RELEASE is handled by the handler of the kind it releases');
    if (this.handlers.has(kind)) throw new Error(`a fulfilment handler for ${kind} is registered twice`);
    this.handlers.set(kind, handler);
  }

  /** Runs the handler for an approved request (for a RELEASE: the released request's kind). */
  approved(tx: EntityManager, request: LegalRequest, approvers: string[], released: LegalRequest | null): Promise<FulfilmentOutcome> {
    const kind = request.kind === LegalKind.RELEASE ? released?.kind : request.kind;
    if (!kind) throw new Error('a RELEASE needs the request it releases');
    const handler = this.handlers.get(kind);
    // Every kind has a handler once the app is assembled (test/legal-*.e2e-spec checks kinds()).
    if (!handler) throw new Error(`no fulfilment handler for ${kind}`);
    return handler.approved(tx, request, approvers, released);
  }

  /** Kinds with a handler (tests check that every kind has one). */
  kinds(): LegalKind[] {
    return [...this.handlers.keys()].sort();
  }
}
