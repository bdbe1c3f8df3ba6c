import type { RouteOptions } from 'fastify';
import { POLL_BODY_LIMIT } from './poll-request';

/** The poll endpoint, the stream's `endpoint_url` (DESIGN.md). */
export const POLL_PATH = '/ssf/poll/:streamId';

/**
 * Fastify `onRoute` hook for the poll endpoint: its body limit, and the `{err, description}`
 * shape for what Fastify refuses itself before the handler runs (a body over the limit, a body
 * that is not JSON, another media type).
 */
export function pollRoute(route: RouteOptions): void {
  if (route.url !== POLL_PATH) return;
  route.bodyLimit = POLL_BODY_LIMIT;
  route.errorHandler = (error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: { type: error.name, message: error.message } }, 'unexpected error on the poll endpoint');
      return reply.code(500).send({ err: 'internal_error', description: 'internal error' });
    }
    const description =
      error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `the poll body is larger than ${POLL_BODY_LIMIT} bytes: acknowledge and report fewer SETs at a time`
        : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'send the poll request as JSON with Content-Type: application/json'
          : error.message;
    return reply.code(status).send({ err: 'invalid_request', description });
  };
}
