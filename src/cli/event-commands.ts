import { Command, InvalidArgumentError, Option } from 'commander';
import { CATEGORIES } from '../events/set-profile';
import { allPages, ConnectionOptions, GatewayClient, withConnection } from './gateway-client';
import { examples, print, printJson, table } from './output';

const TYPES = ['risk-signal', 'account-flag', 'flag-lifted', 'retraction', 'legal-request'];
const STATUSES = ['active', 'retracted', 'lifted'];

interface EventsOptions extends ConnectionOptions {
  subject?: string;
  type?: string;
  category?: string;
  status?: string;
  since?: string;
  limit: number;
}

const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

export function registerEventCommands(program: Command): void {
  withConnection(program.command('events'))
    .description('your own events, newest first, filtered; pages through the gateway for you')
    .option('--subject <id>', 'only this subject')
    .addOption(new Option('--type <type>', 'only this event type').choices(TYPES))
    .addOption(new Option('--category <c>', 'only this risk-signal category').choices(CATEGORIES))
    .addOption(new Option('--status <s>', 'only this status').choices(STATUSES))
    .option('--since <instant>', 'only events received at or after this RFC 3339 instant')
    .option('--limit <n>', 'at most this many events', positive, 100)
    .addHelpText('after', examples('risk-exchange events --type account-flag --status active', 'risk-exchange events --subject v1:kH3PqG... --limit 1000 --json'))
    .action(async (o: EventsOptions) => {
      const client = GatewayClient.from(o);
      const filter = {
        subject: o.subject,
        type: o.type?.toUpperCase().replace(/-/g, '_'),
        category: o.category,
        status: o.status?.toUpperCase(),
        since: o.since,
      };
      type Node = Record<string, unknown> & { receivedAt: string; jti: string };
      const events = await allPages<Node>(async (after) =>
        (await client.gql<{ myEvents: { edges: Array<{ node: Node }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>(
          `query($f: MyEventsFilter, $first: Int, $after: String) { myEvents(filter: $f, first: $first, after: $after) {
             edges { node { id jti type subject status category action score confidence reasonCodes distribution targetJti txn issuedAt receivedAt expiresAt } }
             pageInfo { hasNextPage endCursor } } }`,
          { f: filter, first: Math.min(100, o.limit), after },
        )).myEvents, o.limit);
      if (o.json) return printJson(events);
      if (!events.length) return print('no events match');
      print(table(events.map((e) => ({ ...e, what: e.category ?? e.action ?? e.targetJti })), [
        ['receivedAt', 'RECEIVED'], ['jti', 'JTI'], ['type', 'TYPE'], ['subject', 'SUBJECT'], ['status', 'STATUS'], ['what', 'CATEGORY/ACTION/TARGET'], ['score', 'SCORE'],
      ], 48));
    });
}
