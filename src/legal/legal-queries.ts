// Reads of legal requests: the requester's own (newest first), one by id (its requester, or any
// reviewer), and the reviewers' queue (oldest first). Another partner's request answers NOT_FOUND,
// exactly like a missing one. Nodes carry their full history, loaded in one query per page.
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditAction } from '../audit/audit.actions';
import { AuditService } from '../audit/audit.service';
import { kindHas, Permission } from '../auth/permissions';
import type { AuthenticatedPartner } from '../auth/authenticated-partner';
import { badInput, notFound } from '../common/errors';
import { PARTNER_ID_PATTERN } from '../partners/partner.enums';
import { decodeTimeCursor, encodeTimeCursor, pageOf, pageSize } from '../common/pagination';
import type { LegalRequestConnection, LegalRequestType } from './dto/legal.types';
import type { LegalReviewQueueFilter, MyLegalRequestsFilter } from './dto/legal.inputs';
import { LegalAction, LegalRequest, LegalRequestHistory } from './legal-request.entity';
import { LegalRequestsStore } from './legal-requests.store';
import { approvalsNeeded, isOverdue, LegalKind, LegalStatus, UNDECIDED } from './legal-workflow';
import { requestId } from './legal-inputs';

/** Undecided and past its deadline, in SQL (the same rule as isOverdue, against the database clock). */
export const OVERDUE_SQL = `(r.status IN ('SUBMITTED', 'UNDER_REVIEW') AND r.deadline IS NOT NULL AND r.deadline <= now())`;

const COLUMNS = `r.id, r.requester, r.kind, r.subject, r.legal_basis AS "legalBasis", r.case_reference AS "caseReference", r.authority, r.deadline,
  r.justification, r.token, r.jti, r.status, r.submitted_at AS "submittedAt", r.updated_at AS "updatedAt", r.decided_at AS "decidedAt",
  r.access_until AS "accessUntil", r.overdue_at AS "overdueAt", r.releases, r.released_at AS "releasedAt", r.flag_event_id AS "flagEventId"`;

class Where {
  readonly parts: string[] = [];
  readonly params: unknown[] = [];
  add(sql: (p: (v: unknown) => string) => string): void {
    this.parts.push(sql((v) => `$${this.params.push(v)}`));
  }
  get sql(): string {
    return this.parts.length ? `WHERE ${this.parts.join(' AND ')}` : '';
  }
}

function enumList<T extends string>(name: string, values: T[] | null | undefined, allowed: Record<string, T>): T[] | null {
  if (values === undefined || values === null) return null;
  if (!values.length || values.length > Object.keys(allowed).length) throw badInput(`${name} must list 1 to ${Object.keys(allowed).length} values`);
  return [...new Set(values)];
}

@Injectable()
export class LegalQueries {
  constructor(
    private readonly db: DataSource,
    private readonly store: LegalRequestsStore,
    private readonly audit: AuditService,
  ) {}

  /**
   * A reviewer's read of requests (the court's token, justification and subject) is audited, and
   * each requester sees it in its own trail; a requester reading its own requests is not.
   */
  private async auditReviewerRead(caller: AuthenticatedPartner, shown: Array<{ id: string; requester: string }>, read: 'queue' | 'request'): Promise<void> {
    const others = shown.filter((r) => r.requester !== caller.id);
    if (!others.length) return;
    const items: Record<string, string[]> = {};
    for (const r of others) (items[r.requester] ??= []).push(r.id);
    await this.audit.record({ actor: caller.id, action: AuditAction.LegalRead, target: others.length === 1 ? others[0].id : null, details: { outcome: 'ok', read, items }, concerns: Object.keys(items).sort() });
  }

  /** The caller's own requests, newest first. */
  myRequests(caller: AuthenticatedPartner, filter: MyLegalRequestsFilter | null | undefined, first?: number | null, after?: string | null): Promise<LegalRequestConnection> {
    const where = new Where();
    where.add((p) => `r.requester = ${p(caller.id)}`);
    if (filter?.status) where.add((p) => `r.status = ${p(filter.status)}`);
    if (filter?.kind) where.add((p) => `r.kind = ${p(filter.kind)}`);
    return this.page(where, 'DESC', first, after);
  }

  /** The review queue: by default the undecided requests, oldest first. */
  async reviewQueue(caller: AuthenticatedPartner, filter: LegalReviewQueueFilter | null | undefined, first?: number | null, after?: string | null): Promise<LegalRequestConnection> {
    const where = new Where();
    const statuses = enumList('status', filter?.status, LegalStatus) ?? [...UNDECIDED];
    where.add((p) => `r.status = ANY(${p(statuses)}::varchar[])`);
    const kinds = enumList('kind', filter?.kind, LegalKind);
    if (kinds) where.add((p) => `r.kind = ANY(${p(kinds)}::varchar[])`);
    if (filter?.overdue === true) where.add(() => OVERDUE_SQL);
    if (filter?.overdue === false) where.add(() => `NOT ${OVERDUE_SQL}`);
    if (filter?.requester != null) {
      if (!PARTNER_ID_PATTERN.test(filter.requester)) throw badInput('requester must be a partner id (lowercase letters, digits and hyphens, up to 63)');
      where.add((p) => `r.requester = ${p(filter.requester)}`);
    }
    if (filter?.subject != null) {
      if (!filter.subject || filter.subject.length > 256) throw badInput('subject must be 1 to 256 characters');
      where.add((p) => `r.subject = ${p(filter.subject)}`);
    }
    const page = await this.page(where, 'ASC', first, after);
    await this.auditReviewerRead(caller, page.edges.map((e) => e.node), 'queue');
    return page;
  }

  /** One request: its requester's, or any to a reviewer; otherwise NOT_FOUND like a missing one. */
  async one(caller: AuthenticatedPartner, id: string): Promise<LegalRequestType> {
    const rid = requestId(id);
    const where = new Where();
    where.add((p) => `r.id = ${p(rid)}`);
    if (!kindHas(caller.kind, Permission.ReviewLegalRequests)) where.add((p) => `r.requester = ${p(caller.id)}`);
    const rows = (await this.db.query(`SELECT ${COLUMNS} FROM legal_request r ${where.sql}`, where.params)) as LegalRequest[];
    if (!rows.length) throw notFound(`legal request ${rid} not found`);
    await this.auditReviewerRead(caller, rows, 'request');
    return (await this.nodes(rows))[0];
  }

  /** One request by id, for a mutation's answer (the caller was already checked by the mutation). */
  async byId(id: string): Promise<LegalRequestType> {
    const rows = (await this.db.query(`SELECT ${COLUMNS} FROM legal_request r WHERE r.id = $1`, [id])) as LegalRequest[];
    if (!rows.length) throw notFound(`legal request ${id} not found`);
    return (await this.nodes(rows))[0];
  }

  private async page(where: Where, order: 'ASC' | 'DESC', first?: number | null, after?: string | null): Promise<LegalRequestConnection> {
    const size = pageSize(first);
    const cursor = decodeTimeCursor(after);
    const [{ total }] = (await this.db.query(`SELECT count(*)::int AS total FROM legal_request r ${where.sql}`, where.params)) as Array<{ total: number }>;
    if (cursor) where.add((p) => `(r.submitted_at, r.id) ${order === 'DESC' ? '<' : '>'} (${p(cursor.at)}, ${p(cursor.id)}::uuid)`);
    const rows = (await this.db.query(
      `SELECT ${COLUMNS} FROM legal_request r ${where.sql} ORDER BY r.submitted_at ${order}, r.id ${order} LIMIT ${size + 1}`,
      where.params,
    )) as LegalRequest[];
    const nodes = await this.nodes(rows.slice(0, size));
    const byId = new Map(nodes.map((n) => [n.id, n]));
    return { ...pageOf(rows, size, (r) => encodeTimeCursor(new Date(r.submittedAt), r.id), (r) => byId.get(r.id)!), totalCount: total };
  }

  /** Rows as GraphQL nodes: history, approval counts, and the released kind a RELEASE's count depends on. */
  private async nodes(rows: LegalRequest[]): Promise<LegalRequestType[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id);
    const history = await this.db.getRepository(LegalRequestHistory).createQueryBuilder('h').where('h.requestId IN (:...ids)', { ids }).orderBy('h.at', 'ASC').addOrderBy('h.id', 'ASC').getMany();
    const releasedIds = rows.map((r) => r.releases).filter((x): x is string => !!x);
    const releasedKinds = new Map<string, LegalKind>(
      releasedIds.length ? ((await this.db.query(`SELECT id, kind FROM legal_request WHERE id = ANY($1::uuid[])`, [releasedIds])) as Array<{ id: string; kind: LegalKind }>).map((r) => [r.id, r.kind]) : [],
    );
    const now = new Date();
    return rows.map((r) => {
      const own = history.filter((h) => h.requestId === r.id);
      const deadline = r.deadline ? new Date(r.deadline) : null;
      return {
        ...r,
        deadline,
        history: own.map((h) => ({ at: h.at, actor: h.actor, action: h.action, fromStatus: h.fromStatus, toStatus: h.toStatus, reason: h.reason, details: h.details ? JSON.stringify(h.details) : null })),
        approvals: own.filter((h) => h.action === LegalAction.APPROVAL).length,
        approvalsNeeded: approvalsNeeded(r.kind, this.store.settings.minApprovals, r.releases ? releasedKinds.get(r.releases) ?? null : null),
        overdue: isOverdue(r.status, deadline, now),
      };
    });
  }
}
