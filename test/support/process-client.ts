import { assertion, TestKey } from './keys';

export const PUBLISH = 'mutation($t: [String!]!) { publishEvents(tokens: $t) { jti status code } }';

export interface Answer {
  status: number;
  retryAfter: string | null;
  body: any;
}

/** POST /graphql as a partner, with a fresh assertion; any status, body parsed as JSON. */
export async function gqlAs(url: string, partner: string, key: TestKey, query: string, variables: Record<string, unknown> = {}, signal?: AbortSignal): Promise<Answer> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await assertion(key, partner)}` },
    body: JSON.stringify({ query, variables }),
    signal,
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
}

/** POST /events (RFC 8935) with one SET. */
export async function pushAs(url: string, partner: string, key: TestKey, token: string): Promise<Answer> {
  const res = await fetch(`${url}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/secevent+jwt', authorization: `Bearer ${await assertion(key, partner)}` },
    body: token,
  });
  const text = await res.text();
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: text ? JSON.parse(text) : null };
}

/** The documented 503 of GraphQL: HTTP 503, Retry-After, errors[0].extensions {code, retryAfter}. */
export function isGraphql503(a: Answer, code: 'OVERLOADED' | 'DATABASE_UNAVAILABLE'): boolean {
  const e = a.body?.errors?.[0];
  return a.status === 503 && Number(a.retryAfter) >= 1 && a.body?.data === null && e?.extensions?.code === code && e.extensions.retryAfter === Number(a.retryAfter) && typeof e.message === 'string';
}

/** The documented 503 of POST /events: Retry-After and {err: "temporarily_unavailable", description}. */
export function isEvents503(a: Answer): boolean {
  return a.status === 503 && Number(a.retryAfter) >= 1 && a.body?.err === 'temporarily_unavailable' && typeof a.body.description === 'string' && Object.keys(a.body).length === 2;
}
