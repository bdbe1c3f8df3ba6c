import { AuditResolver } from '../audit/audit.resolver';
import { EventsResolver } from '../events/events.resolver';
import { PartnersResolver } from '../partners/partners.resolver';
import { GrantsResolver } from '../sharing/grants.resolver';
import { ScoringResolver } from '../scoring/scoring.resolver';
import { SharedEventsResolver } from '../sharing/shared-events.resolver';
import { PushResolver } from '../delivery/push/push.resolver';

/** Every resolver class; the schema generator prints the schema from these (a test checks the live app agrees). */
export const RESOLVERS: Function[] = [PartnersResolver, AuditResolver, EventsResolver, GrantsResolver, SharedEventsResolver, ScoringResolver, PushResolver];
