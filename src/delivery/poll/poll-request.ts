// The body of an RFC 8936 poll request (section 2.4), read strictly: each refusal names the member.
import { badInput } from '../../common/errors';

/** Most jtis in `ack` or `setErrs` of one request (a receiver acknowledges what it was given: at most POLL_MAX_EVENTS a time). */
export const MAX_ACKS = 1000;
/**
 * Most bytes in a poll body: 1000 acknowledged jtis take 39 KiB; the rest leaves room for
 * `setErrs` with descriptions (a larger body is refused with 413 before it is read).
 */
export const POLL_BODY_LIMIT = 256 * 1024;
const JTI_MAX = 256;
const ERR_MAX = 64;
const DESCRIPTION_MAX = 512;

export interface SetErr {
  err: string;
  description: string | null;
}

export interface PollRequest {
  /** How many SETs to return at most (already capped to POLL_MAX_EVENTS; 0 = acknowledge only). */
  maxEvents: number;
  returnImmediately: boolean;
  ack: string[];
  setErrs: Map<string, SetErr>;
}

/** Reads and checks a poll body; `cap` is POLL_MAX_EVENTS (also the default when maxEvents is absent). */
export function readPollRequest(body: unknown, cap: number): PollRequest {
  if (body === undefined || body === null || body === '') body = {};
  if (typeof body !== 'object' || Array.isArray(body)) throw badInput('the poll request body must be a JSON object (RFC 8936 section 2.4)');
  const b = body as Record<string, unknown>;
  // Other members are ignored, as JSON extension members usually are.

  let maxEvents = cap;
  if (b.maxEvents !== undefined) {
    if (typeof b.maxEvents !== 'number' || !Number.isInteger(b.maxEvents) || b.maxEvents < 0) throw badInput(`maxEvents must be a non-negative integer, got ${JSON.stringify(b.maxEvents)}`);
    maxEvents = Math.min(b.maxEvents, cap);
  }
  if (b.returnImmediately !== undefined && typeof b.returnImmediately !== 'boolean') throw badInput(`returnImmediately must be true or false, got ${JSON.stringify(b.returnImmediately)}`);

  const ack: string[] = [];
  if (b.ack !== undefined) {
    if (!Array.isArray(b.ack)) throw badInput('ack must be an array of jti strings');
    if (b.ack.length > MAX_ACKS) throw badInput(`ack lists ${b.ack.length} jtis, more than the ${MAX_ACKS} one request may acknowledge`);
    for (const [i, j] of b.ack.entries()) {
      if (typeof j !== 'string' || j.length === 0 || j.length > JTI_MAX) throw badInput(`ack[${i}] must be a jti string of 1..${JTI_MAX} characters`);
      ack.push(j);
    }
  }

  const setErrs = new Map<string, SetErr>();
  if (b.setErrs !== undefined) {
    if (typeof b.setErrs !== 'object' || b.setErrs === null || Array.isArray(b.setErrs)) throw badInput('setErrs must be an object of jti: {"err": code, "description": text}');
    const entries = Object.entries(b.setErrs as Record<string, unknown>);
    if (entries.length > MAX_ACKS) throw badInput(`setErrs names ${entries.length} jtis, more than the ${MAX_ACKS} one request may report`);
    for (const [jti, v] of entries) {
      if (jti.length === 0 || jti.length > JTI_MAX) throw badInput(`setErrs keys must be jti strings of 1..${JTI_MAX} characters`);
      const e = v as Record<string, unknown> | null;
      if (typeof e !== 'object' || e === null || Array.isArray(e)) throw badInput(`setErrs["${jti}"] must be an object {"err": code, "description": text}`);
      if (typeof e.err !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(e.err)) throw badInput(`setErrs["${jti}"].err must be an error code of 1..${ERR_MAX} printable characters (RFC 8935 section 2.4 lists them)`);
      if (e.description !== undefined && (typeof e.description !== 'string' || e.description.length > DESCRIPTION_MAX)) {
        throw badInput(`setErrs["${jti}"].description must be a string of at most ${DESCRIPTION_MAX} characters`);
      }
      setErrs.set(jti, { err: e.err, description: (e.description as string | undefined) ?? null });
    }
  }
  return { maxEvents, returnImmediately: b.returnImmediately === true, ack, setErrs };
}
