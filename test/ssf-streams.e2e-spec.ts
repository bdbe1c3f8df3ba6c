import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { DataSource } from 'typeorm';
import { enqueueNotices } from '../src/delivery/outbox';
import { DeliveryState } from '../src/delivery/delivery.entity';
import { NoticeSigner } from '../src/delivery/notice-signer';
import { TestDatabase, TestGateway } from './support/app';
import { assertion, TestKey } from './support/keys';
import { SUBJECT } from './support/sets';

const PUSH = 'urn:ietf:rfc:8935';
const POLL = 'urn:ietf:rfc:8936';
const FLAG = 'urn:risk-exchange:event:account-flag';
const SIGNAL = 'urn:risk-exchange:event:risk-signal';
const VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';
const STREAM_UPDATED = 'https://schemas.openid.net/secevent/ssf/event-type/stream-updated';

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

describe('SSF streams: configuration, status, subjects, verification, metadata (e2e, HTTP + PostgreSQL)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let ds: DataSource;
  const keys: Record<string, TestKey> = {};

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { AUDIT_CHECKPOINT_SECONDS: '0', SSF_MIN_VERIFICATION_INTERVAL_SECONDS: '1', SSF_MAX_STREAMS_PER_PARTNER: '4', DELIVERY_PAUSED_CAP: '2', ALLOW_INSECURE_PUSH: 'true' });
    ds = gw.app.get(DataSource);
    keys['bank-a'] = await gw.registerPartner('bank-a', 'BANK');
    keys['shop-b'] = await gw.registerPartner('shop-b', 'ECOMMERCE');
    keys['court-d'] = await gw.registerPartner('court-d', 'LEGAL');
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  async function call(partner: string | null, method: string, path: string, body?: unknown, raw?: string): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (partner) headers.authorization = `Bearer ${await assertion(keys[partner], partner)}`;
    if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${gw.url}${path}`, { method, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  }
  const create = (partner: string, body: unknown) => call(partner, 'POST', '/ssf/streams', body);

  it('serves the transmitter metadata, unauthenticated, with every URL under the issuer', async () => {
    const res = await call(null, 'GET', '/.well-known/ssf-configuration');
    expect(res.status).toBe(200);
    const issuer = gw.config.issuer;
    expect(issuer).toMatch(/^http:\/\/localhost:\d+$/);
    expect(res.body).toEqual({
      spec_version: '1_0',
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      delivery_methods_supported: [PUSH, POLL],
      configuration_endpoint: `${issuer}/ssf/streams`,
      status_endpoint: `${issuer}/ssf/status`,
      add_subject_endpoint: `${issuer}/ssf/subjects:add`,
      remove_subject_endpoint: `${issuer}/ssf/subjects:remove`,
      verification_endpoint: `${issuer}/ssf/verify`,
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }],
      default_subjects: 'NONE',
    });
  });
});
