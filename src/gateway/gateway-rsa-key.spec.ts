import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CompactSign, compactVerify, importJWK } from 'jose';
import { generateEd25519Jwk } from './gateway-key';
import { loadOrCreateGatewayRsaKey } from './gateway-rsa-key';

describe('gateway RSA key file', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rx-rsakey-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is created once (mode 0600, 2048 bits), then loaded with the same kid, and signs RS256 that its public JWK verifies', async () => {
    const file = path.join(dir, 'gateway-rsa-key.jwk');
    const key = await loadOrCreateGatewayRsaKey(file, true);
    expect(key.created).toBe(true);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir)).toEqual(['gateway-rsa-key.jwk']);
    expect(key.publicJwk).toMatchObject({ kty: 'RSA', e: 'AQAB', alg: 'RS256', use: 'sig', kid: key.kid });
    expect(Buffer.from(key.publicJwk.n as string, 'base64url').length * 8).toBe(2048);
    expect(key.publicJwk).not.toHaveProperty('d');
    const again = await loadOrCreateGatewayRsaKey(file, true);
    expect({ created: again.created, kid: again.kid }).toEqual({ created: false, kid: key.kid });
    const jws = await new CompactSign(new TextEncoder().encode('{}')).setProtectedHeader({ alg: 'RS256', kid: key.kid }).sign(key.privateKey);
    await expect(compactVerify(jws, await importJWK(key.publicJwk, 'RS256'))).resolves.toBeDefined();
  });

  it('refuses a file that is not a private RSA key of 2048 bits or more, naming the file and the problem', async () => {
    const file = path.join(dir, 'rsa.jwk');
    fs.writeFileSync(file, JSON.stringify((await generateEd25519Jwk()).privateJwk));
    await expect(loadOrCreateGatewayRsaKey(file, true)).rejects.toThrow(`gateway RSA key file ${file} is not an RSA key (kty "OKP")`);
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'jwk' });
    fs.writeFileSync(file, JSON.stringify(small));
    await expect(loadOrCreateGatewayRsaKey(file, true)).rejects.toThrow(/holds a 1024-bit RSA key: at least 2048 bits are required/);
    const pub = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
    fs.writeFileSync(file, JSON.stringify(pub));
    await expect(loadOrCreateGatewayRsaKey(file, true)).rejects.toThrow(/is not a private RSA JWK \(missing d, p, q, dp, dq, qi\)/);
    // A configured path must exist; the default path is generated.
    await expect(loadOrCreateGatewayRsaKey(path.join(dir, 'absent.jwk'), false)).rejects.toThrow(/GATEWAY_RSA_KEY_FILE .*absent.jwk does not exist/);
    const good = generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey.export({ format: 'jwk' });
    fs.writeFileSync(file, JSON.stringify(good));
    const loaded = await loadOrCreateGatewayRsaKey(file, false);
    expect(loaded.publicJwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
  });
});
