import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AuditAction, AuditInput, SYSTEM_ACTOR } from '../../audit/audit.actions';
import { AuditService } from '../../audit/audit.service';
import { AuthenticatedPartner } from '../../auth/authenticated-partner';
import { AppError, badInput, ErrorCode, notFound } from '../../common/errors';
import { decodeTimeCursor, encodeTimeCursor, pageOf, pageSize } from '../../common/pagination';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { DeliveryState } from '../delivery.entity';
import { enqueueNotices } from '../outbox';
import { PUSH_METHOD, SsfStream, SsfStreamSubject, StreamStatus } from '../stream.entity';
import { EVENT_TYPE } from './event-types';
import { isStreamId, readStreamSettings, StreamConfigError, StreamSettings, StreamWrite, TransmitterValues } from './stream-config';
import { dropUndelivered, holdPending, releaseHeld, trimHeldNotices } from './stream-ledger';
import { checkSubjectId } from './ssf-requests';

/** Most subjects one GraphQL call may add or remove (an HTTP call names one). */
export const MAX_SUBJECTS_PER_CALL = 1000;
const TRIM_EVERY_MS = 60_000;

export interface StreamStatusView {
  streamId: string;
  status: StreamStatus;
  reason: string | null;
}

/** The message of a stream that is missing or another partner's: the same words for both. */
const noStream = (id: string) => notFound(`no stream "${String(id).slice(0, 64)}" of yours`);

/**
 * SSF streams (SSF 1.0 section 8.1), one service for the HTTP endpoints and the GraphQL mirror:
 * configuration, status, subjects and verification. Every change is audited with its actor in
 * the change's own transaction; the push `authorization_header` never reaches the audit log.
 */
@Injectable()
export class StreamsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Streams');
  private trimmer?: NodeJS.Timeout;

  constructor(
    private readonly db: DataSource,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    // The paused cap also holds between enables: the fan-out keeps adding HELD rows.
    this.trimmer = setInterval(() => {
      trimHeldNotices(this.db.manager, this.config.streams.pausedCap).catch((e: Error) => this.logger.warn(`trimming held notices failed: ${e.message}`));
    }, TRIM_EVERY_MS);
    this.trimmer.unref();
  }

  onModuleDestroy(): void {
    if (this.trimmer) clearInterval(this.trimmer);
  }

  private transmitter(caller: AuthenticatedPartner, stream?: SsfStream): TransmitterValues {
    return {
      issuer: this.config.issuer,
      aud: stream?.aud ?? caller.id,
      minVerificationInterval: stream?.minVerificationInterval ?? this.config.streams.minVerificationIntervalSeconds,
      streamId: stream?.id,
      allowInsecurePush: this.config.streams.allowInsecurePush,
    };
  }

  private async owned(m: EntityManager, caller: AuthenticatedPartner, streamId: unknown, lock = false): Promise<SsfStream> {
    if (!isStreamId(streamId)) throw noStream(String(streamId));
    const stream = await m.getRepository(SsfStream).findOne({ where: { id: streamId, owner: caller.id }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    if (!stream) throw noStream(streamId);
    return stream;
  }

  async create(caller: AuthenticatedPartner, body: unknown): Promise<SsfStream> {
    const settings = settingsOf(() => readStreamSettings(body, 'create', this.transmitter(caller)));
    return this.db.transaction(async (tx) => {
      // One partner's creations queue here, so two concurrent ones cannot both pass the cap.
      await tx.query('SELECT pg_advisory_xact_lock(1381236752, hashtext($1))', [caller.id]);
      const [{ n }] = (await tx.query('SELECT count(*)::int AS n FROM ssf_stream WHERE owner = $1', [caller.id])) as Array<{ n: number }>;
      const max = this.config.streams.maxPerPartner;
      if (n >= max) throw new AppError(ErrorCode.CONFLICT, `you already have ${n} streams, the most a partner may have (SSF_MAX_STREAMS_PER_PARTNER=${max}); delete one or update an existing one`);
      const now = new Date();
      const stream: SsfStream = {
        id: randomUUID(),
        owner: caller.id,
        aud: caller.id,
        ...storedSettings(settings),
        minVerificationInterval: this.config.streams.minVerificationIntervalSeconds,
        status: StreamStatus.ENABLED,
        statusReason: null,
        lastVerificationAt: null,
        consecutiveFailures: 0,
        createdAt: now,
        updatedAt: now,
      };
      await tx.getRepository(SsfStream).insert(stream);
      await this.audit.append(tx, this.entry(caller.id, AuditAction.StreamCreate, stream.id, { outcome: 'ok', ...auditedSettings(settings) }));
      return stream;
    });
  }

  get(caller: AuthenticatedPartner, streamId: unknown): Promise<SsfStream> {
    return this.owned(this.db.manager, caller, streamId);
  }

  /** Every stream of the caller, oldest first (at most SSF_MAX_STREAMS_PER_PARTNER: the SSF list is not paged). */
  listAll(caller: AuthenticatedPartner): Promise<SsfStream[]> {
    return this.db.getRepository(SsfStream).find({ where: { owner: caller.id }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** The caller's streams, newest first, as a page (GraphQL). */
  async list(caller: AuthenticatedPartner, first?: number | null, after?: string | null) {
    const size = pageSize(first);
    const cursor = decodeTimeCursor(after);
    const qb = this.db.getRepository(SsfStream).createQueryBuilder('s').where('s.owner = :owner', { owner: caller.id }).orderBy('s.created_at', 'DESC').addOrderBy('s.id', 'DESC').take(size + 1);
    if (cursor) qb.andWhere('(s.created_at, s.id) < (:at, :id)', { at: cursor.at, id: cursor.id });
    const [rows, totalCount] = await Promise.all([qb.getMany(), this.db.getRepository(SsfStream).count({ where: { owner: caller.id } })]);
    return { ...pageOf(rows, size, (s) => encodeTimeCursor(s.createdAt, s.id), (s) => s), totalCount };
  }

  /** PATCH (merge) or PUT (replace) of the Receiver-Supplied properties (SSF 8.1.1.3, 8.1.1.4). */
  async update(caller: AuthenticatedPartner, body: unknown, mode: Exclude<StreamWrite, 'create'>): Promise<SsfStream> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badInput('the request body must be a JSON object', { field: 'the request body' });
    const streamId = (body as { stream_id?: unknown }).stream_id;
    if (streamId === undefined) throw badInput('stream_id is required', { field: 'stream_id' });
    return this.db.transaction(async (tx) => {
      const stream = await this.owned(tx, caller, streamId, true);
      const settings = settingsOf(() => readStreamSettings(body, mode, this.transmitter(caller, stream), settingsOfStream(stream)));
      const wasPush = stream.deliveryMethod === PUSH_METHOD;
      Object.assign(stream, storedSettings(settings), { updatedAt: new Date() });
      await tx.getRepository(SsfStream).save(stream);
      if (wasPush !== (stream.deliveryMethod === PUSH_METHOD)) {
        // Push rows are due by time; poll rows are fetched: a switch re-schedules what waits.
        await tx.query(`UPDATE delivery SET next_attempt_at = CASE WHEN $2::boolean THEN now() END WHERE stream_id = $1 AND state = 'PENDING'`, [stream.id, !wasPush]);
      }
      await this.audit.append(tx, this.entry(caller.id, AuditAction.StreamUpdate, stream.id, { outcome: 'ok', mode, ...auditedSettings(settings) }));
      return stream;
    });
  }

  /** Deletes the stream, its subjects and its ledger rows. */
  async remove(caller: AuthenticatedPartner, streamId: unknown): Promise<string> {
    return this.db.transaction(async (tx) => {
      const stream = await this.owned(tx, caller, streamId, true);
      const [{ n }] = (await tx.query('SELECT count(*)::int AS n FROM delivery WHERE stream_id = $1', [stream.id])) as Array<{ n: number }>;
      await tx.query('DELETE FROM ssf_stream_subject WHERE stream_id = $1', [stream.id]);
      await tx.query('DELETE FROM delivery WHERE stream_id = $1', [stream.id]);
      await tx.getRepository(SsfStream).delete({ id: stream.id });
      await this.audit.append(tx, this.entry(caller.id, AuditAction.StreamDelete, stream.id, { outcome: 'ok', deliveriesDeleted: n }));
      return stream.id;
    });
  }

  async status(caller: AuthenticatedPartner, streamId: unknown): Promise<StreamStatusView> {
    return viewOf(await this.owned(this.db.manager, caller, streamId));
  }

  /** A status change asked by the receiver (SSF 8.1.2.2): no stream-updated event (that is for the gateway's own changes). */
  async setStatus(caller: AuthenticatedPartner, streamId: unknown, status: StreamStatus, reason: string | null): Promise<StreamStatusView> {
    return this.db.transaction(async (tx) => viewOf(await this.changeStatus(tx, await this.owned(tx, caller, streamId, true), status, reason, caller.id, false)));
  }

  /**
   * A status change made by the gateway itself (e.g. the push worker after a run of failures):
   * the stream's receiver is told with a `stream-updated` event (SSF 8.1.5), which is stored
   * PENDING whatever the new status, so it is there to be fetched or pushed.
   */
  async setStatusByGateway(streamId: string, status: StreamStatus, reason: string): Promise<StreamStatusView> {
    return this.db.transaction(async (tx) => {
      const stream = isStreamId(streamId) ? await tx.getRepository(SsfStream).findOne({ where: { id: streamId }, lock: { mode: 'pessimistic_write' } }) : null;
      if (!stream) throw noStream(streamId);
      return viewOf(await this.changeStatus(tx, stream, status, reason, SYSTEM_ACTOR, true));
    });
  }

  private async changeStatus(tx: EntityManager, stream: SsfStream, status: StreamStatus, reason: string | null, actor: string, byGateway: boolean): Promise<SsfStream> {
    const previous = stream.status as StreamStatus;
    const push = stream.deliveryMethod === PUSH_METHOD;
    let released = 0;
    if (status === StreamStatus.PAUSED && previous !== StreamStatus.PAUSED) await holdPending(tx, stream.id);
    if (status === StreamStatus.DISABLED) await dropUndelivered(tx, stream.id);
    if (status === StreamStatus.ENABLED && previous !== StreamStatus.ENABLED) released = await releaseHeld(tx, stream.id, push, this.config.streams.pausedCap);
    await tx.query(`UPDATE ssf_stream SET status = $2::varchar, status_reason = $3, consecutive_failures = CASE WHEN $2::varchar = 'enabled' THEN 0 ELSE consecutive_failures END, updated_at = now() WHERE id = $1`, [stream.id, status, reason]);
    Object.assign(stream, { status, statusReason: reason });
    if (byGateway && status !== previous) {
      const event = { [EVENT_TYPE.streamUpdated]: { status, ...(reason ? { reason } : {}) } };
      await enqueueNotices(tx, [{ streamId: stream.id, receiver: stream.owner, eventId: null, eventType: EVENT_TYPE.streamUpdated, payload: { aud: stream.aud, sub_id: { format: 'opaque', id: stream.id }, events: event }, state: DeliveryState.PENDING, push }]);
    }
    await this.audit.append(tx, this.entry(actor, AuditAction.StreamStatus, stream.id, { outcome: 'ok', previous, status, reason, released, byGateway }, stream.owner));
    return stream;
  }

  /** Adds subjects (SSF 8.1.3.2). The answer never depends on what is known about a subject. */
  async addSubjects(caller: AuthenticatedPartner, streamId: unknown, subjects: unknown[]): Promise<number> {
    const ids = checkedSubjects(subjects);
    return this.db.transaction(async (tx) => {
      const stream = await this.owned(tx, caller, streamId, true); // serialises adds to one stream, so the cap holds
      await tx.query(`INSERT INTO ssf_stream_subject (stream_id, subject, added_at) SELECT $1, s, now() FROM unnest($2::varchar[]) s ON CONFLICT DO NOTHING`, [stream.id, ids]);
      const count = await tx.getRepository(SsfStreamSubject).count({ where: { streamId: stream.id } });
      const max = this.config.streams.maxSubjectsPerStream;
      if (count > max) throw badInput(`a stream may watch at most ${max} subjects (SSF_MAX_SUBJECTS_PER_STREAM); this one would watch ${count}`, { field: 'subject' });
      await this.audit.append(tx, this.entry(caller.id, AuditAction.StreamSubjects, stream.id, { outcome: 'ok', op: 'add', subjects: ids.length, watched: count }));
      return count;
    });
  }

  /** Removes subjects (SSF 8.1.3.3); a subject the stream did not watch is no error. */
  async removeSubjects(caller: AuthenticatedPartner, streamId: unknown, subjects: unknown[]): Promise<number> {
    const ids = checkedSubjects(subjects);
    return this.db.transaction(async (tx) => {
      const stream = await this.owned(tx, caller, streamId, true);
      await tx.query('DELETE FROM ssf_stream_subject WHERE stream_id = $1 AND subject = ANY($2::varchar[])', [stream.id, ids]);
      const count = await tx.getRepository(SsfStreamSubject).count({ where: { streamId: stream.id } });
      await this.audit.append(tx, this.entry(caller.id, AuditAction.StreamSubjects, stream.id, { outcome: 'ok', op: 'remove', subjects: ids.length, watched: count }));
      return count;
    });
  }

  /**
   * Verification (SSF 8.1.4.2): enqueues a `verification` event carrying `state`, at most once per
   * min_verification_interval (RATE_LIMITED with retryAfter inside it). Answers the SET's jti.
   */
  async verify(caller: AuthenticatedPartner, streamId: unknown, state: string | null): Promise<string> {
    return this.db.transaction(async (tx) => {
      const stream = await this.owned(tx, caller, streamId, true);
      if (stream.status === StreamStatus.DISABLED) throw badInput('the stream is disabled, so it transmits nothing: enable it before asking for verification', { field: 'stream_id' });
      const last = stream.lastVerificationAt?.getTime();
      const waitMs = last === undefined ? 0 : last + stream.minVerificationInterval * 1000 - Date.now();
      if (waitMs > 0) {
        const retryAfter = Math.ceil(waitMs / 1000);
        throw new AppError(ErrorCode.RATE_LIMITED, `verification was requested less than ${stream.minVerificationInterval} s ago (min_verification_interval); retry after ${retryAfter} s`, { retryAfter });
      }
      await tx.query('UPDATE ssf_stream SET last_verification_at = $2 WHERE id = $1', [stream.id, new Date()]);
      const event = { [EVENT_TYPE.verification]: state === null ? {} : { state } };
      const held = stream.status === StreamStatus.PAUSED;
      const [jti] = await enqueueNotices(tx, [
        { streamId: stream.id, receiver: stream.owner, eventId: null, eventType: EVENT_TYPE.verification, payload: { aud: stream.aud, sub_id: { format: 'opaque', id: stream.id }, events: event }, state: held ? DeliveryState.HELD : DeliveryState.PENDING, push: stream.deliveryMethod === PUSH_METHOD },
      ]);
      await this.audit.append(tx, this.entry(caller.id, AuditAction.StreamVerify, stream.id, { outcome: 'ok', jti, held }));
      return jti;
    });
  }

  private entry(actor: string, action: AuditAction, streamId: string, details: Record<string, unknown>, owner = actor): AuditInput {
    return { actor, action, target: streamId, details, concerns: [owner] };
  }
}

function settingsOf(read: () => StreamSettings): StreamSettings {
  try {
    return read();
  } catch (e) {
    if (e instanceof StreamConfigError) throw badInput(e.message, { field: e.field });
    throw e;
  }
}

function checkedSubjects(subjects: unknown[]): string[] {
  if (subjects.length === 0 || subjects.length > MAX_SUBJECTS_PER_CALL) throw badInput(`subjects must list 1..${MAX_SUBJECTS_PER_CALL} subject ids`, { field: 'subjects' });
  return [...new Set(subjects.map((s, i) => settingsOfSubject(s, i)))];
}

function settingsOfSubject(s: unknown, i: number): string {
  try {
    return checkSubjectId(s, `subjects[${i}]`);
  } catch (e) {
    if (e instanceof StreamConfigError) throw badInput(e.message, { field: e.field });
    throw e;
  }
}

function storedSettings(s: StreamSettings) {
  return { eventsRequested: s.eventsRequested, deliveryMethod: s.deliveryMethod, endpointUrl: s.endpointUrl, authorizationHeader: s.authorizationHeader, description: s.description, signingAlg: s.signingAlg };
}

function settingsOfStream(s: SsfStream): StreamSettings {
  return { eventsRequested: s.eventsRequested, deliveryMethod: s.deliveryMethod, endpointUrl: s.endpointUrl, authorizationHeader: s.authorizationHeader, description: s.description, signingAlg: s.signingAlg as StreamSettings['signingAlg'] };
}

/** What the audit log keeps of a configuration: whether a push Authorization header is set, never its value. */
function auditedSettings(s: StreamSettings): Record<string, unknown> {
  return { eventsRequested: s.eventsRequested, method: s.deliveryMethod, endpointUrl: s.endpointUrl, authorizationHeaderSet: s.authorizationHeader !== null, signingAlg: s.signingAlg };
}

function viewOf(s: SsfStream): StreamStatusView {
  return { streamId: s.id, status: s.status as StreamStatus, reason: s.statusReason };
}
