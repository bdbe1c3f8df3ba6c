import { AuditAction } from './audit.actions';

/**
 * The audit action of every mutation. Successes are recorded by the services in the action's
 * own transaction; failures (refused, invalid, conflicting) are recorded by the exception filter
 * with this action. A test fails when a mutation is missing here.
 */
export const MUTATION_AUDIT_ACTIONS: Readonly<Record<string, AuditAction>> = {
  registerPartner: AuditAction.PartnerRegister,
  addPartnerKey: AuditAction.KeyAdd,
  revokePartnerKey: AuditAction.KeyRevoke,
  suspendPartner: AuditAction.PartnerSuspend,
  reactivatePartner: AuditAction.PartnerReactivate,
  createAuditCheckpoint: AuditAction.AuditCheckpoint,
  publishEvents: AuditAction.EventsPublish,
  grantAccess: AuditAction.GrantCreate,
  revokeGrant: AuditAction.GrantRevoke,
  createPushToken: AuditAction.PushTokenCreate,
  revokePushToken: AuditAction.PushTokenRevoke,
  updatePartnerSsf: AuditAction.PartnerSsfUpdate,
  createStream: AuditAction.StreamCreate,
  updateStream: AuditAction.StreamUpdate,
  deleteStream: AuditAction.StreamDelete,
  setStreamStatus: AuditAction.StreamStatus,
  addStreamSubjects: AuditAction.StreamSubjects,
  removeStreamSubjects: AuditAction.StreamSubjects,
  verifyStream: AuditAction.StreamVerify,
  acknowledgeNotices: AuditAction.NoticesAcknowledge,
  replayDeadLetters: AuditAction.DeadLettersReplay,
  submitLegalRequest: AuditAction.LegalSubmit,
  startLegalReview: AuditAction.LegalReview,
  approveLegalRequest: AuditAction.LegalReview,
  rejectLegalRequest: AuditAction.LegalReview,
  withdrawLegalRequest: AuditAction.LegalWithdraw,
  requestLegalRelease: AuditAction.LegalRelease,
};

/** The target of a failed mutation, from its arguments (the audit service renders it storable: escaped, cut to 256). */
export function mutationTarget(args: Record<string, unknown>): string | null {
  const input = args.input as Record<string, unknown> | undefined;
  for (const candidate of [args.partnerId, args.id, input?.id, args.streamId, input?.streamId]) {
    if (typeof candidate === 'string') return candidate;
  }
  return null;
}
