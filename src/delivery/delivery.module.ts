import { Module } from '@nestjs/common';
import { ScoringModule } from '../scoring/scoring.module';
import { FanoutService } from './fanout/fanout.service';
import { NoticeSigner } from './notice-signer';
import { SsfController } from './streams/ssf.controller';
import { StreamsService } from './streams/streams.service';
import { StreamsResolver } from './streams/streams.resolver';
import { DeliveryStatusService } from './streams/delivery-status.service';
import { DeliveryBacklog } from './metrics/delivery-backlog';
import { NoticeLedger } from './poll/notice-ledger';
import { PollController } from './poll/poll.controller';
import { PollService } from './poll/poll.service';
import { NoticesResolver } from './subscription/notices.resolver';
import { NoticesService } from './subscription/notices.service';
import { DeliveryWaker } from './wakeup/delivery-waker';
import { DeliveryDeadLettersService } from './push/dead-letters.service';
import { PushResolver } from './push/push.resolver';
import { PushWorker } from './push/push.worker';

/**
 * Delivery (SSF transmitter): streams, the fan-out of stored events into the delivery ledger,
 * and the three delivery methods (RFC 8936 poll, RFC 8935 push, GraphQL subscription).
 */
@Module({
  imports: [ScoringModule],
  controllers: [SsfController, PollController],
  providers: [
    NoticeSigner, FanoutService, StreamsService, StreamsResolver, DeliveryStatusService, DeliveryWaker, NoticeLedger, PollService, NoticesService,
    NoticesResolver, DeliveryBacklog, PushWorker, DeliveryDeadLettersService, PushResolver,
  ],
  exports: [NoticeSigner, StreamsService, DeliveryWaker, PushWorker, DeliveryDeadLettersService],
})
export class DeliveryModule {}
