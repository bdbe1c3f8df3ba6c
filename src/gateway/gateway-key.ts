// The gateway's own Ed25519 signing key. Pure file handling with jose; no Nest import.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';

export interface GatewayKey {
  kid: string;
  privateKey: Awaited<ReturnType<typeof importJWK>>;
  publicJwk: JWK;
  file: string;
  created: boolean;
}

/** Writes a file that only its owner can read, refusing to follow an existing file's looser mode. */
export function writePrivateFile(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, { mode: 0o600, flag: 'wx' });
  fs.chmodSync(file, 0o600);
}

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
  let jwk: JWK;
  try {
    jwk = JSON.parse(fs.readFileSync(file, 'utf8')) as JWK;
  } catch {
    // Never echo the parser's message: it quotes the file's content, i.e. the private key.
    throw new Error(`gateway key file ${file} is not a JSON JWK`);
  }
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string') {
    throw new Error(`gateway key file ${file} must hold a private Ed25519 JWK`);
  }
  const publicJwk: JWK = { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
  const kid = jwk.kid ?? (await calculateJwkThumbprint(publicJwk));
  const privateKey = await importJWK(jwk, "EdDSA");
  return { kid, privateKey, publicJwk: { ...publicJwk, kid, alg: 'EdDSA', use: 'sig' }, file, created };
}
