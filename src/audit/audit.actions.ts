/** Every audited action, as a dotted name. Later capabilities add theirs here. */
export enum AuditAction {
  PartnerRegister = 'partner.register',
  PartnerSuspend = 'partner.suspend',
  PartnerReactivate = 'partner.reactivate',
  PartnerSsfUpdate = 'partner.ssf-update',
  KeyAdd = 'key.add',
  KeyRevoke = 'key.revoke',
  PushTokenCreate = 'push-token.create',
  PushTokenRevoke = 'push-token.revoke',
  PartnersRead = 'partners.read',
  AuthFailure = 'auth.failure',
  AuditCheckpoint = 'audit.checkpoint',
  EventsPublish = 'events.publish',
  EventsIgnore = 'events.ignore',
  EventsRead = 'events.read',
  EventsPurge = 'events.purge',
  GrantCreate = 'grant.create',
  GrantRevoke = 'grant.revoke',
  ScoresRead = 'scores.read',
  /** An OAuth access token issued by POST /oauth/token (identifiers only, never the token). */
  OAuthToken = 'oauth.token',
  /** Notices of a partner's events written for other partners' streams (its transparency trail). */
  DeliveriesEnqueue = 'deliveries.enqueue',
  StreamCreate = 'stream.create',
  StreamUpdate = 'stream.update',
  StreamDelete = 'stream.delete',
  StreamStatus = 'stream.status',
  StreamSubjects = 'stream.subjects',
  StreamVerify = 'stream.verify',
  NoticesAcknowledge = 'notices.acknowledge',
  DeadLettersRead = 'delivery.dead-letters.read',
  DeadLettersReplay = 'delivery.dead-letters.replay',
  /** A legal request opened (from a LEGAL partner's token, or a release asked for). */
  LegalSubmit = 'legal.submit',
  /** A reviewer's step: review started, an approval, a rejection (details: from, to, reason). */
  LegalReview = 'legal.review',
  LegalWithdraw = 'legal.withdraw',
  /** The gateway carried out an approved request (freeze flag published, hold set, package issued). */
  LegalFulfil = 'legal.fulfil',
  /** Deadlines: a request found overdue, an approval expired, an access window closed, a freeze's deadline reached. */
  LegalDeadline = 'legal.deadline',
  /** A freeze or preservation ended. */
  LegalRelease = 'legal.release',
  /** A requester read what a disclosure opened (concerns: every issuer whose events it saw). */
  LegalDisclosureRead = 'legal.disclosure.read',
  /** A reviewer read legal requests (the queue, or one request): concerns each requester shown. */
  LegalRead = 'legal.read',
}

export const SYSTEM_ACTOR = 'system';

/** What a caller asks to record; the service adds seq, at and the hashes. */
export interface AuditInput {
  actor: string;
  action: AuditAction;
  target?: string | null;
  details?: Record<string, unknown>;
  /** Partners whose data this entry concerns (they see it in their own trail). */
  concerns?: string[];
}
