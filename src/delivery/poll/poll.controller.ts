import { ArgumentsHost, Body, Catch, Controller, ExceptionFilter, HttpCode, HttpException, Logger, Param, Post, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AuthenticatedPartner } from '../../auth/authenticated-partner';
import { CurrentPartner, Permissions } from '../../auth/decorators';
import { Permission } from '../../auth/permissions';
import { AcceptsAccessToken, SsfScope } from '../../auth/ssf-scopes.decorator';
import { AppError, ErrorCode, httpStatusOf } from '../../common/errors';
import { setPushErrCode } from '../../events/set-push-errors';
import { POLL_PATH } from './poll.route';
import { PollResponse, PollService } from './poll.service';


/**
 * Every error of the poll endpoint answers `{"err": code, "description": text}`, the error shape of
 * RFC 8935 section 2.3 that RFC 8936 receivers already parse; `not_found` is ours (a missing
 * stream and another partner's answer the same).
 */
@Catch()
export class PollExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Poll');

  catch(exception: unknown, host: ArgumentsHost) {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (exception instanceof AppError) {
      const retryAfter = exception.details?.retryAfter;
      if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
      const err = exception.code === ErrorCode.NOT_FOUND ? 'not_found' : setPushErrCode(exception.code);
      return reply.code(httpStatusOf(exception.code)).send({ err, description: exception.message });
    }
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      return reply.code(exception.getStatus()).send({ err: 'invalid_request', description: exception.message });
    }
    this.logger.error(`unexpected error: ${(exception as Error)?.stack ?? String(exception)}`);
    return reply.code(500).send({ err: 'internal_error', description: 'internal error' });
  }
}

/** RFC 8936 poll-based SET delivery for the owner of a poll stream. */
@Controller()
@UseFilters(PollExceptionFilter)
export class PollController {
  constructor(private readonly polls: PollService) {}

  @Post(POLL_PATH)
  @HttpCode(200)
  @Permissions(Permission.ReadStreams)
  @AcceptsAccessToken(SsfScope.Read)
  async poll(@CurrentPartner() caller: AuthenticatedPartner, @Param('streamId') streamId: string, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<PollResponse | undefined> {
    // The response's 'close' before it finished: the client hung up during a long poll.
    const gone = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) gone.abort();
    });
    reply.header('cache-control', 'no-store');
    const answer = await this.polls.poll(caller, streamId, body, gone.signal);
    return answer ?? undefined;
  }
}
