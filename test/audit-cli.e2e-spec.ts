import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { TestDatabase, TestGateway, usingPostgres } from './support/app';

const CLI = path.join(__dirname, '..', 'bin', 'risk-exchange.js');

function auditVerify(...args: string[]) {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  const r = spawnSync(process.execPath, [CLI, 'audit', 'verify', ...args], { encoding: 'utf8', env });
  let result: Record<string, unknown> | null = null;
  try {
    result = JSON.parse(r.stdout);
  } catch {
    /* not JSON: an error */
  }
  return { status: r.status, result, stderr: r.stderr };
}

describe('risk-exchange audit verify (offline CLI)', () => {
  let db: TestDatabase;
  let gw: TestGateway;

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { AUDIT_CHECKPOINT_SECONDS: '0' });
    for (const id of ['bank-a', 'bank-b', 'shop-c']) await gw.registerPartner(id, 'BANK');
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  it('refuses to run without a database URL, saying what to give', () => {
    const r = auditVerify();
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--database-url/);
  });

  it('checks the chain and the signed checkpoints, and names a tampered seq', async () => {
    if (!usingPostgres()) {
      // The CLI reads PostgreSQL directly; on the PGlite fallback there is no server to point it at.
      const r = auditVerify('--database-url', 'postgres://postgres@127.0.0.1:1/none');
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/ECONNREFUSED|connect/);
      return;
    }
    const cp = (await gw.asOperator('mutation { createAuditCheckpoint { seq jws } }')).data!.createAuditCheckpoint;
    const jwksFile = path.join(db.dataDir, 'gateway-jwks.json');
    fs.writeFileSync(jwksFile, await (await fetch(`${gw.url}/.well-known/jwks.json`)).text());

    const intact = auditVerify('--database-url', db.url!, '--jwks', jwksFile, '--checkpoint', cp.jws);
    expect(intact.stderr).toMatch(/audit verify: \d+ entries in/);
    expect(intact).toMatchObject({ status: 0, result: { ok: true, checkedEntries: cp.seq, firstBadSeq: null } });

    const ds = gw.app.get(DataSource);
    await ds.transaction(async (tx) => {
      await tx.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
      await tx.query(`UPDATE audit_log SET actor = 'mallory' WHERE seq = 3`);
      await tx.query('ALTER TABLE audit_log ENABLE TRIGGER USER');
    });
    const tampered = auditVerify('--database-url', db.url!);
    expect(tampered.status).toBe(1);
    expect(tampered.result).toMatchObject({ ok: false, firstBadSeq: 3, checkedEntries: 2 });
    expect(String(tampered.result!.reason)).toMatch(/altered/);
    expect(auditVerify('--database-url', db.url!, '--from', '4')).toMatchObject({ status: 0, result: { ok: true } });
    const forgedJwks = path.join(db.dataDir, 'other-jwks.json');
    fs.writeFileSync(forgedJwks, JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid: JSON.parse(fs.readFileSync(jwksFile, 'utf8')).keys[0].kid, alg: 'EdDSA' }] }));
    const wrongKey = auditVerify('--database-url', db.url!, '--from', '4', '--jwks', forgedJwks);
    expect(wrongKey.status).toBe(1);
    expect(String(wrongKey.result!.reason)).toMatch(/not validly signed/);
  });
});
