import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../../database/database-errors';
import { DatabaseHealth } from '../../database/database-health';
import { databaseUnavailableMessage } from '../../resilience/failure-answers';
import { loadResilienceConfig } from '../../resilience/resilience.config';
import { OAuthError } from './oauth-errors';
import { sendOAuthError } from './token-route';

/** The token endpoint answers every error as RFC 6749 section 5.2 `{error, error_description}`. */
@Catch()
export class OAuthExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('OAuth');
  private readonly retryAfter = loadResilienceConfig().unavailableRetryAfterSeconds;

  constructor(private readonly health: DatabaseHealth) {}

  catch(exception: unknown, host: ArgumentsHost) {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (exception instanceof OAuthError) return sendOAuthError(request, reply, exception);
    if (isDatabaseUnavailable(exception)) {
      this.health.markUnavailable(exception);
      const retry = String(this.retryAfter);
      return sendOAuthError(request, reply, new OAuthError('temporarily_unavailable', databaseUnavailableMessage(this.retryAfter), 503, 'database', { 'retry-after': retry }));
    }
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      return sendOAuthError(request, reply, new OAuthError('invalid_request', exception.message, exception.getStatus()));
    }
    this.logger.error(`unexpected error: ${(exception as Error)?.stack ?? String(exception)}`);
    return sendOAuthError(request, reply, new OAuthError('server_error', 'internal error', 500));
  }
}
