// How every online command reaches the gateway: URL and key from flags or the environment, an
// assertion minted here (profile section 2), GraphQL over node's own fetch (Node 20 ships undici).
import { Command, Option } from 'commander';
import * as fs from 'node:fs';
import type { JWK } from 'jose';
import { PARTNER_ID_PATTERN } from '../partners/partner.enums';
import { CliError, refusedError, unreachableError, usageError } from './cli-errors';
import { mintAssertion } from './assertion';

export interface ConnectionOptions {
  url?: string;
  key?: string;
  partner?: string;
  aud?: string;
  json?: boolean;
}

/** Adds the connection flags (and --json) to a command; each names its environment variable. */
export function withConnection(cmd: Command): Command {
  return cmd
    .addOption(new Option('--url <url>', 'gateway URL, e.g. http://localhost:4000').env('RISKX_URL'))
    .addOption(new Option('--key <file>', 'your private JWK file').env('RISKX_KEY'))
    .addOption(new Option('--partner <id>', 'your partner id').env('RISKX_PARTNER'))
    .addOption(new Option('--aud <audience>', 'gateway audience').env('GATEWAY_AUDIENCE').default('risk-exchange'))
    .option('--json', 'machine-readable output');
}

/** Reads a private JWK; the message never quotes the file (it would quote the private key). */
export function readPrivateJwk(file: string): JWK {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw usageError(`cannot read the key file ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'}): give --key <file> or set RISKX_KEY to your private JWK file (made by \`risk-exchange keygen\`)`);
  }
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    throw usageError(`${file} is not a JSON JWK: give the .private.jwk file that \`risk-exchange keygen\` wrote`);
  }
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw usageError(`${file} is not a JWK (a JSON object)`);
  const k = jwk as JWK;
  if (typeof k.d !== 'string') throw usageError(`${file} holds a public key: give the private JWK (with "d"), the .private.jwk file`);
  if (typeof k.kid !== 'string' || !k.kid) throw usageError(`${file} has no "kid": add the kid you registered with the gateway`);
  return k;
}

export function partnerIdOf(value: string | undefined, what = '--partner'): string {
  if (!value) throw usageError(`give ${what} <id> or set RISKX_PARTNER (your partner id, e.g. bank-a)`);
  if (!PARTNER_ID_PATTERN.test(value)) throw usageError(`${what} "${value}" is not a partner id like bank-a (^[a-z0-9][a-z0-9-]{1,62}$)`);
  return value;
}

export interface GatewayError {
  message: string;
  extensions?: { code?: string; retryAfter?: number } & Record<string, unknown>;
}

/** A gateway that answered no: its code and message, and how long it asked us to wait, if it did. */
export class GatewayRefusal extends CliError {
  constructor(
    readonly code: string,
    readonly gatewayMessage: string,
    readonly retryAfterSeconds: number | null,
  ) {
    super(`the gateway refused: ${code}: ${gatewayMessage}`, 1);
  }
  /** Overload, an outage or a spent budget: nothing was done, the same call may succeed later. */
  get temporary(): boolean {
    return ['OVERLOADED', 'DATABASE_UNAVAILABLE', 'RATE_LIMITED'].includes(this.code);
  }
}

export class GatewayClient {
  private bearer: { token: string; until: number } | null = null;

  constructor(
    readonly url: string,
    readonly partner: string,
    private readonly jwk: JWK,
    private readonly audience: string,
  ) {}

  static from(o: ConnectionOptions): GatewayClient {
    if (!o.url) throw usageError('give --url <gateway URL> or set RISKX_URL (e.g. http://localhost:4000)');
    let url: URL;
    try {
      url = new URL(o.url);
    } catch {
      throw usageError(`--url "${o.url}" is not a URL; it looks like http://localhost:4000`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError(`--url must be http:// or https://, not ${url.protocol}`);
    if (!o.key) throw usageError('give --key <file> or set RISKX_KEY (your private JWK file, made by `risk-exchange keygen`)');
    const partner = partnerIdOf(o.partner);
    const jwk = readPrivateJwk(o.key);
    return new GatewayClient(url.toString().replace(/\/$/, ''), partner, jwk, o.aud ?? 'risk-exchange');
  }

  get signingKey(): JWK {
    return this.jwk;
  }

  /** A fresh assertion is minted when the current one has under 30 s left (they live 120 s). */
  async assertion(): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    if (!this.bearer || this.bearer.until - now < 30) {
      this.bearer = { token: await mintAssertion(this.jwk, this.partner, this.audience, 120, now).catch((e: Error) => {
        throw usageError(`cannot sign with the key file: ${e.message}`);
      }), until: now + 120 };
    }
    return this.bearer.token;
  }

  /** Runs one GraphQL operation; a refusal throws GatewayRefusal with the gateway's code and message. */
  async gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await this.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await this.assertion()}` },
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.text();
    let body: { data?: T | null; errors?: GatewayError[] };
    try {
      body = JSON.parse(text);
    } catch {
      throw refusedError(`the gateway at ${this.url} answered HTTP ${res.status} without JSON: is --url the Risk Exchange gateway?`);
    }
    const err = body.errors?.[0];
    if (err) {
      const retry = Number(err.extensions?.retryAfter ?? res.headers.get('retry-after') ?? NaN);
      throw new GatewayRefusal(err.extensions?.code ?? `HTTP_${res.status}`, hint(err.extensions?.code, err.message), Number.isFinite(retry) ? retry : null);
    }
    if (!body.data) throw refusedError(`the gateway answered HTTP ${res.status} without data`);
    return body.data;
  }

  /** A plain HTTP call; a network failure is exit 3 with what to check. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await fetch(this.url + path, init);
    } catch (e) {
      throw unreachable(this.url, e);
    }
  }
}

export function unreachable(url: string, e: unknown): CliError {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code ?? cause?.message ?? (e as Error).message;
  return unreachableError(`cannot reach the gateway at ${url} (${why}): is it running, and is --url (or RISKX_URL) right?`);
}

/** Adds what to do to the refusals a new user meets first. */
function hint(code: string | undefined, message: string): string {
  if (code === 'UNAUTHENTICATED') return `${message} (check --partner, that --key is the private half of a key registered for it, and the clock)`;
  if (code === 'FORBIDDEN') return `${message} (your partner kind may not do this; see the README permission table)`;
  return message;
}

/** Fetches every page of a Relay connection selected by `pick`. */
export async function allPages<N>(fetchPage: (after: string | null) => Promise<{ edges: Array<{ node: N }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } }>, limit = Infinity): Promise<N[]> {
  const out: N[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await fetchPage(after);
    out.push(...page.edges.map((e) => e.node));
    if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor || out.length >= limit) return out.slice(0, limit);
    after = page.pageInfo.endCursor;
  }
}
