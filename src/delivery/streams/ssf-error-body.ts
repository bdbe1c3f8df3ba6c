// The error answers of the SSF endpoints. Pure Fastify and our error codes; no Nest import, so
// the early authentication hook (http/authenticate-before-body.ts) can use it too.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { assertUnreachable, ErrorCode } from '../../common/errors';
import { bearerChallenge } from '../../auth/oauth/bearer-challenge';

/** Every SSF endpoint route is under this prefix. */
export const SSF_PREFIX = '/ssf/';

/**
 * The error body of the SSF endpoints: `{"err": code, "description": text}`, the shape RFC 8935
 * section 2.3 gives SET errors (SSF 1.0 defines statuses, not a body). Codes are RFC 8935's where
 * one fits, else ours, listed in the README.
 */
export function ssfError(err: string, description: string) {
  return { err, description };
}

export function ssfErrCode(code: ErrorCode): string {
  switch (code) {
    case ErrorCode.UNAUTHENTICATED:
      return 'authentication_failed';
    case ErrorCode.FORBIDDEN:
      return 'access_denied';
    case ErrorCode.CONTRIBUTION_REQUIRED:
      return 'contribution_required';
    case ErrorCode.BAD_USER_INPUT:
    case ErrorCode.QUERY_TOO_COMPLEX:
      return 'invalid_request';
    case ErrorCode.NOT_FOUND:
      return 'not_found';
    case ErrorCode.CONFLICT:
      return 'conflict';
    case ErrorCode.RATE_LIMITED:
      return 'rate_limited';
    case ErrorCode.OVERLOADED:
    case ErrorCode.DATABASE_UNAVAILABLE:
      return 'temporarily_unavailable';
    case ErrorCode.INTERNAL_SERVER_ERROR:
      return 'internal_error';
    default:
      return assertUnreachable(code);
  }
}

/**
 * RFC 6750 section 3: `WWW-Authenticate: Bearer realm=...`, with `error="invalid_token"` when a
 * token was sent and refused (none when the request had no credentials at all).
 */
export function wwwAuthenticate(request: { headers: Record<string, string | string[] | undefined> }, description: string): string {
  if (request.headers.authorization === undefined) return bearerChallenge();
  return bearerChallenge({ code: 'invalid_token', description: description.replace(/[^\x20-\x7e]/g, ' ').replace(/["\\]/g, "'").slice(0, 300) });
}

/** Answers one error of an SSF endpoint, with Retry-After on 429 and WWW-Authenticate on 401. */
export function sendSsfError(request: FastifyRequest, reply: FastifyReply, status: number, err: string, description: string, retryAfter?: unknown): FastifyReply {
  // A challenge set already (the OAuth bearer rules, with the precise RFC 6750 error) is kept.
  if (status === 401 && !reply.hasHeader('www-authenticate')) reply.header('www-authenticate', wwwAuthenticate(request, description));
  if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
  return reply.code(status).header('cache-control', 'no-store').send(ssfError(err, description));
}
