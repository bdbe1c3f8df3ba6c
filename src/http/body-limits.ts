import { MAX_SET_BYTES } from '../events/set-profile';
import { GRAPHQL_LIMITS } from '../graphql/limits';

/**
 * Body size limits, per route. Fastify refuses a body over its route's limit as soon as the
 * Content-Length says so, or as soon as that many bytes arrived; nothing larger is buffered.
 */

/** Every route not named below (none of them takes a body today). */
export const DEFAULT_BODY_LIMIT = 16 * 1024;

/** The SSF management endpoints (`/ssf/streams`, `/ssf/status`, `/ssf/subjects:*`, `/ssf/verify`): one small JSON object. */
export const SSF_BODY_LIMIT = 16 * 1024;

/** `POST /events`: one SET of at most 16 KiB, plus room for a trailing line break (`curl --data-binary @file`). */
export const SET_PUSH_BODY_LIMIT = MAX_SET_BYTES + 16;

/**
 * `POST /oauth/token`: a handful of form parameters and one client assertion (at most 8 KiB);
 * the route reads its body before it knows the client, so the limit stays small.
 */
export const OAUTH_TOKEN_BODY_LIMIT = 16 * 1024;

/**
 * `POST /graphql`: the largest legitimate request is a full `publishEvents` batch sent as compact
 * JSON, `{"query": "...", "variables": {"t": ["<token>", ...]}}`:
 * - each token at most 16 KiB of base64url (never escaped in JSON) plus its quotes and comma: 16,387 bytes;
 * - the query text at most 64 Ki characters, each at most 6 bytes once escaped in JSON (a `\u` escape and four hex digits);
 * - 4 KiB for the envelope, the operation name and the variable names.
 * With PUBLISH_MAX_BATCH = 500 that is 8,590,812 bytes (about 8.2 MiB).
 */
export function graphqlBodyLimit(publishMaxBatch: number): number {
  return publishMaxBatch * (MAX_SET_BYTES + 3) + 6 * GRAPHQL_LIMITS.maxDocumentChars + 4 * 1024;
}
