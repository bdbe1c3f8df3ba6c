import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AppError, httpStatusOf } from './errors';

/**
 * The one exception filter. In GraphQL it hands errors back to the error formatter
 * (graphql-errors.ts) without logging expected ones; on REST routes it answers
 * `{"error": code, "message": ...}` with the matching status, and never a stack trace.
 */
@Catch()
export class AppExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost) {
    if (host.getType<string>() === 'graphql') return exception;
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (exception instanceof AppError) {
      return reply.code(httpStatusOf(exception.code)).send({ error: exception.code, message: exception.message });
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      return reply.code(status).send(typeof body === 'object' ? body : { error: status, message: String(body) });
    }
    this.logger.error(`unexpected error: ${(exception as Error)?.stack ?? String(exception)}`);
    return reply.code(500).send({ error: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' });
  }
}
