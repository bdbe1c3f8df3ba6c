import { Args, ID, Int, Query, Resolver } from '@nestjs/graphql';
import { AuthenticatedPartner } from '../auth/authenticated-partner';
import { CurrentPartner, Permissions } from '../auth/decorators';
import { Permission } from '../auth/permissions';
import { StoredEventType } from '../events/event.entity';
import { EventConnection, EventType } from '../events/dto/event.types';
import { SharedEventsService } from './shared-events.service';

const FIRST = { type: () => Int, nullable: true, description: 'Page size, 1..100 (default 20).' } as const;
const AFTER = { type: () => String, nullable: true, description: 'Cursor of the last event of the previous page.' } as const;
const INACTIVE = { type: () => Boolean, nullable: true, defaultValue: false, description: 'Also return retracted and lifted events.' } as const;

@Resolver()
export class SharedEventsResolver {
  constructor(private readonly shared: SharedEventsService) {}

  @Query(() => EventType, { nullable: true, description: 'One event by id: yours, or another partner\'s that its distribution lets you see (masked as its grants say). Null otherwise, exactly as for an id that does not exist.' })
  @Permissions(Permission.ReadOwnEvents)
  event(@CurrentPartner() caller: AuthenticatedPartner, @Args('id', { type: () => ID }) id: string): Promise<EventType | null> {
    return this.shared.event(caller, id);
  }

  @Query(() => EventConnection, { description: 'Risk signals about a subject that you may see, newest first.' })
  @Permissions(Permission.ReadSharedEvents)
  signals(
    @CurrentPartner() caller: AuthenticatedPartner,
    @Args('subject') subject: string,
    @Args('first', FIRST) first?: number,
    @Args('after', AFTER) after?: string,
    @Args('includeInactive', INACTIVE) includeInactive?: boolean,
  ): Promise<EventConnection> {
    return this.shared.bySubject(caller, StoredEventType.RISK_SIGNAL, subject, first, after, includeInactive ?? false);
  }

  @Query(() => EventConnection, { description: 'Account flags about a subject that you may see, newest first.' })
  @Permissions(Permission.ReadSharedEvents)
  flags(
    @CurrentPartner() caller: AuthenticatedPartner,
    @Args('subject') subject: string,
    @Args('first', FIRST) first?: number,
    @Args('after', AFTER) after?: string,
    @Args('includeInactive', INACTIVE) includeInactive?: boolean,
  ): Promise<EventConnection> {
    return this.shared.bySubject(caller, StoredEventType.ACCOUNT_FLAG, subject, first, after, includeInactive ?? false);
  }
}
