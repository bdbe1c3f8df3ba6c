import { Module } from '@nestjs/common';
import { EventsController } from './events.controller';
import { EventsIngestService } from './events.ingest.service';
import { InboundModule } from './inbound/inbound.module';
import { EventsQueryService } from './events.query.service';
import { EventsResolver } from './events.resolver';
import { GatewayEventsService } from './gateway-events.service';
import { RetentionService } from './retention.service';
import { SetVerifierPoolService } from './set-verifier.provider';

@Module({
  imports: [InboundModule],
  controllers: [EventsController],
  providers: [EventsIngestService, EventsQueryService, EventsResolver, RetentionService, SetVerifierPoolService, GatewayEventsService],
  exports: [EventsIngestService, EventsQueryService, GatewayEventsService],
})
export class EventsModule {}
