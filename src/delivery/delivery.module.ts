import { Module } from '@nestjs/common';
import { NoticeSigner } from './notice-signer';
import { DeliveryBacklog } from './metrics/delivery-backlog';
import { NoticeLedger } from './poll/notice-ledger';
import { PollController } from './poll/poll.controller';
import { PollService } from './poll/poll.service';
import { NoticesResolver } from './subscription/notices.resolver';
import { NoticesService } from './subscription/notices.service';
import { DeliveryWaker } from './wakeup/delivery-waker';

/**
 * Delivery (SSF transmitter): streams, the fan-out of stored events into the delivery ledger,
 * and the three delivery methods (RFC 8936 poll, RFC 8935 push, GraphQL subscription).
 */
@Module({
  controllers: [PollController],
  providers: [NoticeSigner, DeliveryWaker, NoticeLedger, PollService, NoticesService, NoticesResolver, DeliveryBacklog],
  exports: [NoticeSigner, DeliveryWaker],
})
export class DeliveryModule {}
