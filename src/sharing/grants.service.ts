import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuditAction } from '../audit/audit.actions';
import { AuditService } from '../audit/audit.service';
import { AuthenticatedPartner } from '../auth/authenticated-partner';
import { badInput, conflict, notFound } from '../common/errors';
import { decodeTimeCursor, encodeTimeCursor, pageOf, pageSize } from '../common/pagination';
import { CATEGORIES } from '../events/set-profile';
import { Partner } from '../partners/partner.entity';
import { PARTNER_ID_PATTERN, PartnerStatus } from '../partners/partner.enums';
import { GrantAccessInput, GrantConnection, GrantType } from './dto/grant.types';
import { Grant } from './grant.entity';
import { ACCOUNT_FLAG_CATEGORY, SHARING_KINDS } from './visibility';

const GRANT_CATEGORIES = [...CATEGORIES, ACCOUNT_FLAG_CATEGORY];
const MAX_GRANT_DAYS = 730;
const UNACCEPTABLE_GRANTEE = `grantee is not an active partner that may receive grants: a grant goes to another partner, active and of kind ${SHARING_KINDS.join(', ')} (LEGAL partners see data only through approved legal requests)`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Grants. A revoked or expired grant stops access on the next request on every replica: visibility reads it in SQL. */
@Injectable()
export class GrantsService {
  constructor(
    private readonly db: DataSource,
    private readonly audit: AuditService,
  ) {}

  async grant(caller: AuthenticatedPartner, input: GrantAccessInput): Promise<GrantType> {
    const categories = [...new Set(input.categories)];
    if (categories.length === 0 || categories.some((c) => !GRANT_CATEGORIES.includes(c as never))) {
      throw badInput(`categories must be a non-empty list of: ${GRANT_CATEGORIES.join(', ')}`, { field: 'categories' });
    }
    const expiresAt = new Date(input.expiresAt);
    if (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= Date.now()) throw badInput('expiresAt must be in the future', { field: 'expiresAt' });
    if (expiresAt.getTime() > Date.now() + MAX_GRANT_DAYS * 86_400_000) throw badInput(`expiresAt must be at most ${MAX_GRANT_DAYS} days away`, { field: 'expiresAt' });
    const purpose = input.purpose.trim();
    if (purpose.length < 1 || purpose.length > 500) throw badInput('purpose must be 1..500 characters', { field: 'purpose' });
    // Checked last, and every unacceptable grantee (not a partner id, unknown, suspended, of a kind
    // that takes no grants, the caller itself) gets one answer: it must not tell whether a partner
    // exists, nor its kind or status.
    const grantee = input.grantee !== caller.id && PARTNER_ID_PATTERN.test(input.grantee) ? await this.db.getRepository(Partner).findOne({ where: { id: input.grantee } }) : null;
    if (!grantee || grantee.status !== PartnerStatus.ACTIVE || !SHARING_KINDS.includes(grantee.kind)) throw badInput(UNACCEPTABLE_GRANTEE, { field: 'grantee' });
    const grant: Grant = { id: randomUUID(), grantor: caller.id, grantee: grantee.id, categories, includeEvidence: input.includeEvidence, expiresAt, purpose, createdAt: new Date(), revokedAt: null };
    await this.db.transaction(async (tx) => {
      await tx.getRepository(Grant).insert(grant);
      await this.audit.append(tx, {
        actor: caller.id,
        action: AuditAction.GrantCreate,
        target: grant.id,
        details: { outcome: 'ok', grantee: grant.grantee, categories, includeEvidence: grant.includeEvidence, expiresAt: expiresAt.toISOString(), purpose },
        concerns: [caller.id, grant.grantee],
      });
    });
    return toType(grant);
  }

  async revoke(caller: AuthenticatedPartner, id: string): Promise<GrantType> {
    return this.db.transaction(async (tx) => {
      const grant = UUID.test(id) ? await tx.getRepository(Grant).findOne({ where: { id, grantor: caller.id }, lock: { mode: 'pessimistic_write' } }) : null;
      if (!grant) throw notFound(`no grant "${id}" given by you`);
      if (grant.revokedAt) throw conflict(`grant "${id}" is already revoked`);
      grant.revokedAt = new Date();
      await tx.getRepository(Grant).update({ id }, { revokedAt: grant.revokedAt });
      await this.audit.append(tx, { actor: caller.id, action: AuditAction.GrantRevoke, target: id, details: { outcome: 'ok', grantee: grant.grantee }, concerns: [caller.id, grant.grantee] });
      return toType(grant);
    });
  }

  list(where: { grantor?: string; grantee?: string }, first?: number | null, after?: string | null): Promise<GrantConnection> {
    const size = pageSize(first);
    const cursor = decodeTimeCursor(after);
    const qb = this.db.getRepository(Grant).createQueryBuilder('g').orderBy('g.created_at', 'DESC').addOrderBy('g.id', 'DESC').take(size + 1);
    if (where.grantor) qb.andWhere('g.grantor = :grantor', { grantor: where.grantor });
    if (where.grantee) qb.andWhere('g.grantee = :grantee', { grantee: where.grantee });
    if (cursor) {
      qb.andWhere('(g.created_at, g.id) < (:at, :id)', { at: cursor.at, id: cursor.id });
    }
    return qb.getMany().then((rows) => {
      return pageOf(rows, size, (g) => encodeTimeCursor(g.createdAt, g.id), toType);
    });
  }
}

function toType(g: Grant): GrantType {
  return { ...g, active: g.revokedAt === null && g.expiresAt.getTime() > Date.now() };
}
