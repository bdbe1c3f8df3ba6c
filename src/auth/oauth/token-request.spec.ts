import { SsfScope } from '../ssf-scopes.decorator';
import { OAuthError } from './oauth-errors';
import { parseScope, parseTokenRequest } from './token-request';

const RESOURCE = 'https://rx.example';
const good = { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: 'a.b.c', scope: 'ssf.read' };

const refusal = (body: unknown) => {
  try {
    parseTokenRequest(body, RESOURCE);
    return null;
  } catch (e) {
    const o = e as OAuthError;
    return { error: o.error, status: o.status, description: o.description };
  }
};

describe('token request parameters', () => {
  it('reads a good request', () => {
    expect(parseTokenRequest({ ...good, client_id: 'bank-a' }, RESOURCE)).toEqual({ clientId: 'bank-a', clientAssertion: 'a.b.c', scopes: [SsfScope.Read] });
    expect(parseTokenRequest({ ...good, resource: RESOURCE }, RESOURCE).clientId).toBeUndefined();
  });

  it('requires one scope or more, all known, and returns them once each in a fixed order', () => {
    expect(parseScope('ssf.manage ssf.read ssf.manage')).toEqual([SsfScope.Read, SsfScope.Manage]);
    expect(parseScope('  ssf.read  ')).toEqual([SsfScope.Read]);
    for (const raw of [undefined, '', '   ']) expect(() => parseScope(raw)).toThrow(/scope is required/);
    expect(() => parseScope('ssf.read SSF.MANAGE')).toThrow(/unknown scope "SSF.MANAGE"/);
    expect(() => parseScope('ssf.read\tssf.manage')).toThrow(/unknown scope/);
  });

  it('refuses each malformed or unsupported request with the RFC 6749 error code that fits', () => {
    expect(refusal('grant_type=client_credentials')?.error).toBe('invalid_request');
    expect(refusal({ ...good, scope: ['ssf.read', 'ssf.manage'] })).toMatchObject({ error: 'invalid_request', description: expect.stringMatching(/"scope" is repeated/) });
    expect(refusal({ ...good, client_assertion: 'x'.repeat(8 * 1024 + 1) })?.error).toBe('invalid_request');
    expect(refusal({ ...good, grant_type: undefined })?.error).toBe('invalid_request');
    expect(refusal({ ...good, grant_type: 'authorization_code' })?.error).toBe('unsupported_grant_type');
    expect(refusal({ ...good, client_secret: 'x' })?.error).toBe('invalid_client');
    expect(refusal({ grant_type: 'client_credentials', scope: 'ssf.read' })?.error).toBe('invalid_client');
    expect(refusal({ ...good, client_assertion_type: 'urn:x' })?.error).toBe('invalid_client');
    expect(refusal({ ...good, client_assertion: '' })?.error).toBe('invalid_client');
    expect(refusal({ ...good, scope: 'openid' })?.error).toBe('invalid_scope');
    expect(refusal({ ...good, resource: 'https://elsewhere.example' })?.error).toBe('invalid_target');
    expect(refusal(good)).toBeNull();
  });

  it('checks the grant before the client, and the client before the scope', () => {
    expect(refusal({ grant_type: 'password', scope: 'nope' })?.error).toBe('unsupported_grant_type');
    expect(refusal({ grant_type: 'client_credentials', scope: 'nope' })?.error).toBe('invalid_client');
  });
});
