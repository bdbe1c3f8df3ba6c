// What the ingest needs for standard SSF transmitters (issue 14), kept apart from the ingest itself.
import type { EntityManager } from 'typeorm';
import type { AuthenticatedPartner } from '../../auth/authenticated-partner';
import type { SetContext, SetPartnerKey, VerifiedEvent } from '../set-verifier';
import { RISC_ACCOUNT_DISABLED } from './ssf-mapping';

interface LoadedPartner {
  id: string;
  kind: string;
  keys: readonly SetPartnerKey[];
  ssfIssuer: string | null;
  maxIatAgeSeconds: number | null;
}

/** The partner part of the verifier's context, and its per-partner options: plain data only. */
export function inboundSetContext(partner: LoadedPartner, caller: AuthenticatedPartner): Pick<SetContext, 'partner' | 'maxIatAgeSeconds' | 'viaPushToken'> {
  return {
    partner: { id: partner.id, kind: partner.kind, keys: partner.keys, ssfIssuer: partner.ssfIssuer },
    ...(partner.maxIatAgeSeconds !== null ? { maxIatAgeSeconds: partner.maxIatAgeSeconds } : {}),
    viaPushToken: caller.pushTokenId !== undefined,
  };
}

/** An event answered but not stored, as the audit log records it. */
export interface IgnoredEvent {
  jti: string;
  type: string;
  reason: string;
}

export const ignoredOf = (e: VerifiedEvent, reason = e.ignoreReason ?? 'unmapped'): IgnoredEvent => ({ jti: e.jti, type: e.standardType ?? String(e.type), reason });

/** A freeze flag mapped from RISC account-disabled (what account-enabled lifts). */
export const isMappedFreeze = (e: VerifiedEvent) => e.action === 'freeze' && e.mappedDetails?.mapped_from === RISC_ACCOUNT_DISABLED;

/**
 * RISC `account-enabled` lifts "the" freeze: the issuer's latest active freeze flag on that subject
 * that was mapped from RISC `account-disabled`. Returns the target jti per subject (absent: none).
 */
export async function mappedFreezeTargets(tx: EntityManager, issuer: string, subjects: string[]): Promise<Map<string, string>> {
  const targets = new Map<string, string>();
  if (!subjects.length) return targets;
  const rows = (await tx.query(
    `SELECT DISTINCT ON (subject) subject, jti FROM event
      WHERE issuer = $1 AND subject = ANY($2::varchar[]) AND type = 'ACCOUNT_FLAG' AND action = 'freeze' AND status = 'ACTIVE'
        AND details->>'mapped_from' = $3
      ORDER BY subject, received_at DESC, id DESC`,
    [issuer, [...new Set(subjects)], RISC_ACCOUNT_DISABLED],
  )) as Array<{ subject: string; jti: string }>;
  for (const r of rows) targets.set(r.subject, r.jti);
  return targets;
}
