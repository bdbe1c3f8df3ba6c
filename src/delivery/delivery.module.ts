import { Module } from '@nestjs/common';
import { NoticeSigner } from './notice-signer';

/**
 * Delivery (SSF transmitter): streams, the fan-out of stored events into the delivery ledger,
 * and the three delivery methods (RFC 8936 poll, RFC 8935 push, GraphQL subscription).
 */
@Module({
  providers: [NoticeSigner],
  exports: [NoticeSigner],
})
export class DeliveryModule {}
