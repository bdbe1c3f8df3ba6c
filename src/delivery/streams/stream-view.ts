// The GraphQL view of a stored stream and the SSF-shaped bodies the GraphQL inputs stand for, so
// both surfaces go through the same validation in StreamsService. Pure: no Nest service import.
import { PUSH_METHOD, SsfStream, StreamStatus } from '../stream.entity';
import { EVENTS_SUPPORTED } from './event-types';
import { CreateStreamInput, DeliveryMethod, StreamSigningAlg, StreamType, UpdateStreamInput } from './dto/stream.types';
import { eventsDelivered, pollEndpoint } from './stream-config';

export function streamView(s: SsfStream, issuer: string): StreamType {
  return {
    streamId: s.id,
    iss: issuer,
    aud: s.aud,
    eventsSupported: [...EVENTS_SUPPORTED],
    eventsRequested: s.eventsRequested,
    eventsDelivered: eventsDelivered(s.eventsRequested),
    deliveryMethod: s.deliveryMethod as DeliveryMethod,
    endpointUrl: s.deliveryMethod === PUSH_METHOD ? (s.endpointUrl as string) : pollEndpoint(issuer, s.id),
    hasAuthorizationHeader: s.authorizationHeader !== null,
    description: s.description,
    minVerificationInterval: s.minVerificationInterval,
    signingAlg: s.signingAlg as StreamSigningAlg,
    status: s.status as StreamStatus,
    statusReason: s.statusReason,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

/** The SSF body of a GraphQL create or update: only the fields given (an update merges, like PATCH). */
export function ssfBodyOf(input: CreateStreamInput | UpdateStreamInput): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if ('streamId' in input) body.stream_id = input.streamId;
  if (input.eventsRequested !== undefined && input.eventsRequested !== null) body.events_requested = input.eventsRequested;
  if (input.description !== undefined) body.description = input.description;
  if (input.signingAlg !== undefined && input.signingAlg !== null) body.signing_alg = input.signingAlg;
  const delivery: Record<string, unknown> = {};
  if (input.deliveryMethod !== undefined && input.deliveryMethod !== null) delivery.method = input.deliveryMethod;
  if (input.endpointUrl !== undefined && input.endpointUrl !== null) delivery.endpoint_url = input.endpointUrl;
  if (input.authorizationHeader !== undefined) delivery.authorization_header = input.authorizationHeader;
  if (Object.keys(delivery).length) body.delivery = delivery;
  return body;
}
