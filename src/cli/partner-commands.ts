import { Command, InvalidArgumentError, Option } from 'commander';
import * as fs from 'node:fs';
import { usageError } from './cli-errors';
import { allPages, ConnectionOptions, GatewayClient, withConnection } from './gateway-client';
import { examples, print, printJson, table } from './output';

const PARTNER_FIELDS = 'id name kind status trustWeight createdAt keys(first: 100) { kid alg status createdAt revokedAt }';
// A listing multiplies by its page size: smaller pages and fewer key fields keep it under GRAPHQL_MAX_COST.
const LIST_FIELDS = 'id name kind status trustWeight createdAt keys(first: 20) { kid status }';
const KINDS = ['BANK', 'ECOMMERCE', 'INTERNAL_SCORER', 'LEGAL', 'OPERATOR'];
type Partner = { id: string; name: string; kind: string; status: string; trustWeight: number; keys: Array<Record<string, unknown>> };

/** A JWKS from public JWK or JWKS files; private members are refused here, before they travel. */
function jwksFromFiles(files: string[]): { keys: Array<Record<string, unknown>> } {
  const keys: Array<Record<string, unknown>> = [];
  for (const f of files) {
    let v: unknown;
    try {
      v = JSON.parse(fs.readFileSync(f, 'utf8'));
    } catch (e) {
      throw usageError(`${f}: ${(e as NodeJS.ErrnoException).code ? `cannot read (${(e as NodeJS.ErrnoException).code})` : 'not JSON'}`);
    }
    const found = Array.isArray((v as { keys?: unknown }).keys) ? (v as { keys: unknown[] }).keys : [v];
    for (const k of found) {
      if (typeof k !== 'object' || k === null) throw usageError(`${f}: not a JWK or JWKS`);
      if ('d' in k) throw usageError(`${f} holds a PRIVATE key: register the .public.jwk file, never the private one`);
      keys.push(k as Record<string, unknown>);
    }
  }
  return { keys };
}

function show(p: Partner, json?: boolean): void {
  if (json) return printJson(p);
  print(`${p.id}  ${p.name}  ${p.kind}  ${p.status}  trust ${p.trustWeight}`);
  print(table(p.keys, [['kid', 'KID'], ['alg', 'ALG'], ['status', 'STATUS'], ['createdAt', 'CREATED'], ['revokedAt', 'REVOKED']]).replace(/^/gm, '  ').trimEnd());
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerPartnerCommands(program: Command): void {
  const partner = program.command('partner').description('operator: register partners, suspend and reactivate them, add and revoke their keys (a partner may rotate its own keys)')
    .addHelpText('after', examples('RISKX_KEY=data/operator.jwk RISKX_PARTNER=operator risk-exchange partner list', 'risk-exchange partner suspend bank-b'));

  withConnection(partner.command('register'))
    .description('register a partner with its public key(s)')
    .requiredOption('--id <id>', 'slug id, e.g. bank-b')
    .requiredOption('--name <name>', 'display name')
    .addOption(new Option('--kind <kind>', 'kind of institution').choices(KINDS).makeOptionMandatory())
    .requiredOption('--public-key <file>', 'public JWK or JWKS file (repeat for several)', collect)
    .option('--trust-weight <w>', 'weight in merged scores, 0..1 (default 0.5)', (v) => {
      const n = Number(v);
      if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('must be a number in [0, 1]');
      return n;
    })
    .addHelpText('after', examples('risk-exchange partner register --id bank-b --name "Bank B" --kind BANK --public-key bank-b.public.jwk'))
    .action(async (o: ConnectionOptions & { id: string; name: string; kind: string; publicKey: string[]; trustWeight?: number }) => {
      const jwks = jwksFromFiles(o.publicKey);
      const client = GatewayClient.from(o);
      const p = (await client.gql<{ registerPartner: Partner }>(`mutation($i: RegisterPartnerInput!) { registerPartner(input: $i) { ${PARTNER_FIELDS} } }`, {
        i: { id: o.id, name: o.name, kind: o.kind, jwks: JSON.stringify(jwks), ...(o.trustWeight !== undefined ? { trustWeight: o.trustWeight } : {}) },
      })).registerPartner;
      show(p, o.json);
    });

  withConnection(partner.command('list'))
    .description('every partner, by id')
    .addHelpText('after', examples('risk-exchange partner list', 'risk-exchange partner list --json'))
    .action(async (o: ConnectionOptions) => {
      const client = GatewayClient.from(o);
      type Page = { edges: Array<{ node: Partner }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
      const partners = await allPages<Partner>(async (after) =>
        (await client.gql<{ partners: Page }>(`query($after: String) { partners(first: 20, after: $after) { edges { node { ${LIST_FIELDS} } } pageInfo { hasNextPage endCursor } } }`, { after })).partners);
      if (o.json) return printJson(partners);
      print(table(partners.map((p) => ({ ...p, activeKeys: p.keys.filter((k) => k.status === 'ACTIVE').map((k) => k.kid) })), [['id', 'ID'], ['name', 'NAME'], ['kind', 'KIND'], ['status', 'STATUS'], ['trustWeight', 'TRUST'], ['activeKeys', 'ACTIVE KEYS']]));
    });

  withConnection(partner.command('show'))
    .description('one partner and its keys')
    .argument('<id>')
    .addHelpText('after', examples('risk-exchange partner show bank-b'))
    .action(async (id: string, o: ConnectionOptions) => {
      const p = (await GatewayClient.from(o).gql<{ partner: Partner | null }>(`query($id: ID!) { partner(id: $id) { ${PARTNER_FIELDS} } }`, { id })).partner;
      if (!p) throw usageError(`no partner "${id}" (see \`risk-exchange partner list\`)`);
      show(p, o.json);
    });

  for (const [name, mutation, what] of [['suspend', 'suspendPartner', 'refused from its next request on'], ['reactivate', 'reactivatePartner', 'may call again']] as const) {
    withConnection(partner.command(name))
      .description(`${name} a partner: ${what}`)
      .argument('<id>')
      .addHelpText('after', examples(`risk-exchange partner ${name} bank-b`))
      .action(async (id: string, o: ConnectionOptions) => {
        const p = (await GatewayClient.from(o).gql<Record<string, Partner>>(`mutation($id: ID!) { ${mutation}(id: $id) { ${PARTNER_FIELDS} } }`, { id }))[mutation];
        show(p, o.json);
      });
  }

  withConnection(partner.command('add-key'))
    .description('add a public key to a partner (the operator, or the partner itself for rotation)')
    .argument('<id>', 'the partner')
    .requiredOption('--public-key <file>', 'the public JWK file')
    .addHelpText('after', examples('risk-exchange keygen --kid bank-b-2 --out bank-b-2 && risk-exchange partner add-key bank-b --public-key bank-b-2.public.jwk'))
    .action(async (id: string, o: ConnectionOptions & { publicKey: string }) => {
      const { keys } = jwksFromFiles([o.publicKey]);
      if (keys.length !== 1) throw usageError(`${o.publicKey} must hold exactly one JWK`);
      const p = (await GatewayClient.from(o).gql<{ addPartnerKey: Partner }>(`mutation($id: ID!, $jwk: String!) { addPartnerKey(partnerId: $id, jwk: $jwk) { ${PARTNER_FIELDS} } }`, { id, jwk: JSON.stringify(keys[0]) })).addPartnerKey;
      show(p, o.json);
    });

  withConnection(partner.command('revoke-key'))
    .description('revoke a key at once (never a partner\'s last active key)')
    .argument('<id>', 'the partner')
    .argument('<kid>', 'the key id')
    .addHelpText('after', examples('risk-exchange partner revoke-key bank-b bank-b-1'))
    .action(async (id: string, kid: string, o: ConnectionOptions) => {
      const p = (await GatewayClient.from(o).gql<{ revokePartnerKey: Partner }>(`mutation($id: ID!, $kid: String!) { revokePartnerKey(partnerId: $id, kid: $kid) { ${PARTNER_FIELDS} } }`, { id, kid })).revokePartnerKey;
      show(p, o.json);
    });
}
