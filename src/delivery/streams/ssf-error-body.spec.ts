import { ErrorCode } from '../../common/errors';
import { ssfErrCode, wwwAuthenticate } from './ssf-error-body';

describe('SSF error answers', () => {
  it('challenges per RFC 6750: no error without credentials, invalid_token with a quoted-string-safe description otherwise', () => {
    expect(wwwAuthenticate({ headers: {} }, 'anything')).toBe('Bearer realm="risk-exchange"');
    const header = wwwAuthenticate({ headers: { authorization: 'Bearer x' } }, 'send "Authorization: Bearer <a>" \\ now\r\nX-Injected: 1');
    expect(header).toBe(`Bearer realm="risk-exchange", error="invalid_token", error_description="send 'Authorization: Bearer <a>' ' now  X-Injected: 1"`);
    expect(header).not.toMatch(/[\r\n]/);
  });

  it('names every error code', () => {
    for (const code of Object.values(ErrorCode)) expect(ssfErrCode(code)).toMatch(/^[a-z_]+$/);
    expect(ssfErrCode(ErrorCode.NOT_FOUND)).toBe('not_found');
    expect(ssfErrCode(ErrorCode.BAD_USER_INPUT)).toBe('invalid_request');
  });
});
