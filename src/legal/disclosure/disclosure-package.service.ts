// Issues the disclosure package (README "Disclosure packages"): the gateway-signed bundle of the
// request token, the approvals, every disclosed partner token and the partner keys that signed
// them, which a court checks offline with `risk-exchange legal verify-package`. The first issue
// fulfils the request (APPROVED → FULFILLED); later issues while the window is open are allowed,
// and every issue is recorded like a read.
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { JWK } from 'jose';
import { DataSource, EntityManager } from 'typeorm';
import { AuditAction, SYSTEM_ACTOR } from '../../audit/audit.actions';
import { badInput } from '../../common/errors';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { GatewayKeyService } from '../../gateway/gateway-key.service';
import { Viewer } from '../../sharing/visibility';
import { LegalAction } from '../legal-request.entity';
import { LegalRequestsStore } from '../legal-requests.store';
import { LegalStatus } from '../legal-workflow';
import { DisclosureRecord } from './disclosure-record';
import { disclosedEventsQuery, openDisclosureOf } from './disclosure.service';
import { MAX_PACKAGE_EVENTS, PACKAGE_TYP, PackageEvent, packagePayload, signingKeysOf } from './package';

export interface IssuedPackage {
  requestId: string;
  jti: string;
  jws: string;
  events: number;
  issuedAt: Date;
  status: LegalStatus;
}

@Injectable()
export class DisclosurePackageService {
  constructor(
    private readonly db: DataSource,
    private readonly store: LegalRequestsStore,
    private readonly recorder: DisclosureRecord,
    private readonly gatewayKey: GatewayKeyService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async issue(viewer: Viewer, requestId: string): Promise<IssuedPackage> {
    return this.db.transaction(async (tx) => {
      // Locked: two first issues at once fulfil the request once.
      const request = await openDisclosureOf(tx, viewer, requestId, true);
      // One read, one more than the cap: the cap is checked on what is packaged (no separate count
      // that could race with a publish, nor a count of every event of a huge subject).
      const rows = await disclosedEventsQuery(tx, viewer, requestId).orderBy('e.received_at', 'ASC').addOrderBy('e.id', 'ASC').take(MAX_PACKAGE_EVENTS + 1).getMany();
      if (rows.length > MAX_PACKAGE_EVENTS) {
        throw badInput(`the subject has more than ${MAX_PACKAGE_EVENTS} disclosed events; a disclosure package holds at most ${MAX_PACKAGE_EVENTS} (read them page by page with disclosedEvents)`);
      }
      const events: PackageEvent[] = rows.map((e) => ({ issuer: e.issuer, event_id: e.id, token: e.token }));
      const at = new Date();
      const jti = randomUUID();
      const payload = packagePayload({
        issuer: this.config.issuer,
        at,
        jti,
        request,
        approvals: await this.approvals(tx, request.id),
        events,
        keys: await this.keys(tx, [{ issuer: request.requester, token: request.token }, ...events]),
        // The Ed25519 key only: it is the one that signs packages.
        gatewayJwks: { keys: this.gatewayKey.jwks().keys.filter((k) => k.kty === 'OKP') },
      });
      const jws = await this.gatewayKey.sign(new TextEncoder().encode(JSON.stringify(payload)), PACKAGE_TYP);
      await this.recorder.record(tx, request, 'package', rows.map((e) => ({ id: e.id, issuer: e.issuer })), { package_jti: jti });
      if (request.status === LegalStatus.APPROVED) {
        await this.store.changeStatus(tx, request, {
          to: LegalStatus.FULFILLED,
          operation: 'issue the disclosure package',
          actor: SYSTEM_ACTOR,
          action: LegalAction.FULFILLED,
          audit: AuditAction.LegalFulfil,
          details: { package_jti: jti, events: events.length },
        });
      }
      return { requestId: request.id, jti, jws, events: events.length, issuedAt: at, status: request.status };
    });
  }

  /** Each reviewer's approval with its comment. */
  private async approvals(tx: EntityManager, requestId: string) {
    const history = await this.store.history(tx, requestId);
    return history
      .filter((h) => h.action === LegalAction.APPROVAL)
      .map((h) => ({ reviewer: h.actor, at: h.at, comment: h.reason ?? (typeof h.details?.comment === 'string' ? h.details.comment : null) }));
  }

  /** The keys named by the tokens' kids, each looked up within its own partner (revoked ones too, with their dates). */
  private async keys(tx: EntityManager, tokens: Array<{ issuer: string; token: string }>) {
    const wanted = signingKeysOf(tokens);
    if (!wanted.length) return [];
    const rows = (await tx.query(
      `SELECT partner_id, kid, alg, jwk, created_at, revoked_at FROM partner_key
        WHERE (partner_id, kid) IN (SELECT * FROM unnest($1::varchar[], $2::varchar[])) ORDER BY partner_id, kid`,
      [wanted.map((w) => w.partner), wanted.map((w) => w.kid)],
    )) as Array<{ partner_id: string; kid: string; alg: string; jwk: JWK; created_at: Date; revoked_at: Date | null }>;
    return rows.map((r) => ({ partner: r.partner_id, kid: r.kid, jwk: { ...r.jwk, kid: r.kid, alg: r.alg }, createdAt: new Date(r.created_at), revokedAt: r.revoked_at ? new Date(r.revoked_at) : null }));
  }
}
