import { Args, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { AuthenticatedPartner } from '../auth/authenticated-partner';
import { CurrentPartner, Permissions } from '../auth/decorators';
import { Permission } from '../auth/permissions';
import { EventConnection, MyEventsFilter, PublishResultType } from './dto/event.types';
import { EventsIngestService } from './events.ingest.service';
import { EventsQueryService } from './events.query.service';

@Resolver()
export class EventsResolver {
  constructor(
    private readonly ingest: EventsIngestService,
    private readonly queries: EventsQueryService,
  ) {}

  @Mutation(() => [PublishResultType], { description: 'Publishes signed events (SETs, see the token profile). Valid tokens are stored, invalid ones reported, in the order sent; up to PUBLISH_MAX_BATCH (500) per call.' })
  @Permissions(Permission.PublishEvents)
  publishEvents(@CurrentPartner() caller: AuthenticatedPartner, @Args('tokens', { type: () => [String], description: 'Compact SETs.' }) tokens: string[]): Promise<PublishResultType[]> {
    return this.ingest.publish(caller, tokens);
  }

  @Query(() => EventConnection, { description: 'Your own events, newest first; expired events are left out.' })
  @Permissions(Permission.ReadOwnEvents)
  myEvents(
    @CurrentPartner() caller: AuthenticatedPartner,
    @Args('filter', { type: () => MyEventsFilter, nullable: true }) filter?: MyEventsFilter,
    @Args('first', { type: () => Int, nullable: true, description: 'Page size, 1..100 (default 20).' }) first?: number,
    @Args('after', { type: () => String, nullable: true, description: 'Cursor of the last event of the previous page.' }) after?: string,
  ): Promise<EventConnection> {
    return this.queries.myEvents(caller.id, filter, first, after);
  }


}
