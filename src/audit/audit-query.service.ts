import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { badInput } from '../common/errors';
import { decodeCursor, encodeCursor, pageOf, pageSize } from '../common/pagination';
import { AuditEntry } from './audit-entry.entity';
import { AuditEntryConnection, AuditEntryType, AuditLogFilter } from './dto/audit.types';

/** Listings of the audit log: everything (operator), or what concerns one partner (access transparency). */
@Injectable()
export class AuditQueryService {
  constructor(private readonly db: DataSource) {}

  list(filter: AuditLogFilter | null | undefined, first?: number | null, after?: string | null, concerning?: string): Promise<AuditEntryConnection> {
    const size = pageSize(first);
    const afterSeq = decodeCursor(after, (v) => /^[1-9]\d{0,15}$/.test(v));
    const qb = this.db.getRepository(AuditEntry).createQueryBuilder('a').orderBy('a.seq', 'DESC').take(size + 1);
    const f = filter ?? {};
    for (const [name, value] of [['actor', f.actor], ['action', f.action], ['target', f.target]] as const) {
      if (value === undefined || value === null) continue;
      if (value.length < 1 || value.length > 256) throw badInput(`filter.${name} must be 1..256 characters`);
      qb.andWhere(`a.${name} = :${name}`, { [name]: value });
    }
    if (f.since) qb.andWhere('a.at >= :since', { since: f.since });
    if (f.until) qb.andWhere('a.at < :until', { until: f.until });
    if (afterSeq) qb.andWhere('a.seq < :afterSeq', { afterSeq: Number(afterSeq) });
    if (concerning) qb.andWhere(':concerning = ANY(a.concerns)', { concerning });
    return qb.getMany().then((rows) => {
      return pageOf(rows, size, (e) => encodeCursor(String(e.seq)), (e) => toType(e, concerning));
    });
  }
}

/**
 * For a partner's own trail, details keep only what concerns that partner: by convention a read
 * lists the items it returned per owner under `details.items`, and only the viewer's own list stays.
 */
function toType(e: AuditEntry, viewer?: string): AuditEntryType {
  let details = e.details;
  if (viewer && details && typeof details.items === 'object' && details.items !== null) {
    const items = details.items as Record<string, unknown>;
    details = { ...details, items: viewer in items ? { [viewer]: items[viewer] } : {} };
  }
  return { seq: e.seq, at: e.at, actor: e.actor, action: e.action, target: e.target, details: JSON.stringify(details), prevHash: e.prevHash, hash: e.hash };
}
