import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { AuthenticatedPartner } from '../../auth/authenticated-partner';
import { CurrentPartner, Permissions } from '../../auth/decorators';
import { Permission } from '../../auth/permissions';
import { DeliveryDeadLettersService } from './dead-letters.service';
import { DeadLetterConnection, ReplayDeadLettersResult } from './dto/dead-letter.types';

const STREAM = { type: () => ID, description: 'The stream (yours).' } as const;

@Resolver()
export class PushResolver {
  constructor(private readonly deadLettersService: DeliveryDeadLettersService) {}

  @Query(() => DeadLetterConnection, { description: 'Push deliveries of your stream that the gateway gave up on, newest first.' })
  @Permissions(Permission.ManageStreams)
  deadLetters(
    @CurrentPartner() caller: AuthenticatedPartner,
    @Args('streamId', STREAM) streamId: string,
    @Args('first', { type: () => Int, nullable: true, description: 'Page size, 1..100 (default 20).' }) first?: number,
    @Args('after', { type: () => String, nullable: true, description: 'Cursor of the last dead letter of the previous page.' }) after?: string,
  ): Promise<DeadLetterConnection> {
    return this.deadLettersService.list(caller, streamId, first, after);
  }

  @Mutation(() => ReplayDeadLettersResult, { description: 'Sends dead letters of your stream again (same SETs, attempts reset): all of them, or those of `ids`.' })
  @Permissions(Permission.ManageStreams)
  replayDeadLetters(
    @CurrentPartner() caller: AuthenticatedPartner,
    @Args('streamId', STREAM) streamId: string,
    @Args('ids', { type: () => [ID], nullable: true, description: 'SET jtis of dead letters to replay (1..100); omit to replay all.' }) ids?: string[],
  ): Promise<ReplayDeadLettersResult> {
    return this.deadLettersService.replay(caller, streamId, ids);
  }
}
