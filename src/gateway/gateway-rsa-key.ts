// The gateway's RSA-2048 signing key (RS256), beside the Ed25519 one: SSF receivers and CAEP
// libraries that only speak RS256 can verify the SETs of a stream that chooses it. Pure file
// handling with jose and node:crypto; no Nest import.
import { createPrivateKey } from 'node:crypto';
import * as fs from 'node:fs';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { readPrivateJwkFile, writePrivateFile } from './gateway-key-file';
import type { GatewayKey } from './gateway-key';

export const MIN_RSA_BITS = 2048;
const RSA_PRIVATE_MEMBERS = ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'] as const;

export async function generateRsaJwk(): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: MIN_RSA_BITS, extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const meta = { kid: await calculateJwkThumbprint(publicJwk), alg: 'RS256', use: 'sig' };
  return { privateJwk: { ...(await exportJWK(privateKey)), ...meta }, publicJwk: { ...publicJwk, ...meta } };
}

/** Bits of the modulus of a private RSA JWK, or a message saying why it is not one (never quoting key material). */
function rsaBits(jwk: Record<string, unknown>): number | string {
  if (jwk.kty !== 'RSA') return `is not an RSA key (kty "${typeof jwk.kty === 'string' ? jwk.kty.slice(0, 16) : typeof jwk.kty}")`;
  const missing = RSA_PRIVATE_MEMBERS.filter((m) => typeof jwk[m] !== 'string' || jwk[m] === '');
  if (missing.length) return `is not a private RSA JWK (missing ${missing.join(', ')})`;
  try {
    const key = createPrivateKey({ key: jwk as never, format: 'jwk' });
    return key.asymmetricKeyDetails?.modulusLength ?? 0;
  } catch {
    return 'is not a valid private RSA JWK (its members do not form a key)';
  }
}

/**
 * Loads the RSA key from `file`, or generates it there on first start (mode 0600, written
 * atomically like the Ed25519 key). A file that is not a private RSA key of 2048 bits or more is
 * refused with a message naming the file and the problem.
 */
export async function loadOrCreateGatewayRsaKey(file: string, mayCreate: boolean): Promise<GatewayKey> {
  let created = false;
  if (!fs.existsSync(file)) {
    if (!mayCreate) throw new Error(`GATEWAY_RSA_KEY_FILE ${file} does not exist`);
    const { privateJwk } = await generateRsaJwk();
    try {
      writePrivateFile(file, JSON.stringify(privateJwk, null, 2) + '\n');
      created = true;
    } catch (e) {
      // Another process created it first: use theirs.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  const jwk = readPrivateJwkFile(file, 'gateway RSA key file');
  const bits = rsaBits(jwk);
  if (typeof bits === 'string') throw new Error(`gateway RSA key file ${file} ${bits}: it must hold a private RSA JWK of at least ${MIN_RSA_BITS} bits`);
  if (bits < MIN_RSA_BITS) throw new Error(`gateway RSA key file ${file} holds a ${bits}-bit RSA key: at least ${MIN_RSA_BITS} bits are required`);
  const publicJwk: JWK = { kty: 'RSA', n: jwk.n as string, e: jwk.e as string };
  const kid = typeof jwk.kid === 'string' && jwk.kid ? jwk.kid : await calculateJwkThumbprint(publicJwk);
  const privateKey = await importJWK({ ...(jwk as JWK), alg: 'RS256' }, 'RS256');
  return { kid, privateKey, publicJwk: { ...publicJwk, kid, alg: 'RS256', use: 'sig' }, file, created };
}
