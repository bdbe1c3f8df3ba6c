import { bearerChallenge, hasQueryToken } from './bearer-challenge';

describe('RFC 6750 challenges', () => {
  it('names no error when there were no credentials', () => {
    expect(bearerChallenge()).toBe('Bearer realm="risk-exchange"');
  });

  it('carries the error, its description and the scope needed', () => {
    expect(bearerChallenge({ code: 'insufficient_scope', description: 'lacks ssf.manage', scope: ['ssf.manage'] })).toBe(
      'Bearer realm="risk-exchange", error="insufficient_scope", error_description="lacks ssf.manage", scope="ssf.manage"',
    );
    expect(bearerChallenge({ code: 'invalid_token', description: 'expired', scope: [] })).toBe('Bearer realm="risk-exchange", error="invalid_token", error_description="expired"');
  });

  it('keeps the description inside the characters RFC 6750 allows (no quote, backslash or control character)', () => {
    expect(bearerChallenge({ code: 'invalid_token', description: 'key "k\\1" é\n' })).toBe(`Bearer realm="risk-exchange", error="invalid_token", error_description="key 'k'1' ''"`);
  });

  it('sees access_token in a query, and only there', () => {
    expect(hasQueryToken({ access_token: 'x' })).toBe(true);
    expect(hasQueryToken({ token: 'x' })).toBe(false);
    expect(hasQueryToken(undefined)).toBe(false);
  });
});
