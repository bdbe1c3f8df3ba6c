import { AuditResolver } from '../audit/audit.resolver';
import { EventsResolver } from '../events/events.resolver';
import { PartnersResolver } from '../partners/partners.resolver';
import { PushTokensResolver } from '../events/inbound/push-tokens.resolver';
import { GrantsResolver } from '../sharing/grants.resolver';
import { ScoringResolver } from '../scoring/scoring.resolver';
import { SharedEventsResolver } from '../sharing/shared-events.resolver';
import { StreamsResolver } from '../delivery/streams/streams.resolver';
import { NoticesResolver } from '../delivery/subscription/notices.resolver';
import { PushResolver } from '../delivery/push/push.resolver';
import { LegalResolver } from '../legal/legal.resolver';

import { DisclosureResolver } from '../legal/disclosure/disclosure.resolver';

/** Every resolver class; the schema generator prints the schema from these (a test checks the live app agrees). */
export const RESOLVERS: Function[] = [PartnersResolver, AuditResolver, EventsResolver, GrantsResolver, SharedEventsResolver, ScoringResolver, PushTokensResolver, StreamsResolver, NoticesResolver, PushResolver, LegalResolver, DisclosureResolver];
