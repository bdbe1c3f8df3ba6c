import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { createDataSource } from '../src/database/data-source';
import { Partner } from '../src/partners/partner.entity';
import { PartnerKind, PartnerStatus } from '../src/partners/partner.enums';

// Runs on the embedded default whatever database the other specs use, so both drivers are tested.
describe('the embedded PGlite default', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rx-pglite-'));
  let ds: DataSource;

  beforeAll(async () => {
    ds = createDataSource({ databaseUrl: undefined, dataDir, migrationsRun: false });
    await ds.initialize();
  });
  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs the same migrations, after which nothing is left to generate', async () => {
    await ds.runMigrations({ transaction: 'each' });
    expect((await ds.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
    expect(fs.existsSync(path.join(dataDir, 'pglite'))).toBe(true);
  });

  it('normalises numeric and count(*) like pg does', async () => {
    const repo = ds.getRepository(Partner);
    await repo.insert({ id: 'bank-p', name: 'x', kind: PartnerKind.BANK, status: PartnerStatus.ACTIVE, trustWeight: 0.75 });
    expect((await repo.findOneByOrFail({ id: 'bank-p' })).trustWeight).toBe(0.75);
    expect(await repo.count()).toBe(1);
    const [{ n }] = await ds.query('SELECT count(*) AS n FROM partner');
    expect(Number(n)).toBe(1);
    await expect(repo.insert({ id: 'bank-p', name: 'dup', kind: PartnerKind.BANK, status: PartnerStatus.ACTIVE, trustWeight: 0.5 })).rejects.toThrow();
  });
});
