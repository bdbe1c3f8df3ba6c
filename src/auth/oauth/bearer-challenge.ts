// RFC 6750 section 3: the `WWW-Authenticate: Bearer` challenges of the routes that take access tokens.
import { quoted } from './oauth-errors';
import { BEARER_REALM } from './oauth.paths';

export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

/** The challenge of a request without credentials carries no error code (RFC 6750 section 3.1). */
export function bearerChallenge(error?: { code: BearerErrorCode; description: string; scope?: readonly string[] }): string {
  const params = [`realm=${quoted(BEARER_REALM)}`];
  if (error) {
    params.push(`error=${quoted(error.code)}`, `error_description=${quoted(error.description)}`);
    if (error.scope && error.scope.length > 0) params.push(`scope=${quoted(error.scope.join(' '))}`);
  }
  return `Bearer ${params.join(', ')}`;
}

/** The HTTP status of each RFC 6750 error code. */
export const BEARER_STATUS: Record<BearerErrorCode, number> = { invalid_request: 400, invalid_token: 401, insufficient_scope: 403 };

/** RFC 6750 section 2.3 names this parameter; the gateway never reads a token from a URL. */
export function hasQueryToken(query: unknown): boolean {
  return typeof query === 'object' && query !== null && Object.prototype.hasOwnProperty.call(query, 'access_token');
}
