import { Injectable } from '@nestjs/common';
import { importJWK } from 'jose';
import { DataSource, EntityManager, MoreThan } from 'typeorm';
import { AuditAction } from '../audit/audit.actions';
import { AuditService } from '../audit/audit.service';
import { AuthService } from '../auth/auth.service';
import { AuthenticatedPartner } from '../auth/authenticated-partner';
import { kindHas, Permission } from '../auth/permissions';
import { badInput, conflict, forbidden, notFound } from '../common/errors';
import { decodeCursor, encodeCursor, pageOf, pageSize } from '../common/pagination';
import { JwkPolicyError, parseJwk, parseJwks, PublicJwk } from './jwk-policy';
import { Partner } from './partner.entity';
import { PartnerKey } from './partner-key.entity';
import { KeyStatus, PARTNER_ID_PATTERN, PartnerKind, PartnerStatus } from './partner.enums';
import { PartnerConnection, PartnerKeyType, PartnerType, RegisterPartnerInput, UpdatePartnerSsfInput } from './dto/partner.types';
import { SsfIdentityError, validateMaxIatAge, validateSsfIssuer } from './ssf-identity';

const MAX_ACTIVE_KEYS = 20;
const MAX_KEYS = 100;

/** Partners and their keys. Every change invalidates the auth cache of this replica at once. */
@Injectable()
export class PartnersService {
  constructor(
    private readonly db: DataSource,
    private readonly auth: AuthService,
    private readonly audit: AuditService,
  ) {}

  async register(caller: AuthenticatedPartner, input: RegisterPartnerInput): Promise<PartnerType> {
    const id = validatePartnerId(input.id);
    const name = validateName(input.name);
    if (!Object.values(PartnerKind).includes(input.kind)) throw badInput(`kind must be one of ${Object.values(PartnerKind).join(', ')}`);
    const trustWeight = validateTrustWeight(input.trustWeight);
    const keys = await parseKeys(() => parseJwks(input.jwks), 'jwks');
    const { ssfIssuer, maxIatAgeSeconds } = ssfIdentityOf(input);
    const created = await this.db.transaction(async (tx) => {
      await claimSsfIssuer(tx, ssfIssuer, id);
      const inserted = await tx
        .createQueryBuilder()
        .insert()
        .into(Partner)
        .values({ id, name, kind: input.kind, status: PartnerStatus.ACTIVE, trustWeight, ssfIssuer, maxIatAgeSeconds })
        .orIgnore()
        .returning('id')
        .execute();
      if (inserted.raw.length === 0) throw conflict(`a partner with id "${id}" already exists`);
      await tx.getRepository(PartnerKey).insert(keys.map((jwk) => ({ partnerId: id, kid: jwk.kid, alg: jwk.alg, jwk })));
      await this.audit.append(tx, {
        actor: caller.id,
        action: AuditAction.PartnerRegister,
        target: id,
        details: { outcome: 'ok', kind: input.kind, trustWeight, kids: keys.map((k) => k.kid), ...(ssfIssuer ? { ssfIssuer } : {}), ...(maxIatAgeSeconds ? { maxIatAgeSeconds } : {}) },
        concerns: [id],
      });
      return id;
    });
    this.auth.invalidate(created);
    return this.get(created) as Promise<PartnerType>;
  }

  async addKey(caller: AuthenticatedPartner, partnerId: string, jwkText: string): Promise<PartnerType> {
    this.assertMayManageKeysOf(caller, partnerId);
    const [jwk] = await parseKeys(async () => [parseJwk(jwkText)], 'jwk');
    await this.db.transaction(async (tx) => {
      await lockPartner(tx, partnerId);
      const existing = await tx.getRepository(PartnerKey).findOne({ where: { partnerId, kid: jwk.kid } });
      if (existing) throw conflict(`kid "${jwk.kid}" is already used by partner "${partnerId}" (kids are never reused, even after revocation)`);
      const total = await tx.getRepository(PartnerKey).count({ where: { partnerId } });
      const active = await tx.getRepository(PartnerKey).count({ where: { partnerId, status: KeyStatus.ACTIVE } });
      if (active >= MAX_ACTIVE_KEYS) throw badInput(`partner "${partnerId}" already has ${MAX_ACTIVE_KEYS} active keys; revoke one first`);
      if (total >= MAX_KEYS) throw badInput(`partner "${partnerId}" has reached ${MAX_KEYS} keys in all`);
      await tx.getRepository(PartnerKey).insert({ partnerId, kid: jwk.kid, alg: jwk.alg, jwk });
      await this.audit.append(tx, { actor: caller.id, action: AuditAction.KeyAdd, target: partnerId, details: { outcome: 'ok', kid: jwk.kid, alg: jwk.alg }, concerns: [partnerId] });
    });
    this.auth.invalidate(partnerId);
    return this.get(partnerId) as Promise<PartnerType>;
  }

  async revokeKey(caller: AuthenticatedPartner, partnerId: string, kid: string): Promise<PartnerType> {
    this.assertMayManageKeysOf(caller, partnerId);
    await this.db.transaction(async (tx) => {
      await lockPartner(tx, partnerId);
      const keys = tx.getRepository(PartnerKey);
      const key = await keys.findOne({ where: { partnerId, kid } });
      if (!key) throw notFound(`partner "${partnerId}" has no key "${kid}"`);
      if (key.status === KeyStatus.REVOKED) throw conflict(`key "${kid}" is already revoked`);
      if (caller.id === partnerId) {
        const active = await keys.count({ where: { partnerId, status: KeyStatus.ACTIVE } });
        if (active <= 1) throw badInput(`key "${kid}" is your last active key; add a new key before revoking it`);
      }
      await keys.update({ partnerId, kid }, { status: KeyStatus.REVOKED, revokedAt: new Date() });
      await this.audit.append(tx, { actor: caller.id, action: AuditAction.KeyRevoke, target: partnerId, details: { outcome: 'ok', kid }, concerns: [partnerId] });
    });
    this.auth.invalidate(partnerId);
    return this.get(partnerId) as Promise<PartnerType>;
  }

  /** Sets (or clears) a partner's SSF issuer URL and iat window (operator only, by permission). */
  async updateSsf(caller: AuthenticatedPartner, input: UpdatePartnerSsfInput): Promise<PartnerType> {
    const { ssfIssuer, maxIatAgeSeconds } = ssfIdentityOf(input);
    await this.db.transaction(async (tx) => {
      await lockPartner(tx, input.partnerId);
      await claimSsfIssuer(tx, ssfIssuer, input.partnerId);
      await tx.getRepository(Partner).update({ id: input.partnerId }, { ssfIssuer, maxIatAgeSeconds });
      await this.audit.append(tx, {
        actor: caller.id, action: AuditAction.PartnerSsfUpdate, target: input.partnerId,
        details: { outcome: 'ok', ssfIssuer, maxIatAgeSeconds }, concerns: [input.partnerId],
      });
    });
    this.auth.invalidate(input.partnerId);
    return this.get(input.partnerId) as Promise<PartnerType>;
  }

  async setStatus(caller: AuthenticatedPartner, partnerId: string, status: PartnerStatus): Promise<PartnerType> {
    if (caller.id === partnerId && status === PartnerStatus.SUSPENDED) throw badInput('a partner cannot suspend itself');
    await this.db.transaction(async (tx) => {
      const partner = await lockPartner(tx, partnerId);
      if (partner.status === status) throw conflict(`partner "${partnerId}" is already ${status}`);
      await tx.getRepository(Partner).update({ id: partnerId }, { status });
      const action = status === PartnerStatus.SUSPENDED ? AuditAction.PartnerSuspend : AuditAction.PartnerReactivate;
      await this.audit.append(tx, { actor: caller.id, action, target: partnerId, details: { outcome: 'ok' }, concerns: [partnerId] });
    });
    this.auth.invalidate(partnerId);
    return this.get(partnerId) as Promise<PartnerType>;
  }

  /** One partner; a read by another partner (the operator) is audited. */
  async get(id: string, reader?: AuthenticatedPartner): Promise<PartnerType | null> {
    const partner = await this.db.getRepository(Partner).findOne({ where: { id } });
    if (partner && reader && reader.id !== id) await this.recordRead(reader, [id]);
    return partner ? toPartnerType(partner) : null;
  }

  /**
   * A page of a partner's keys, oldest first (the `keys` field, resolved only when asked for).
   * `after` is the kid of the last key of the previous page.
   */
  async keysOf(partnerId: string, first: number | null | undefined, after: string | null | undefined): Promise<PartnerKeyType[]> {
    const size = pageSize(first);
    const qb = this.db.getRepository(PartnerKey).createQueryBuilder('k').where('k.partner_id = :partnerId', { partnerId }).orderBy('k.created_at', 'ASC').addOrderBy('k.kid', 'ASC').take(size);
    if (after !== undefined && after !== null) {
      const last = typeof after === 'string' && after.length <= 200 && !after.includes('\u0000') ? await this.db.getRepository(PartnerKey).findOne({ where: { partnerId, kid: after } }) : null;
      if (!last) throw badInput('after must be the kid of the last key of a previous page of this list');
      // Compared in SQL: created_at has microseconds, which a JavaScript Date would drop.
      qb.andWhere('(k.created_at, k.kid) > (SELECT c.created_at, c.kid FROM partner_key c WHERE c.partner_id = :partnerId AND c.kid = :after)', { after });
    }
    return (await qb.getMany()).map(toPartnerKeyType);
  }

  async list(first: number | null | undefined, after: string | null | undefined, reader: AuthenticatedPartner): Promise<PartnerConnection> {
    const size = pageSize(first);
    const afterId = decodeCursor(after, (v) => PARTNER_ID_PATTERN.test(v));
    const repo = this.db.getRepository(Partner);
    const [rows, totalCount] = await Promise.all([
      repo.find({ where: afterId ? { id: MoreThan(afterId) } : {}, order: { id: 'ASC' }, take: size + 1 }),
      repo.count(),
    ]);
    const page = rows.slice(0, size);
    const others = page.map((p) => p.id).filter((pid) => pid !== reader.id);
    if (others.length) await this.recordRead(reader, others);
    return { ...pageOf(rows, size, (p) => encodeCursor(p.id), (p) => toPartnerType(p)), totalCount: Number(totalCount) };
  }

  /** One entry per request for reads of other partners' records; each sees only its own item. */
  private async recordRead(reader: AuthenticatedPartner, ids: string[]): Promise<void> {
    await this.audit.record({
      actor: reader.id,
      action: AuditAction.PartnersRead,
      details: { items: Object.fromEntries(ids.map((pid) => [pid, [pid]])) },
      concerns: ids,
    });
  }

  private assertMayManageKeysOf(caller: AuthenticatedPartner, partnerId: string): void {
    if (caller.id !== partnerId && !kindHas(caller.kind, Permission.ManagePartners)) {
      throw forbidden("only the operator may manage another partner's keys");
    }
  }
}

function ssfIdentityOf(input: { ssfIssuer?: string | null; maxIatAgeSeconds?: number | null }) {
  try {
    return { ssfIssuer: validateSsfIssuer(input.ssfIssuer), maxIatAgeSeconds: validateMaxIatAge(input.maxIatAgeSeconds) };
  } catch (e) {
    if (e instanceof SsfIdentityError) throw badInput(e.message, { field: e.message.split(' ')[0] });
    throw e;
  }
}

/** One issuer URL names one partner: checked under a lock on the URL, so two claims of it cannot both pass. */
async function claimSsfIssuer(tx: EntityManager, ssfIssuer: string | null, partnerId: string): Promise<void> {
  if (ssfIssuer === null) return;
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ssf-issuer:${ssfIssuer}`]);
  const holder = await tx.getRepository(Partner).findOne({ select: { id: true }, where: { ssfIssuer } });
  if (holder && holder.id !== partnerId) throw conflict(`ssfIssuer "${ssfIssuer}" is already another partner's`);
}

async function lockPartner(tx: EntityManager, partnerId: string): Promise<Partner> {
  const partner = await tx.getRepository(Partner).findOne({ where: { id: partnerId }, lock: { mode: 'pessimistic_write' } });
  if (!partner) throw notFound(`no partner "${partnerId}"`);
  return partner;
}

/** Validates keys by the profile's rules, then proves each one imports as a real public key. */
async function parseKeys(parse: () => PublicJwk[] | Promise<PublicJwk[]>, field: string): Promise<PublicJwk[]> {
  let keys: PublicJwk[];
  try {
    keys = await parse();
  } catch (e) {
    if (e instanceof JwkPolicyError) throw badInput(`${field}: ${e.message}`, { field });
    throw e;
  }
  for (const key of keys) {
    try {
      await importJWK({ ...key }, key.alg);
    } catch {
      throw badInput(`${field}: key "${key.kid}" is not a valid ${key.kty} public key`, { field });
    }
  }
  return keys;
}

export function validatePartnerId(id: string): string {
  if (typeof id !== 'string' || !PARTNER_ID_PATTERN.test(id)) {
    throw badInput('id must match ^[a-z0-9][a-z0-9-]{1,62}$ (lowercase letters, digits and dashes, 2..63 characters)', { field: 'id' });
  }
  return id;
}

function validateName(name: string): string {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  if (trimmed.length < 1 || trimmed.length > 200) throw badInput('name must be 1..200 characters', { field: 'name' });
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw badInput('name must not contain control characters', { field: 'name' });
  return trimmed;
}

function validateTrustWeight(value: number | null | undefined): number {
  if (value === undefined || value === null) return 0.5;
  if (!Number.isFinite(value) || value < 0 || value > 1) throw badInput(`trustWeight must be in [0, 1], got ${value}`, { field: 'trustWeight' });
  return Math.round(value * 1000) / 1000;
}

function toPartnerType(p: Partner): PartnerType {
  return {
    id: p.id,
    name: p.name,
    kind: p.kind,
    status: p.status,
    trustWeight: Number(p.trustWeight),
    ssfIssuer: p.ssfIssuer,
    maxIatAgeSeconds: p.maxIatAgeSeconds,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

function toPartnerKeyType(k: PartnerKey): PartnerKeyType {
  return { kid: k.kid, alg: k.alg, status: k.status, publicJwk: JSON.stringify(k.jwk), createdAt: k.createdAt, revokedAt: k.revokedAt };
}
