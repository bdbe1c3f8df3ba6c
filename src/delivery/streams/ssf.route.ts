import type { RouteOptions } from 'fastify';
import { SSF_BODY_LIMIT } from '../../http/body-limits';
import { sendSsfError } from './ssf-error-body';

/** The SSF management routes (as registered: `::` is a literal colon for Fastify's router). */
export const SSF_ROUTES = ['/ssf/streams', '/ssf/status', '/ssf/subjects::add', '/ssf/subjects::remove', '/ssf/verify'];

/**
 * Fastify `onRoute` hook for the SSF management routes: the 16 KiB body limit, and errors Fastify
 * raises itself before a handler runs (a body over the limit, JSON that does not parse, another
 * media type) in the routes' `{err, description}` shape.
 */
export function ssfRoutes() {
  return (route: RouteOptions) => {
    if (!SSF_ROUTES.includes(route.url) && !SSF_ROUTES.includes(route.url.replace(':', '::'))) return;
    route.bodyLimit = SSF_BODY_LIMIT;
    route.errorHandler = (error: Error & { statusCode?: number; code?: string }, request, reply) => {
      const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
      if (status === 500) {
        request.log.error({ err: { type: error.name, message: error.message } }, `unexpected error on ${request.method} ${route.url}`);
        return sendSsfError(request, reply, 500, 'internal_error', 'internal error');
      }
      const description =
        error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? `the body is larger than ${SSF_BODY_LIMIT} bytes`
          : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? 'send the body as JSON with Content-Type: application/json'
            : error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.name === 'SyntaxError'
              ? 'the body is not valid JSON'
              : error.message;
      return sendSsfError(request, reply, status, 'invalid_request', description);
    };
  };
}
