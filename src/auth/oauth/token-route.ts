import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { OAUTH_TOKEN_BODY_LIMIT } from '../../http/body-limits';
import { announcesBody, mediaTypeOf } from '../../http/requests';
import { OAuthError } from './oauth-errors';
import { OAUTH_TOKEN_PATH } from './oauth.paths';

const FORM = 'application/x-www-form-urlencoded';
const WRONG_MEDIA_TYPE = `send the parameters as Content-Type: ${FORM} (RFC 6749 sections 3.2 and 4.4.2)`;

/** Headers of every token endpoint answer, errors included (RFC 6749 section 5.1). */
export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

/** Answers an OAuth refusal; a body still on its way is not read (the connection closes after the answer). */
export function sendOAuthError(request: FastifyRequest, reply: FastifyReply, e: OAuthError): FastifyReply {
  if (announcesBody(request) && !request.body) reply.header('connection', 'close');
  return reply.code(e.status).headers({ ...NO_STORE, ...e.headers }).send(e.body());
}

/**
 * Fastify `onRoute` hook for `POST /oauth/token`: a small body limit, the media type checked
 * before the body is read, and Fastify's own errors (a body over the limit, a bad encoding) in
 * the RFC 6749 shape.
 */
export function oauthTokenRoute() {
  const checkMediaType = async (request: FastifyRequest, reply: FastifyReply) => {
    if (mediaTypeOf(request) !== FORM) return sendOAuthError(request, reply, new OAuthError('invalid_request', WRONG_MEDIA_TYPE));
  };
  return (route: RouteOptions) => {
    if (route.url !== OAUTH_TOKEN_PATH) return;
    route.bodyLimit = OAUTH_TOKEN_BODY_LIMIT;
    route.onRequest = [...toArray(route.onRequest), checkMediaType] as RouteOptions['onRequest'];
    route.errorHandler = (error: Error & { statusCode?: number; code?: string }, request, reply) => {
      const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
      if (status >= 500) {
        request.log.error({ err: { type: error.name, message: error.message } }, `unexpected error on POST ${OAUTH_TOKEN_PATH}`);
        return sendOAuthError(request, reply, new OAuthError('server_error', 'internal error', 500));
      }
      const description =
        error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? `the body is larger than ${OAUTH_TOKEN_BODY_LIMIT} bytes`
          : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? WRONG_MEDIA_TYPE
            : 'the request body could not be read as application/x-www-form-urlencoded';
      return sendOAuthError(request, reply, new OAuthError('invalid_request', description, status === 413 ? 413 : 400));
    };
  };
}

function toArray<T>(x: T | T[] | undefined): T[] {
  return x === undefined ? [] : Array.isArray(x) ? x : [x];
}
