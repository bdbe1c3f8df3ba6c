import { Module } from '@nestjs/common';
import { ScoringModule } from '../scoring/scoring.module';
import { EventsController } from './events.controller';
import { EventsIngestService } from './events.ingest.service';
import { EventsQueryService } from './events.query.service';
import { EventsResolver } from './events.resolver';
import { RetentionService } from './retention.service';

@Module({
  imports: [ScoringModule],
  controllers: [EventsController],
  providers: [EventsIngestService, EventsQueryService, EventsResolver, RetentionService],
  exports: [EventsIngestService, EventsQueryService],
})
export class EventsModule {}
