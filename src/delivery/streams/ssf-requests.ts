// Bodies of the SSF status, subject and verification endpoints (SSF 1.0 sections 8.1.2 to 8.1.4).
// Pure: no Nest or TypeORM import.
import { SUBJECT_ID, SUBJECT_ID_RULE } from '../../events/set-profile';
import { StreamStatus } from '../stream.entity';
import { StreamConfigError } from './stream-config';

export const MAX_STATUS_REASON = 512;
export const MAX_VERIFICATION_STATE = 1024;

function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new StreamConfigError('the request body', 'must be a JSON object');
  return body as Record<string, unknown>;
}

function only(o: Record<string, unknown>, allowed: string[]): void {
  const unknown = Object.keys(o).find((k) => !allowed.includes(k));
  if (unknown !== undefined) throw new StreamConfigError(unknown.slice(0, 64), `is not a property of this request (known: ${allowed.join(', ')})`);
}

/** `stream_id` as sent (any string; one that names no stream of the caller answers 404). */
function streamIdOf(o: Record<string, unknown>): string {
  if (typeof o.stream_id !== 'string' || o.stream_id === '') throw new StreamConfigError('stream_id', 'is required (a string)');
  return o.stream_id;
}

export function readStatus(v: unknown): StreamStatus {
  if (!Object.values(StreamStatus).includes(v as StreamStatus)) throw new StreamConfigError('status', `must be one of ${Object.values(StreamStatus).join(', ')}`);
  return v as StreamStatus;
}

export function readReason(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.length > MAX_STATUS_REASON) throw new StreamConfigError('reason', `must be a string of at most ${MAX_STATUS_REASON} characters`);
  return v;
}

export function readStatusUpdate(body: unknown): { streamId: string; status: StreamStatus; reason: string | null } {
  const o = asObject(body);
  only(o, ['stream_id', 'status', 'reason']);
  return { streamId: streamIdOf(o), status: readStatus(o.status), reason: readReason(o.reason) };
}

/** A subject id of the profile (the same rule as `sub_id.id` of a published event). */
export function checkSubjectId(id: unknown, field = 'subject.id'): string {
  if (typeof id !== 'string' || !SUBJECT_ID.test(id)) throw new StreamConfigError(field, `must be ${SUBJECT_ID_RULE}`);
  return id;
}

/** `{stream_id, subject: {format: "opaque", id}, verified?}`: only opaque subjects exist in this exchange. */
export function readSubjectRequest(body: unknown): { streamId: string; subject: string } {
  const o = asObject(body);
  only(o, ['stream_id', 'subject', 'verified']);
  if (o.verified !== undefined && typeof o.verified !== 'boolean') throw new StreamConfigError('verified', 'must be true or false');
  const s = o.subject;
  if (typeof s !== 'object' || s === null || Array.isArray(s)) throw new StreamConfigError('subject', 'is required: {"format": "opaque", "id": "..."}');
  const subject = s as Record<string, unknown>;
  if (subject.format !== 'opaque') throw new StreamConfigError('subject.format', 'must be "opaque" (subjects are the pseudonymous ids of the token profile)');
  only(subject, ['format', 'id']);
  return { streamId: streamIdOf(o), subject: checkSubjectId(subject.id) };
}

export function readVerification(body: unknown): { streamId: string; state: string | null } {
  const o = asObject(body);
  only(o, ['stream_id', 'state']);
  if (o.state !== undefined && (typeof o.state !== 'string' || o.state.length > MAX_VERIFICATION_STATE)) {
    throw new StreamConfigError('state', `must be a string of at most ${MAX_VERIFICATION_STATE} characters`);
  }
  return { streamId: streamIdOf(o), state: typeof o.state === 'string' ? o.state : null };
}
