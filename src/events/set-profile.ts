// Constants of the token profile (SET-PROFILE.md, section 3). Pure.

export const SET_TYP = 'secevent+jwt';
export const MAX_SET_BYTES = 16 * 1024;
/** The last second of year 9999 (profile v1.1): every NumericDate lies in 0..this, within PostgreSQL's range. */
export const MAX_NUMERIC_DATE = 253_402_300_799;
export const SET_ALGS = ['EdDSA', 'ES256', 'PS256', 'RS256'] as const;
export const REFUSED_HEADERS = ['jku', 'x5u', 'jwk', 'x5c', 'crit', 'b64'] as const;

/** A subject id (`sub_id.id`): what tokens carry and what reads by subject accept. */
export const SUBJECT_ID = /^[A-Za-z0-9._~:+/=-]{8,256}$/;
export const SUBJECT_ID_RULE = '8..256 characters of [A-Za-z0-9._~:+/=-]';
/** What a refused subject format is told (profile section 3): how to make the pseudonymous id. */
export const PSEUDONYMOUS_ID_HOW =
  'the gateway takes pseudonymous subjects only: make the id "v1:" + base64url(HMAC-SHA256(linkage key, kind + ":" + normalized value)), ' +
  'e.g. kind "email" and the lower-cased address, under the consortium linkage key (which never reaches the gateway)';

export enum EventType {
  RiskSignal = 'urn:risk-exchange:event:risk-signal',
  AccountFlag = 'urn:risk-exchange:event:account-flag',
  FlagLifted = 'urn:risk-exchange:event:flag-lifted',
  Retraction = 'urn:risk-exchange:event:retraction',
  LegalRequest = 'urn:risk-exchange:event:legal-request',
}

export const CATEGORIES = ['cash_out', 'credit_arbitrage', 'merchant_collusion', 'high_velocity', 'account_takeover', 'money_mule', 'identity_fraud', 'other'] as const;
export type Category = (typeof CATEGORIES)[number];
export const FLAG_ACTIONS = ['warn', 'restrict', 'freeze', 'close'] as const;
export const DISTRIBUTIONS = ['issuer_only', 'granted', 'consortium'] as const;
export type Distribution = (typeof DISTRIBUTIONS)[number];
export const RETRACTION_REASONS = ['false_positive', 'disputed', 'error', 'superseded'] as const;
export const LEGAL_KINDS = ['disclosure', 'freeze', 'preservation'] as const;

/**
 * How long a risk signal counts when its publisher gives no `expires_at`, in days. Fast-moving
 * patterns age out quickly (a velocity burst says little after a month); identity fraud and mule
 * accounts stay relevant for the profile's maximum.
 */
export const DEFAULT_SIGNAL_TTL_DAYS: Readonly<Record<Category, number>> = {
  high_velocity: 30,
  account_takeover: 90,
  cash_out: 180,
  credit_arbitrage: 180,
  merchant_collusion: 365,
  money_mule: 365,
  identity_fraud: 730,
  other: 90,
};

export const MAX_EXPIRY_DAYS = 730;
