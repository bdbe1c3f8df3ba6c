// The gateway's own Ed25519 signing key. Pure file handling with jose; no Nest import.
import * as fs from 'node:fs';
import { readPrivateJwkFile, writePrivateFile } from './gateway-key-file';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';

export interface GatewayKey {
  kid: string;
  privateKey: Awaited<ReturnType<typeof importJWK>>;
  publicJwk: JWK;
  file: string;
  created: boolean;
}

export { writePrivateFile } from './gateway-key-file';

export async function generateEd25519Jwk(kid?: string): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const id = kid ?? (await calculateJwkThumbprint(publicJwk));
  const meta = { kid: id, alg: 'EdDSA', use: 'sig' };
  return { privateJwk: { ...(await exportJWK(privateKey)), ...meta }, publicJwk: { ...publicJwk, ...meta } };
}

/** Loads the key from `file`, or generates it there (mode 0600) on first start. */
export async function loadOrCreateGatewayKey(file: string, mayCreate: boolean): Promise<GatewayKey> {
  let created = false;
  if (!fs.existsSync(file)) {
    if (!mayCreate) throw new Error(`GATEWAY_KEY_FILE ${file} does not exist`);
    const { privateJwk } = await generateEd25519Jwk();
    try {
      writePrivateFile(file, JSON.stringify(privateJwk, null, 2) + '\n');
      created = true;
    } catch (e) {
      // Another process created it first: use theirs.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  const jwk = readPrivateJwkFile(file, 'gateway key file') as JWK;
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string') {
    throw new Error(`gateway key file ${file} must hold a private Ed25519 JWK`);
  }
  const publicJwk: JWK = { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
  const kid = jwk.kid ?? (await calculateJwkThumbprint(publicJwk));
  const privateKey = await importJWK(jwk, "EdDSA");
  return { kid, privateKey, publicJwk: { ...publicJwk, kid, alg: 'EdDSA', use: 'sig' }, file, created };
}
