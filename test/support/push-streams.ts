import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { DeliveryState } from '../../src/delivery/delivery.entity';
import type { NewNotice } from '../../src/delivery/outbox';
import { PUSH_METHOD, SsfStream } from '../../src/delivery/stream.entity';

export const TIER = 'urn:risk-exchange:event:risk-tier-changed';

/** A push stream row, inserted with TypeORM (until the stream API of the streams branch is merged). */
export async function insertPushStream(ds: DataSource, owner: string, endpointUrl: string, authorizationHeader: string | null = null): Promise<SsfStream> {
  const now = new Date();
  const s: SsfStream = {
    id: randomUUID(), owner, aud: owner, description: null, eventsRequested: [TIER], deliveryMethod: PUSH_METHOD, endpointUrl, authorizationHeader,
    signingAlg: 'EdDSA', minVerificationInterval: 30, status: 'enabled', statusReason: null, lastVerificationAt: null, consecutiveFailures: 0, createdAt: now, updatedAt: now,
  };
  await ds.getRepository(SsfStream).insert(s);
  return s;
}

/** A native tier-change notice for the stream, as the fan-out would enqueue it. */
export function tierNotice(stream: SsfStream, subject = 'subj-push-1'): NewNotice {
  return {
    streamId: stream.id, receiver: stream.owner, eventId: null, eventType: TIER, state: DeliveryState.PENDING as const, push: true,
    payload: { aud: stream.aud, sub_id: { format: 'opaque', id: subject }, events: { [TIER]: { previous_tier: 'none', tier: 'warn', score: 0.71, changed_at: 1_790_000_000 } } },
  };
}

