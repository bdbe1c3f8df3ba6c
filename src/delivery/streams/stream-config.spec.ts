import { POLL_METHOD, PUSH_METHOD } from '../stream.entity';
import { EVENTS_SUPPORTED } from './event-types';
import { checkPushUrl, eventsDelivered, readStreamSettings, StreamConfigError, StreamSettings, streamToWire, TransmitterValues } from './stream-config';
import { readStatusUpdate, readSubjectRequest, readVerification } from './ssf-requests';

const T: TransmitterValues = { issuer: 'https://gw.example.com', aud: 'bank-a', minVerificationInterval: 30, allowInsecurePush: false };
const ID = '3f1c7a52-6f0e-4a53-9a41-8f6c2d9e0b11';
const FLAG = 'urn:risk-exchange:event:account-flag';
const push = (extra: Record<string, unknown> = {}) => ({ method: PUSH_METHOD, endpoint_url: 'https://rx.example.com/ssf', ...extra });

describe('stream configuration (SSF 8.1.1)', () => {
  it('creates a poll stream without delivery, with nothing requested', () => {
    expect(readStreamSettings({}, 'create', T)).toEqual({ eventsRequested: [], deliveryMethod: POLL_METHOD, endpointUrl: null, authorizationHeader: null, description: null, signingAlg: 'EdDSA' });
  });

  it('keeps unknown requested types but delivers only supported ones, deduplicated', () => {
    const s = readStreamSettings({ events_requested: [FLAG, 'urn:x:unknown', FLAG] }, 'create', T);
    expect(s.eventsRequested).toEqual([FLAG, 'urn:x:unknown']);
    expect(eventsDelivered(s.eventsRequested)).toEqual([FLAG]);
  });

  it('merges on PATCH and replaces on PUT; a PATCH without the header keeps it, null removes it', () => {
    const previous: StreamSettings = { eventsRequested: [FLAG], deliveryMethod: PUSH_METHOD, endpointUrl: 'https://rx.example.com/ssf', authorizationHeader: 'Bearer k', description: 'd', signingAlg: 'RS256' };
    const t = { ...T, streamId: ID };
    expect(readStreamSettings({ stream_id: ID, description: 'e' }, 'patch', t, previous)).toEqual({ ...previous, description: 'e' });
    expect(readStreamSettings({ stream_id: ID, delivery: { endpoint_url: 'https://rx.example.com/v2' } }, 'patch', t, previous)).toEqual({ ...previous, endpointUrl: 'https://rx.example.com/v2' });
    expect(readStreamSettings({ stream_id: ID, delivery: push({ authorization_header: null }) }, 'patch', t, previous).authorizationHeader).toBeNull();
    expect(readStreamSettings({ stream_id: ID, delivery: push() }, 'put', t, previous)).toEqual({ eventsRequested: [], deliveryMethod: PUSH_METHOD, endpointUrl: 'https://rx.example.com/ssf', authorizationHeader: null, description: null, signingAlg: 'EdDSA' });
    // A poll stream's URL may be repeated as the gateway supplies it, never chosen.
    expect(readStreamSettings({ stream_id: ID, delivery: { method: POLL_METHOD, endpoint_url: `https://gw.example.com/ssf/poll/${ID}` } }, 'put', t, previous).deliveryMethod).toBe(POLL_METHOD);
    expect(() => readStreamSettings({ stream_id: ID, delivery: { method: POLL_METHOD, endpoint_url: 'https://elsewhere/' } }, 'put', t, previous)).toThrow(/supplied by the gateway/);
  });

  it.each([
    [{ events_supported: ['x'] }, 'events_supported'],
    [{ iss: 'https://other' }, 'iss'],
    [{ aud: ['bank-b'] }, 'aud'],
    [{ min_verification_interval: 1 }, 'min_verification_interval'],
    [{ delivery: push({ extra: 1 }) }, 'delivery.extra'],
    [{ delivery: push({ authorization_header: '' }) }, 'delivery.authorization_header'],
    [{ delivery: push({ endpoint_url: 'https://rx.example.com/#frag' }) }, 'delivery.endpoint_url'],
    [{ description: 5 }, 'description'],
  ])('refuses %j naming %s', (body, field) => {
    expect(() => readStreamSettings(body, 'create', T)).toThrow(StreamConfigError);
    try {
      readStreamSettings(body, 'create', T);
    } catch (e) {
      expect((e as StreamConfigError).field).toBe(field);
    }
    expect(() => readStreamSettings({ events_supported: [...EVENTS_SUPPORTED], iss: T.issuer, aud: ['bank-a'], min_verification_interval: 30 }, 'create', T)).not.toThrow();
  });

  it('allows plain http only to loopback hosts, and only with ALLOW_INSECURE_PUSH', () => {
    for (const url of ['http://localhost:8080/x', 'http://127.0.0.1/x', 'http://127.3.2.1:9/x', 'http://[::1]:8443/x']) {
      expect(checkPushUrl(url, true)).toBe(url);
      expect(() => checkPushUrl(url, false)).toThrow(/must be an https URL$/);
    }
    for (const url of ['http://10.0.0.1/x', 'http://localhost.evil.example/x', 'http://127.0.0.1.nip.io/x']) expect(() => checkPushUrl(url, true)).toThrow(/plain http only to a loopback host/);
    expect(checkPushUrl('https://10.0.0.1/x', false)).toBe('https://10.0.0.1/x'); // addresses are the push worker's check, at send time
  });

  it('writes the wire object without the authorization header', () => {
    const wire = streamToWire({ id: ID, aud: 'bank-a', minVerificationInterval: 30, eventsRequested: [FLAG], deliveryMethod: PUSH_METHOD, endpointUrl: 'https://rx.example.com/ssf', authorizationHeader: 'Bearer secret', description: null, signingAlg: 'EdDSA' }, T.issuer);
    expect(JSON.stringify(wire)).not.toContain('secret');
    expect(wire).not.toHaveProperty('description');
    expect(wire.delivery).toEqual({ method: PUSH_METHOD, endpoint_url: 'https://rx.example.com/ssf' });
  });
});

describe('status, subject and verification requests (SSF 8.1.2-8.1.4)', () => {
  it('reads valid bodies and refuses others naming the field', () => {
    expect(readStatusUpdate({ stream_id: ID, status: 'paused', reason: 'r' })).toEqual({ streamId: ID, status: 'paused', reason: 'r' });
    expect(() => readStatusUpdate({ stream_id: ID, status: 'off' })).toThrow(/^status must be one of enabled, paused, disabled/);
    expect(readSubjectRequest({ stream_id: ID, subject: { format: 'opaque', id: 'v1:abcdefgh' }, verified: false })).toEqual({ streamId: ID, subject: 'v1:abcdefgh' });
    expect(() => readSubjectRequest({ stream_id: ID, subject: { format: 'opaque', id: 'v1:abc def gh' } })).toThrow(/^subject.id must be/);
    expect(() => readSubjectRequest({ subject: { format: 'opaque', id: 'v1:abcdefgh' } })).toThrow(/^stream_id is required/);
    expect(readVerification({ stream_id: ID })).toEqual({ streamId: ID, state: null });
    expect(() => readVerification({ stream_id: ID, state: 'x'.repeat(1025) })).toThrow(/^state must be a string of at most 1024/);
  });
});
