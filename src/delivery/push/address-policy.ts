// Where the gateway may push (pure: no Nest, no I/O). A receiver's URL is partner input, so a push
// is a request the partner makes the gateway send from inside its network (SSRF): only public
// unicast addresses are reached, unless the operator allows a private range, and plain http only
// to loopback in development (ALLOW_INSECURE_PUSH).
import * as ipaddr from 'ipaddr.js';

export interface OutboundPolicy {
  /** ALLOW_INSECURE_PUSH: plain http to loopback hosts, and loopback addresses, are allowed. */
  allowInsecure: boolean;
  /** PUSH_ALLOWED_PRIVATE_CIDRS, already validated. */
  allowedPrivateCidrs: readonly string[];
}

/** Why a push was not sent; the message is recorded as the delivery's last error. */
export class OutboundRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutboundRefused';
  }
}

type Parsed = ipaddr.IPv4 | ipaddr.IPv6;

const cidrCache = new Map<string, [Parsed, number]>();
function parsedCidr(cidr: string): [Parsed, number] {
  let hit = cidrCache.get(cidr);
  if (!hit) {
    const [addr, bits] = ipaddr.parseCIDR(cidr);
    hit = [addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() ? (addr as ipaddr.IPv6).toIPv4Address() : addr, addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() ? Math.max(0, bits - 96) : bits];
    cidrCache.set(cidr, hit);
  }
  return hit;
}

/**
 * The address a push may connect to, or why not. IPv4-mapped IPv6 (::ffff:10.0.0.1) is judged as
 * the IPv4 address it is. Allowed: public unicast; loopback with `allowInsecure`; any address in
 * an allowed CIDR. Refused: everything else (private, link-local, loopback, unique-local,
 * multicast, unspecified, carrier-grade NAT, documentation, 6to4/NAT64 forms that could wrap a
 * private IPv4, ...): deny by default.
 */
export function addressVerdict(address: string, policy: OutboundPolicy): { ok: true } | { ok: false; reason: string } {
  if (!ipaddr.isValid(address)) return { ok: false, reason: `"${address}" is not an IP address` };
  const ip = ipaddr.process(address);
  const range = ip.range();
  if (range === 'unicast') return { ok: true };
  if (range === 'loopback' && policy.allowInsecure) return { ok: true };
  for (const cidr of policy.allowedPrivateCidrs) {
    const [net, bits] = parsedCidr(cidr);
    if (net.kind() === ip.kind() && ip.match(net as never, bits)) return { ok: true };
  }
  return { ok: false, reason: `${ip.toString()} is a ${RANGE_NAMES[range] ?? `${range}`} address` };
}

const RANGE_NAMES: Record<string, string> = {
  private: 'private',
  linkLocal: 'link-local',
  loopback: 'loopback',
  uniqueLocal: 'unique-local',
  multicast: 'multicast',
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  carrierGradeNat: 'carrier-grade NAT',
  reserved: 'reserved',
};

/** Hosts that name this machine without a lookup (they must not reach the resolver's answer). */
const LOOPBACK_NAMES = /^(localhost|localhost\.localdomain|[a-z0-9-]+\.localhost)\.?$/i;

/**
 * Checks a receiver URL before any lookup: https, or plain http to a loopback host with
 * `allowInsecure`; no credentials in the URL; an IP literal host is checked here (a name is
 * checked on each address it resolves to, at connect time: see outbound.ts).
 */
export function checkEndpoint(raw: string, policy: OutboundPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundRefused(`endpoint_url "${raw.slice(0, 200)}" is not a URL`);
  }
  if (url.username || url.password) throw new OutboundRefused('endpoint_url must not carry credentials (use authorization_header)');
  const host = hostOf(url);
  const literal = ipaddr.isValid(host);
  const loopback = literal ? ipaddr.process(host).range() === 'loopback' : LOOPBACK_NAMES.test(host);
  if (url.protocol === 'http:') {
    if (!policy.allowInsecure) throw new OutboundRefused('endpoint_url must be https (plain http only to loopback with ALLOW_INSECURE_PUSH=true)');
    if (!loopback) throw new OutboundRefused(`plain http is allowed only to a loopback host, not ${host}`);
  } else if (url.protocol !== 'https:') {
    throw new OutboundRefused(`endpoint_url must be https, got ${url.protocol.replace(/:$/, '')}`);
  }
  if (literal) {
    const verdict = addressVerdict(host, policy);
    if (!verdict.ok) throw new OutboundRefused(`refused to push to ${host}: ${verdict.reason}`);
  } else if (loopback && !policy.allowInsecure) {
    throw new OutboundRefused(`refused to push to ${host}: a loopback host`);
  }
  return url;
}

/** The URL's host without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}
