import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, In } from 'typeorm';
import { AuditAction } from '../audit/audit.actions';
import { AuditService } from '../audit/audit.service';
import { AuthService } from '../auth/auth.service';
import { AuthenticatedPartner } from '../auth/authenticated-partner';
import { badInput, unauthenticated } from '../common/errors';
import { forEachSliced } from '../common/sliced';
import { APP_CONFIG, AppConfig } from '../config/config';
import { EventRecord, EventStatus, StoredEventType } from './event.entity';
import { EventsStoredHook } from './events-stored.hook';
import { EventType, MAX_NUMERIC_DATE } from './set-profile';
import { badTextIn, duplicateKeyOf, VerdictCode, VerifiedEvent } from './set-verifier';
import { SetVerifierPoolService } from './set-verifier.provider';
import { IgnoredEvent, ignoredOf, inboundSetContext, isMappedFreeze, mappedFreezeTargets } from './inbound/inbound-ingest';

export enum PublishStatus {
  ACCEPTED = 'ACCEPTED',
  DUPLICATE = 'DUPLICATE',
  REJECTED = 'REJECTED',
  /** An SSF control event, or a standard event with no mapping: answered and audited, never stored. */
  IGNORED = 'IGNORED',
}

export interface PublishResult {
  index: number;
  jti: string | null;
  status: PublishStatus;
  eventId: string | null;
  code: VerdictCode | null;
  description: string | null;
}

const TYPE_OF: Record<EventType, StoredEventType> = {
  [EventType.RiskSignal]: StoredEventType.RISK_SIGNAL,
  [EventType.AccountFlag]: StoredEventType.ACCOUNT_FLAG,
  [EventType.FlagLifted]: StoredEventType.FLAG_LIFTED,
  [EventType.Retraction]: StoredEventType.RETRACTION,
  [EventType.LegalRequest]: StoredEventType.LEGAL_REQUEST,
};

const toDate = (s: number | null) => (s === null ? null : new Date(s * 1000));

interface Candidate {
  index: number;
  token: string;
  event: VerifiedEvent;
  row: EventRecord;
}

/** PostgreSQL's answers to two transactions that wait on each other: the whole transaction may simply run again. */
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 5;
const isRetryable = (e: unknown) => {
  const err = e as { code?: unknown; driverError?: { code?: unknown } };
  return RETRYABLE.has(String(err?.driverError?.code ?? err?.code));
};
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Ingest of signed events: verify every token, then store the valid ones in one transaction with
 * one multi-row insert, exactly once per (issuer, jti), and record one audit entry for the call.
 */
@Injectable()
export class EventsIngestService {
  constructor(
    private readonly db: DataSource,
    private readonly auth: AuthService,
    private readonly audit: AuditService,
    private readonly stored: EventsStoredHook,
    private readonly verifier: SetVerifierPoolService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async publish(caller: AuthenticatedPartner, tokens: unknown[]): Promise<PublishResult[]> {
    if (tokens.length === 0) throw badInput('tokens must hold at least one token');
    if (tokens.length > this.config.publishMaxBatch) {
      throw badInput(`a batch holds at most ${this.config.publishMaxBatch} tokens (PUBLISH_MAX_BATCH); this one has ${tokens.length}: split it`);
    }
    const partner = await this.auth.partnerKeys(caller.id);
    if (!partner || partner.status !== 'ACTIVE') throw unauthenticated('partner is unknown or suspended');
    const now = Math.floor(Date.now() / 1000);
    // Through the verifier pool: on worker threads when VERIFY_WORKERS > 0 (same verifySet, same verdicts, in order), so the loop stays free for HTTP.
    const verdicts = await this.verifier.verifyAll(tokens, { audience: this.config.audience, now, ...inboundSetContext(partner, caller) }, (k) => this.auth.importKey(k));
    const results: PublishResult[] = verdicts.map((v, index) =>
      v.ok
        ? { index, jti: v.event.jti, status: PublishStatus.ACCEPTED, eventId: null, code: null, description: null }
        : { index, jti: jtiOf(tokens[index]), status: PublishStatus.REJECTED, eventId: null, code: v.code, description: v.description },
    );
    const receivedAt = new Date();
    const candidates: Candidate[] = [];
    const ignored: IgnoredEvent[] = [];
    // In slices of a few ms: a 500-token batch does not hold the event loop (README "Failure behaviour").
    await forEachSliced(verdicts, (v, index) => {
      if (!v.ok) return;
      if (v.event.disposition === 'ignore') {
        results[index].status = PublishStatus.IGNORED;
        ignored.push(ignoredOf(v.event));
        return;
      }
      const row = rowOf(v.event, tokens[index] as string, receivedAt);
      const problem = storageProblem(row);
      if (problem) Object.assign(results[index], { status: PublishStatus.REJECTED, code: 'invalid_request', description: problem });
      else candidates.push({ index, token: tokens[index] as string, event: v.event, row });
    });
    // One global order for every writer: rows (and so their unique-index entries) in (issuer, jti)
    // order, so concurrent batches holding the same jtis in another order wait instead of deadlocking.
    candidates.sort((a, b) => (a.event.jti < b.event.jti ? -1 : a.event.jti > b.event.jti ? 1 : a.index - b.index));

    // A deadlock or serialization failure that is left anyway is retried, from fresh copies of the
    // per-token answers and rows: the client never sees one.
    for (let attempt = 1; ; attempt++) {
      const answers = results.map((r) => ({ ...r }));
      const work = candidates.map((c) => ({ ...c, row: { ...c.row } }));
      try {
        await this.db.transaction((tx) => this.store(tx, caller.id, work, answers, [...ignored]));
        return answers;
      } catch (e) {
        if (attempt >= MAX_ATTEMPTS || !isRetryable(e)) throw e;
        await pause(Math.random() * 20 * attempt);
      }
    }
  }

  private async store(tx: EntityManager, issuer: string, candidates: Candidate[], results: PublishResult[], ignored: IgnoredEvent[]): Promise<void> {
    const fresh = await this.liftMappedFreezes(tx, issuer, await this.settleKnownJtis(tx, issuer, candidates, results), results, ignored);
    const targets = await this.checkTargets(tx, issuer, fresh, results);
    const stored = await this.insert(tx, issuer, fresh.filter((c) => results[c.index].status === PublishStatus.ACCEPTED), results);
    await this.applyStatusChanges(tx, issuer, stored, targets);
    // What reacts to stored events (the stored score, the delivery fan-out) runs here, in this transaction.
    await this.stored.run(
      tx,
      stored.map((c) => ({ id: c.row.id, issuer, jti: c.row.jti, subject: c.row.subject, type: c.row.type, targetEventId: targets.get(c.event.jti)?.id ?? null, receivedAt: c.row.receivedAt })),
    );
    const counts = { accepted: 0, duplicate: 0, rejected: 0, ignored: 0 };
    for (const r of results) counts[r.status.toLowerCase() as keyof typeof counts]++;
    // `ignored` appears only when there were some: the entry of a plain publish keeps its shape.
    const { ignored: ignoredCount, ...kept } = counts;
    await this.audit.append(tx, {
      actor: issuer,
      action: AuditAction.EventsPublish,
      details: { outcome: 'ok', ...kept, ...(ignoredCount ? { ignored: ignoredCount } : {}), accepted_jtis: results.filter((r) => r.status === PublishStatus.ACCEPTED).map((r) => r.jti) },
      concerns: [issuer],
    });
    // Control events and unmapped standard events are not facts: the log says they came, and why they were not stored.
    if (ignored.length) await this.audit.append(tx, { actor: issuer, action: AuditAction.EventsIgnore, details: { outcome: 'ok', events: ignored }, concerns: [issuer] });
  }

  /** RISC account-enabled: target the freeze it lifts, or answer it as ignored when there is none. */
  private async liftMappedFreezes(tx: EntityManager, issuer: string, fresh: Candidate[], results: PublishResult[], ignored: IgnoredEvent[]): Promise<Candidate[]> {
    const lifts = fresh.filter((c) => c.event.liftsMappedFreeze);
    if (!lifts.length) return fresh;
    const targets = await mappedFreezeTargets(tx, issuer, lifts.map((c) => c.event.subject));
    return fresh.filter((c) => {
      if (!c.event.liftsMappedFreeze) return true;
      // A freeze earlier in the same batch is the latest one.
      const target = latestMappedFreezeBefore(fresh, c)?.event.jti ?? targets.get(c.event.subject);
      if (target) {
        c.event.targetJti = c.row.targetJti = target;
        return true;
      }
      Object.assign(results[c.index], { status: PublishStatus.IGNORED, eventId: null });
      ignored.push(ignoredOf(c.event, 'no-mapped-freeze-to-lift'));
      return false;
    });
  }

  /** Duplicates (same sub_id, txn and events) and reused jtis, against the database and within the batch. */
  private async settleKnownJtis(tx: EntityManager, issuer: string, candidates: Candidate[], results: PublishResult[]): Promise<Candidate[]> {
    const jtis = [...new Set(candidates.map((c) => c.event.jti))];
    const existing = jtis.length
      ? await tx.getRepository(EventRecord).find({ select: { id: true, jti: true, token: true }, where: { issuer, jti: In(jtis) } })
      : [];
    // Duplicate keys are computed only for jtis seen before (canonical JSON costs more than a lookup).
    const known = new Map<string, { id: string; key: () => string }>(existing.map((e) => [e.jti, { id: e.id, key: () => storedDuplicateKey(e.token) }]));
    const fresh: Candidate[] = [];
    for (const c of candidates) {
      const seen = known.get(c.event.jti);
      if (seen) {
        Object.assign(results[c.index], seen.key() === duplicateKeyOf(c.event.duplicateClaims) ? { status: PublishStatus.DUPLICATE, eventId: seen.id } : reused(c.event.jti));
        continue;
      }
      known.set(c.event.jti, { id: c.row.id, key: () => duplicateKeyOf(c.event.duplicateClaims) });
      results[c.index].eventId = c.row.id;
      fresh.push(c);
    }
    return fresh;
  }

  /**
   * Retractions and lifts must target the issuer's own signal or flag. Targets are looked up among
   * the issuer's own events only, and anything else (another partner's event, an unknown jti) gets
   * one answer: probes must not tell which jtis other partners have published.
   */
  private async checkTargets(tx: EntityManager, issuer: string, fresh: Candidate[], results: PublishResult[]) {
    const acting = fresh.filter((c) => c.event.targetJti !== null);
    const targets = new Map<string, { id: string; type: StoredEventType }>();
    // A retraction or lift is shared like the event it acts on (same distribution and grant category).
    if (!acting.length) return targets;
    const wanted = [...new Set(acting.map((c) => c.event.targetJti as string))];
    const rows = await tx.getRepository(EventRecord).find({ select: { id: true, jti: true, type: true, distribution: true, grantCategory: true }, where: { issuer, jti: In(wanted) } });
    for (const c of fresh) if (wanted.includes(c.event.jti)) rows.push({ id: c.row.id, jti: c.event.jti, type: c.row.type, distribution: c.row.distribution, grantCategory: c.row.grantCategory } as EventRecord);
    for (const c of acting) {
      const target = c.event.targetJti as string;
      const own = rows.find((r) => r.jti === target);
      const allowed = c.row.type === StoredEventType.FLAG_LIFTED ? [StoredEventType.ACCOUNT_FLAG] : [StoredEventType.RISK_SIGNAL, StoredEventType.ACCOUNT_FLAG];
      let refusal: [VerdictCode, string] | null = null;
      if (!own) {
        refusal = ['access_denied', `"${target}" is not an event of yours: only your own signals and flags can be retracted or lifted`];
      } else if (!allowed.includes(own.type)) {
        refusal = ['invalid_request', `"${target}" is a ${own.type.toLowerCase().replace('_', '-')}, which this event cannot act on`];
      }
      if (refusal) {
        Object.assign(results[c.index], { status: PublishStatus.REJECTED, eventId: null, code: refusal[0], description: refusal[1] });
      } else {
        targets.set(c.event.jti, { id: own!.id, type: own!.type });
        c.row.distribution = own!.distribution;
        c.row.grantCategory = own!.grantCategory;
      }
    }
    return targets;
  }

  /** One multi-row insert; rows another request stored meanwhile become duplicates or reused jtis. */
  private async insert(tx: EntityManager, issuer: string, accepted: Candidate[], results: PublishResult[]): Promise<Candidate[]> {
    if (!accepted.length) return [];
    const inserted = (await tx.query(INSERT_EVENTS_SQL, [JSON.stringify(accepted.map((c) => insertRow(c.row)))])) as Array<{ jti: string }>;
    const done = new Set(inserted.map((r) => r.jti));
    const raced = accepted.filter((c) => !done.has(c.event.jti));
    if (raced.length) {
      const winners = await tx.getRepository(EventRecord).find({ select: { id: true, jti: true, token: true }, where: { issuer, jti: In(raced.map((c) => c.event.jti)) } });
      for (const c of raced) {
        const w = winners.find((x) => x.jti === c.event.jti);
        Object.assign(results[c.index], w && storedDuplicateKey(w.token) === duplicateKeyOf(c.event.duplicateClaims) ? { status: PublishStatus.DUPLICATE, eventId: w.id } : reused(c.event.jti));
      }
    }
    return accepted.filter((c) => done.has(c.event.jti));
  }

  private async applyStatusChanges(tx: EntityManager, issuer: string, stored: Candidate[], targets: Map<string, { id: string; type: StoredEventType }>) {
    // In target order, like every other lock of the ingest.
    const ordered = [...stored].sort((a, b) => ((targets.get(a.event.jti)?.id ?? '') < (targets.get(b.event.jti)?.id ?? '') ? -1 : 1));
    for (const c of ordered) {
      const target = targets.get(c.event.jti);
      if (!target) continue;
      const status = c.row.type === StoredEventType.FLAG_LIFTED ? EventStatus.LIFTED : EventStatus.RETRACTED;
      await tx.getRepository(EventRecord).update({ id: target.id, issuer, status: EventStatus.ACTIVE }, { status, statusChangedAt: c.row.receivedAt, statusChangedBy: c.row.id });
    }
  }
}

function latestMappedFreezeBefore(fresh: Candidate[], lift: Candidate): Candidate | undefined {
  return fresh.filter((c) => c.index < lift.index && c.event.subject === lift.event.subject && isMappedFreeze(c.event)).sort((a, b) => b.index - a.index)[0];
}

/**
 * One statement for the whole batch: the rows travel as one JSON parameter and PostgreSQL
 * unpacks them (much cheaper than building a 27-column multi-row INSERT with the ORM).
 */
const EVENT_COLUMNS: Array<[string, string]> = [
  ['id', 'uuid'], ['issuer', 'varchar'], ['jti', 'varchar'], ['kid', 'varchar'], ['subject', 'varchar'], ['type', 'varchar'],
  ['category', 'varchar'], ['action', 'varchar'], ['score', 'numeric'], ['confidence', 'numeric'], ['reason_codes', 'varchar[]'],
  ['distribution', 'varchar'], ['grant_category', 'varchar'], ['observed_at', 'timestamptz'], ['issued_at', 'timestamptz'], ['effective_at', 'timestamptz'],
  ['expires_at', 'timestamptz'], ['evidence', 'jsonb'], ['txn', 'varchar'], ['target_jti', 'varchar'], ['details', 'jsonb'],
  ['token', 'text'], ['received_at', 'timestamptz'], ['status', 'varchar'],
];
const INSERT_EVENTS_SQL = `INSERT INTO event (${EVENT_COLUMNS.map(([c]) => c).join(', ')})
  SELECT ${EVENT_COLUMNS.map(([c]) => c).join(', ')} FROM jsonb_to_recordset($1::jsonb) AS r(${EVENT_COLUMNS.map(([c, t]) => `${c} ${t}`).join(', ')})
  ON CONFLICT ON CONSTRAINT uq_event_jti_issuer DO NOTHING RETURNING jti`;

function insertRow(r: EventRecord): Record<string, unknown> {
  return {
    id: r.id, issuer: r.issuer, jti: r.jti, kid: r.kid, subject: r.subject, type: r.type, category: r.category, action: r.action,
    score: r.score, confidence: r.confidence, reason_codes: r.reasonCodes, distribution: r.distribution, grant_category: r.grantCategory, observed_at: r.observedAt,
    issued_at: r.issuedAt, effective_at: r.effectiveAt, expires_at: r.expiresAt, evidence: r.evidence, txn: r.txn,
    target_jti: r.targetJti, details: r.details, token: r.token, received_at: r.receivedAt, status: r.status,
  };
}

const reused = (jti: string) => ({
  status: PublishStatus.REJECTED, eventId: null, code: 'invalid_request' as VerdictCode,
  description: `jti reused: "${jti}" was already published with other claims (sub_id, txn or events)`,
});

/** The duplicate key of a stored token (verified when it was stored, so its payload parses). */
function storedDuplicateKey(token: string): string {
  return duplicateKeyOf(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>);
}

const LAST_STORABLE_MS = MAX_NUMERIC_DATE * 1000 + 999;

/**
 * Why PostgreSQL could not store this row, or null. The verifier already refuses such tokens; this
 * last check on every column keeps one bad row from failing the whole batch's insert.
 */
export function storageProblem(row: EventRecord): string | null {
  for (const [column, value] of Object.entries(row)) {
    if (value instanceof Date && !(value.getTime() >= 0 && value.getTime() <= LAST_STORABLE_MS)) return `${column} is outside 0..${MAX_NUMERIC_DATE} (NumericDate)`;
  }
  const text = badTextIn(insertRow(row));
  return text ? `cannot be stored: ${text.path} holds ${text.problem}` : null;
}

/** The jti of a refused token, when it can be read, so the partner can match the result. */
function jtiOf(token: unknown): string | null {
  if (typeof token !== 'string' || token.length > 16 * 1024) return null;
  try {
    const jti = (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { jti?: unknown }).jti;
    return typeof jti === 'string' && jti.length <= 128 ? jti : null;
  } catch {
    return null;
  }
}

function rowOf(e: VerifiedEvent, token: string, receivedAt: Date): EventRecord {
  const details: Record<string, unknown> | null = e.retractionReason ? { reason: e.retractionReason } : (e.legal ?? e.mappedDetails);
  return {
    id: randomUUID(),
    issuer: e.issuer,
    jti: e.jti,
    kid: e.kid,
    subject: e.subject,
    type: TYPE_OF[e.type as EventType],
    category: e.category,
    action: e.action,
    score: e.score,
    confidence: e.confidence,
    reasonCodes: e.reasonCodes,
    distribution: e.distribution,
    grantCategory: e.type === EventType.RiskSignal ? e.category : e.type === EventType.AccountFlag || e.type === EventType.FlagLifted ? 'account_flag' : null,
    observedAt: toDate(e.observedAt),
    issuedAt: new Date(e.iat * 1000),
    effectiveAt: toDate(e.effectiveAt),
    expiresAt: toDate(e.expiresAt),
    evidence: e.evidence,
    txn: e.txn,
    targetJti: e.targetJti,
    details,
    token,
    receivedAt,
    status: EventStatus.ACTIVE,
    statusChangedAt: null,
    statusChangedBy: null,
    legalHold: false,
  };
}
