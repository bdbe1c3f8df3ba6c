// A partner's SSF identity (issue 14): the issuer URL of its standard transmitter and its iat
// window. Pure: no Nest or TypeORM import.

/** Bounds of a partner's own iat window: 5 minutes (a transmitter that never holds events) to 30 days (one that holds them through a long pause). */
export const PARTNER_IAT_AGE = { min: 300, max: 2_592_000 } as const;

export class SsfIdentityError extends Error {}

/**
 * An https URL with a host, no query, no fragment, no credentials, at most 512 characters, kept
 * exactly as given: `iss` is compared as a string (RFC 7519), so `https://idp.example/` and
 * `https://idp.example` are two issuers. Null or undefined stays null.
 */
export function validateSsfIssuer(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  const rule = 'ssfIssuer must be an https URL with a host and no query, fragment or credentials, at most 512 characters, exactly as your transmitter writes its iss';
  if (typeof value !== 'string' || value.length < 9 || value.length > 512 || !/^https:\/\/[\x21-\x7e]+$/.test(value)) throw new SsfIdentityError(rule);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SsfIdentityError(rule);
  }
  if (url.protocol !== 'https:' || !url.hostname || url.search || url.hash || value.includes('#') || value.includes('?') || url.username || url.password) throw new SsfIdentityError(rule);
  return value;
}

export function validateMaxIatAge(value: number | null | undefined): number | null {
  if (value === undefined || value === null) return null;
  if (!Number.isInteger(value) || value < PARTNER_IAT_AGE.min || value > PARTNER_IAT_AGE.max) {
    throw new SsfIdentityError(`maxIatAgeSeconds must be an integer in ${PARTNER_IAT_AGE.min}..${PARTNER_IAT_AGE.max} (5 minutes to 30 days), got ${value}`);
  }
  return value;
}
