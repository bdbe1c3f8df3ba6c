import { PartnerKind } from '../partners/partner.enums';

/** Every permission an operation can require. */
export enum Permission {
  /** Read one's own partner record (`me`). */
  ReadSelf = 'ReadSelf',
  /** Add or revoke one's own keys (rotation). */
  ManageOwnKeys = 'ManageOwnKeys',
  /** Register, suspend and reactivate partners, manage anyone's keys, list partners. */
  ManagePartners = 'ManagePartners',
  /** Read Prometheus metrics (also possible with METRICS_TOKEN). */
  ReadMetrics = 'ReadMetrics',
  /** Read and filter the whole audit log. */
  ReadAuditLog = 'ReadAuditLog',
  /** Verify the whole audit chain. */
  VerifyAuditLog = 'VerifyAuditLog',
  /** Sign an audit checkpoint on demand. */
  CreateAuditCheckpoint = 'CreateAuditCheckpoint',
  /** Read the audit entries about one's own data (access transparency). */
  ReadOwnAuditTrail = 'ReadOwnAuditTrail',
  /** Read the latest audit checkpoint and check a kept one. */
  ReadAuditCheckpoint = 'ReadAuditCheckpoint',
  /** Publish signed events (signals, flags, lifts, retractions; legal requests for LEGAL only). */
  PublishEvents = 'PublishEvents',
  /** Read one's own published events. */
  ReadOwnEvents = 'ReadOwnEvents',
  /** Give and revoke grants on one's own events. */
  ManageGrants = 'ManageGrants',
  /** List the grants one gave or received. */
  ReadOwnGrants = 'ReadOwnGrants',
  /** List every grant. */
  ReadAllGrants = 'ReadAllGrants',
  /** Read other partners' events as distribution allows (signals, flags). */
  ReadSharedEvents = 'ReadSharedEvents',
  /** Read merged risk scores and their history. */
  ReadRiskScores = 'ReadRiskScores',
  /** Create, revoke and list static push tokens for POST /events (one's own; the operator: any publisher's). */
  ManagePushTokens = 'ManagePushTokens',
  /** Create, change and delete one's own SSF streams: status, subjects, verification, dead-letter replay. */
  ManageStreams = 'ManageStreams',
  /** Read one's own SSF streams, their status and delivery status; receive their notices (poll, subscribe, acknowledge, read delivery errors). */
  ReadStreams = 'ReadStreams',
  /** Submit legal requests (as a signed legal-request token), list and read one's own with their history, withdraw them, ask for a release. */
  SubmitLegalRequests = 'SubmitLegalRequests',
  /** Read what an approved disclosure opened (that subject only, during its access window) and its disclosure package. */
  ReadDisclosures = 'ReadDisclosures',
  /** Review legal requests: list the queue, start review, approve, reject (compliance officers). */
  ReviewLegalRequests = 'ReviewLegalRequests',
}

/** What every partner may do, whatever its kind. */
const EVERY_KIND = [Permission.ReadSelf, Permission.ManageOwnKeys, Permission.ReadOwnAuditTrail, Permission.ReadAuditCheckpoint, Permission.ReadOwnEvents, Permission.ReadOwnGrants];
/** Institutions that publish events. (The profile lets only LEGAL publish legal requests: see the SET verifier.) */
const PUBLISHER = [...EVERY_KIND, Permission.PublishEvents, Permission.ManagePushTokens];
/** Partners that receive notices (SSF streams): every kind that publishes. */
const RECEIVER = [...PUBLISHER, Permission.ManageStreams, Permission.ReadStreams];
/** Banks, platforms and scorers also share with each other. */
const SHARER = [...RECEIVER, Permission.ManageGrants, Permission.ReadSharedEvents, Permission.ReadRiskScores];

/**
 * The permission table: written once, here, and shown in the README. A partner may call an
 * operation only when its kind holds the operation's permission. Ownership rules (for example
 * "only your own keys") are checked in the services on top of this.
 */
export const PERMISSIONS_BY_KIND: Readonly<Record<PartnerKind, readonly Permission[]>> = {
  [PartnerKind.OPERATOR]: [
    ...EVERY_KIND,
    Permission.ManagePartners,
    Permission.ReadMetrics,
    Permission.ReadAuditLog,
    Permission.VerifyAuditLog,
    Permission.CreateAuditCheckpoint,
    Permission.ReadAllGrants,
    Permission.ManagePushTokens,
    Permission.ReviewLegalRequests,
  ],
  [PartnerKind.BANK]: SHARER,
  [PartnerKind.ECOMMERCE]: SHARER,
  [PartnerKind.INTERNAL_SCORER]: SHARER,
  [PartnerKind.LEGAL]: [...RECEIVER, Permission.SubmitLegalRequests, Permission.ReadDisclosures],
};

/**
 * The give-to-get column: whether an operation that needs the permission reads data other partners
 * derived (their events, or scores and tier changes computed from them), and so requires the caller
 * to have contributed (GIVE_TO_GET_MIN_EVENTS). Every permission must be classified (the type makes
 * this table exhaustive), and the GiveToGetGuard (sharing/contribution.service.ts) enforces it for
 * every operation declaring a marked permission, so a new read path cannot forget it.
 */
export const GIVE_TO_GET: Readonly<Record<Permission, boolean>> = {
  [Permission.ReadSelf]: false,
  [Permission.ManageOwnKeys]: false,
  [Permission.ManagePartners]: false,
  [Permission.ReadMetrics]: false,
  [Permission.ReadAuditLog]: false,
  [Permission.VerifyAuditLog]: false,
  [Permission.CreateAuditCheckpoint]: false,
  [Permission.ReadOwnAuditTrail]: false,
  [Permission.ReadAuditCheckpoint]: false,
  [Permission.PublishEvents]: false,
  // Own events; `event(id)` also answers another partner's event, and then checks give-to-get
  // itself (ContributionService), only once it knows the event is not the caller's own.
  [Permission.ReadOwnEvents]: false,
  [Permission.ManageGrants]: false,
  [Permission.ReadOwnGrants]: false,
  [Permission.ReadAllGrants]: false,
  [Permission.ReadSharedEvents]: true,
  [Permission.ReadRiskScores]: true,
  [Permission.ManagePushTokens]: false,
  // Streams and their notices carry other partners' events and the scores derived from them, like the reads above.
  [Permission.ManageStreams]: true,
  [Permission.ReadStreams]: true,
  // Legal access is granted by reviewed requests, not earned by contributing.
  [Permission.SubmitLegalRequests]: false,
  [Permission.ReadDisclosures]: false,
  [Permission.ReviewLegalRequests]: false,
};

/** Whether an operation declaring these permissions requires give-to-get. */
export function requiresGiveToGet(permissions: readonly Permission[]): boolean {
  return permissions.some((p) => GIVE_TO_GET[p]);
}

export function kindHas(kind: PartnerKind, permission: Permission): boolean {
  return PERMISSIONS_BY_KIND[kind].includes(permission);
}
