import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthService } from '../auth/auth.service';
import type { RequestWithPartner } from '../auth/decorators';
import { authenticateBearerRoute, challengeOf } from '../auth/oauth/bearer-route';
import { OAUTH_TOKEN_PATH } from '../auth/oauth/oauth.paths';
import type { SsfRouteConfig } from '../auth/ssf-scopes.decorator';
import { AppError, httpStatusOf } from '../common/errors';
import { SET_PUSH_PATH } from '../events/set-push.route';
import { setPushError, setPushErrCode } from '../events/set-push-errors';
import { bearerChallenge } from '../events/inbound/bearer-challenge';
import { isPushTokenHeader } from '../events/inbound/push-tokens.service';
import { announcesBody } from './requests';
import { sendSsfError, SSF_PREFIX, ssfErrCode } from '../delivery/streams/ssf-error-body';

/** Fastify reads no body for these; the global guard authenticates them (public routes are GETs). */
const BODYLESS = new Set(['GET', 'HEAD']);

/**
 * The token endpoint authenticates its client from the body (RFC 7523 client_assertion): it has
 * no Authorization header to check. Its body limit is small and the admission bound still applies
 * (auth/oauth/token-route.ts, resilience/resilience.hooks.ts); its rate budget is charged once the
 * client is known.
 */
const AUTHENTICATES_FROM_BODY = new Set([OAUTH_TOKEN_PATH]);

/**
 * Root `onRequest` hook: a request that may carry a body is authenticated from its Authorization
 * header before Fastify reads a byte of the body, on every route (unknown ones too). A refused
 * request is answered at once and its connection closed, so a stranger's upload is never read.
 * `/graphql` has its own hook (app.factory), which also covers its WebSocket upgrade. Routes
 * marked @AcceptsAccessToken also take an access token here, and answer with RFC 6750 challenges.
 */
export function authenticateBeforeBody(auth: AuthService, pushTokens: { authenticateRequest(request: RequestWithPartner): Promise<unknown> }) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.routeOptions?.url;
    if (BODYLESS.has(request.method) || route === '/graphql' || (route !== undefined && AUTHENTICATES_FROM_BODY.has(route))) return;
    const scopes = (request.routeOptions?.config as SsfRouteConfig | undefined)?.ssfScopes;
    const push = route === SET_PUSH_PATH;
    try {
      if (scopes) await authenticateBearerRoute(auth, request as unknown as RequestWithPartner, scopes);
      // POST /events also takes a static push token (`Bearer rxp_...`, issue 14); nothing else does.
      else if (push && isPushTokenHeader(request.headers.authorization)) await pushTokens.authenticateRequest(request as unknown as RequestWithPartner);
      else await auth.authenticateRequest(request as unknown as RequestWithPartner);
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      if (announcesBody(request)) reply.header('connection', 'close');
      const challenge = push ? bearerChallenge(request.headers.authorization, e.message) : challengeOf(e);
      if (challenge) reply.header('www-authenticate', challenge);
      // The SSF endpoints answer RFC 6750 style: {err, description} and WWW-Authenticate.
      if (route?.startsWith(SSF_PREFIX)) return sendSsfError(request, reply, scopes ? httpStatusOf(e.code) : 401, ssfErrCode(e.code), e.message);
      const body = push ? setPushError(setPushErrCode(e.code), e.message) : { error: e.code, message: e.message };
      return reply.code(scopes ? httpStatusOf(e.code) : 401).send(body);
    }
  };
}
