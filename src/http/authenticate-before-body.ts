import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthService } from '../auth/auth.service';
import type { RequestWithPartner } from '../auth/decorators';
import { AppError } from '../common/errors';
import { SET_PUSH_PATH } from '../events/set-push.route';
import { setPushError, setPushErrCode } from '../events/set-push-errors';
import { bearerChallenge } from '../events/inbound/bearer-challenge';
import { isPushTokenHeader } from '../events/inbound/push-tokens.service';
import { announcesBody } from './requests';

/** Fastify reads no body for these; the global guard authenticates them (public routes are GETs). */
const BODYLESS = new Set(['GET', 'HEAD']);

/**
 * Root `onRequest` hook: a request that may carry a body is authenticated from its Authorization
 * header before Fastify reads a byte of the body, on every route (unknown ones too). A refused
 * request is answered at once and its connection closed, so a stranger's upload is never read.
 * `/graphql` has its own hook (app.factory), which also covers its WebSocket upgrade.
 */
export function authenticateBeforeBody(auth: AuthService, pushTokens: { authenticateRequest(request: RequestWithPartner): Promise<unknown> }) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (BODYLESS.has(request.method) || request.routeOptions?.url === '/graphql') return;
    const push = request.routeOptions?.url === SET_PUSH_PATH;
    try {
      // POST /events also takes a static push token (`Bearer rxp_...`, issue 14); nothing else does.
      if (push && isPushTokenHeader(request.headers.authorization)) await pushTokens.authenticateRequest(request as unknown as RequestWithPartner);
      else await auth.authenticateRequest(request as unknown as RequestWithPartner);
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      if (announcesBody(request)) reply.header('connection', 'close');
      if (push) reply.header('www-authenticate', bearerChallenge(request.headers.authorization, e.message));
      const body = push ? setPushError(setPushErrCode(e.code), e.message) : { error: e.code, message: e.message };
      return reply.code(401).send(body);
    }
  };
}
