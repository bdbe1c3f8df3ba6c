import { Args, ID, Int, Query, Resolver } from '@nestjs/graphql';
import { AuthenticatedPartner } from '../../auth/authenticated-partner';
import { CurrentPartner, Permissions } from '../../auth/decorators';
import { Permission } from '../../auth/permissions';
import { EventConnection } from '../../events/dto/event.types';
import { ScoreChangeConnection } from '../../scoring/dto/score.types';
import { DisclosurePackageService } from './disclosure-package.service';
import { DisclosureService } from './disclosure.service';
import { DisclosurePackageType } from './dto/disclosure.types';

const REQUEST = { type: () => ID, description: 'Your approved DISCLOSURE request.' } as const;
const FIRST = { type: () => Int, nullable: true, description: 'Page size, 1..100 (default 20).' } as const;
const AFTER = { type: () => String, nullable: true, description: 'Cursor of the last item of the previous page.' } as const;

/** The requester's reads through an approved disclosure (LEGAL partners; NOT_FOUND unless the disclosure is theirs and open). */
@Resolver()
export class DisclosureResolver {
  constructor(
    private readonly disclosure: DisclosureService,
    private readonly packages: DisclosurePackageService,
  ) {}

  @Query(() => EventConnection, {
    description:
      'Every event about the subject of your approved disclosure, whatever its distribution, in full (evidence, reason codes, details, the original token; retracted and lifted ones with their status), newest first. Other legal requests are not shown. NOT_FOUND ("no open disclosure <id>") before approval, after the access window, or for a request that is not your DISCLOSURE. Each read is audited and its issuers are told.',
  })
  @Permissions(Permission.ReadDisclosures)
  disclosedEvents(
    @CurrentPartner() caller: AuthenticatedPartner,
    @Args('requestId', REQUEST) requestId: string,
    @Args('first', FIRST) first?: number,
    @Args('after', AFTER) after?: string,
  ): Promise<EventConnection> {
    return this.disclosure.events(caller, requestId, first, after);
  }

  @Query(() => ScoreChangeConnection, {
    description: 'The tier changes of the subject of your approved disclosure, newest first, naming every cause (those purged by retention are counted in withheldCauses). Same access and audit as disclosedEvents.',
  })
  @Permissions(Permission.ReadDisclosures)
  disclosedScoreHistory(
    @CurrentPartner() caller: AuthenticatedPartner,
    @Args('requestId', REQUEST) requestId: string,
    @Args('first', FIRST) first?: number,
    @Args('after', AFTER) after?: string,
  ): Promise<ScoreChangeConnection> {
    return this.disclosure.scoreHistory(caller, requestId, first, after);
  }

  @Query(() => DisclosurePackageType, {
    description: `The gateway-signed disclosure package of your approved disclosure (at most 500 event tokens; more is refused with BAD_USER_INPUT). The first issue makes the request FULFILLED; later issues during the access window are allowed. Audited like a read; its issuers are told.`,
  })
  @Permissions(Permission.ReadDisclosures)
  legalDisclosurePackage(@CurrentPartner() caller: AuthenticatedPartner, @Args('requestId', REQUEST) requestId: string): Promise<DisclosurePackageType> {
    return this.packages.issue(caller, requestId);
  }
}
