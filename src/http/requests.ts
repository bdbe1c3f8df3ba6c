import type { FastifyRequest } from 'fastify';

/** The media type of a request, lowercase, without parameters ('' when absent). */
export function mediaTypeOf(request: FastifyRequest): string {
  return String(request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/** The request says a body follows (a length above 0, or chunked transfer). */
export function announcesBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
