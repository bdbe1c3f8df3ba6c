import { addressVerdict, checkEndpoint, OutboundPolicy, OutboundRefused } from './address-policy';
import { checkedLookup } from './outbound';

const STRICT: OutboundPolicy = { allowInsecure: false, allowedPrivateCidrs: [] };
const DEV: OutboundPolicy = { allowInsecure: true, allowedPrivateCidrs: [] };

describe('push address policy', () => {
  it.each([
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['255.255.255.255', 'broadcast'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:127.0.0.1', 'loopback'],
  ])('refuses %s (%s) by default', (ip, kind) => {
    const v = addressVerdict(ip, STRICT);
    expect(v).toEqual({ ok: false, reason: expect.stringContaining(`a ${kind} address`) });
    // ...and a public address passes with the same policy.
    expect(addressVerdict('93.184.216.34', STRICT)).toEqual({ ok: true });
  });

  it('refuses the forms that can wrap a private IPv4 (6to4, NAT64) and documentation ranges', () => {
    for (const ip of ['2002:0a00:0001::1', '64:ff9b::10.0.0.1', '192.0.2.1', '2001:db8::1']) expect(addressVerdict(ip, STRICT).ok).toBe(false);
    expect(addressVerdict('2606:4700:4700::1111', STRICT)).toEqual({ ok: true });
  });

  it('allows loopback only with ALLOW_INSECURE_PUSH, and never other private ranges with it', () => {
    expect(addressVerdict('127.0.0.1', DEV)).toEqual({ ok: true });
    expect(addressVerdict('::1', DEV)).toEqual({ ok: true });
    expect(addressVerdict('10.0.0.1', DEV).ok).toBe(false);
    expect(addressVerdict('169.254.169.254', DEV).ok).toBe(false);
  });

  it('allows a private range listed in PUSH_ALLOWED_PRIVATE_CIDRS, and only that range', () => {
    const p: OutboundPolicy = { allowInsecure: false, allowedPrivateCidrs: ['10.1.0.0/16', 'fd00:1::/32'] };
    expect(addressVerdict('10.1.2.3', p)).toEqual({ ok: true });
    expect(addressVerdict('::ffff:10.1.2.3', p)).toEqual({ ok: true });
    expect(addressVerdict('fd00:1::5', p)).toEqual({ ok: true });
    expect(addressVerdict('10.2.0.1', p).ok).toBe(false);
    expect(addressVerdict('fd00:2::5', p).ok).toBe(false);
    expect(addressVerdict('127.0.0.1', p).ok).toBe(false);
  });

  it('answers no for something that is not an address', () => {
    expect(addressVerdict('example.com', STRICT)).toEqual({ ok: false, reason: '"example.com" is not an IP address' });
    expect(addressVerdict('8.8.8.8', STRICT)).toEqual({ ok: true });
  });
});

describe('push endpoint check', () => {
  const refused = (url: string, policy: OutboundPolicy) => {
    try {
      checkEndpoint(url, policy);
    } catch (e) {
      expect(e).toBeInstanceOf(OutboundRefused);
      return (e as Error).message;
    }
    return 'accepted';
  };

  it('takes https to a name or a public address', () => {
    expect(checkEndpoint('https://receiver.example.com/events?x=1', STRICT).hostname).toBe('receiver.example.com');
    expect(checkEndpoint('https://93.184.216.34:8443/e', STRICT).port).toBe('8443');
  });

  it('refuses plain http, except to loopback with ALLOW_INSECURE_PUSH', () => {
    expect(refused('http://receiver.example.com/e', STRICT)).toBe('endpoint_url must be https (plain http only to loopback with ALLOW_INSECURE_PUSH=true)');
    expect(refused('http://127.0.0.1:8080/e', STRICT)).toBe('endpoint_url must be https (plain http only to loopback with ALLOW_INSECURE_PUSH=true)');
    expect(refused('http://receiver.example.com/e', DEV)).toBe('plain http is allowed only to a loopback host, not receiver.example.com');
    expect(refused('http://10.0.0.1/e', DEV)).toBe('plain http is allowed only to a loopback host, not 10.0.0.1');
    expect(checkEndpoint('http://127.0.0.1:8080/e', DEV).port).toBe('8080');
    expect(checkEndpoint('http://[::1]:8080/e', DEV).port).toBe('8080');
    expect(checkEndpoint('http://localhost:8080/e', DEV).hostname).toBe('localhost');
  });

  it('refuses private, link-local and loopback literals, other schemes and credentials in the URL', () => {
    expect(refused('https://10.0.0.1/e', STRICT)).toBe('refused to push to 10.0.0.1: 10.0.0.1 is a private address');
    expect(refused('https://169.254.169.254/latest/meta-data', STRICT)).toBe('refused to push to 169.254.169.254: 169.254.169.254 is a link-local address');
    expect(refused('https://[::1]:8443/e', STRICT)).toBe('refused to push to ::1: ::1 is a loopback address');
    expect(refused('https://localhost/e', STRICT)).toBe('refused to push to localhost: a loopback host');
    expect(refused('https://[::ffff:a00:1]/e', STRICT)).toBe('refused to push to ::ffff:a00:1: 10.0.0.1 is a private address');
    expect(refused('ftp://receiver.example.com/e', STRICT)).toBe('endpoint_url must be https, got ftp');
    expect(refused('https://user:pw@receiver.example.com/e', STRICT)).toBe('endpoint_url must not carry credentials (use authorization_header)');
    expect(refused('not a url', STRICT)).toBe('endpoint_url "not a url" is not a URL');
    expect(refused('https://receiver.example.com/e', STRICT)).toBe('accepted');
  });
});

describe('checked lookup (the resolver the sockets connect through)', () => {
  const fakeDns = (answers: Record<string, string[]>) => (host: string, _o: unknown, cb: (e: NodeJS.ErrnoException | null, a: Array<{ address: string; family: number }>) => void) =>
    cb(null, (answers[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  const lookup = (host: string, policy: OutboundPolicy, answers: Record<string, string[]>, all = true) =>
    new Promise<{ err: Error | null; addresses: unknown }>((resolve) => checkedLookup(policy, fakeDns(answers) as never)(host, { all } as never, (err, addresses) => resolve({ err, addresses })));

  it('refuses a name that resolves to a private address, even beside a public one', async () => {
    const r = await lookup('rebind.example', STRICT, { 'rebind.example': ['93.184.216.34', '10.0.0.7'] });
    expect(r.err).toBeInstanceOf(OutboundRefused);
    expect(r.err!.message).toBe('refused to push to rebind.example: it resolves to 10.0.0.7 is a private address');
    const metadata = await lookup('metadata.example', STRICT, { 'metadata.example': ['169.254.169.254'] });
    expect(metadata.err!.message).toContain('link-local');
  });

  it('hands the socket exactly the checked addresses of a public name', async () => {
    const r = await lookup('ok.example', STRICT, { 'ok.example': ['93.184.216.34', '2606:4700::1'] });
    expect(r).toEqual({ err: null, addresses: [{ address: '93.184.216.34', family: 4 }, { address: '2606:4700::1', family: 6 }] });
    const one = await lookup('ok.example', STRICT, { 'ok.example': ['93.184.216.34'] }, false);
    expect(one).toEqual({ err: null, addresses: '93.184.216.34' });
  });
});
