import { Module } from '@nestjs/common';
import { ScoringModule } from '../scoring/scoring.module';
import { FanoutService } from './fanout/fanout.service';
import { NoticeSigner } from './notice-signer';

/**
 * Delivery (SSF transmitter): streams, the fan-out of stored events into the delivery ledger,
 * and the three delivery methods (RFC 8936 poll, RFC 8935 push, GraphQL subscription).
 */
@Module({
  imports: [ScoringModule],
  providers: [NoticeSigner, FanoutService],
  exports: [NoticeSigner],
})
export class DeliveryModule {}
