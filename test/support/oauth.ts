import { importJWK, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import type { TestKey } from './keys';

/** The issuer the OAuth specs run with (any URL: the gateway need not be served under it). */
export const ISSUER = 'https://rx.example.test';
export const TOKEN_ENDPOINT = `${ISSUER}/oauth/token`;
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface ClientAssertionOptions {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  iat?: number | null;
  exp?: number;
  jti?: string | null;
  /** null: no typ header at all. */
  typ?: string | null;
  kid?: string;
}

/** A private_key_jwt client assertion (RFC 7523); options override single claims to build bad ones. */
export async function clientAssertion(key: TestKey, partnerId: string, o: ClientAssertionOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const iat = o.iat === undefined ? now : o.iat;
  const claims: Record<string, unknown> = { iss: o.iss ?? partnerId, sub: o.sub ?? partnerId, aud: o.aud ?? TOKEN_ENDPOINT, exp: o.exp ?? (iat ?? now) + 60 };
  if (iat !== null) claims.iat = iat;
  const jti = o.jti === undefined ? randomUUID() : o.jti;
  if (jti !== null) claims.jti = jti;
  const typ = o.typ === undefined ? 'JWT' : o.typ;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: o.kid ?? key.kid, ...(typ === null ? {} : { typ }) })
    .sign(await importJWK(key.privateJwk, key.alg));
}

export interface TokenAnswer {
  status: number;
  headers: Headers;
  body: Record<string, any>;
}

/** POSTs form parameters to the token endpoint. */
export async function postToken(base: string, params: Record<string, string>, headers: Record<string, string> = {}, rawBody?: string): Promise<TokenAnswer> {
  const res = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: rawBody ?? new URLSearchParams(params).toString(),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

/** The form of a good client_credentials request. */
export async function tokenParams(key: TestKey, partnerId: string, scope = 'ssf.read', o: ClientAssertionOptions = {}): Promise<Record<string, string>> {
  return { grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: await clientAssertion(key, partnerId, o), scope };
}

/** Gets an access token, failing the test with the answer when it is refused. */
export async function accessToken(base: string, key: TestKey, partnerId: string, scope = 'ssf.read'): Promise<string> {
  const answer = await postToken(base, await tokenParams(key, partnerId, scope));
  if (answer.status !== 200) throw new Error(`token request refused: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.access_token as string;
}
