// SSF 1.0 section 8.1.1 stream configuration: reading a request body into the stored fields and
// writing the stored fields back as the wire object. Pure: no Nest or TypeORM import.
import { POLL_METHOD, PUSH_METHOD } from '../stream.entity';
import { EVENTS_SUPPORTED } from './event-types';

export const SIGNING_ALGS = ['EdDSA', 'RS256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];
export const MAX_EVENTS_REQUESTED = 32;
export const MAX_DESCRIPTION = 1024;
export const MAX_ENDPOINT_URL = 2048;
export const MAX_AUTHORIZATION_HEADER = 4096;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;
/** Visible ASCII and spaces: a CR or LF would let a receiver's value smuggle headers into our pushes. */
const HEADER_VALUE = /^[\x20-\x7e]+$/;

/** A request the receiver must fix; the message names the field. Answered 400 (SSF "request is otherwise invalid"). */
export class StreamConfigError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field} ${problem}`);
    this.name = 'StreamConfigError';
  }
}

/** What a receiver configures (Receiver-Supplied, plus our `signing_alg` extension). */
export interface StreamSettings {
  eventsRequested: string[];
  deliveryMethod: string;
  /** Push only: the receiver's URL (poll URLs are derived from the stream id). */
  endpointUrl: string | null;
  authorizationHeader: string | null;
  description: string | null;
  signingAlg: SigningAlg;
}

/** The Transmitter-Supplied values a request may repeat but must not change. */
export interface TransmitterValues {
  issuer: string;
  aud: string;
  minVerificationInterval: number;
  /** Set for an existing stream (PATCH, PUT); absent on create. */
  streamId?: string;
  allowInsecurePush: boolean;
}

/** The stored stream, as the wire object needs it. */
export interface StoredStream extends Omit<StreamSettings, 'signingAlg'> {
  id: string;
  aud: string;
  minVerificationInterval: number;
  signingAlg: string;
}

const RECEIVER_KEYS = ['events_requested', 'delivery', 'description', 'signing_alg'];
const TRANSMITTER_KEYS = ['stream_id', 'iss', 'aud', 'events_supported', 'events_delivered', 'min_verification_interval'];
const DELIVERY_KEYS = ['method', 'endpoint_url', 'authorization_header'];

export function pollEndpoint(issuer: string, streamId: string): string {
  return `${issuer}/ssf/poll/${streamId}`;
}

/** `events_delivered`: what was requested and is supported, in the order of events_supported. */
export function eventsDelivered(requested: readonly string[]): string[] {
  return EVENTS_SUPPORTED.filter((t) => requested.includes(t));
}

/** A stream id as given: a stream that cannot exist reads as not found, like another partner's. */
export function isStreamId(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

function asObject(body: unknown, what: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new StreamConfigError(what, 'must be a JSON object');
  return body as Record<string, unknown>;
}

function refuseUnknown(o: Record<string, unknown>, allowed: string[], where: string): void {
  const unknown = Object.keys(o).filter((k) => !allowed.includes(k));
  if (unknown.length) throw new StreamConfigError(`${where}${unknown[0].slice(0, 64)}`, `is not a stream configuration property (known: ${allowed.join(', ')})`);
}

function readEventsRequested(v: unknown): string[] {
  if (!Array.isArray(v)) throw new StreamConfigError('events_requested', 'must be an array of event type URIs');
  if (v.length > MAX_EVENTS_REQUESTED) throw new StreamConfigError('events_requested', `may list at most ${MAX_EVENTS_REQUESTED} event types`);
  for (const t of v) if (typeof t !== 'string' || t.length < 1 || t.length > 256) throw new StreamConfigError('events_requested', 'must hold strings of 1..256 characters');
  // Unknown URIs are kept but not delivered (SSF: a Transmitter MUST ignore values it does not understand).
  return [...new Set(v as string[])];
}

function readDescription(v: unknown): string | null {
  if (v === null) return null;
  if (typeof v !== 'string' || v.length > MAX_DESCRIPTION) throw new StreamConfigError('description', `must be a string of at most ${MAX_DESCRIPTION} characters`);
  return v;
}

function readSigningAlg(v: unknown): SigningAlg {
  if (!SIGNING_ALGS.includes(v as SigningAlg)) throw new StreamConfigError('signing_alg', `must be one of ${SIGNING_ALGS.join(', ')}`);
  return v as SigningAlg;
}

/** Syntax of a push endpoint_url: https, or http to a loopback host when ALLOW_INSECURE_PUSH (addresses are checked again at send time). */
export function checkPushUrl(v: unknown, allowInsecurePush: boolean): string {
  const field = 'delivery.endpoint_url';
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_ENDPOINT_URL) throw new StreamConfigError(field, `is required for push and must be a URL of at most ${MAX_ENDPOINT_URL} characters`);
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new StreamConfigError(field, 'is not a valid URL');
  }
  if (url.username || url.password) throw new StreamConfigError(field, 'must not carry credentials (use delivery.authorization_header)');
  if (url.hash) throw new StreamConfigError(field, 'must not have a fragment');
  if (url.protocol === 'https:') return url.toString();
  if (url.protocol === 'http:' && allowInsecurePush && LOOPBACK.test(url.hostname)) return url.toString();
  throw new StreamConfigError(field, allowInsecurePush ? 'must be an https URL (plain http only to a loopback host)' : 'must be an https URL');
}

function readDelivery(v: unknown, t: TransmitterValues, previous: StreamSettings | undefined, merge: boolean): Pick<StreamSettings, 'deliveryMethod' | 'endpointUrl' | 'authorizationHeader'> {
  const d = { ...asObject(v, 'delivery') };
  refuseUnknown(d, DELIVERY_KEYS, 'delivery.');
  if (merge && previous && d.method === undefined) {
    // A merge may change the URL or the header alone: the method (and the push URL) stay.
    d.method = previous.deliveryMethod;
    if (d.endpoint_url === undefined && previous.deliveryMethod === PUSH_METHOD) d.endpoint_url = previous.endpointUrl;
  }
  if (d.method !== PUSH_METHOD && d.method !== POLL_METHOD) throw new StreamConfigError('delivery.method', `must be "${PUSH_METHOD}" (push) or "${POLL_METHOD}" (poll)`);
  if (d.method === POLL_METHOD) {
    if (d.authorization_header !== undefined && d.authorization_header !== null) throw new StreamConfigError('delivery.authorization_header', 'applies to push only');
    // The poll URL is Transmitter-Supplied: a receiver may repeat it, never choose it.
    if (d.endpoint_url !== undefined && (t.streamId === undefined || d.endpoint_url !== pollEndpoint(t.issuer, t.streamId))) {
      throw new StreamConfigError('delivery.endpoint_url', 'of a poll stream is supplied by the gateway: leave it out');
    }
    return { deliveryMethod: POLL_METHOD, endpointUrl: null, authorizationHeader: null };
  }
  const endpointUrl = checkPushUrl(d.endpoint_url, t.allowInsecurePush);
  let authorizationHeader: string | null = null;
  if (d.authorization_header === undefined) {
    // Never shown in reads, so a PATCH cannot repeat it: absent keeps the stored one there.
    if (merge && previous?.deliveryMethod === PUSH_METHOD) authorizationHeader = previous.authorizationHeader;
  } else if (d.authorization_header !== null) {
    const h = d.authorization_header;
    if (typeof h !== 'string' || h.length > MAX_AUTHORIZATION_HEADER || !HEADER_VALUE.test(h)) {
      throw new StreamConfigError('delivery.authorization_header', `must be 1..${MAX_AUTHORIZATION_HEADER} visible ASCII characters (no line breaks)`);
    }
    authorizationHeader = h;
  }
  return { deliveryMethod: PUSH_METHOD, endpointUrl, authorizationHeader };
}

/** Transmitter-Supplied values may be present but must match (SSF 8.1.1.3/8.1.1.4); events_delivered is derived and ignored. */
function checkTransmitterValues(o: Record<string, unknown>, t: TransmitterValues): void {
  if (o.iss !== undefined && o.iss !== t.issuer) throw new StreamConfigError('iss', `must be "${t.issuer}" when present (it is supplied by the gateway)`);
  if (o.aud !== undefined && o.aud !== t.aud && !(Array.isArray(o.aud) && o.aud.length === 1 && o.aud[0] === t.aud)) {
    throw new StreamConfigError('aud', `must be "${t.aud}" when present (it is supplied by the gateway: your partner id)`);
  }
  if (o.events_supported !== undefined) {
    const s = o.events_supported;
    if (!Array.isArray(s) || s.length !== EVENTS_SUPPORTED.length || !EVENTS_SUPPORTED.every((e) => s.includes(e))) {
      throw new StreamConfigError('events_supported', 'must be the list the gateway supplies when present');
    }
  }
  if (o.min_verification_interval !== undefined && o.min_verification_interval !== t.minVerificationInterval) {
    throw new StreamConfigError('min_verification_interval', `must be ${t.minVerificationInterval} when present (it is supplied by the gateway)`);
  }
}

export type StreamWrite = 'create' | 'patch' | 'put';

/**
 * Reads a create (POST), update (PATCH: merge) or replace (PUT: what is absent is removed) body.
 * Without `delivery`, a created stream polls (SSF 8.1.1.1). The caller checks stream_id itself.
 */
export function readStreamSettings(body: unknown, mode: StreamWrite, t: TransmitterValues, previous?: StreamSettings): StreamSettings {
  const o = asObject(body, 'the request body');
  refuseUnknown(o, [...RECEIVER_KEYS, ...TRANSMITTER_KEYS], '');
  if (mode === 'create' && o.stream_id !== undefined) throw new StreamConfigError('stream_id', 'is supplied by the gateway: leave it out when creating a stream');
  checkTransmitterValues(o, t);
  const base: StreamSettings =
    mode === 'patch' && previous
      ? { ...previous }
      : { eventsRequested: [], deliveryMethod: POLL_METHOD, endpointUrl: null, authorizationHeader: null, description: null, signingAlg: 'EdDSA' };
  if (o.events_requested !== undefined) base.eventsRequested = readEventsRequested(o.events_requested);
  if (o.description !== undefined) base.description = readDescription(o.description);
  if (o.signing_alg !== undefined) base.signingAlg = readSigningAlg(o.signing_alg);
  if (o.delivery !== undefined && o.delivery !== null) Object.assign(base, readDelivery(o.delivery, t, previous, mode === 'patch'));
  else if (o.delivery === null && mode === 'patch') Object.assign(base, { deliveryMethod: POLL_METHOD, endpointUrl: null, authorizationHeader: null });
  return base;
}

/** The stream configuration on the wire. `authorization_header` is never returned (it is a secret of the receiver). */
export function streamToWire(s: StoredStream, issuer: string): Record<string, unknown> {
  return {
    stream_id: s.id,
    iss: issuer,
    aud: s.aud,
    events_supported: [...EVENTS_SUPPORTED],
    events_requested: s.eventsRequested,
    events_delivered: eventsDelivered(s.eventsRequested),
    delivery: { method: s.deliveryMethod, endpoint_url: s.deliveryMethod === POLL_METHOD ? pollEndpoint(issuer, s.id) : s.endpointUrl },
    ...(s.description !== null ? { description: s.description } : {}),
    min_verification_interval: s.minVerificationInterval,
    signing_alg: s.signingAlg,
  };
}
