import { Command, InvalidArgumentError, Option } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import { writePrivateFile } from '../gateway/gateway-key';
import { PARTNER_ID_PATTERN } from '../partners/partner.enums';

function parseTtl(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 300) throw new InvalidArgumentError('must be an integer number of seconds, 1..300');
  return n;
}

function parsePartner(value: string): string {
  if (!PARTNER_ID_PATTERN.test(value)) throw new InvalidArgumentError('must be a partner id like bank-a');
  return value;
}

/** Builds a partner assertion (token profile section 2) signed with a private JWK. */
export async function mintAssertion(privateJwk: JWK, partnerId: string, audience: string, ttlSeconds: number, now = Math.floor(Date.now() / 1000)): Promise<string> {
  if (typeof privateJwk.d !== 'string') throw new Error('the key file must hold a private JWK (with "d")');
  if (typeof privateJwk.kid !== 'string') throw new Error('the key file must have a "kid"');
  const alg = privateJwk.alg ?? (privateJwk.kty === 'OKP' ? 'EdDSA' : privateJwk.kty === 'EC' ? 'ES256' : 'PS256');
  const key = await importJWK(privateJwk, alg);
  return new SignJWT({})
    .setProtectedHeader({ alg, kid: privateJwk.kid, typ: 'partner-auth+jwt' })
    .setIssuer(partnerId)
    .setSubject(partnerId)
    .setAudience(audience)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .setJti(randomUUID())
    .sign(key);
}

export function registerKeyCommands(program: Command): void {
  program
    .command('keygen')
    .description('write a private and a public JWK (the public one is what you register)')
    .addOption(new Option('--alg <alg>', 'signature algorithm').choices(['EdDSA', 'ES256']).default('EdDSA'))
    .requiredOption('--kid <kid>', 'key id to put in the JWKs (1..128 characters)')
    .option('--out <prefix>', 'file prefix: writes <prefix>.private.jwk (0600) and <prefix>.public.jwk', 'partner-key')
    .action(async (opts: { alg: 'EdDSA' | 'ES256'; kid: string; out: string }) => {
      if (opts.kid.length < 1 || opts.kid.length > 128 || !/^[\x21-\x7e]+$/.test(opts.kid)) {
        throw new Error('--kid must be 1..128 printable characters without spaces');
      }
      const { privateKey, publicKey } = await generateKeyPair(opts.alg, { extractable: true, ...(opts.alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
      const meta = { kid: opts.kid, alg: opts.alg, use: 'sig' };
      const privateFile = path.resolve(`${opts.out}.private.jwk`);
      const publicFile = path.resolve(`${opts.out}.public.jwk`);
      if (fs.existsSync(privateFile)) throw new Error(`${privateFile} exists already; choose another --out`);
      writePrivateFile(privateFile, JSON.stringify({ ...(await exportJWK(privateKey)), ...meta }, null, 2) + '\n');
      fs.writeFileSync(publicFile, JSON.stringify({ ...(await exportJWK(publicKey)), ...meta }, null, 2) + '\n');
      process.stdout.write(`private key: ${privateFile} (mode 0600, keep it secret)\npublic key:  ${publicFile}\n`);
    });

  program
    .command('token')
    .description('print a partner assertion for `Authorization: Bearer ...` (valid --ttl seconds)')
    .requiredOption('--key <file>', 'private JWK file of the partner')
    .requiredOption('--partner <id>', 'partner id (iss and sub)', parsePartner)
    .option('--aud <audience>', 'gateway audience', process.env.GATEWAY_AUDIENCE || 'risk-exchange')
    .option('--ttl <seconds>', 'lifetime, at most 300', parseTtl, 120)
    .action(async (opts: { key: string; partner: string; aud: string; ttl: number }) => {
      let jwk: JWK;
      try {
        jwk = JSON.parse(fs.readFileSync(opts.key, 'utf8')) as JWK;
      } catch (e) {
        // Never echo a JSON parser message: it would quote the private key.
        const reason = (e as NodeJS.ErrnoException).code ? `cannot read the file (${(e as NodeJS.ErrnoException).code})` : 'not a JSON JWK';
        throw new Error(`${opts.key}: ${reason}`);
      }
      process.stdout.write((await mintAssertion(jwk, opts.partner, opts.aud, opts.ttl)) + '\n');
    });
}
