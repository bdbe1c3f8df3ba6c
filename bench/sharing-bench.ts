// Overhead of the visibility filter: a `signals` read of one subject with 1,000 events, with and
// without the visibility and masking SQL, for a non-owner holding a grant (the costly case).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../src/config/config';
import { createDataSource } from '../src/database/data-source';
import { PartnerKind } from '../src/partners/partner.enums';
import { fullAccess, notExpired, viewerParams, visibleEvent } from '../src/sharing/visibility';

const log = (m: string) => process.stdout.write(`bench: ${m}\n`);

export async function benchVisibility(databaseUrl: string): Promise<Record<string, number>> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rx-bench-vis-'));
  const ds = createDataSource(loadConfig({ DATABASE_URL: databaseUrl, DATA_DIR: dataDir, LOG_LEVEL: 'silent' }));
  await ds.initialize();
  try {
    await ds.runMigrations({ transaction: 'each' });
    const subject = 'v1:bench-visibility-subject';
    const dists = ['consortium', 'granted', 'issuer_only'];
    const cats = ['cash_out', 'high_velocity', 'merchant_collusion'];
    const rows = Array.from({ length: 1000 }, (_, i) => ({
      id: randomUUID(), issuer: `issuer-${i % 5}`, jti: `vis-${i}`, kid: 'k', subject, type: 'RISK_SIGNAL', category: cats[i % 3], grant_category: cats[i % 3],
      score: 0.5, confidence: 1, distribution: dists[i % 3], issued_at: new Date(), expires_at: new Date(Date.now() + 86_400_000), token: 'x', received_at: new Date(Date.now() - i * 1000), status: 'ACTIVE',
    }));
    await ds.query(
      `INSERT INTO event (id, issuer, jti, kid, subject, type, category, grant_category, score, confidence, distribution, issued_at, expires_at, token, received_at, status)
       SELECT id, issuer, jti, kid, subject, type, category, grant_category, score, confidence, distribution, issued_at, expires_at, token, received_at, status
       FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, issuer varchar, jti varchar, kid varchar, subject varchar, type varchar, category varchar, grant_category varchar, score numeric, confidence numeric, distribution varchar, issued_at timestamptz, expires_at timestamptz, token text, received_at timestamptz, status varchar)`,
      [JSON.stringify(rows)],
    );
    for (let i = 0; i < 5; i++) {
      await ds.query(`INSERT INTO "grant" (id, grantor, grantee, categories, include_evidence, expires_at, purpose, created_at) VALUES ($1, $2, 'viewer-x', $3, $4, now() + interval '1 day', 'bench', now())`, [randomUUID(), `issuer-${i}`, ['high_velocity', 'cash_out'], i % 2 === 0]);
    }
    await ds.query('ANALYZE event');
    await ds.query('ANALYZE "grant"');
    const params = viewerParams({ id: 'viewer-x', kind: PartnerKind.BANK });
    const base = ds.getRepository('EventRecord').createQueryBuilder('e').where('e.subject = :subject', { subject }).andWhere(`e.type = 'RISK_SIGNAL'`).andWhere(notExpired('e')).orderBy('e.received_at', 'DESC').take(100);
    const plain = base.clone();
    const filtered = base.clone().addSelect(fullAccess('e'), 'full_access').andWhere(visibleEvent('e')).setParameters(params);
    const time = async (qb: typeof base, n: number) => {
      const samples: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = process.hrtime.bigint();
        await qb.getRawMany();
        samples.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      samples.sort((a, b) => a - b);
      return samples[Math.floor(n / 2)];
    };
    await time(plain, 20);
    await time(filtered, 20);
    const p50Plain = await time(plain, 200);
    const p50Filtered = await time(filtered, 200);
    const visible = (await filtered.getRawMany()).length;
    // A query that reads nothing would time as a fast one: both must return rows.
    const plainRows = (await plain.getRawMany()).length;
    if (plainRows !== 100 || visible === 0) throw new Error(`visibility bench: expected 100 rows unfiltered and some visible, got ${plainRows} and ${visible}`);
    log(`signals read, 1,000 events on the subject, first 100: ${p50Plain.toFixed(2)} ms without the visibility filter, ${p50Filtered.toFixed(2)} ms with it and masking (${visible} visible to the grantee); overhead ${(p50Filtered - p50Plain).toFixed(2)} ms`);
    return { visibility_plain_p50_ms: round(p50Plain), visibility_filtered_p50_ms: round(p50Filtered), visibility_overhead_ms: round(p50Filtered - p50Plain) };
  } finally {
    await ds.destroy();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const round = (n: number) => Math.round(n * 100) / 100;
