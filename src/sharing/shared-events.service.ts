import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditAction } from '../audit/audit.actions';
import { AuditService } from '../audit/audit.service';
import { badInput } from '../common/errors';
import { decodeTimeCursor, encodeTimeCursor, pageOf, pageSize } from '../common/pagination';
import { EventRecord, EventStatus, StoredEventType } from '../events/event.entity';
import { toEventType } from '../events/events.query.service';
import { EventConnection, EventType } from '../events/dto/event.types';
import { ContributionService } from './contribution.service';
import { SUBJECT_ID, SUBJECT_ID_RULE } from '../events/set-profile';
import { maskEvent } from './masking';
import { fullAccess, notExpired, Viewer, viewerParams, visibleEvent } from './visibility';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Reads of events across partners. Every query goes through `visibleEvent` and every row through
 * `maskEvent`; a hidden event costs the same single query as a missing one.
 */
@Injectable()
export class SharedEventsService {
  constructor(
    private readonly db: DataSource,
    private readonly audit: AuditService,
    private readonly contribution: ContributionService,
  ) {}

  /** One event, if the viewer may see it; null otherwise, exactly as for a missing id. */
  async event(viewer: Viewer, id: string): Promise<EventType | null> {
    if (!UUID.test(id)) return null;
    const rows = await this.visibleQuery(viewer).andWhere('e.id = :id', { id }).getRawAndEntities();
    const [event] = this.masked(rows);
    if (event && event.issuer !== viewer.id) await this.contribution.assertContributes(viewer);
    if (event) await this.recordRead(viewer, [event]);
    return event ?? null;
  }

  /** A subject's events of one type, newest first; inactive (retracted, lifted) ones only on request. */
  async bySubject(viewer: Viewer, type: StoredEventType, subject: string, first?: number | null, after?: string | null, includeInactive = false): Promise<EventConnection> {
    if (!SUBJECT_ID.test(subject)) throw badInput(`subject must be ${SUBJECT_ID_RULE}`);
    // give-to-get: checked for the whole operation by GiveToGetGuard (ReadSharedEvents is marked)
    const size = pageSize(first);
    const cursor = decodeTimeCursor(after);
    const qb = this.visibleQuery(viewer)
      .andWhere('e.subject = :subject', { subject })
      .andWhere('e.type = :type', { type })
      .orderBy('e.received_at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .take(size + 1);
    if (!includeInactive) qb.andWhere('e.status = :active', { active: EventStatus.ACTIVE });
    if (cursor) {
      qb.andWhere('(e.received_at, e.id) < (:at, :cid)', { at: cursor.at, cid: cursor.id });
    }
    const events = this.masked(await qb.getRawAndEntities());
    await this.recordRead(viewer, events.slice(0, size));
    return pageOf(events, size, (e) => encodeTimeCursor(e.receivedAt, e.id), (e) => e);
  }

  private visibleQuery(viewer: Viewer) {
    return this.db
      .getRepository(EventRecord)
      .createQueryBuilder('e')
      .addSelect(fullAccess('e'), 'full_access')
      .where(visibleEvent('e'))
      .andWhere(notExpired('e'))
      .setParameters(viewerParams(viewer));
  }

  private masked(result: { entities: EventRecord[]; raw: Array<{ full_access: boolean }> }): EventType[] {
    return result.entities.map((e, i) => maskEvent(toEventType(e), result.raw[i].full_access === true));
  }

  /** One audit entry per request for the other partners' events that were read, per owner. */
  private async recordRead(viewer: Viewer, events: EventType[]): Promise<void> {
    const items: Record<string, string[]> = {};
    for (const e of events) if (e.issuer !== viewer.id) (items[e.issuer] ??= []).push(e.id);
    const owners = Object.keys(items);
    if (!owners.length) return;
    await this.audit.record({ actor: viewer.id, action: AuditAction.EventsRead, details: { items }, concerns: owners });
  }
}
