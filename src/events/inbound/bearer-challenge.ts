// RFC 6750 section 3: the WWW-Authenticate challenge of a 401 on POST /events. Pure.
import { bearerChallenge as challenge } from '../../auth/oauth/bearer-challenge';

/**
 * `Bearer realm="..."` alone when the request carried no bearer credentials (RFC 6750 section 3.1:
 * then the answer SHOULD NOT carry an error code); else `error="invalid_token"` and the description.
 */
export function bearerChallenge(authorization: unknown, description: string): string {
  if (typeof authorization !== 'string' || !/^Bearer /i.test(authorization)) return challenge();
  return challenge({ code: 'invalid_token', description: quotable(description) });
}

/** error_description allows only %x20-21 / %x23-5B / %x5D-7E: no quote, no backslash, ASCII only. */
function quotable(text: string): string {
  return text.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, '?').slice(0, 300);
}
