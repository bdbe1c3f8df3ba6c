import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthService } from '../auth/auth.service';
import type { RequestWithPartner } from '../auth/decorators';
import { AppError } from '../common/errors';
import { SET_PUSH_PATH } from '../events/set-push.route';
import { setPushError, setPushErrCode } from '../events/set-push-errors';
import { announcesBody } from './requests';
import { sendSsfError, SSF_PREFIX, ssfErrCode } from '../delivery/streams/ssf-error-body';

/** Fastify reads no body for these; the global guard authenticates them (public routes are GETs). */
const BODYLESS = new Set(['GET', 'HEAD']);

/**
 * Root `onRequest` hook: a request that may carry a body is authenticated from its Authorization
 * header before Fastify reads a byte of the body, on every route (unknown ones too). A refused
 * request is answered at once and its connection closed, so a stranger's upload is never read.
 * `/graphql` has its own hook (app.factory), which also covers its WebSocket upgrade.
 */
export function authenticateBeforeBody(auth: AuthService) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (BODYLESS.has(request.method) || request.routeOptions?.url === '/graphql') return;
    try {
      await auth.authenticateRequest(request as unknown as RequestWithPartner);
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      if (announcesBody(request)) reply.header('connection', 'close');
      // The SSF endpoints answer RFC 6750 style: {err, description} and WWW-Authenticate.
      if (request.routeOptions?.url?.startsWith(SSF_PREFIX)) return sendSsfError(request, reply, 401, ssfErrCode(e.code), e.message);
      const body = request.routeOptions?.url === SET_PUSH_PATH ? setPushError(setPushErrCode(e.code), e.message) : { error: e.code, message: e.message };
      return reply.code(401).send(body);
    }
  };
}
