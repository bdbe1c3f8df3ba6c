// Authentication of the routes marked @AcceptsAccessToken (the SSF endpoints): an access token or
// a partner assertion, with RFC 6750 answers. Used by the guard and, before the body is read, by
// http/authenticate-before-body.ts, so both answer alike.
import { AppError, ErrorCode } from '../../common/errors';
import type { AuthService } from '../auth.service';
import type { AuthenticatedPartner } from '../authenticated-partner';
import type { RequestWithPartner } from '../decorators';
import type { SsfScope } from '../ssf-scopes.decorator';
import { bearerChallenge, hasQueryToken } from './bearer-challenge';

/** The `WWW-Authenticate` value of a refusal, carried in the error's details. */
export const challengeOf = (e: AppError): string | undefined => e.details?.wwwAuthenticate as string | undefined;

const NO_CREDENTIALS =
  'authentication required: send "Authorization: Bearer <token>" with an access token from POST /oauth/token (scopes ssf.read, ssf.manage) or a partner assertion';

/**
 * Authenticates a request to a route that accepts access tokens with `scopes`. Refusals are
 * AppErrors whose details carry the `wwwAuthenticate` challenge: no credentials (401, no error
 * code), a token in the query string (400 invalid_request: it is never read), a bad token or
 * assertion (401 invalid_token), an access token without a required scope (403 insufficient_scope).
 */
export async function authenticateBearerRoute(
  auth: AuthService,
  request: RequestWithPartner & { query?: unknown },
  scopes: readonly SsfScope[],
): Promise<AuthenticatedPartner> {
  if (hasQueryToken(request.query)) {
    const description = 'a token in the query string is never read: send it in the Authorization header';
    throw new AppError(ErrorCode.BAD_USER_INPUT, description, { wwwAuthenticate: bearerChallenge({ code: 'invalid_request', description }) });
  }
  const header = request.headers.authorization;
  // No credentials, or another scheme (RFC 6750 section 3.1: then the challenge names no error).
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) {
    throw new AppError(ErrorCode.UNAUTHENTICATED, NO_CREDENTIALS, { wwwAuthenticate: bearerChallenge() });
  }
  let partner: AuthenticatedPartner;
  try {
    partner = await auth.authenticateRequest(request, true);
  } catch (e) {
    if (e instanceof AppError && e.details?.wwwAuthenticate === undefined) {
      throw new AppError(e.code, e.message, { ...e.details, wwwAuthenticate: bearerChallenge({ code: 'invalid_token', description: e.message }) });
    }
    throw e;
  }
  const missing = partner.scopes ? scopes.filter((s) => !partner.scopes!.includes(s)) : [];
  if (missing.length > 0) {
    const description = `the access token lacks the scope ${missing.join(' ')}: request it from POST /oauth/token`;
    throw new AppError(ErrorCode.FORBIDDEN, description, { wwwAuthenticate: bearerChallenge({ code: 'insufficient_scope', description, scope: scopes }) });
  }
  return partner;
}
