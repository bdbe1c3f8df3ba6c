// The event type URIs the gateway delivers (DESIGN.md "Event type URIs delivered"). Pure constants.

export const EVENT_TYPE = {
  accountFlag: 'urn:risk-exchange:event:account-flag',
  flagLifted: 'urn:risk-exchange:event:flag-lifted',
  riskSignal: 'urn:risk-exchange:event:risk-signal',
  retraction: 'urn:risk-exchange:event:retraction',
  riskTierChanged: 'urn:risk-exchange:event:risk-tier-changed',
  caepRiskLevelChange: 'https://schemas.openid.net/secevent/caep/event-type/risk-level-change',
  verification: 'https://schemas.openid.net/secevent/ssf/event-type/verification',
  streamUpdated: 'https://schemas.openid.net/secevent/ssf/event-type/stream-updated',
  /** To a legal requester: its request changed status (a decision, fulfilment, expiry). */
  legalRequestDecision: 'urn:risk-exchange:event:legal-request-decision',
  /** To an issuer: an approved legal disclosure showed its events to the requester. */
  legalDisclosure: 'urn:risk-exchange:event:legal-disclosure',
} as const;

/**
 * `events_supported` of every stream. The two SSF control events are listed too, though they are
 * sent whatever a stream requests (SSF 1.0 sections 8.1.4 and 8.1.5 allow that).
 */
export const EVENTS_SUPPORTED: readonly string[] = Object.values(EVENT_TYPE);
