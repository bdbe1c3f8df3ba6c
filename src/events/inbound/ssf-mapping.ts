// Standard SSF, RISC and CAEP events received on the push endpoint (issue 14), mapped to the
// profile's own events. Pure: no Nest or TypeORM import (the SET verifier calls it, and may run in
// a worker). The table is documented in the README ("Standard transmitters"); change both together.
import type { Category, Distribution } from '../set-profile';

export const SSF_EVENT_PREFIX = 'https://schemas.openid.net/secevent/ssf/event-type/';
export const RISC_EVENT_PREFIX = 'https://schemas.openid.net/secevent/risc/event-type/';
export const CAEP_EVENT_PREFIX = 'https://schemas.openid.net/secevent/caep/event-type/';

export const SSF_VERIFICATION = `${SSF_EVENT_PREFIX}verification`;
export const SSF_STREAM_UPDATED = `${SSF_EVENT_PREFIX}stream-updated`;
export const RISC_CREDENTIAL_COMPROMISE = `${RISC_EVENT_PREFIX}credential-compromise`;
export const RISC_ACCOUNT_DISABLED = `${RISC_EVENT_PREFIX}account-disabled`;
export const RISC_ACCOUNT_ENABLED = `${RISC_EVENT_PREFIX}account-enabled`;

/** Stream control events (SSF 1.0 section 8): answered, audited, never stored as facts. */
const CONTROL_TYPES: readonly string[] = [SSF_VERIFICATION, SSF_STREAM_UPDATED];

/**
 * Defaults of the mapped signals. A transmitter that disabled an account for hijacking has seen
 * the takeover: 0.9. A compromised credential makes a takeover likely but not yet seen: 0.7.
 * Confidence stays under 1 because the mapping keeps none of the transmitter's own nuance.
 * Signals are shared as `granted` (the profile's default for signals): a standard transmitter has
 * not chosen wider sharing. The freeze flag is `consortium`, the profile's default for flags.
 */
export const MAPPED_DEFAULTS = {
  credentialCompromise: { category: 'account_takeover' as Category, score: 0.7, confidence: 0.8, distribution: 'granted' as Distribution },
  hijacking: { category: 'account_takeover' as Category, score: 0.9, confidence: 0.9, distribution: 'granted' as Distribution },
  freeze: { action: 'freeze', distribution: 'consortium' as Distribution },
} as const;

export type StandardEvent =
  | { kind: 'control' }
  | { kind: 'unmapped' }
  | {
      kind: 'signal';
      category: Category;
      score: number;
      confidence: number;
      reasonCodes: string[];
      observedAt: number | null;
      distribution: Distribution;
      evidence: Record<string, unknown> | null;
    }
  | { kind: 'flag'; action: 'freeze'; reasonCodes: string[]; effectiveAt: number; distribution: Distribution; reason: string | null }
  /** Lifts the latest active freeze mapped from `account-disabled` for the same issuer and subject (the ingest finds it). */
  | { kind: 'lift-mapped-freeze'; reasonCodes: string[] };

/** An event type of the SSF, RISC or CAEP namespaces: never refused as unknown, at worst dropped. */
export function isStandardEventType(type: string): boolean {
  return type.startsWith(SSF_EVENT_PREFIX) || type.startsWith(RISC_EVENT_PREFIX) || type.startsWith(CAEP_EVENT_PREFIX);
}

export function isControlEventType(type: string): boolean {
  return CONTROL_TYPES.includes(type);
}

const SHORT_TEXT = /^[\x20-\x7e]{1,64}$/;
const shortText = (v: unknown): string | null => (typeof v === 'string' && SHORT_TEXT.test(v) ? v : null);

/**
 * What a standard event becomes. Optional attributes that do not fit are left out rather than
 * refused: the transmitter's SET is valid by its own specification, and the mapping is ours.
 */
export function mapStandardEvent(type: string, payload: Record<string, unknown>, iat: number): StandardEvent {
  if (isControlEventType(type)) return { kind: 'control' };
  switch (type) {
    case RISC_CREDENTIAL_COMPROMISE: {
      const d = MAPPED_DEFAULTS.credentialCompromise;
      const at = payload.event_timestamp;
      const credentialType = shortText(payload.credential_type);
      return {
        kind: 'signal',
        category: d.category,
        score: d.score,
        confidence: d.confidence,
        reasonCodes: ['risc_credential_compromise'],
        // When the transmitter discovered it, if that is a plausible time (not after iat).
        observedAt: typeof at === 'number' && Number.isInteger(at) && at >= 0 && at <= iat ? at : null,
        distribution: d.distribution,
        evidence: credentialType ? { credential_type: credentialType } : null,
      };
    }
    case RISC_ACCOUNT_DISABLED: {
      const reason = shortText(payload.reason);
      if (reason === 'hijacking') {
        const d = MAPPED_DEFAULTS.hijacking;
        return { kind: 'signal', category: d.category, score: d.score, confidence: d.confidence, reasonCodes: ['risc_account_disabled_hijacking'], observedAt: null, distribution: d.distribution, evidence: null };
      }
      const codes = reason === 'bulk-account' ? ['risc_account_disabled', 'risc_bulk_account'] : ['risc_account_disabled'];
      return { kind: 'flag', action: 'freeze', reasonCodes: codes, effectiveAt: iat, distribution: MAPPED_DEFAULTS.freeze.distribution, reason };
    }
    case RISC_ACCOUNT_ENABLED:
      return { kind: 'lift-mapped-freeze', reasonCodes: ['risc_account_enabled'] };
    default:
      return { kind: 'unmapped' };
  }
}
