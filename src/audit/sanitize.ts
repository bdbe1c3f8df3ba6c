// A storable rendering of what an audit entry is asked to record. Pure: no Nest or TypeORM import.
// The arguments of a refused mutation are whatever a partner sent; PostgreSQL refuses U+0000 and
// unpaired surrogates in text and jsonb, and varchar(256) refuses longer targets. Losing the
// entry of a failure is worse than storing a faithful, escaped rendering of it, so every entry is
// rendered before it is hashed (the hash covers exactly what is stored) and marked when changed.

/** Longest string kept whole in `details`; longer ones keep their start and say how much was cut. */
export const MAX_AUDIT_STRING = 2048;
/** `audit_log.target` is varchar(256). */
export const MAX_AUDIT_TARGET = 256;
/** Longest array kept whole (a publish entry lists at most PUBLISH_MAX_BATCH <= 5000 jtis). */
export const MAX_AUDIT_ARRAY = 10_000;
const MAX_DEPTH = 16;

/** NUL, or a surrogate (paired ones are checked again below). */
const SUSPECT = /[\u0000\ud800-\udfff]/;

/** Escapes NUL and unpaired surrogates as the text `\u0000`, `\ud800`, ...: visible, storable, and no information lost. */
function escapeUnstorable(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) {
      out += '\\u0000';
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
      out += s[i] + s[i + 1];
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      out += `\\u${c.toString(16)}`;
    } else {
      out += s[i];
    }
  }
  return out;
}

/** A storable string of at most about `max` characters; `changed` when it differs from `s`. */
export function storableString(s: string, max = MAX_AUDIT_STRING): { value: string; changed: boolean } {
  let value = SUSPECT.test(s) ? escapeUnstorable(s) : s;
  if (value.length > max) {
    let cut = Math.max(0, max - 32); // room for the note, at most 29 characters
    const c = value.charCodeAt(cut - 1);
    if (c >= 0xd800 && c <= 0xdbff) cut--; // never split a surrogate pair
    value = `${value.slice(0, cut)}…[${value.length - cut} more characters]`;
  }
  return { value, changed: value !== s };
}

interface Walk {
  changed: boolean;
}

function render(v: unknown, depth: number, w: Walk): unknown {
  if (typeof v === 'string') {
    const r = storableString(v);
    if (r.changed) w.changed = true;
    return r.value;
  }
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (Number.isFinite(v)) return v;
    w.changed = true; // JSON has no NaN or Infinity
    return String(v);
  }
  if (typeof v === 'bigint') {
    w.changed = true;
    return v.toString();
  }
  if (v instanceof Date) {
    w.changed = true;
    return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  }
  if (typeof v === 'object') {
    if (depth >= MAX_DEPTH) {
      w.changed = true;
      return '[nested too deep]';
    }
    if (Array.isArray(v)) {
      const kept = v.length > MAX_AUDIT_ARRAY ? v.slice(0, MAX_AUDIT_ARRAY) : v;
      const out = kept.map((x) => (x === undefined ? null : render(x, depth + 1, w)));
      if (kept !== v) {
        w.changed = true;
        out.push(`…[${v.length - MAX_AUDIT_ARRAY} more items]`);
      }
      return out;
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
      const key = storableString(k, MAX_AUDIT_TARGET);
      if (key.changed) w.changed = true;
      out[key.value] = render(x, depth + 1, w);
    }
    return out;
  }
  w.changed = true; // undefined, a function or a symbol where a value belongs
  return null;
}

/**
 * Renders an entry's target and details so PostgreSQL can store them. Unchanged input comes back
 * equal; anything escaped, cut or converted sets `details.sanitized: true`.
 */
export function storableAuditFields(target: string | null | undefined, details: Record<string, unknown> | undefined): { target: string | null; details: Record<string, unknown> } {
  const w: Walk = { changed: false };
  let safeTarget: string | null = null;
  if (typeof target === 'string') {
    const r = storableString(target, MAX_AUDIT_TARGET);
    if (r.changed) w.changed = true;
    safeTarget = r.value;
  }
  const rendered = render(details ?? {}, 0, w);
  const safeDetails = typeof rendered === 'object' && rendered !== null && !Array.isArray(rendered) ? (rendered as Record<string, unknown>) : { value: rendered };
  if (safeDetails !== rendered) w.changed = true;
  return { target: safeTarget, details: w.changed ? { ...safeDetails, sanitized: true } : safeDetails };
}
