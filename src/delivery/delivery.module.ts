import { Module } from '@nestjs/common';
import { NoticeSigner } from './notice-signer';
import { DeliveryDeadLettersService } from './push/dead-letters.service';
import { PushResolver } from './push/push.resolver';
import { PushWorker } from './push/push.worker';

/**
 * Delivery (SSF transmitter): streams, the fan-out of stored events into the delivery ledger,
 * and the three delivery methods (RFC 8936 poll, RFC 8935 push, GraphQL subscription).
 */
@Module({
  providers: [NoticeSigner, PushWorker, DeliveryDeadLettersService, PushResolver],
  exports: [NoticeSigner, PushWorker, DeliveryDeadLettersService],
})
export class DeliveryModule {}
