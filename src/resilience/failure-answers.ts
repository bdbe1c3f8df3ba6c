import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode } from '../common/errors';
import { OAUTH_TOKEN_PATH } from '../auth/oauth/oauth.paths';

export type UnavailableCode = ErrorCode.OVERLOADED | ErrorCode.DATABASE_UNAVAILABLE;

/** Set on a request whose work met an unreachable database (the exception filter sets it). */
export const DATABASE_FAILED = Symbol('rx:database-failed');

/** The one shape of a 503 on each surface (README "Failure behaviour"). */
export function unavailableBody(route: string | undefined, code: UnavailableCode, message: string, retryAfter: number): object {
  if (route === '/events' || route?.startsWith('/ssf/')) return { err: 'temporarily_unavailable', description: message }; // RFC 8935's {err, description}, also on the SSF endpoints
  if (route === OAUTH_TOKEN_PATH) return { error: 'temporarily_unavailable', error_description: message }; // RFC 6749 section 5.2
  if (route === '/graphql') return { data: null, errors: [{ message, extensions: { code, retryAfter } }] };
  return { error: code, message, retryAfter };
}

export function databaseUnavailableMessage(retryAfter: number): string {
  return `the database is unavailable: retry after ${retryAfter} s (sending the same request again is safe; stored tokens answer DUPLICATE)`;
}

/** Answers 503 with Retry-After in the surface's shape. */
export function sendUnavailable(request: FastifyRequest, reply: FastifyReply, code: UnavailableCode, message: string, retryAfter: number): FastifyReply {
  return reply
    .code(503)
    .header('x-request-id', request.id)
    .header('retry-after', String(retryAfter))
    .header('content-type', 'application/json; charset=utf-8')
    .send(unavailableBody(request.routeOptions?.url, code, message, retryAfter));
}
