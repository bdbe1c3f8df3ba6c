// Stores the gateway's own signed events (the legal freeze flag and its lift) exactly as the ingest
// stores a partner's: one `event` row, the lift's target marked LIFTED, the events-stored hook run
// in the same transaction (so the stored score and the delivery fan-out react as to a partner's
// flag), and an `events.publish` audit entry with actor `@gateway`. `events/` knows nothing of
// legal requests: the caller passes the order's fields.
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AuditAction } from '../audit/audit.actions';
import { AuditService } from '../audit/audit.service';
import { APP_CONFIG, AppConfig } from '../config/config';
import { GatewayKeyService } from '../gateway/gateway-key.service';
import { EventRecord, EventStatus } from './event.entity';
import { EventsStoredHook } from './events-stored.hook';
import { GATEWAY_ISSUER_ID, GatewayEvent, gatewayEventClaims, gatewayEventRow } from './gateway-events';

export { GATEWAY_ISSUER_ID } from './gateway-events';

/** A stored gateway event: its id, its jti and the signed token. */
export interface StoredGatewayEvent {
  id: string;
  jti: string;
  token: string;
}

@Injectable()
export class GatewayEventsService {
  constructor(
    private readonly keys: GatewayKeyService,
    private readonly audit: AuditService,
    private readonly stored: EventsStoredHook,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Signs (Ed25519, `iss` GATEWAY_ISSUER, `aud` the gateway audience, a fresh `jti`) and stores a
   * gateway event in `tx`. A lift targets a gateway flag that must still be ACTIVE: lifting one
   * twice is a programming error of the caller, refused rather than stored.
   */
  async storeGatewayEvent(tx: EntityManager, event: GatewayEvent): Promise<StoredGatewayEvent> {
    const at = new Date();
    const jti = randomUUID();
    const token = await this.keys.signJwt(gatewayEventClaims(event, this.config.issuer, this.config.audience, jti, at), 'secevent+jwt', 'EdDSA');
    const row = gatewayEventRow(event, token, jti, this.keys.kid, at);
    await tx.getRepository(EventRecord).insert(row as never); // jsonb columns: TypeORM's deep-partial type refuses Record<string, unknown>
    if (event.kind === 'lift') {
      const lifted = await tx.getRepository(EventRecord).update(
        { id: event.flag.id, issuer: GATEWAY_ISSUER_ID, status: EventStatus.ACTIVE },
        { status: EventStatus.LIFTED, statusChangedAt: at, statusChangedBy: row.id },
      );
      if (!lifted.affected) throw new Error(`gateway flag ${event.flag.id} is not an active gateway flag: nothing to lift`);
    }
    await this.stored.run(tx, [
      { id: row.id, issuer: GATEWAY_ISSUER_ID, jti, subject: row.subject, type: row.type, targetEventId: event.kind === 'lift' ? event.flag.id : null, receivedAt: at },
    ]);
    await this.audit.append(tx, {
      actor: GATEWAY_ISSUER_ID,
      action: AuditAction.EventsPublish,
      target: row.id,
      details: {
        outcome: 'ok', accepted: 1, duplicate: 0, rejected: 0, accepted_jtis: [jti], gateway_event: event.kind === 'freeze' ? 'account-flag' : 'flag-lifted',
        legal_request_id: event.kind === 'freeze' ? event.order.requestId : event.requestId,
      },
      concerns: [],
    });
    return { id: row.id, jti, token };
  }
}
