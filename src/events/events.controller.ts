import { Body, Controller, Headers, HttpCode, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AuthenticatedPartner } from '../auth/authenticated-partner';
import { CurrentPartner, Permissions } from '../auth/decorators';
import { Permission } from '../auth/permissions';
import { EventsIngestService, PublishStatus } from './events.ingest.service';

export const SET_MEDIA_TYPE = 'application/secevent+jwt';

/** RFC 8935 push delivery of one SET, for partners that already speak Shared Signals. */
@Controller()
export class EventsController {
  constructor(private readonly ingest: EventsIngestService) {}

  @Post('/events')
  @HttpCode(202)
  @Permissions(Permission.PublishEvents)
  async push(@CurrentPartner() caller: AuthenticatedPartner, @Headers('content-type') type: string | undefined, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    if (String(type ?? '').split(';')[0].trim().toLowerCase() !== SET_MEDIA_TYPE || typeof body !== 'string') {
      reply.code(400);
      return { err: 'invalid_request', description: `send one SET with Content-Type: ${SET_MEDIA_TYPE}` };
    }
    const [result] = await this.ingest.publish(caller, [body.trim()]);
    if (result.status === PublishStatus.REJECTED) {
      reply.code(400);
      return { err: result.code, description: result.description };
    }
    return undefined; // 202, accepted or duplicate
  }
}
