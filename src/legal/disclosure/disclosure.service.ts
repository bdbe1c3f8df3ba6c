// The reads an approved disclosure opens to its requester (README "Disclosure"): every event about
// the request's subject, whatever its distribution, in full (evidence, reason codes, details, the
// original token, retracted and lifted ones with their status), and the subject's tier changes
// with all their causes. Access is decided in SQL by the visibility module's `disclosedThrough`
// (against `now()`), in the same statement that reads the rows. Every read is recorded
// (DisclosureRecord) in the reading transaction.
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { notFound } from '../../common/errors';
import { decodeTimeCursor, encodeTimeCursor, pageOf, pageSize } from '../../common/pagination';
import { EventRecord, StoredEventType } from '../../events/event.entity';
import { toEventType } from '../../events/events.query.service';
import { EventConnection } from '../../events/dto/event.types';
import { ScoreHistory } from '../../scoring/score.entities';
import { ScoreChangeConnection } from '../../scoring/dto/score.types';
import { disclosedThrough, openDisclosure, Viewer } from '../../sharing/visibility';
import { LegalRequest } from '../legal-request.entity';
import { DisclosureRecord } from './disclosure-record';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** One answer for a request that is missing, another court's, not a disclosure, not approved, or closed. */
export const noOpenDisclosure = (id: string) => notFound(`no open disclosure ${id}`);

/**
 * The viewer's open disclosure `requestId` (locked when `forUpdate`), or NOT_FOUND: a request the
 * viewer may not read through looks exactly like one that does not exist.
 */
export async function openDisclosureOf(m: EntityManager, viewer: Viewer, requestId: string, forUpdate = false): Promise<LegalRequest> {
  if (typeof requestId !== 'string' || !UUID.test(requestId)) throw noOpenDisclosure(String(requestId).slice(0, 64));
  const qb = m
    .getRepository(LegalRequest)
    .createQueryBuilder('lr')
    .where(`lr.id = :requestId AND lr.requester = :viewerId AND ${openDisclosure('lr')}`, { requestId, viewerId: viewer.id });
  if (forUpdate) qb.setLock('pessimistic_write');
  const request = await qb.getOne();
  if (!request) throw noOpenDisclosure(requestId);
  return request;
}

/** The events a disclosure shows: about the subject (the fragment), never another court's legal request. */
export function disclosedEventsQuery(m: EntityManager, viewer: Viewer, requestId: string) {
  return m
    .getRepository(EventRecord)
    .createQueryBuilder('e')
    .where(disclosedThrough('e'))
    .andWhere('e.type <> :legal', { legal: StoredEventType.LEGAL_REQUEST })
    .setParameters({ requestId, viewerId: viewer.id });
}

@Injectable()
export class DisclosureService {
  constructor(
    private readonly db: DataSource,
    private readonly recorder: DisclosureRecord,
  ) {}

  /** A page of the subject's events, newest first, in full. */
  async events(viewer: Viewer, requestId: string, first?: number | null, after?: string | null): Promise<EventConnection> {
    const size = pageSize(first);
    const cursor = decodeTimeCursor(after);
    return this.db.transaction(async (tx) => {
      const request = await openDisclosureOf(tx, viewer, requestId);
      const qb = disclosedEventsQuery(tx, viewer, requestId).orderBy('e.received_at', 'DESC').addOrderBy('e.id', 'DESC').take(size + 1);
      // Compared in SQL: received_at has microseconds, which a JavaScript Date would drop.
      // The cursor's event is looked up among this subject's events only: another subject's event id reads like a missing one.
      if (cursor) qb.andWhere('(e.received_at, e.id) < (SELECT c.received_at, c.id FROM event c WHERE c.id = :cid AND c.subject = :csubject)', { cid: cursor.id, csubject: request.subject });
      const rows = await qb.getMany();
      await this.recorder.record(tx, request, 'events', rows.slice(0, size).map((e) => ({ id: e.id, issuer: e.issuer })));
      return pageOf(rows, size, (e) => encodeTimeCursor(e.receivedAt, e.id), toEventType);
    });
  }

  /** A page of the subject's tier changes, newest first, naming every cause that retention has not purged. */
  async scoreHistory(viewer: Viewer, requestId: string, first?: number | null, after?: string | null): Promise<ScoreChangeConnection> {
    const size = pageSize(first);
    const cursor = decodeTimeCursor(after);
    return this.db.transaction(async (tx) => {
      const request = await openDisclosureOf(tx, viewer, requestId);
      const qb = tx
        .getRepository(ScoreHistory)
        .createQueryBuilder('h')
        .where(disclosedThrough('h'))
        .setParameters({ requestId, viewerId: viewer.id })
        .orderBy('h.at', 'DESC')
        .addOrderBy('h.id', 'DESC')
        .take(size + 1);
      if (cursor) qb.andWhere('(h.at, h.id) < (:at, :id)', { at: cursor.at, id: cursor.id });
      const rows = await qb.getMany();
      const causes = [...new Set(rows.slice(0, size).flatMap((h) => h.causedBy))];
      const found: Array<{ id: string; issuer: string }> = causes.length ? await tx.query(`SELECT id, issuer FROM event WHERE id = ANY($1::uuid[])`, [causes]) : [];
      const stored = new Set(found.map((f) => f.id));
      await this.recorder.record(tx, request, 'score-history', found);
      return pageOf(rows, size, (h) => encodeTimeCursor(h.at, h.id), (h) => {
        const causedBy = h.causedBy.filter((id) => stored.has(id));
        return { at: h.at, previousTier: h.previousTier, tier: h.tier, score: h.score, causedBy, withheldCauses: h.causedBy.length - causedBy.length };
      });
    });
  }
}
