import { Module } from '@nestjs/common';
import { ScoringModule } from '../scoring/scoring.module';
import { FanoutService } from './fanout/fanout.service';
import { NoticeSigner } from './notice-signer';
import { SsfController } from './streams/ssf.controller';
import { StreamsService } from './streams/streams.service';
import { StreamsResolver } from './streams/streams.resolver';
import { DeliveryStatusService } from './streams/delivery-status.service';

/**
 * Delivery (SSF transmitter): streams, the fan-out of stored events into the delivery ledger,
 * and the three delivery methods (RFC 8936 poll, RFC 8935 push, GraphQL subscription).
 */
@Module({
  imports: [ScoringModule],
  controllers: [SsfController],
  providers: [NoticeSigner, FanoutService, StreamsService, StreamsResolver, DeliveryStatusService],
  exports: [NoticeSigner, StreamsService],
})
export class DeliveryModule {}
