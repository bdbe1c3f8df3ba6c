import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { AuthenticatedPartner } from '../auth/authenticated-partner';
import { CurrentPartner, Permissions } from '../auth/decorators';
import { Permission } from '../auth/permissions';
import { GrantAccessInput, GrantConnection, GrantType } from './dto/grant.types';
import { GrantsService } from './grants.service';

const FIRST = { type: () => Int, nullable: true, description: 'Page size, 1..100 (default 20).' } as const;
const AFTER = { type: () => String, nullable: true, description: 'Cursor of the last grant of the previous page.' } as const;

@Resolver()
export class GrantsResolver {
  constructor(private readonly grantsService: GrantsService) {}

  @Mutation(() => GrantType, { description: 'Gives another partner access to your `granted` events in some categories.' })
  @Permissions(Permission.ManageGrants)
  grantAccess(@CurrentPartner() caller: AuthenticatedPartner, @Args('input') input: GrantAccessInput): Promise<GrantType> {
    return this.grantsService.grant(caller, input);
  }

  @Mutation(() => GrantType, { description: 'Revokes one of your grants; access stops on the next request.' })
  @Permissions(Permission.ManageGrants)
  revokeGrant(@CurrentPartner() caller: AuthenticatedPartner, @Args('id', { type: () => ID }) id: string): Promise<GrantType> {
    return this.grantsService.revoke(caller, id);
  }

  @Query(() => GrantConnection, { description: 'Grants you gave, newest first.' })
  @Permissions(Permission.ReadOwnGrants)
  grantsGiven(@CurrentPartner() caller: AuthenticatedPartner, @Args('first', FIRST) first?: number, @Args('after', AFTER) after?: string): Promise<GrantConnection> {
    return this.grantsService.list({ grantor: caller.id }, first, after);
  }

  @Query(() => GrantConnection, { description: 'Grants you received, newest first.' })
  @Permissions(Permission.ReadOwnGrants)
  grantsReceived(@CurrentPartner() caller: AuthenticatedPartner, @Args('first', FIRST) first?: number, @Args('after', AFTER) after?: string): Promise<GrantConnection> {
    return this.grantsService.list({ grantee: caller.id }, first, after);
  }

  @Query(() => GrantConnection, { description: 'Every grant of the exchange, newest first (operator only).' })
  @Permissions(Permission.ReadAllGrants)
  grants(@Args('first', FIRST) first?: number, @Args('after', AFTER) after?: string): Promise<GrantConnection> {
    return this.grantsService.list({}, first, after);
  }
}
