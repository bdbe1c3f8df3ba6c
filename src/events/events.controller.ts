import { Body, Controller, Headers, HttpCode, Post, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AuthenticatedPartner } from '../auth/authenticated-partner';
import { CurrentPartner, Permissions } from '../auth/decorators';
import { Permission } from '../auth/permissions';
import { EventsIngestService, PublishStatus } from './events.ingest.service';
import { SetPushExceptionFilter } from './set-push.filter';
import { SET_MEDIA_TYPE, SET_PUSH_PATH } from './set-push.route';
import { setPushError } from './set-push-errors';

/**
 * RFC 8935 push delivery of one SET, for partners that already speak Shared Signals.
 * Authentication, the media type, the body limit and the rate budget are checked before the body
 * is read (set-push.route.ts); every error answers `{err, description}` (SetPushExceptionFilter).
 */
@Controller()
@UseFilters(SetPushExceptionFilter)
export class EventsController {
  constructor(private readonly ingest: EventsIngestService) {}

  @Post(SET_PUSH_PATH)
  @HttpCode(202)
  @Permissions(Permission.PublishEvents)
  async push(@CurrentPartner() caller: AuthenticatedPartner, @Headers('content-type') type: string | undefined, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    if (String(type ?? '').split(';')[0].trim().toLowerCase() !== SET_MEDIA_TYPE || typeof body !== 'string') {
      reply.code(400);
      return setPushError('invalid_request', `send one SET with Content-Type: ${SET_MEDIA_TYPE}`);
    }
    const [result] = await this.ingest.publish(caller, [body.trim()]);
    if (result.status === PublishStatus.REJECTED) {
      reply.code(400);
      return setPushError(result.code ?? 'invalid_request', result.description ?? 'refused');
    }
    return undefined; // 202, accepted or duplicate
  }
}
