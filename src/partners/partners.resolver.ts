import { Args, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { AuthenticatedPartner } from '../auth/authenticated-partner';
import { CurrentPartner, Permissions } from '../auth/decorators';
import { Permission } from '../auth/permissions';
import { notFound } from '../common/errors';
import { PartnerStatus } from './partner.enums';
import { PartnerConnection, PartnerKeyType, PartnerType, RegisterPartnerInput, UpdatePartnerSsfInput } from './dto/partner.types';
import { PartnersService } from './partners.service';

@Resolver(() => PartnerType)
export class PartnersResolver {
  constructor(private readonly partnersService: PartnersService) {}

  @Query(() => PartnerType, { description: 'The calling partner.' })
  @Permissions(Permission.ReadSelf)
  async me(@CurrentPartner() caller: AuthenticatedPartner): Promise<PartnerType> {
    const partner = await this.partnersService.get(caller.id);
    if (!partner) throw notFound('partner not found');
    return partner;
  }

  @Query(() => PartnerConnection, { description: 'All partners, ordered by id (operator only).' })
  @Permissions(Permission.ManagePartners)
  partners(
    @CurrentPartner() caller: AuthenticatedPartner,
    @Args('first', { type: () => Int, nullable: true, description: 'Page size, 1..100 (default 20).' }) first?: number,
    @Args('after', { type: () => String, nullable: true, description: 'Cursor of the last item of the previous page.' }) after?: string,
  ): Promise<PartnerConnection> {
    return this.partnersService.list(first, after, caller);
  }

  @Query(() => PartnerType, { nullable: true, description: 'One partner by id, or null (operator only).' })
  @Permissions(Permission.ManagePartners)
  partner(@CurrentPartner() caller: AuthenticatedPartner, @Args('id', { type: () => ID }) id: string): Promise<PartnerType | null> {
    return this.partnersService.get(id, caller);
  }

  @ResolveField('keys', () => [PartnerKeyType], { description: 'Its keys, active and revoked, oldest first: a page of at most `first`.' })
  keys(
    @Parent() partner: PartnerType,
    @Args('first', { type: () => Int, nullable: true, description: 'Page size, 1..100 (default 20).' }) first?: number,
    @Args('after', { type: () => String, nullable: true, description: 'The kid of the last key of the previous page.' }) after?: string,
  ): Promise<PartnerKeyType[]> {
    return this.partnersService.keysOf(partner.id, first, after);
  }

  @Mutation(() => PartnerType, { description: 'Registers a partner with its first keys (operator only).' })
  @Permissions(Permission.ManagePartners)
  registerPartner(@CurrentPartner() caller: AuthenticatedPartner, @Args('input') input: RegisterPartnerInput): Promise<PartnerType> {
    return this.partnersService.register(caller, input);
  }

  @Mutation(() => PartnerType, { description: 'Adds a public key (JWK as JSON text): the operator, or the partner itself for rotation.' })
  @Permissions(Permission.ManageOwnKeys)
  addPartnerKey(
    @CurrentPartner() caller: AuthenticatedPartner,
    @Args('partnerId', { type: () => ID }) partnerId: string,
    @Args('jwk', { description: 'One public JWK as JSON text.' }) jwk: string,
  ): Promise<PartnerType> {
    return this.partnersService.addKey(caller, partnerId, jwk);
  }

  @Mutation(() => PartnerType, { description: 'Revokes a key at once: the operator, or the partner itself (never its last active key).' })
  @Permissions(Permission.ManageOwnKeys)
  revokePartnerKey(
    @CurrentPartner() caller: AuthenticatedPartner,
    @Args('partnerId', { type: () => ID }) partnerId: string,
    @Args('kid') kid: string,
  ): Promise<PartnerType> {
    return this.partnersService.revokeKey(caller, partnerId, kid);
  }

  @Mutation(() => PartnerType, { description: "Sets a partner's SSF issuer URL and iat window (operator only); both fields are replaced." })
  @Permissions(Permission.ManagePartners)
  updatePartnerSsf(@CurrentPartner() caller: AuthenticatedPartner, @Args('input') input: UpdatePartnerSsfInput): Promise<PartnerType> {
    return this.partnersService.updateSsf(caller, input);
  }

  @Mutation(() => PartnerType, { description: 'Suspends a partner: refused from its next request on (operator only).' })
  @Permissions(Permission.ManagePartners)
  suspendPartner(@CurrentPartner() caller: AuthenticatedPartner, @Args('id', { type: () => ID }) id: string): Promise<PartnerType> {
    return this.partnersService.setStatus(caller, id, PartnerStatus.SUSPENDED);
  }

  @Mutation(() => PartnerType, { description: 'Reactivates a suspended partner (operator only).' })
  @Permissions(Permission.ManagePartners)
  reactivatePartner(@CurrentPartner() caller: AuthenticatedPartner, @Args('id', { type: () => ID }) id: string): Promise<PartnerType> {
    return this.partnersService.setStatus(caller, id, PartnerStatus.ACTIVE);
  }
}
