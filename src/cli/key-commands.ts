import { Command, InvalidArgumentError, Option } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { writePrivateFile } from '../gateway/gateway-key';
import { usageError } from './cli-errors';
import { partnerIdOf, readPrivateJwk } from './gateway-client';
import { mintAssertion } from './assertion';
import { examples, printJson } from './output';

export { mintAssertion } from './assertion';

function parseTtl(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 300) throw new InvalidArgumentError('must be an integer number of seconds, 1..300');
  return n;
}

const KEY_ALGS = ['EdDSA', 'ES256', 'PS256', 'RS256'] as const;
type KeyAlg = (typeof KEY_ALGS)[number];

export function registerKeyCommands(program: Command): void {
  program
    .command('keygen')
    .description('write a private and a public JWK (the public one is what you register)')
    .addOption(new Option('--alg <alg>', 'signature algorithm (RSA keys are 2048 bits)').choices(KEY_ALGS).default('EdDSA'))
    .requiredOption('--kid <kid>', 'key id to put in the JWKs (1..128 characters)')
    .option('--out <prefix>', 'file prefix: writes <prefix>.private.jwk (0600) and <prefix>.public.jwk', 'partner-key')
    .option('--json', 'print the file names and the public JWK as JSON')
    .addHelpText('after', examples('risk-exchange keygen --kid bank-a-1 --out bank-a', 'risk-exchange keygen --kid bank-a-rsa --alg RS256 --out bank-a-rsa'))
    .action(async (opts: { alg: KeyAlg; kid: string; out: string; json?: boolean }) => {
      if (opts.kid.length < 1 || opts.kid.length > 128 || !/^[\x21-\x7e]+$/.test(opts.kid)) {
        throw usageError('--kid must be 1..128 printable characters without spaces');
      }
      const privateFile = path.resolve(`${opts.out}.private.jwk`);
      const publicFile = path.resolve(`${opts.out}.public.jwk`);
      if (fs.existsSync(privateFile)) throw usageError(`${privateFile} exists already; choose another --out`);
      const rsa = opts.alg === 'PS256' || opts.alg === 'RS256';
      const { privateKey, publicKey } = await generateKeyPair(opts.alg, { extractable: true, ...(opts.alg === 'EdDSA' ? { crv: 'Ed25519' } : rsa ? { modulusLength: 2048 } : {}) });
      const meta = { kid: opts.kid, alg: opts.alg, use: 'sig' };
      const publicJwk = { ...(await exportJWK(publicKey)), ...meta };
      writePrivateFile(privateFile, JSON.stringify({ ...(await exportJWK(privateKey)), ...meta }, null, 2) + '\n');
      fs.writeFileSync(publicFile, JSON.stringify(publicJwk, null, 2) + '\n');
      if (opts.json) return printJson({ privateKeyFile: privateFile, publicKeyFile: publicFile, publicJwk });
      process.stdout.write(`private key: ${privateFile} (mode 0600, keep it secret)\npublic key:  ${publicFile}\n`);
    });

  program
    .command('token')
    .description('print a partner assertion for `Authorization: Bearer ...` (valid --ttl seconds)')
    .addOption(new Option('--key <file>', 'private JWK file of the partner').env('RISKX_KEY'))
    .addOption(new Option('--partner <id>', 'partner id (iss and sub)').env('RISKX_PARTNER'))
    .addOption(new Option('--aud <audience>', 'gateway audience').env('GATEWAY_AUDIENCE').default('risk-exchange'))
    .option('--ttl <seconds>', 'lifetime, at most 300', parseTtl, 120)
    .option('--json', 'print {token, expiresAt}')
    .addHelpText('after', examples('risk-exchange token --key data/operator.jwk --partner operator', 'curl -H "authorization: Bearer $(risk-exchange token)" ...   # with RISKX_KEY and RISKX_PARTNER set'))
    .action(async (opts: { key?: string; partner?: string; aud: string; ttl: number; json?: boolean }) => {
      if (!opts.key) throw usageError('give --key <file> or set RISKX_KEY (your private JWK file)');
      const partner = partnerIdOf(opts.partner);
      const jwk = readPrivateJwk(opts.key);
      const now = Math.floor(Date.now() / 1000);
      const token = await mintAssertion(jwk, partner, opts.aud, opts.ttl, now).catch((e: Error) => {
        throw usageError(`${opts.key}: cannot sign with this key (${e.message})`);
      });
      if (opts.json) return printJson({ token, expiresAt: new Date((now + opts.ttl) * 1000).toISOString() });
      process.stdout.write(token + '\n');
    });
}
