// `verify`: any SET or partner assertion, offline, against a JWKS; every check is listed with its
// outcome. The profile rules themselves are the gateway's (set-verifier.ts, assertion-verifier.ts):
// this file only finds the key in the given JWKS and explains.
import { Command } from 'commander';
import * as fs from 'node:fs';
import { compactVerify, importJWK } from 'jose';
import { ASSERTION_TYP, AssertionError, verifyPartnerAssertion } from '../auth/assertion-verifier';
import { EventType, MAX_SET_BYTES, REFUSED_HEADERS, SET_ALGS, SET_TYP } from '../events/set-profile';
import { verifySet } from '../events/set-verifier';
import type { PublicJwk } from '../partners/jwk-policy';
import { CliError, EXIT, refusedError, usageError } from './cli-errors';
import { unreachable } from './gateway-client';
import { examples, print, printJson } from './output';
import { toNumericDate } from './event-signer';

export interface Check {
  check: string;
  ok: boolean;
  detail: string;
}
export interface Explanation {
  valid: boolean;
  kind: 'event' | 'gateway-notice' | 'assertion' | 'unknown';
  checks: Check[];
  header: Record<string, unknown> | null;
  claims: Record<string, unknown> | null;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const decode = (segment: string): unknown => {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
};

/** Checks one compact token against the keys of a JWKS, in the profile's order, stopping at the first failure. */
export async function explainToken(token: string, keys: Json[], o: { audience: string; now: number }): Promise<Explanation> {
  const checks: Check[] = [];
  const out: Explanation = { valid: false, kind: 'unknown', checks, header: null, claims: null };
  const step = (check: string, ok: boolean, detail: string) => {
    checks.push({ check, ok, detail });
    return ok;
  };
  const parts = token.split('.');
  const bytes = Buffer.byteLength(token);
  if (!step('compact form', parts.length === 3 && parts.every((p) => /^[A-Za-z0-9_-]*$/.test(p)) && !!parts[0] && !!parts[1], `${parts.length} segment(s), ${bytes} bytes`)) return out;
  const header = decode(parts[0]);
  if (!step('header is a JSON object', isObject(header), isObject(header) ? JSON.stringify(header) : 'not base64url JSON')) return out;
  out.header = header as Json;
  const h = header as Json;
  const claims = decode(parts[1]);
  out.claims = isObject(claims) ? claims : null;
  if (h.typ === SET_TYP) {
    const type = isObject(claims) && isObject(claims.events) ? Object.keys(claims.events)[0] : undefined;
    out.kind = type && (Object.values(EventType) as string[]).includes(type) ? 'event' : 'gateway-notice';
    step('typ', true, `"${SET_TYP}": ${out.kind === 'event' ? 'a partner event (profile section 3)' : 'a SET the gateway delivers (profile section 5)'}`);
    if (out.kind === 'event' && !step('size', bytes <= MAX_SET_BYTES, `${bytes} of at most ${MAX_SET_BYTES} bytes`)) return out;
  } else if (h.typ === ASSERTION_TYP) {
    out.kind = 'assertion';
    step('typ', true, `"${ASSERTION_TYP}": a partner assertion (profile section 2)`);
  } else {
    step('typ', false, `"${String(h.typ)}" is neither "${SET_TYP}" (an event) nor "${ASSERTION_TYP}" (an assertion)`);
    return out;
  }
  const refused = REFUSED_HEADERS.filter((n) => n in h);
  if (!step('no key-bearing or critical headers', refused.length === 0, refused.length ? `refused: ${refused.join(', ')} (keys are never taken from a token)` : `none of ${REFUSED_HEADERS.join(', ')}`)) return out;
  if (!step('alg', typeof h.alg === 'string' && (SET_ALGS as readonly string[]).includes(h.alg), `${String(h.alg)} (allowed: ${SET_ALGS.join(', ')})`)) return out;
  if (!step('kid', typeof h.kid === 'string' && h.kid.length > 0, typeof h.kid === 'string' ? `"${h.kid}"` : 'missing')) return out;
  const jwk = keys.find((k) => k.kid === h.kid);
  if (!step('key in the JWKS', !!jwk, jwk ? `${String(jwk.kty)}${jwk.crv ? `/${String(jwk.crv)}` : ''} key "${String(h.kid)}"` : `no key with kid "${String(h.kid)}" among ${keys.length} key(s): ${keys.map((k) => k.kid).join(', ')}`)) return out;
  const keyAlg = typeof jwk!.alg === 'string' ? jwk!.alg : (h.alg as string);
  if (!step('alg matches the key', keyAlg === h.alg, jwk!.alg ? `key alg ${keyAlg}` : `the key names no alg; taken as ${keyAlg} (the gateway requires keys to name it)`)) return out;
  try {
    await compactVerify(token, await importJWK(jwk as never, keyAlg), { algorithms: [keyAlg] });
    step('signature', true, `verifies with "${String(h.kid)}"`);
  } catch (e) {
    step('signature', false, `does not verify with "${String(h.kid)}" (${(e as Error).message})`);
    return out;
  }
  const key = { kid: h.kid as string, alg: keyAlg, status: 'ACTIVE' as const, jwk: { ...jwk, alg: keyAlg } as unknown as PublicJwk };
  const iss = isObject(claims) && typeof claims.iss === 'string' ? claims.iss : '';
  if (out.kind === 'event') {
    const type = Object.keys((claims as Json).events as Json)[0];
    const v = await verifySet(token, { audience: o.audience, now: o.now, partner: { id: iss, kind: type === EventType.LegalRequest ? 'LEGAL' : 'BANK', keys: [key] } });
    step('claims and event (profile sections 3-4, the gateway\'s own verifier)', v.ok, v.ok
      ? `iss ${iss}, aud ${o.audience}, jti ${v.event.jti}, subject ${v.event.subject}, ${type.replace('urn:risk-exchange:event:', '')}; the gateway also checks iss is the sender and may refuse by kind`
      : `${v.code}: ${v.description}`);
  } else if (out.kind === 'assertion') {
    try {
      const a = await verifyPartnerAssertion(token, { audience: o.audience, now: o.now, loadPartner: async () => ({ id: iss, status: 'ACTIVE', keys: [key] }) });
      step('claims (profile section 2, the gateway\'s own verifier)', true, `partner ${a.partnerId}, aud ${o.audience}, expires ${new Date(a.exp * 1000).toISOString()}`);
    } catch (e) {
      if (!(e instanceof AssertionError)) throw e;
      step('claims (profile section 2, the gateway\'s own verifier)', false, `${e.rule}: ${e.message}`);
    }
  } else {
    explainNotice(claims as Json, o, step);
  }
  out.valid = checks.every((c) => c.ok);
  return out;
}

/** A gateway-signed SET (profile section 5): the claims every notice carries. */
function explainNotice(c: Json, o: { audience: string; now: number }, step: (check: string, ok: boolean, detail: string) => boolean): void {
  step('iss', typeof c.iss === 'string' && c.iss.length > 0, `${String(c.iss)} (the gateway issuer)`);
  const aud = Array.isArray(c.aud) ? c.aud : [c.aud];
  step('aud', aud.includes(o.audience), `${JSON.stringify(c.aud)}; expected ${o.audience} (--aud: the receiving stream's audience)`);
  step('iat', typeof c.iat === 'number' && c.iat <= o.now + 60, typeof c.iat === 'number' ? new Date(c.iat * 1000).toISOString() : 'missing');
  step('jti', typeof c.jti === 'string' && c.jti.length > 0, String(c.jti));
  step('no sub or exp', !('sub' in c) && !('exp' in c), 'SSF forbids them in a SET');
  const events = isObject(c.events) ? Object.keys(c.events) : [];
  step('events', events.length === 1, events.length === 1 ? events[0] : `${events.length} members; exactly one expected`);
}

/** A JWKS from a file or an http(s) URL (the gateway's is /.well-known/jwks.json). */
export async function loadJwks(where: string): Promise<Json[]> {
  let text: string;
  if (/^https?:\/\//.test(where)) {
    let res: Response;
    try {
      res = await fetch(where);
    } catch (e) {
      throw unreachable(where, e);
    }
    if (!res.ok) throw refusedError(`${where} answered HTTP ${res.status}`);
    text = await res.text();
  } else {
    try {
      text = fs.readFileSync(where, 'utf8');
    } catch (e) {
      throw usageError(`cannot read the JWKS ${where} (${(e as NodeJS.ErrnoException).code})`);
    }
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw usageError(`${where} is not JSON`);
  }
  const keys = isObject(v) && Array.isArray(v.keys) ? v.keys : isObject(v) && typeof v.kty === 'string' ? [v] : null;
  if (!keys) throw usageError(`${where} is neither a JWKS ({"keys":[...]}) nor a JWK`);
  return keys.filter(isObject);
}

export function registerVerifyCommands(program: Command): void {
  program
    .command('verify')
    .description('verify a SET or a partner assertion offline against a JWKS, explaining every check; exit 0 when valid, 1 when not')
    .argument('[token]', 'the compact token; none or "-" reads it from stdin')
    .requiredOption('--jwks <file-or-url>', 'public JWKS (or one JWK): a partner\'s keys, or the gateway\'s /.well-known/jwks.json')
    .option('--aud <audience>', 'the audience to expect', process.env.GATEWAY_AUDIENCE || 'risk-exchange')
    .option('--now <instant>', 'check times as of this instant (seconds or RFC 3339) instead of now')
    .option('--json', 'print the checks as JSON')
    .addHelpText('after', examples(
      'risk-exchange verify "$SET" --jwks bank-a.public.jwk',
      'risk-exchange verify --jwks http://localhost:4000/.well-known/jwks.json --aud my-stream < notice.jwt',
      'risk-exchange token | risk-exchange verify --jwks bank-a.public.jwk --json',
    ))
    .action(async (arg: string | undefined, o: { jwks: string; aud: string; now?: string; json?: boolean }) => {
      let token = arg;
      if (!token || token === '-') {
        if (process.stdin.isTTY) throw usageError('give the token as an argument or on stdin');
        const chunks: Buffer[] = [];
        for await (const c of process.stdin) chunks.push(c as Buffer);
        token = Buffer.concat(chunks).toString('utf8');
      }
      token = token.trim();
      let now = Math.floor(Date.now() / 1000);
      if (o.now) {
        try {
          now = toNumericDate(o.now, '--now');
        } catch (e) {
          throw usageError((e as Error).message);
        }
      }
      const result = await explainToken(token, await loadJwks(o.jwks), { audience: o.aud, now });
      if (o.json) printJson(result);
      else {
        for (const c of result.checks) print(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.check}: ${c.detail}`);
        print(result.valid ? `VALID ${result.kind}` : 'INVALID');
      }
      if (!result.valid) throw new CliError(result.checks.find((c) => !c.ok)?.detail ?? 'invalid', EXIT.refused);
    });
}
