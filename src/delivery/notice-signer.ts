import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/config';
import { GatewayKeyService } from '../gateway/gateway-key.service';

export interface Unsigned {
  id: string;
  token: string | null;
  payload: Record<string, unknown>;
  /** The stream's signing_alg. */
  alg: string;
}

/**
 * Makes each delivery's SET (profile section 5) the first time it is sent, and stores it, so a
 * redelivery sends the same token with the same `jti` and `iat`. Replicas racing on one delivery
 * agree on whichever token was stored first.
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
    const iat = Math.floor(Date.now() / 1000);
    const signed = await Promise.all(
      toSign.map(async (d) => ({ id: d.id, token: await this.keys.signJwt({ iss: this.config.issuer, jti: d.id, iat, ...d.payload }, 'secevent+jwt', d.alg as 'EdDSA' | 'RS256') })),
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
}
