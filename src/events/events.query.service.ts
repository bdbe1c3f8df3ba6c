import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { badInput } from '../common/errors';
import { decodeTimeCursor, encodeTimeCursor, pageOf, pageSize } from '../common/pagination';
import { EventRecord } from './event.entity';
import { CATEGORIES } from './set-profile';
import { EventConnection, EventType, MyEventsFilter } from './dto/event.types';

/** Reads of one's own events. Expired events drop out. (Other partners' events: the sharing module.) */
@Injectable()
export class EventsQueryService {
  constructor(private readonly db: DataSource) {}

  async myEvents(issuer: string, filter: MyEventsFilter | null | undefined, first?: number | null, after?: string | null): Promise<EventConnection> {
    const size = pageSize(first);
    const cursor = decodeTimeCursor(after);
    const qb = this.db
      .getRepository(EventRecord)
      .createQueryBuilder('e')
      .where('e.issuer = :issuer', { issuer })
      .andWhere('(e.expires_at IS NULL OR e.expires_at > now())')
      .orderBy('e.received_at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .take(size + 1);
    const f = filter ?? {};
    if (f.subject != null) {
      if (f.subject.length < 1 || f.subject.length > 256) throw badInput('filter.subject must be 1..256 characters');
      qb.andWhere('e.subject = :subject', { subject: f.subject });
    }
    if (f.type != null) qb.andWhere('e.type = :type', { type: f.type });
    if (f.category != null) {
      if (!(CATEGORIES as readonly string[]).includes(f.category)) throw badInput(`filter.category must be one of ${CATEGORIES.join(', ')}`);
      qb.andWhere('e.category = :category', { category: f.category });
    }
    if (f.status != null) qb.andWhere('e.status = :status', { status: f.status });
    if (f.since != null) qb.andWhere('e.received_at >= :since', { since: f.since });
    if (cursor) {
      qb.andWhere('(e.received_at, e.id) < (:at, :id)', { at: cursor.at, id: cursor.id });
    }
    const rows = await qb.getMany();
    return pageOf(rows, size, (e) => encodeTimeCursor(e.receivedAt, e.id), toEventType);
  }
}

export function toEventType(e: EventRecord): EventType {
  return {
    ...e,
    evidence: e.evidence === null ? null : JSON.stringify(e.evidence),
    details: e.details === null ? null : JSON.stringify(e.details),
    redactedFields: [],
  };
}
