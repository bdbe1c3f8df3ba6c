import { Command, InvalidArgumentError } from 'commander';
import { CATEGORIES } from '../events/set-profile';
import { usageError } from './cli-errors';
import { allPages, ConnectionOptions, GatewayClient, withConnection } from './gateway-client';
import { examples, print, printJson, table } from './output';

const GRANT_FIELDS = 'id grantor grantee categories includeEvidence purpose createdAt expiresAt revokedAt active';
const GRANTABLE = [...CATEGORIES, 'account_flag'];
type Grant = Record<string, unknown>;
type Page = { edges: Array<{ node: Grant }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

function printGrants(grants: Grant[], json?: boolean): void {
  if (json) return printJson(grants);
  if (!grants.length) return print('no grants');
  print(table(grants, [['id', 'ID'], ['grantor', 'FROM'], ['grantee', 'TO'], ['categories', 'CATEGORIES'], ['includeEvidence', 'EVIDENCE'], ['expiresAt', 'EXPIRES'], ['active', 'ACTIVE'], ['purpose', 'PURPOSE']], 40));
}

export function registerGrantCommands(program: Command): void {
  const grant = program.command('grant').description('give, list and revoke access to your `granted` events')
    .addHelpText('after', examples('risk-exchange grant give --to bank-b --categories cash_out --purpose "case 14"', 'risk-exchange grant list --received'));

  withConnection(grant.command('give'))
    .description('give another partner access to your granted events in some categories')
    .requiredOption('--to <partner>', 'the grantee (an active BANK, ECOMMERCE or INTERNAL_SCORER partner)')
    .requiredOption('--categories <list>', `comma-separated: ${GRANTABLE.join(', ')}`)
    .requiredOption('--purpose <text>', 'why, in words (kept with the grant)')
    .option('--days <n>', 'lifetime in days, at most 730', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 730) throw new InvalidArgumentError('must be 1..730');
      return n;
    }, 90)
    .option('--expires-at <instant>', 'end as an RFC 3339 instant (instead of --days)')
    .option('--include-evidence', 'the grantee also sees evidence, the original token and reason codes')
    .addHelpText('after', examples('risk-exchange grant give --to bank-b --categories cash_out,account_flag --purpose "joint cash-out case 2026-14" --days 30'))
    .action(async (o: ConnectionOptions & { to: string; categories: string; purpose: string; days: number; expiresAt?: string; includeEvidence?: boolean }) => {
      const categories = o.categories.split(',').map((c) => c.trim()).filter(Boolean);
      const unknown = categories.filter((c) => !GRANTABLE.includes(c));
      if (unknown.length) throw usageError(`--categories: ${unknown.join(', ')} not among ${GRANTABLE.join(', ')}`);
      const client = GatewayClient.from(o);
      const expiresAt = o.expiresAt ?? new Date(Date.now() + o.days * 86_400_000).toISOString();
      const g = (await client.gql<{ grantAccess: Grant }>(`mutation($i: GrantAccessInput!) { grantAccess(input: $i) { ${GRANT_FIELDS} } }`, {
        i: { grantee: o.to, categories, includeEvidence: !!o.includeEvidence, expiresAt, purpose: o.purpose },
      })).grantAccess;
      if (o.json) return printJson(g);
      print(`granted ${g.id}: ${o.to} sees your granted ${categories.join(', ')} events until ${g.expiresAt}${o.includeEvidence ? ', with evidence' : ''}`);
    });

  withConnection(grant.command('list'))
    .description('grants you gave (default), received, or, for the operator, all of them')
    .option('--received', 'grants you received')
    .option('--all', 'every grant of the exchange (operator only)')
    .addHelpText('after', examples('risk-exchange grant list', 'risk-exchange grant list --received --json'))
    .action(async (o: ConnectionOptions & { received?: boolean; all?: boolean }) => {
      if (o.received && o.all) throw usageError('give --received or --all, not both');
      const field = o.all ? 'grants' : o.received ? 'grantsReceived' : 'grantsGiven';
      const client = GatewayClient.from(o);
      const grants = await allPages<Grant>(async (after) =>
        (await client.gql<Record<string, Page>>(`query($after: String) { ${field}(first: 100, after: $after) { edges { node { ${GRANT_FIELDS} } } pageInfo { hasNextPage endCursor } } }`, { after }))[field]);
      printGrants(grants, o.json);
    });

  withConnection(grant.command('revoke'))
    .description('revoke one of your grants; access stops on the next request')
    .argument('<id>', 'the grant id (from `grant list`)')
    .addHelpText('after', examples('risk-exchange grant revoke 7f3c...'))
    .action(async (id: string, o: ConnectionOptions) => {
      const client = GatewayClient.from(o);
      const g = (await client.gql<{ revokeGrant: Grant }>(`mutation($id: ID!) { revokeGrant(id: $id) { ${GRANT_FIELDS} } }`, { id })).revokeGrant;
      if (o.json) return printJson(g);
      print(`revoked ${g.id} (to ${g.grantee}) at ${g.revokedAt}`);
    });
}
