import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { RequestWithPartner } from '../auth/decorators';
import { SET_PUSH_BODY_LIMIT } from '../http/body-limits';
import { announcesBody, mediaTypeOf } from '../http/requests';
import { budgetSpentMessage, SET_PUSH_COST } from '../ratelimit/budget';
import type { RateLimiterService } from '../ratelimit/rate-limiter.service';
import { setPushError } from './set-push-errors';
import { bearerChallenge } from './inbound/bearer-challenge';

export const SET_PUSH_PATH = '/events';
export const SET_MEDIA_TYPE = 'application/secevent+jwt';

/**
 * Fastify `onRoute` hook for `POST /events`: its own body limit (one SET), and before the body is
 * read (the partner is already authenticated by the root onRequest hook) the media type and the
 * partner's rate budget, shared with GraphQL. Errors Fastify raises itself (a body over the limit,
 * a Content-Length that lies) get the route's `{err, description}` shape too.
 */
export function setPushRoute(limiter: RateLimiterService) {
  const admit = async (request: FastifyRequest, reply: FastifyReply) => {
    if (mediaTypeOf(request) !== SET_MEDIA_TYPE) {
      // 400 like any refused push (the documented answer), never Fastify's own 415 body.
      return refuse(request, reply, 400, setPushError('invalid_request', `send one SET with Content-Type: ${SET_MEDIA_TYPE}`));
    }
    const partner = (request as unknown as RequestWithPartner).partner;
    if (!partner) {
      reply.header('www-authenticate', bearerChallenge(request.headers.authorization, 'not authenticated'));
      return refuse(request, reply, 401, setPushError('authentication_failed', 'not authenticated'));
    }
    const decision = await limiter.consume(partner.id, partner.kind, SET_PUSH_COST);
    if (!decision.allowed) {
      reply.header('retry-after', String(decision.retryAfterSeconds));
      return refuse(request, reply, 429, setPushError('rate_limited', budgetSpentMessage(decision)));
    }
  };
  return (route: RouteOptions) => {
    if (route.url !== SET_PUSH_PATH) return;
    route.bodyLimit = SET_PUSH_BODY_LIMIT;
    route.onRequest = [...toArray(route.onRequest), admit] as RouteOptions['onRequest'];
    route.errorHandler = (error: Error & { statusCode?: number; code?: string }, request, reply) => {
      const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
      if (status >= 500) {
        request.log.error({ err: { type: error.name, message: error.message } }, 'unexpected error on POST /events');
        return reply.code(500).send(setPushError('internal_error', 'internal error'));
      }
      const description =
        error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? `the body is larger than ${SET_PUSH_BODY_LIMIT} bytes: send one SET of at most 16 KiB`
          : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? `send one SET with Content-Type: ${SET_MEDIA_TYPE}`
            : error.message;
      return refuse(request, reply, status, setPushError('invalid_request', description));
    };
  };
}

/** Answers at once; a body still on its way is not read, the connection closes after the answer. */
function refuse(request: FastifyRequest, reply: FastifyReply, status: number, body: object) {
  if (announcesBody(request)) reply.header('connection', 'close');
  return reply.code(status).send(body);
}

function toArray<T>(x: T | T[] | undefined): T[] {
  return x === undefined ? [] : Array.isArray(x) ? x : [x];
}
