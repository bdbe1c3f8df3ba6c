import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ErrorCode, httpStatusOf } from '../../common/errors';
import { isDatabaseUnavailable } from '../../database/database-errors';
import { DatabaseHealth } from '../../database/database-health';
import { databaseUnavailableMessage, sendUnavailable } from '../../resilience/failure-answers';
import { loadResilienceConfig } from '../../resilience/resilience.config';
import { sendSsfError, ssfErrCode } from './ssf-error-body';

/** The SSF controller's filter: typed errors keep their message; nothing else leaves the process. */
@Catch()
export class SsfExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Ssf');
  private readonly retryAfter = loadResilienceConfig().unavailableRetryAfterSeconds;

  constructor(private readonly health: DatabaseHealth) {}

  catch(exception: unknown, host: ArgumentsHost) {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    if (isDatabaseUnavailable(exception)) {
      this.health.markUnavailable(exception);
      return sendUnavailable(request, reply, ErrorCode.DATABASE_UNAVAILABLE, databaseUnavailableMessage(this.retryAfter), this.retryAfter);
    }
    if (exception instanceof AppError) {
      return sendSsfError(request, reply, httpStatusOf(exception.code), ssfErrCode(exception.code), exception.message, exception.details?.retryAfter);
    }
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      const status = exception.getStatus();
      return sendSsfError(request, reply, status, status === 404 ? 'not_found' : 'invalid_request', exception.message);
    }
    this.logger.error(`unexpected error: ${(exception as Error)?.stack ?? String(exception)}`);
    return sendSsfError(request, reply, 500, 'internal_error', 'internal error');
  }
}
