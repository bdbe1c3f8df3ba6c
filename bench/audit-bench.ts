// Audit benchmarks: append throughput through AuditService, and offline verification speed over a
// large chain (built in bulk with the same hash function, then checked by the CLI's code path).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { AuditAction } from '../src/audit/audit.actions';
import { AuditService } from '../src/audit/audit.service';
import { fetchAuditRows } from '../src/audit/chain-io';
import { entryHash, GENESIS_HASH, StoredAuditRow, verifyChain } from '../src/audit/hash-chain';
import { Logger } from '@nestjs/common';
import { loadConfig } from '../src/config/config';
import { createDataSource } from '../src/database/data-source';
import { GatewayKeyService } from '../src/gateway/gateway-key.service';

const log = (m: string) => process.stdout.write(`bench: ${m}\n`);

export async function benchAudit(databaseUrl: string, entries: number): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rx-bench-audit-'));
  Logger.overrideLogger(['warn', 'error']); // the services run outside Nest here: keep their debug lines out of the report
  const config = loadConfig({ DATABASE_URL: databaseUrl, DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  const ds = createDataSource(config);
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  const keys = new GatewayKeyService(config);
  await keys.onModuleInit();
  const audit = new AuditService(ds, keys, config);
  try {
    const input = (i: number) => ({ actor: 'bank-a', action: AuditAction.KeyAdd, target: 'bank-a', details: { outcome: 'ok', kid: `k${i}` }, concerns: ['bank-a'] });
    // Sequential: one append per transaction, as a mutation does.
    const n = 2000;
    let t = Date.now();
    for (let i = 0; i < n; i++) await audit.record(input(i));
    results.audit_append_sequential_per_s = Math.round(n / ((Date.now() - t) / 1000));
    log(`audit append, one transaction each, sequential: ${results.audit_append_sequential_per_s} entries/s`);
    // The same transactions without the append: the difference is the append's own cost.
    t = Date.now();
    for (let i = 0; i < n; i++) await ds.transaction((tx) => tx.query('SELECT 1'));
    const bare = n / ((Date.now() - t) / 1000);
    results.audit_append_cost_ms = Math.round((1000 / results.audit_append_sequential_per_s - 1000 / bare) * 100) / 100;
    log(`a bare transaction: ${Math.round(bare)}/s, so one append adds ${results.audit_append_cost_ms} ms (lock, head read, insert) to its transaction`);
    // Concurrent: 10 transactions at a time contend for the append lock.
    t = Date.now();
    for (let i = 0; i < n; i += 10) await Promise.all(Array.from({ length: 10 }, (_, j) => audit.record(input(i + j))));
    results.audit_append_concurrent10_per_s = Math.round(n / ((Date.now() - t) / 1000));
    log(`audit append, 10 concurrent transactions: ${results.audit_append_concurrent10_per_s} entries/s`);
  } finally {
    await ds.destroy();
  }

  // A large chain for verification, inserted in bulk (the triggers only refuse UPDATE/DELETE).
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const [{ max }] = (await client.query('SELECT coalesce(max(seq),0)::bigint AS max FROM audit_log')).rows;
    const [{ hash: head }] = (await client.query('SELECT hash FROM audit_log WHERE seq = $1', [max])).rows;
    let prev: string = head ?? GENESIS_HASH;
    let seq = Number(max);
    const target = entries;
    t0 = Date.now();
    const batch = 5000;
    while (seq < target) {
      const values: unknown[] = [];
      const rows: string[] = [];
      const at = new Date();
      for (let i = 0; i < batch && seq < target; i++) {
        seq++;
        const record = { seq, at: at.toISOString(), actor: 'bank-a', action: 'events.read', target: `evt-${seq}`, details: { items: { 'shop-b': [`e${seq}`] }, count: 1 } };
        const hash = entryHash(prev, record);
        const o = values.length;
        rows.push(`($${o + 1},$${o + 2},$${o + 3},$${o + 4},$${o + 5},$${o + 6},$${o + 7},$${o + 8})`);
        values.push(seq, at, record.actor, record.action, record.target, JSON.stringify(record.details), prev, hash);
        prev = hash;
      }
      await client.query(`INSERT INTO audit_log (seq, at, actor, action, target, details, prev_hash, hash) VALUES ${rows.join(',')}`, values);
      if (seq % 200000 < batch) log(`  built ${seq}/${target} entries`);
    }
    log(`built a chain of ${seq} entries in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const started = Date.now();
    const result = await verifyChain({
      anchorHash: GENESIS_HASH,
      batchSize: 20000,
      fetchBatch: (a, l, to) => fetchAuditRows(async (sql, p) => (await client.query(sql, p)).rows as StoredAuditRow[], a, l, to),
    });
    const seconds = (Date.now() - started) / 1000;
    if (!result.ok) throw new Error(`verification failed: ${result.reason}`);
    results.audit_verify_entries = result.checkedEntries;
    results.audit_verify_seconds = Math.round(seconds * 10) / 10;
    results.audit_verify_per_s = Math.round(result.checkedEntries / seconds);
    log(`audit verify: ${result.checkedEntries} entries in ${seconds.toFixed(1)} s (${results.audit_verify_per_s} entries/s; target: 1,000,000 in < 20 s)`);
  } finally {
    await client.end();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return results;
}
let t0 = 0;
