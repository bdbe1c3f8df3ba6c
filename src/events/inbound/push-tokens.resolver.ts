import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { AuthenticatedPartner } from '../../auth/authenticated-partner';
import { CurrentPartner, Permissions } from '../../auth/decorators';
import { Permission } from '../../auth/permissions';
import { CreatedPushTokenType, CreatePushTokenInput, PushTokenConnection, PushTokenType } from './dto/push-token.types';
import { PushTokensService } from './push-tokens.service';

@Resolver(() => PushTokenType)
export class PushTokensResolver {
  constructor(private readonly tokens: PushTokensService) {}

  @Mutation(() => CreatedPushTokenType, { description: 'Creates a static push token for POST /events: the partner for itself, or the operator for a partner. The secret is in the answer only.' })
  @Permissions(Permission.ManagePushTokens)
  createPushToken(@CurrentPartner() caller: AuthenticatedPartner, @Args('input') input: CreatePushTokenInput): Promise<CreatedPushTokenType> {
    return this.tokens.create(caller, input);
  }

  @Mutation(() => PushTokenType, { description: 'Revokes a push token at once (the next request with it is refused): its partner, or the operator.' })
  @Permissions(Permission.ManagePushTokens)
  revokePushToken(@CurrentPartner() caller: AuthenticatedPartner, @Args('id', { type: () => ID }) id: string): Promise<PushTokenType> {
    return this.tokens.revoke(caller, id);
  }

  @Query(() => PushTokenConnection, { description: "A partner's push tokens, newest first, without secrets: one's own, or any partner's for the operator." })
  @Permissions(Permission.ManagePushTokens)
  pushTokens(
    @CurrentPartner() caller: AuthenticatedPartner,
    @Args('partnerId', { type: () => ID, nullable: true, description: 'Default: the caller.' }) partnerId?: string,
    @Args('first', { type: () => Int, nullable: true, description: 'Page size, 1..100 (default 20).' }) first?: number,
    @Args('after', { type: () => String, nullable: true, description: 'Cursor of the last item of the previous page.' }) after?: string,
  ): Promise<PushTokenConnection> {
    return this.tokens.list(caller, partnerId, first, after);
  }
}
