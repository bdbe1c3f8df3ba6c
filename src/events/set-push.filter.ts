import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AppError, ErrorCode, httpStatusOf } from '../common/errors';
import { setPushErrCode, setPushError } from './set-push-errors';
import { bearerChallenge } from './inbound/bearer-challenge';

/** `POST /events` answers every error as `{err, description}` (the global filter's shape is for the other routes). */
@Catch()
export class SetPushExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('SetPush');

  catch(exception: unknown, host: ArgumentsHost) {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (exception instanceof AppError) {
      if (httpStatusOf(exception.code) === 401) {
        const authorization = host.switchToHttp().getRequest<{ headers: Record<string, unknown> }>().headers.authorization;
        reply.header('www-authenticate', bearerChallenge(authorization, exception.message));
      }
      return reply.code(httpStatusOf(exception.code)).send(setPushError(setPushErrCode(exception.code), exception.message));
    }
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      return reply.code(exception.getStatus()).send(setPushError('invalid_request', exception.message));
    }
    this.logger.error(`unexpected error: ${(exception as Error)?.stack ?? String(exception)}`);
    return reply.code(500).send(setPushError(setPushErrCode(ErrorCode.INTERNAL_SERVER_ERROR), 'internal error'));
  }
}
