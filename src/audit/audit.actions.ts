/** Every audited action, as a dotted name. Later capabilities add theirs here. */
export enum AuditAction {
  PartnerRegister = 'partner.register',
  PartnerSuspend = 'partner.suspend',
  PartnerReactivate = 'partner.reactivate',
  KeyAdd = 'key.add',
  KeyRevoke = 'key.revoke',
  PartnersRead = 'partners.read',
  AuthFailure = 'auth.failure',
  AuditCheckpoint = 'audit.checkpoint',
  EventsPublish = 'events.publish',
  EventsRead = 'events.read',
  EventsPurge = 'events.purge',
  GrantCreate = 'grant.create',
  GrantRevoke = 'grant.revoke',
  ScoresRead = 'scores.read',
  /** The push worker paused a stream after a run of failures (actor: system). */
  PushStreamPaused = 'delivery.push-paused',
  DeadLettersRead = 'delivery.dead-letters.read',
  DeadLettersReplay = 'delivery.dead-letters.replay',
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
