import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/config';
import { GatewayKeyService } from '../gateway/gateway-key.service';
import { fullAccess, sharingKindSql, ViewerRefs } from '../sharing/visibility';
import { awaitsEventClaims, DeliverableEvent, partnerEventClaims } from './fanout/notice-payload';

export interface Unsigned {
  id: string;
  token: string | null;
  payload: Record<string, unknown>;
  /** The stream's signing_alg. */
  alg: string;
}

/** The delivery's receiver as the viewer (`d` is the delivery, `p` the receiving partner). */
const RECEIVER: ViewerRefs = { viewerId: 'd.receiver', viewerShares: sharingKindSql('p.kind') };

/**
 * The stored events behind partner-event notices, with whether each receiver has full access to
 * them now ($1 delivery ids). Evidence and the original token are read only under full access. A
 * delivery whose event is gone (the retention purge) answers no row.
 */
const EVENTS_SQL = `SELECT d.id AS delivery_id, e.id, e.issuer, e.jti, e.subject, e.type, e.category, e.action, e.score::float8 AS score, e.confidence::float8 AS confidence,
    to_jsonb(e.reason_codes) AS reason_codes, e.distribution, e.observed_at, e.effective_at, e.expires_at, e.target_jti, e.details,
    CASE WHEN f.fa THEN e.evidence END AS evidence, CASE WHEN f.fa THEN e.token END AS token, f.fa AS full_access
  FROM delivery d JOIN event e ON e.id = d.event_id JOIN partner p ON p.id = d.receiver
  CROSS JOIN LATERAL (SELECT ${fullAccess('e', RECEIVER)} AS fa OFFSET 0) f -- OFFSET 0: evaluated once, not in each CASE
 WHERE d.id = ANY($1::uuid[])`;

interface EventRow {
  delivery_id: string;
  id: string;
  issuer: string;
  jti: string;
  subject: string;
  type: DeliverableEvent['type'];
  category: string | null;
  action: string | null;
  score: number | null;
  confidence: number | null;
  reason_codes: string[] | null;
  distribution: string | null;
  observed_at: Date | null;
  effective_at: Date | null;
  expires_at: Date | null;
  target_jti: string | null;
  details: Record<string, unknown> | null;
  evidence: Record<string, unknown> | null;
  token: string | null;
  full_access: boolean;
}

/**
 * Makes each delivery's SET (profile section 5) the first time it is sent, and stores it, so a
 * redelivery sends the same token with the same `jti` and `iat`. Replicas racing on one delivery
 * agree on whichever token was stored first.
 *
 * A partner event's notice is stored without its event (notice-payload.ts `awaitsEventClaims`):
 * the member is built here from the stored event, with evidence, reason codes and the original token
 * only if the receiver has full access at this moment (`fullAccess` of sharing/visibility.ts, the
 * receiver as viewer; masked as sharing/masking.ts says otherwise), so a grant revoked (or its
 * evidence withdrawn) after the notice was queued but before it is first sent takes effect. A token
 * once signed is never changed. A never-sent notice whose event the retention purge removed is
 * removed too and not sent: what retention deleted is not disclosed afterwards.
 */
@Injectable()
export class NoticeSigner {
  constructor(
    private readonly keys: GatewayKeyService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async tokensOf(m: EntityManager, deliveries: Unsigned[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const toSign = deliveries.filter((d) => d.token === null);
    for (const d of deliveries) if (d.token !== null) out.set(d.id, d.token);
    if (!toSign.length) return out;
    const claims = await this.claimsOf(m, toSign);
    const iat = Math.floor(Date.now() / 1000);
    const signed = await Promise.all(
      toSign.filter((d) => claims.has(d.id)).map(async (d) => ({ id: d.id, token: await this.keys.signJwt({ iss: this.config.issuer, jti: d.id, iat, ...claims.get(d.id) }, 'secevent+jwt', d.alg as 'EdDSA' | 'RS256') })),
    );
    if (!signed.length) return out;
    const stored = (await m.query(
      `UPDATE delivery d SET token = r.token, first_sent_at = coalesce(d.first_sent_at, now())
         FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, token text) WHERE d.id = r.id AND d.token IS NULL RETURNING d.id`,
      [JSON.stringify(signed)],
    )) as [Array<{ id: string }>, number] | Array<{ id: string }>;
    const won = new Set((Array.isArray(stored[0]) ? (stored[0] as Array<{ id: string }>) : (stored as Array<{ id: string }>)).map((r) => r.id));
    for (const s of signed) if (won.has(s.id)) out.set(s.id, s.token);
    const lost = signed.filter((s) => !won.has(s.id)).map((s) => s.id);
    if (lost.length) {
      const rows = (await m.query(`SELECT id, token FROM delivery WHERE id = ANY($1::uuid[])`, [lost])) as Array<{ id: string; token: string }>;
      for (const r of rows) out.set(r.id, r.token);
    }
    return out;
  }

  /**
   * The claims to sign, by delivery id: the stored payload, or for a partner event's notice the
   * claims built from its event now (one query for all of them). A partner event's notice whose
   * event is gone is left out, and deleted if still never sent.
   */
  private async claimsOf(m: EntityManager, toSign: Unsigned[]): Promise<Map<string, Record<string, unknown>>> {
    const out = new Map<string, Record<string, unknown>>();
    const pending: Unsigned[] = [];
    for (const d of toSign) {
      if (awaitsEventClaims(d.payload)) pending.push(d);
      else out.set(d.id, d.payload);
    }
    if (!pending.length) return out;
    const rows = (await m.query(EVENTS_SQL, [pending.map((d) => d.id)])) as EventRow[];
    const events = new Map(rows.map((r) => [r.delivery_id, r]));
    const gone: string[] = [];
    for (const d of pending) {
      const e = events.get(d.id);
      if (!e) gone.push(d.id);
      else out.set(d.id, partnerEventClaims(deliverableOf(e), String(d.payload.aud), e.full_access) as unknown as Record<string, unknown>);
    }
    if (gone.length) await m.query(`DELETE FROM delivery WHERE id = ANY($1::uuid[]) AND token IS NULL`, [gone]);
    return out;
  }
}

function deliverableOf(r: EventRow): DeliverableEvent {
  return {
    id: r.id, issuer: r.issuer, jti: r.jti, subject: r.subject, type: r.type, category: r.category, action: r.action, score: r.score, confidence: r.confidence,
    reasonCodes: r.reason_codes, distribution: r.distribution, observedAt: r.observed_at, effectiveAt: r.effective_at, expiresAt: r.expires_at,
    evidence: r.evidence, token: r.token, targetJti: r.target_jti, details: r.details,
  };
}
