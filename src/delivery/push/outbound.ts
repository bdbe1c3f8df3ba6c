// The one HTTP client that pushes SETs to receivers (RFC 8935), with the outbound rules of
// address-policy.ts enforced where the connection is made.
import * as dns from 'node:dns';
import type { LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';
import { Agent } from 'undici';
import { addressVerdict, checkEndpoint, hostOf, OutboundPolicy, OutboundRefused } from './address-policy';

/** Most of a receiver's answer that is read (an RFC 8935 error body is a few hundred bytes). */
export const RESPONSE_CAP_BYTES = 64 * 1024;

export interface PushAnswer {
  status: number;
  retryAfter: string | null;
  /** At most RESPONSE_CAP_BYTES of the body, as text. */
  body: string;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
type Resolver = (hostname: string, options: LookupAllOptions, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

/**
 * The resolver the sockets use: every address a name resolves to is checked, and the socket
 * connects to exactly the addresses checked here (there is no second lookup between the check
 * and the connect, so a DNS answer that changes in between cannot redirect it). A name with any
 * refused address is refused whole, rather than trusting the resolver's order.
 */
export function checkedLookup(policy: OutboundPolicy, resolve: Resolver = dns.lookup as unknown as Resolver) {
  return (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback): void => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      for (const a of addresses) {
        const verdict = addressVerdict(a.address, policy);
        if (!verdict.ok) return callback(new OutboundRefused(`refused to push to ${hostname}: it resolves to ${verdict.reason}`) as NodeJS.ErrnoException, []);
      }
      if (!addresses.length) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      if ((options as LookupAllOptions).all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** Sends SETs: https only (plain http to loopback in development), public addresses only, no redirects, one overall timeout, capped answers. */
export class Outbound {
  private readonly agent: Agent;

  constructor(
    private readonly policy: OutboundPolicy,
    private readonly timeoutMs: number,
    /** Connections per receiver origin: as many as the worker's sends in flight, so none waits in the agent's queue (its timeout would run while it waits). */
    connections = 128,
    resolve?: Resolver,
  ) {
    this.agent = new Agent({
      connect: { lookup: checkedLookup(policy, resolve), timeout: timeoutMs } as never,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      keepAliveTimeout: 10_000,
      connections,
    });
  }

  /**
   * POSTs one SET (RFC 8935 section 2): `Content-Type: application/secevent+jwt`, `Accept:
   * application/json`, the stream's Authorization header verbatim. Throws OutboundRefused when
   * the rules forbid the request, an Error naming the problem when it fails on the way.
   */
  async postSet(endpoint: string, token: string, authorization: string | null): Promise<PushAnswer> {
    const url = checkEndpoint(endpoint, this.policy);
    const signal = AbortSignal.timeout(this.timeoutMs);
    const headers: Record<string, string> = { 'content-type': 'application/secevent+jwt', accept: 'application/json', 'user-agent': 'risk-exchange-gateway' };
    if (authorization) headers.authorization = authorization;
    try {
      const res = await this.agent.request({ origin: url.origin, path: `${url.pathname}${url.search}`, method: 'POST', headers, body: token, signal });
      const retryAfter = typeof res.headers['retry-after'] === 'string' ? res.headers['retry-after'] : null;
      if (res.statusCode >= 200 && res.statusCode < 300) {
        // Nothing to read from a success: drain a small body to keep the connection, close on a big one.
        await res.body.dump({ limit: RESPONSE_CAP_BYTES }).catch(() => undefined);
        return { status: res.statusCode, retryAfter, body: '' };
      }
      return { status: res.statusCode, retryAfter, body: await readCapped(res.body) };
    } catch (e) {
      throw describe(e, signal, this.timeoutMs, hostOf(url));
    }
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }
}

/** Reads at most RESPONSE_CAP_BYTES; past that the connection is closed rather than read on. */
async function readCapped(body: AsyncIterable<Buffer> & { destroy(err?: Error): unknown }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const room = RESPONSE_CAP_BYTES - size;
    chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
    size += Math.min(chunk.length, room);
    if (size >= RESPONSE_CAP_BYTES) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describe(e: unknown, signal: AbortSignal, timeoutMs: number, host: string): Error {
  const refused = findRefusal(e);
  if (refused) return refused;
  if (signal.aborted) return new Error(`timed out after ${timeoutMs} ms (push to ${host})`);
  const err = e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = err.code ?? err.cause?.code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return new Error(`timed out after ${timeoutMs} ms (push to ${host})`);
  return new Error(`${code ? `${code}: ` : ''}${err.cause?.message ?? err.message ?? String(e)} (push to ${host})`);
}

function findRefusal(e: unknown): OutboundRefused | null {
  for (let cur = e as { cause?: unknown } | undefined, depth = 0; cur && depth < 5; cur = cur.cause as { cause?: unknown } | undefined, depth++) {
    if (cur instanceof OutboundRefused) return cur;
  }
  return null;
}
