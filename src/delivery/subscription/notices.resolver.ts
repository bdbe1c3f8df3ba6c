import { UseFilters } from '@nestjs/common';
import { Args, ID, Int, Mutation, Query, Resolver, Subscription } from '@nestjs/graphql';
import { AuthenticatedPartner } from '../../auth/authenticated-partner';
import { CurrentPartner, Permissions } from '../../auth/decorators';
import { Permission } from '../../auth/permissions';
import { AcknowledgeNoticesResult, NoticeType, NotificationErrorConnection } from './dto/notice.types';
import { NoticesService } from './notices.service';
import { SubscriptionErrorFilter } from './subscription-error.filter';

const STREAM_ID = { type: () => ID, description: 'The poll stream (`stream_id`).' } as const;

/** Receiving notices of a poll stream over GraphQL: the `notices` subscription, acknowledgement, reported errors. */
@Resolver()
export class NoticesResolver {
  constructor(private readonly notices: NoticesService) {}

  @Subscription(() => NoticeType, {
    name: 'notices',
    description:
      'The notices of one of your poll streams over graphql-ws: first those not yet acknowledged (oldest first), then each new one as it is committed. ' +
      'A notice comes again (on this or a later subscription, or a poll) until it is acknowledged with `acknowledgeNotices` or a poll `ack`. ' +
      'At most 500 unacknowledged notices are in flight per subscription.',
  })
  @Permissions(Permission.ReadStreams)
  @UseFilters(SubscriptionErrorFilter)
  subscribeNotices(@CurrentPartner() caller: AuthenticatedPartner, @Args('streamId', STREAM_ID) streamId: string) {
    return this.notices.subscribe(caller, streamId);
  }

  @Mutation(() => AcknowledgeNoticesResult, { description: 'Acknowledges notices of one of your poll streams by `jti`: they are never delivered again. Unknown jtis are ignored.' })
  @Permissions(Permission.ReadStreams)
  async acknowledgeNotices(
    @CurrentPartner() caller: AuthenticatedPartner,
    @Args('streamId', STREAM_ID) streamId: string,
    @Args('jtis', { type: () => [ID], description: 'The `jti`s to acknowledge (at most 1000).' }) jtis: string[],
  ): Promise<AcknowledgeNoticesResult> {
    return { acknowledged: await this.notices.acknowledge(caller, streamId, jtis) };
  }

  @Query(() => NotificationErrorConnection, { description: 'Errors you reported with RFC 8936 `setErrs` about SETs of one of your poll streams, newest first.' })
  @Permissions(Permission.ReadStreams)
  notificationErrors(
    @CurrentPartner() caller: AuthenticatedPartner,
    @Args('streamId', STREAM_ID) streamId: string,
    @Args('first', { type: () => Int, nullable: true, description: 'Page size, 1..100 (default 20).' }) first?: number,
    @Args('after', { type: () => String, nullable: true, description: 'Cursor of the last error of the previous page.' }) after?: string,
  ): Promise<NotificationErrorConnection> {
    return this.notices.notificationErrors(caller, streamId, first, after);
  }
}
