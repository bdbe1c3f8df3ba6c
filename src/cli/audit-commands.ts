import { Command, InvalidArgumentError } from 'commander';
import * as fs from 'node:fs';
import { SingleBar } from 'cli-progress';
import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { Client } from 'pg';
import { fetchAuditRows, verifyCheckpointSignature } from '../audit/chain-io';
import { GENESIS_HASH, StoredAuditRow, verifyChain } from '../audit/hash-chain';
import { usageError } from './cli-errors';
import { examples } from './output';

function parseSeq(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

interface VerifyOptions {
  databaseUrl?: string;
  from?: number;
  to?: number;
  jwks?: string;
  checkpoint?: string;
  batch: number;
}

/** Shows progress on stderr: a bar on a terminal, a line per 10 % otherwise (CI logs). */
function progressReporter(total: number) {
  if (process.stderr.isTTY) {
    const bar = new SingleBar({ format: 'audit verify [{bar}] {percentage}% | {value}/{total} entries | {eta}s left', stream: process.stderr, hideCursor: true });
    bar.start(total, 0);
    return { update: (n: number) => bar.update(Math.min(n, total)), stop: () => bar.stop() };
  }
  let nextTenth = 1;
  return {
    update: (n: number) => {
      while (total > 0 && n >= (total * nextTenth) / 10 && nextTenth <= 10) {
        process.stderr.write(`audit verify: ${nextTenth * 10}% (${n}/${total} entries)\n`);
        nextTenth++;
      }
    },
    stop: () => undefined,
  };
}

/** `risk-exchange audit verify`: checks the chain offline, straight from the database. */
export async function auditVerify(o: VerifyOptions): Promise<number> {
  const url = o.databaseUrl ?? process.env.DATABASE_URL;
  if (!url) throw usageError('give --database-url (or set DATABASE_URL); the offline check reads PostgreSQL directly');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const query = async (sql: string, params: unknown[]) => (await client.query(sql, params)).rows as StoredAuditRow[];
    const from = o.from ?? 1;
    const keys = o.jwks ? createLocalJWKSet(JSON.parse(fs.readFileSync(o.jwks, 'utf8')) as JSONWebKeySet) : undefined;
    const expect: Array<{ seq: number; hash: string; what: string }> = [];
    let to = o.to;
    if (o.checkpoint) {
      if (!keys) throw usageError('--checkpoint needs --jwks (the gateway public JWKS, from /.well-known/jwks.json)');
      const cp = await verifyCheckpointSignature(o.checkpoint, keys).catch((e: Error) => {
        throw new Error(`the checkpoint is not signed by that JWKS: ${e.message}`);
      });
      expect.push({ seq: cp.seq, hash: cp.hash, what: `the given checkpoint (seq ${cp.seq})` });
      to ??= cp.seq;
    }
    if (keys) {
      const stored = (await client.query('SELECT seq, hash, jws FROM audit_checkpoint WHERE seq >= $1 ORDER BY seq', [from])).rows as Array<{ seq: string; hash: string; jws: string }>;
      for (const row of stored) {
        const seq = Number(row.seq);
        if (to !== undefined && seq > to) break;
        const cp = await verifyCheckpointSignature(row.jws, keys).catch(() => null);
        if (!cp || cp.seq !== seq || cp.hash !== row.hash) {
          return report({ ok: false, checkedEntries: 0, firstBadSeq: seq, reason: `stored checkpoint ${seq} is not validly signed by that JWKS` });
        }
        expect.push({ seq, hash: row.hash, what: `checkpoint ${seq}` });
      }
    }
    let anchor = GENESIS_HASH;
    if (from > 1) {
      const rows = (await client.query('SELECT hash FROM audit_log WHERE seq = $1', [from - 1])).rows as Array<{ hash: string }>;
      if (!rows.length) return report({ ok: false, checkedEntries: 0, firstBadSeq: from - 1, reason: `entry ${from - 1} (the anchor of the range) is missing` });
      anchor = rows[0].hash;
    }
    const [{ max }] = (await client.query('SELECT coalesce(max(seq), 0) AS max FROM audit_log')).rows as Array<{ max: string }>;
    const total = Math.max(0, Math.min(to ?? Number(max), Number(max)) - from + 1);
    const progress = progressReporter(total);
    const started = Date.now();
    const result = await verifyChain({
      fromSeq: from,
      toSeq: to,
      anchorHash: anchor,
      expect,
      batchSize: o.batch,
      fetchBatch: (a, l, t) => fetchAuditRows(query, a, l, t),
      onProgress: (checked) => progress.update(checked),
    });
    progress.stop();
    const seconds = (Date.now() - started) / 1000;
    process.stderr.write(`audit verify: ${result.checkedEntries} entries in ${seconds.toFixed(1)} s (${Math.round(result.checkedEntries / Math.max(seconds, 0.001))}/s)\n`);
    return report({ ok: result.ok, checkedEntries: result.checkedEntries, firstBadSeq: result.firstBadSeq, reason: result.reason });
  } finally {
    await client.end();
  }
}

function report(r: { ok: boolean; checkedEntries: number; firstBadSeq: number | null; reason: string | null }): number {
  process.stdout.write(JSON.stringify(r) + '\n');
  return r.ok ? 0 : 1;
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log')
    .addHelpText('after', examples('risk-exchange audit verify --database-url postgres://postgres@127.0.0.1:5432/riskx'));
  audit
    .command('verify')
    .description('check the hash chain offline, straight from PostgreSQL; exit 0 when intact, 1 when not')
    .option('--database-url <url>', 'postgres://... (default: DATABASE_URL)')
    .option('--from <seq>', 'first entry to check', parseSeq)
    .option('--to <seq>', 'last entry to check', parseSeq)
    .option('--jwks <file>', 'gateway public JWKS: also check every stored checkpoint signature')
    .option('--checkpoint <jws>', 'a checkpoint you kept: the chain must still produce its hash (needs --jwks)')
    .option('--batch <n>', 'rows per query', parseSeq, 20000)
    .addHelpText('after', examples(
      'risk-exchange audit verify --database-url postgres://postgres@127.0.0.1:5432/riskx',
      'curl -s http://localhost:4000/.well-known/jwks.json > gateway-jwks.json && risk-exchange audit verify --jwks gateway-jwks.json --checkpoint "$CHECKPOINT_JWS"',
    ))
    .action(async (opts: VerifyOptions) => {
      process.exitCode = await auditVerify(opts);
    });
}
