import fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readPrivateJwkFile, writePrivateFile } from './gateway-key-file';
import { loadOrCreateGatewayKey } from './gateway-key';

describe('private key files', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rx-keyfile-'))));
  afterEach(() => {
    jest.restoreAllMocks();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes the whole file with mode 0600 and leaves no temporary file', () => {
    const file = path.join(dir, 'k.jwk');
    writePrivateFile(file, '{"a":1}\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('{"a":1}\n');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir)).toEqual(['k.jwk']);
  });

  it('never replaces a file another process wrote first', () => {
    const file = path.join(dir, 'k.jwk');
    writePrivateFile(file, 'first');
    expect(() => writePrivateFile(file, 'second')).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(fs.readFileSync(file, 'utf8')).toBe('first');
    expect(fs.readdirSync(dir)).toEqual(['k.jwk']);
  });

  it('a crash before the content is durable leaves no key file, so the next start generates one', async () => {
    const file = path.join(dir, 'gateway-key.jwk');
    const fsync = jest.spyOn(fs, 'fsyncSync').mockImplementationOnce(() => {
      throw new Error('simulated crash');
    });
    await expect(loadOrCreateGatewayKey(file, true)).rejects.toThrow('simulated crash');
    expect(fsync).toHaveBeenCalled();
    expect(fs.existsSync(file)).toBe(false);
    jest.restoreAllMocks();
    const key = await loadOrCreateGatewayKey(file, true);
    expect(key.created).toBe(true);
    expect((await loadOrCreateGatewayKey(file, true)).kid).toBe(key.kid);
  });

  it('an empty key file from an earlier crash is refused with a message saying what happened and what to do', async () => {
    const file = path.join(dir, 'gateway-key.jwk');
    fs.writeFileSync(file, '');
    await expect(loadOrCreateGatewayKey(file, true)).rejects.toThrow(/gateway key file .* is empty \(0 bytes\).*crash.*delete it/);
    fs.writeFileSync(file, '{"kty":"OKP","crv":"Ed25519","d":"abc');
    expect(() => readPrivateJwkFile(file, 'gateway key file')).toThrow(/not a JSON JWK \(\d+ bytes, corrupt or truncated\)/);
    expect(() => readPrivateJwkFile(file, 'gateway key file')).not.toThrow(/abc/); // never quotes key material
    fs.rmSync(file);
    expect((await loadOrCreateGatewayKey(file, true)).created).toBe(true);
  });
});
