import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/config';
import { GatewayKeyService } from '../gateway/gateway-key.service';
import { fullAccess, sharingKindSql, ViewerRefs } from '../sharing/visibility';
import { MaskedSource, partnerEventTypeOf, withMaskedMembers } from './fanout/notice-payload';

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
 * The masked fields of the events behind these deliveries, and whether each receiver has full
 * access to them now ($1 delivery ids). A delivery whose event is gone (retention) answers no row.
 */
const MASKED_SOURCES_SQL = `SELECT d.id, ${fullAccess('e', RECEIVER)} AS full_access, e.token, e.evidence, to_jsonb(e.reason_codes) AS reason_codes
  FROM delivery d JOIN event e ON e.id = d.event_id JOIN partner p ON p.id = d.receiver
 WHERE d.id = ANY($1::uuid[])`;

/**
 * Makes each delivery's SET (profile section 5) the first time it is sent, and stores it, so a
 * redelivery sends the same token with the same `jti` and `iat`. Replicas racing on one delivery
 * agree on whichever token was stored first.
 *
 * A partner event's evidence, reason codes and original token are not in the ledger: they are read
 * from the stored event here, and included only if the receiver has full access at this moment
 * (`fullAccess` of sharing/visibility.ts, the receiver as viewer), so a grant revoked (or its
 * evidence withdrawn) after the notice was queued but before it is first sent takes effect. A token
 * once signed is never changed.
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
    const sources = await this.maskedSources(m, toSign);
    const iat = Math.floor(Date.now() / 1000);
    const signed = await Promise.all(
      toSign.map(async (d) => {
        const claims = sources ? withMaskedMembers(d.payload, sources.get(d.id)) : d.payload;
        return { id: d.id, token: await this.keys.signJwt({ iss: this.config.issuer, jti: d.id, iat, ...claims }, 'secevent+jwt', d.alg as 'EdDSA' | 'RS256') };
      }),
    );
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

  /** Masked fields and access of the partner event notices among them (one query; null when there are none). */
  private async maskedSources(m: EntityManager, toSign: Unsigned[]): Promise<Map<string, MaskedSource> | null> {
    const ids = toSign.filter((d) => partnerEventTypeOf(d.payload) !== null).map((d) => d.id);
    if (!ids.length) return null;
    const rows = (await m.query(MASKED_SOURCES_SQL, [ids])) as Array<{ id: string; full_access: boolean; token: string | null; evidence: Record<string, unknown> | null; reason_codes: string[] | null }>;
    return new Map(rows.map((r) => [r.id, { fullAccess: r.full_access, token: r.token, evidence: r.evidence, reasonCodes: r.reason_codes }]));
  }
}
