import { Inject, Injectable, Logger } from '@nestjs/common';
import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { DataSource, EntityManager } from 'typeorm';
import { GroupRunner } from '../common/group-runner';
import { APP_CONFIG, AppConfig } from '../config/config';
import { preparedQuery } from '../database/prepared';
import { GatewayKeyService } from '../gateway/gateway-key.service';
import { AuditCheckpoint } from './audit-checkpoint.entity';
import { AuditEntry } from './audit-entry.entity';
import { AuditAction, AuditInput, SYSTEM_ACTOR } from './audit.actions';
import { CHECKPOINT_TYP, fetchAuditRows, verifyCheckpointSignature } from './chain-io';
import { ChainVerification, entryHash, GENESIS_HASH, verifyChain } from './hash-chain';
import { storableAuditFields } from './sanitize';
import { markAfterFullVerification } from './checkpoint-verification.service';

const AUDIT_INSERT = `INSERT INTO audit_log (seq, at, actor, action, target, details, concerns, prev_hash, hash)
  SELECT seq, at, actor, action, target, details, concerns, prev_hash, hash FROM jsonb_to_recordset($1::jsonb)
    AS r(seq bigint, at timestamptz, actor varchar, action varchar, target varchar, details jsonb, concerns varchar[], prev_hash char(64), hash char(64))`;

const AUDIT_HEAD = 'SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1';
interface Head {
  seq: string | number;
  hash: string;
}

/**
 * Takes the append lock and reads the head. On PostgreSQL both travel in one round trip (a
 * multi-statement simple query): the lock is held for the rest of the transaction, so one round
 * trip less is one less in the stretch where appends queue. Each statement takes its own snapshot
 * (READ COMMITTED), so the head is read after the lock is granted, never before.
 */
async function lockedHead(tx: EntityManager): Promise<Head | undefined> {
  const connection = (tx.connection.options as { driver?: unknown }).driver ? undefined : (tx.queryRunner as { databaseConnection?: { query(text: string): Promise<Array<{ rows: Head[] }>> } } | undefined)?.databaseConnection;
  if (connection) {
    const results = await connection.query(`SELECT pg_advisory_xact_lock(${AUDIT_APPEND_LOCK}); ${AUDIT_HEAD}`);
    return results[1].rows[0];
  }
  await tx.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_APPEND_LOCK]);
  return ((await tx.query(AUDIT_HEAD)) as Head[])[0];
}

function entriesJson(entries: AuditEntry[]): string {
  return JSON.stringify(entries.map((e) => ({ seq: e.seq, at: e.at, actor: e.actor, action: e.action, target: e.target, details: e.details, concerns: e.concerns, prev_hash: e.prevHash, hash: e.hash })));
}

/** One advisory lock serialises appends across every connection and replica. */
export const AUDIT_APPEND_LOCK = 0x52580002;

export interface VerificationResult {
  ok: boolean;
  checkedEntries: number;
  firstBadSeq: number | null;
  reason: string | null;
}

@Injectable()
export class AuditService {
  private readonly logger = new Logger('Audit');

  constructor(
    private readonly db: DataSource,
    private readonly gatewayKey: GatewayKeyService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Appends one entry inside the caller's transaction, so the entry and the action commit or
   * roll back together. Call it last in the transaction: the append lock is held until commit.
   */
  async append(tx: EntityManager, input: AuditInput): Promise<AuditEntry> {
    if (!tx.queryRunner?.isTransactionActive) throw new Error('AuditService.append must run inside a transaction');
    const [entry] = await this.appendMany(tx, [input]);
    return entry;
  }

  /** Appends entries with one lock, one head read and one insert; `at` has millisecond precision, exactly what is hashed. */
  private async appendMany(tx: EntityManager, inputs: AuditInput[]): Promise<AuditEntry[]> {
    const head = await lockedHead(tx);
    const { entries, checkpoints } = await this.chain(head, inputs);
    await preparedQuery(tx, 'rx_audit_insert', AUDIT_INSERT, [entriesJson(entries)]);
    if (checkpoints.length) await tx.getRepository(AuditCheckpoint).insert(checkpoints);
    return entries;
  }

  /** Links the inputs after the head, and signs a checkpoint at every AUDIT_CHECKPOINT_EVERY-th entry. */
  private async chain(head: Head | undefined, inputs: AuditInput[]): Promise<{ entries: AuditEntry[]; checkpoints: AuditCheckpoint[] }> {
    let seq = head ? Number(head.seq) : 0;
    let prevHash = head ? head.hash : GENESIS_HASH;
    const at = new Date();
    const entries: AuditEntry[] = [];
    const checkpoints: AuditCheckpoint[] = [];
    for (const input of inputs) {
      seq++;
      const { target, details } = storableAuditFields(input.target, input.details);
      const record = { seq, at: at.toISOString(), actor: input.actor, action: input.action, target, details };
      const hash = entryHash(prevHash, record);
      entries.push({ ...record, at, concerns: [...new Set(input.concerns ?? [])], prevHash, hash });
      if (seq % this.config.auditCheckpointEvery === 0) checkpoints.push(await this.signCheckpoint(seq, hash));
      prevHash = hash;
    }
    return { entries, checkpoints };
  }

  /**
   * Records an entry that has no transaction of its own to join (reads, failed mutations,
   * authentication failures). The caller waits until its entry is committed, but entries that
   * arrive while a commit is in flight share the next transaction (group commit): one WAL flush
   * and one hold of the append lock for many entries, instead of one each.
   */
  record(input: AuditInput): Promise<AuditEntry> {
    return this.recorder.submit(input);
  }

  private readonly recorder = new GroupRunner<AuditInput, AuditEntry>(async (inputs) => {
    try {
      return await this.db.transaction((tx) => this.appendMany(tx, inputs));
    } catch {
      // One bad entry must not sink the others: retry each on its own, and when one still cannot
      // be stored, store that it happened (a failure's entry is never dropped for its contents).
      const results: Array<AuditEntry | Error> = [];
      for (const input of inputs) {
        const one = (i: AuditInput) => this.db.transaction((tx) => this.append(tx, i));
        results.push(
          await one(input)
            .catch((e: Error) => {
              this.logger.error(`could not store an audit entry (${input.action}) as given, storing a bare one: ${e.message}`);
              return one(bareEntry(input));
            })
            .catch((e: unknown) => (e instanceof Error ? e : new Error(String(e)))),
        );
      }
      return results;
    }
  });

  /** Signs a checkpoint of the latest entry when it is newer than the last checkpoint; returns the latest checkpoint. */
  async checkpointNow(actor = SYSTEM_ACTOR, audited = false): Promise<AuditCheckpoint | null> {
    return this.db.transaction(async (tx) => {
      if (audited) {
        const entry = await this.append(tx, { actor, action: AuditAction.AuditCheckpoint, details: { outcome: 'ok' } });
        const existing = await tx.getRepository(AuditCheckpoint).findOne({ where: { seq: entry.seq } });
        return existing ?? this.insertCheckpoint(tx, entry.seq, entry.hash);
      }
      await tx.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_APPEND_LOCK]);
      const [head] = (await tx.query(AUDIT_HEAD)) as Head[];
      const last = await this.latestCheckpoint(tx);
      if (!head || (last && last.seq >= Number(head.seq))) return last;
      return this.insertCheckpoint(tx, Number(head.seq), head.hash);
    });
  }

  latestCheckpoint(tx: EntityManager = this.db.manager): Promise<AuditCheckpoint | null> {
    return tx.getRepository(AuditCheckpoint).findOne({ where: {}, order: { seq: 'DESC' } });
  }

  /** Verifies the chain (all of it by default), including every stored checkpoint in range. */
  async verify(fromSeq?: number, toSeq?: number): Promise<VerificationResult> {
    const from = fromSeq ?? 1;
    if (!Number.isInteger(from) || from < 1) throw new RangeError('fromSeq must be a positive integer');
    if (toSeq !== undefined && (!Number.isInteger(toSeq) || toSeq < from)) throw new RangeError('toSeq must be an integer >= fromSeq');
    let anchor = GENESIS_HASH;
    if (from > 1) {
      const [row] = (await this.db.query('SELECT hash FROM audit_log WHERE seq = $1', [from - 1])) as Array<{ hash: string }>;
      if (!row) return { ok: false, checkedEntries: 0, firstBadSeq: from - 1, reason: `entry ${from - 1} (the anchor of the range) is missing` };
      anchor = row.hash;
    }
    const checkpoints = await this.db.getRepository(AuditCheckpoint).find({ order: { seq: 'ASC' } });
    const keys = createLocalJWKSet(this.gatewayKey.jwks() as JSONWebKeySet);
    const expect: Array<{ seq: number; hash: string; what: string }> = [];
    for (const cp of checkpoints) {
      if (cp.seq < from || (toSeq !== undefined && cp.seq > toSeq)) continue;
      const payload = await verifyCheckpointSignature(cp.jws, keys).catch(() => null);
      if (!payload || payload.seq !== cp.seq || payload.hash !== cp.hash) {
        return { ok: false, checkedEntries: 0, firstBadSeq: cp.seq, reason: `the stored checkpoint at seq ${cp.seq} is not validly signed by the gateway` };
      }
      expect.push({ seq: cp.seq, hash: cp.hash, what: `checkpoint ${cp.seq}` });
    }
    const v = await verifyChain({ fromSeq: from, toSeq, anchorHash: anchor, expect, fetchBatch: (a, l, t) => fetchAuditRows((q, p) => this.db.query(q, p), a, l, t) });
    if (from === 1) await markAfterFullVerification(this.db, v);
    return pick(v);
  }

  /** Checks a checkpoint a partner kept: the gateway signed it, and the chain still produces its hash. */
  async verifyCheckpoint(jws: string): Promise<VerificationResult> {
    const payload = await verifyCheckpointSignature(jws, createLocalJWKSet(this.gatewayKey.jwks() as JSONWebKeySet)).catch((e: Error) => e);
    if (payload instanceof Error) return { ok: false, checkedEntries: 0, firstBadSeq: null, reason: `not a checkpoint signed by this gateway: ${payload.message}` };
    const v = await verifyChain({
      toSeq: payload.seq,
      anchorHash: GENESIS_HASH,
      expect: [{ seq: payload.seq, hash: payload.hash, what: `the checkpoint (seq ${payload.seq})` }],
      fetchBatch: (a, l, t) => fetchAuditRows((q, p) => this.db.query(q, p), a, l, t),
    });
    await markAfterFullVerification(this.db, v);
    return pick(v);
  }

  private async insertCheckpoint(tx: EntityManager, seq: number, hash: string): Promise<AuditCheckpoint> {
    const checkpoint = await this.signCheckpoint(seq, hash);
    await tx.getRepository(AuditCheckpoint).insert(checkpoint);
    return checkpoint;
  }

  private async signCheckpoint(seq: number, hash: string): Promise<AuditCheckpoint> {
    const at = new Date();
    const payload = { seq, hash, at: Math.floor(at.getTime() / 1000) };
    const jws = await this.gatewayKey.sign(new TextEncoder().encode(JSON.stringify(payload)), CHECKPOINT_TYP);
    this.logger.debug(`signed audit checkpoint at seq ${seq}`);
    return { seq, hash, at, jws };
  }
}

/** The last resort for an entry that could not be stored: who, what, the outcome and code, and that the rest was dropped. */
function bareEntry(input: AuditInput): AuditInput {
  const d = input.details ?? {};
  const keep = Object.fromEntries(['outcome', 'code'].filter((k) => typeof d[k] === 'string' && (d[k] as string).length <= 64).map((k) => [k, d[k]]));
  return { actor: input.actor, action: input.action, target: null, details: { ...keep, sanitized: true, dropped: 'the target and details could not be stored' }, concerns: input.concerns };
}

function pick(v: ChainVerification): VerificationResult {
  return { ok: v.ok, checkedEntries: v.checkedEntries, firstBadSeq: v.firstBadSeq, reason: v.reason };
}
