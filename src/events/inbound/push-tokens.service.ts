import { Injectable, Logger } from '@nestjs/common';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DataSource, IsNull } from 'typeorm';
import { AuditAction } from '../../audit/audit.actions';
import { AuditService } from '../../audit/audit.service';
import { AuthFailureRecorder } from '../../audit/auth-failures';
import { AuthenticatedPartner } from '../../auth/authenticated-partner';
import { RequestWithPartner } from '../../auth/decorators';
import { kindHas, Permission } from '../../auth/permissions';
import { badInput, forbidden, notFound, unauthenticated } from '../../common/errors';
import { decodeTimeCursor, encodeTimeCursor, pageOf, pageSize } from '../../common/pagination';
import { Partner } from '../../partners/partner.entity';
import { PartnerKind, PartnerStatus } from '../../partners/partner.enums';
import { CreatedPushTokenType, CreatePushTokenInput, PushTokenConnection, PushTokenStatus, PushTokenType } from './dto/push-token.types';
import { PushToken } from './push-token.entity';

/**
 * `rxp_` and 40 random bytes in base64url (320 bits): recognisable in a header, a log or a leak
 * scanner. Lists show the first 12 characters (48 bits), so 272 bits stay secret, over the 256 asked.
 */
export const PUSH_TOKEN_PREFIX = 'rxp_';
const PUSH_TOKEN = /^rxp_[A-Za-z0-9_-]{54}$/;
const MAX_ACTIVE_TOKENS = 10;
export const PUSH_TOKEN_FAILED = 'authentication failed: the push token is unknown; send "Authorization: Bearer rxp_..." with a token created by createPushToken, or a partner assertion';

/** Whether an Authorization header carries a push token (and not a partner assertion). */
export function isPushTokenHeader(header: unknown): header is string {
  return typeof header === 'string' && header.startsWith(`Bearer ${PUSH_TOKEN_PREFIX}`);
}

const hashOf = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/**
 * Static push tokens (issue 14): what a standard SSF transmitter sends as the stream's
 * `authorization_header`. The token says only which partner may post to `POST /events`; each SET
 * still verifies with that partner's keys. Changes take effect on the next request on every
 * replica: authentication reads the table each time (one indexed lookup, next to the ingest's own
 * transaction).
 */
@Injectable()
export class PushTokensService {
  private readonly logger = new Logger('PushTokens');

  constructor(
    private readonly db: DataSource,
    private readonly audit: AuditService,
    private readonly failures: AuthFailureRecorder,
  ) {}

  async create(caller: AuthenticatedPartner, input: CreatePushTokenInput): Promise<CreatedPushTokenType> {
    const partnerId = input.partnerId ?? caller.id;
    this.assertMayManage(caller, partnerId);
    const label = validateLabel(input.label);
    const token = PUSH_TOKEN_PREFIX + randomBytes(40).toString('base64url');
    const row: PushToken = {
      id: randomUUID(), partnerId, tokenHash: hashOf(token), hint: token.slice(0, 12), label,
      createdAt: new Date(), createdBy: caller.id, revokedAt: null, revokedBy: null,
    };
    await this.db.transaction(async (tx) => {
      const partner = await tx.getRepository(Partner).findOne({ where: { id: partnerId }, lock: { mode: 'pessimistic_write' } });
      if (!partner) throw notFound(`no partner "${partnerId}"`);
      if (!kindHas(partner.kind, Permission.PublishEvents)) throw badInput(`partner "${partnerId}" is of kind ${partner.kind}, which may not publish: a push token would be of no use`);
      const active = await tx.getRepository(PushToken).count({ where: { partnerId, revokedAt: IsNull() } });
      if (active >= MAX_ACTIVE_TOKENS) throw badInput(`partner "${partnerId}" already has ${MAX_ACTIVE_TOKENS} active push tokens; revoke one first`);
      await tx.getRepository(PushToken).insert(row);
      await this.audit.append(tx, {
        actor: caller.id, action: AuditAction.PushTokenCreate, target: partnerId,
        details: { outcome: 'ok', id: row.id, hint: row.hint, label }, concerns: [partnerId],
      });
    });
    return { token, pushToken: toType(row) };
  }

  async revoke(caller: AuthenticatedPartner, id: string): Promise<PushTokenType> {
    const missing = () => notFound(`no push token "${id}" of yours`);
    if (typeof id !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) throw missing();
    return this.db.transaction(async (tx) => {
      const row = await tx.getRepository(PushToken).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      // Another partner's token reads as a missing one: ids are not probed.
      if (!row || (row.partnerId !== caller.id && !kindHas(caller.kind, Permission.ManagePartners))) throw missing();
      if (row.revokedAt) throw badInput(`push token "${id}" is already revoked`);
      row.revokedAt = new Date();
      row.revokedBy = caller.id;
      await tx.getRepository(PushToken).update({ id }, { revokedAt: row.revokedAt, revokedBy: row.revokedBy });
      await this.audit.append(tx, {
        actor: caller.id, action: AuditAction.PushTokenRevoke, target: row.partnerId,
        details: { outcome: 'ok', id, hint: row.hint }, concerns: [row.partnerId],
      });
      return toType(row);
    });
  }

  /** A partner's push tokens, newest first, without their secrets. */
  async list(caller: AuthenticatedPartner, partnerId: string | null | undefined, first?: number | null, after?: string | null): Promise<PushTokenConnection> {
    const owner = partnerId ?? caller.id;
    this.assertMayManage(caller, owner);
    const size = pageSize(first);
    const cursor = decodeTimeCursor(after);
    const qb = this.db.getRepository(PushToken).createQueryBuilder('t').where('t.partner_id = :owner', { owner });
    const totalCount = await qb.clone().getCount();
    if (cursor) qb.andWhere('(t.created_at, t.id) < (:at, :id)', { at: cursor.at, id: cursor.id });
    const rows = await qb.orderBy('t.created_at', 'DESC').addOrderBy('t.id', 'DESC').take(size + 1).getMany();
    return { ...pageOf(rows, size, (r) => encodeTimeCursor(r.createdAt, r.id), toType), totalCount };
  }

  /** Authenticates `Authorization: Bearer rxp_...` for `POST /events`; later calls for the request share the result. */
  authenticateRequest(request: RequestWithPartner): Promise<AuthenticatedPartner> {
    request.authentication ??= this.authenticate(String(request.headers.authorization).slice('Bearer '.length)).then((partner) => {
      request.partner = partner;
      return partner;
    });
    return request.authentication;
  }

  async authenticate(token: string): Promise<AuthenticatedPartner> {
    const found = PUSH_TOKEN.test(token)
      ? ((await this.db.query(
          `SELECT t.id, t.hint, t.partner_id, t.revoked_at, p.kind, p.status FROM push_token t JOIN partner p ON p.id = t.partner_id WHERE t.token_hash = $1`,
          [hashOf(token)],
        )) as Array<{ id: string; hint: string; partner_id: string; revoked_at: Date | null; kind: PartnerKind; status: PartnerStatus }>)[0]
      : undefined;
    const fail = (partnerId: string | undefined, rule: string, message: string) => {
      this.failures.note(partnerId, rule);
      this.logger.log(`authentication failed (${rule}) for ${partnerId ?? 'an unknown partner'}`);
      return unauthenticated(message);
    };
    if (!found) throw fail(undefined, 'push-token', PUSH_TOKEN_FAILED);
    // Only the holder of the secret gets these answers, so they name the rule (as for a revoked key).
    if (found.revoked_at) throw fail(found.partner_id, 'push-token-revoked', `authentication failed (push-token-revoked): push token ${found.hint}... was revoked; use another one`);
    if (found.status !== PartnerStatus.ACTIVE) throw fail(found.partner_id, 'partner-status', `authentication failed (partner-status): partner "${found.partner_id}" is suspended`);
    return { id: found.partner_id, kind: found.kind, kid: `push-token:${found.hint}`, pushTokenId: found.id };
  }

  private assertMayManage(caller: AuthenticatedPartner, partnerId: string): void {
    if (caller.id !== partnerId && !kindHas(caller.kind, Permission.ManagePartners)) throw forbidden("only the operator may manage another partner's push tokens");
  }
}

function validateLabel(label: string | null | undefined): string | null {
  if (label === undefined || label === null) return null;
  const trimmed = label.trim();
  if (trimmed.length < 1 || trimmed.length > 200 || /[\u0000-\u001f\u007f]/.test(trimmed)) throw badInput('label must be 1..200 characters without control characters', { field: 'label' });
  return trimmed;
}

function toType(t: PushToken): PushTokenType {
  return {
    id: t.id, partnerId: t.partnerId, hint: t.hint, label: t.label, status: t.revokedAt ? PushTokenStatus.REVOKED : PushTokenStatus.ACTIVE,
    createdAt: t.createdAt, createdBy: t.createdBy, revokedAt: t.revokedAt, revokedBy: t.revokedBy,
  };
}
