// The profile's pseudonymous subject id (SET-PROFILE section 3):
//   "v1:" + base64url(HMAC-SHA256(linkageKey, kind + ":" + normalizedValue))
// Two institutions only match an account when they normalise its identifier the same way, so the
// rules below are the contract (README "Command line", hash-subject). Pure: node:crypto only.
import { createHmac } from 'node:crypto';
import { domainToASCII } from 'node:url';

export const SUBJECT_KINDS = ['phone', 'national_id', 'card', 'email'] as const;
export type SubjectKind = (typeof SUBJECT_KINDS)[number];

/** A value that cannot be normalised; the message says what is wrong (never echoes the whole value). */
export class NormalizationError extends Error {}

export interface NormalizeOptions {
  /** Country calling code (digits, e.g. "86") for phone numbers written without + or 00. */
  phoneCountry?: string;
}

const fail = (message: string): never => {
  throw new NormalizationError(message);
};

/**
 * E.164: "+" and 8..15 digits, the first not 0. Spaces, dots, dashes, slashes and parentheses
 * are dropped; a leading "00" is the international prefix. A national number (no + or 00) needs
 * the country calling code; its one leading trunk "0" is dropped, except in Italy (+39) where
 * it belongs to the number.
 */
export function normalizePhone(raw: string, o: NormalizeOptions = {}): string {
  let s = raw.trim().replace(/[\s.\-/()]/g, '');
  if (s.startsWith('00')) s = '+' + s.slice(2);
  if (!s.startsWith('+')) {
    if (!/^\d+$/.test(s)) fail('a phone number holds only digits, spaces, "+", "(", ")", ".", "-" and "/"');
    if (!o.phoneCountry) fail('a national phone number (no + or 00) needs its country calling code: give --phone-country (e.g. 86)');
    const cc = o.phoneCountry!.replace(/^\+/, '');
    if (!/^[1-9]\d{0,2}$/.test(cc)) fail('--phone-country must be a country calling code of 1..3 digits, e.g. 86');
    s = '+' + cc + (cc === '39' ? s : s.replace(/^0/, ''));
  }
  if (!/^\+[1-9]\d{7,14}$/.test(s)) fail('a phone number in E.164 has "+" and 8..15 digits, the first not 0');
  return s;
}

/** Upper-case letters and digits only: spaces, dashes, dots and slashes are dropped; 5..32 characters. */
export function normalizeNationalId(raw: string): string {
  const s = raw.trim().replace(/[\s.\-/]/g, '').toUpperCase();
  if (!/^[A-Z0-9]{5,32}$/.test(s)) fail('a national ID number is 5..32 letters and digits (spaces, "-", "." and "/" are ignored)');
  return s;
}

/** Digits only (spaces and dashes dropped), 12..19 of them, passing the Luhn check. */
export function normalizeCard(raw: string): string {
  const s = raw.trim().replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(s)) fail('a bank card number is 12..19 digits (spaces and "-" are ignored)');
  if (!luhnValid(s)) fail('the bank card number fails its Luhn check digit: a digit is mistyped');
  return s;
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * Trimmed and lower-cased; an internationalised domain in its ASCII (punycode) form. Nothing
 * provider-specific (no removal of dots or "+tags"): institutions could not agree on it.
 */
export function normalizeEmail(raw: string): string {
  const s = raw.trim();
  const at = s.lastIndexOf('@');
  if (at < 1 || at === s.length - 1 || s.indexOf('@') !== at) fail('an e-mail address has one "@" with text on both sides');
  const local = s.slice(0, at).normalize('NFC').toLowerCase();
  if (/[\s<>(),;:"\[\]\\]/.test(local) || local.length > 64) fail('the part before "@" holds a space or a character not allowed unquoted, or is over 64 characters');
  const domain = domainToASCII(s.slice(at + 1).toLowerCase());
  if (!domain || !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(domain)) fail('the domain after "@" is not a valid domain name with a dot');
  return `${local}@${domain}`;
}

export function normalizeIdentifier(kind: SubjectKind, raw: string, o: NormalizeOptions = {}): string {
  switch (kind) {
    case 'phone':
      return normalizePhone(raw, o);
    case 'national_id':
      return normalizeNationalId(raw);
    case 'card':
      return normalizeCard(raw);
    case 'email':
      return normalizeEmail(raw);
  }
}

export function isSubjectKind(v: unknown): v is SubjectKind {
  return typeof v === 'string' && (SUBJECT_KINDS as readonly string[]).includes(v);
}

/** The `v1:` id of an already normalised value. */
export function subjectIdOf(linkageKey: Buffer, kind: SubjectKind, normalized: string): string {
  return 'v1:' + createHmac('sha256', linkageKey).update(`${kind}:${normalized}`, 'utf8').digest('base64url');
}

/**
 * The consortium linkage key: base64 or base64url text (whitespace ignored) of at least 32 bytes.
 * Make one with `openssl rand -base64 32`.
 */
export function parseLinkageKey(text: string, where: string): Buffer {
  const t = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) throw new NormalizationError(`${where}: the linkage key must be base64 or base64url text (make one with: openssl rand -base64 32)`);
  const key = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length < 32) throw new NormalizationError(`${where}: the linkage key is ${key.length} bytes; it must be at least 32 (openssl rand -base64 32)`);
  return key;
}
