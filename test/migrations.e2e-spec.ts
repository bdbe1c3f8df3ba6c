import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { TestDatabase } from './support/app';
import { createDataSource } from '../src/database/data-source';
import { MIGRATIONS } from '../migrations';
import { Partner } from '../src/partners/partner.entity';
import { PartnerKind, PartnerStatus } from '../src/partners/partner.enums';

describe('migrations (e2e, on the test database)', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await TestDatabase.create();
    ds = createDataSource({ databaseUrl: db.url, dataDir: db.dataDir, migrationsRun: false });
    await ds.initialize();
  });
  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await db?.drop();
  });

  it('lists every file of migrations/ in migrations/index.ts', () => {
    const files = fs.readdirSync(path.join(__dirname, '..', 'migrations')).filter((f) => /^\d{13}-[A-Za-z]+\.ts$/.test(f));
    expect(files.length).toBeGreaterThan(0);
    expect(MIGRATIONS.map((m) => m.name)).toEqual(files.map((f) => f.replace(/^(\d+)-(\w+)\.ts$/, '$2$1')));
  });

  it('migrates an empty database, after which generating a migration produces nothing', async () => {
    const applied = await ds.runMigrations({ transaction: 'each' });
    expect(applied).toHaveLength(MIGRATIONS.length);
    const pending = await ds.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('enforces integrity in the database too', async () => {
    const repo = ds.getRepository(Partner);
    await expect(repo.insert({ id: 'Bad Id', name: 'x', kind: PartnerKind.BANK, status: PartnerStatus.ACTIVE, trustWeight: 0.5 })).rejects.toThrow(/ck_partner_id/);
    await expect(repo.insert({ id: 'bank-q', name: 'x', kind: PartnerKind.BANK, status: PartnerStatus.ACTIVE, trustWeight: 2 })).rejects.toThrow();
    await repo.insert({ id: 'bank-q', name: 'x', kind: PartnerKind.BANK, status: PartnerStatus.ACTIVE, trustWeight: 0.25 });
    // numeric comes back as a string from pg and a number from PGlite: both read as a number.
    expect((await repo.findOneByOrFail({ id: 'bank-q' })).trustWeight).toBe(0.25);
    const [{ n }] = await ds.query('SELECT count(*) AS n FROM partner');
    expect(Number(n)).toBe(1);
    expect(await repo.count()).toBe(1);
  });
});
