// The gateway's own events (README "The gateway's own events"): the account-flag that carries an
// approved legal freeze, and its flag-lifted. Pure functions (no I/O, no Nest): the signed claims
// and the stored row, shaped by the event entity like the ingest's rows.
import { randomUUID } from 'node:crypto';
import { EventRecord, EventStatus, StoredEventType } from './event.entity';
import { GATEWAY_ISSUER_ID } from './gateway-issuer';
import { EventType } from './set-profile';

export { GATEWAY_ISSUER_ID, isGatewayIssuer } from './gateway-issuer';

/** Reason code of the gateway's freeze flag. */
export const LEGAL_ORDER_REASON = 'legal_order';

/** The legal order a gateway freeze flag carries (the approved FREEZE request). */
export interface LegalOrder {
  requestId: string;
  caseReference: string;
  authority: string;
  /** The order's deadline: the flag expires then. */
  deadline: Date | null;
}

/** What the gateway publishes: a freeze carrying an order, or the lift of its own earlier flag. */
export type GatewayEvent =
  | { kind: 'freeze'; subject: string; order: LegalOrder }
  | { kind: 'lift'; subject: string; flag: { id: string; jti: string }; requestId: string; reasonCode: string };

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

/** The SET claims (token profile section 3) of a gateway event, signed by the gateway key. */
export function gatewayEventClaims(e: GatewayEvent, iss: string, aud: string, jti: string, at: Date): Record<string, unknown> {
  const base = { iss, aud, iat: seconds(at), jti, sub_id: { format: 'opaque', id: e.subject } };
  if (e.kind === 'freeze') {
    const member: Record<string, unknown> = {
      action: 'freeze',
      reason_codes: [LEGAL_ORDER_REASON],
      distribution: 'consortium',
      legal_request_id: e.order.requestId,
      case_reference: e.order.caseReference,
      authority: e.order.authority,
    };
    if (e.order.deadline) member.expires_at = seconds(e.order.deadline);
    return { ...base, events: { [EventType.AccountFlag]: member } };
  }
  return { ...base, events: { [EventType.FlagLifted]: { flag_jti: e.flag.jti, reason_codes: [e.reasonCode], legal_request_id: e.requestId } } };
}

/** The `event` row of a signed gateway event, shaped like a partner's flag or lift (consortium distribution). */
export function gatewayEventRow(e: GatewayEvent, token: string, jti: string, kid: string, at: Date): EventRecord {
  const freeze = e.kind === 'freeze';
  return {
    id: randomUUID(),
    issuer: GATEWAY_ISSUER_ID,
    jti,
    kid,
    subject: e.subject,
    type: freeze ? StoredEventType.ACCOUNT_FLAG : StoredEventType.FLAG_LIFTED,
    category: null,
    action: freeze ? 'freeze' : null,
    score: null,
    confidence: null,
    reasonCodes: [freeze ? LEGAL_ORDER_REASON : e.reasonCode],
    distribution: 'consortium',
    grantCategory: 'account_flag',
    observedAt: null,
    issuedAt: at,
    effectiveAt: null,
    expiresAt: freeze ? e.order.deadline : null,
    evidence: null,
    txn: null,
    targetJti: freeze ? null : e.flag.jti,
    details: freeze
      ? { legal_request_id: e.order.requestId, case_reference: e.order.caseReference, authority: e.order.authority }
      : { legal_request_id: e.requestId },
    token,
    receivedAt: at,
    status: EventStatus.ACTIVE,
    statusChangedAt: null,
    statusChangedBy: null,
    legalHold: false,
  };
}
