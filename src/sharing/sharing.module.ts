import { Module } from '@nestjs/common';
import { GrantsResolver } from './grants.resolver';
import { GrantsService } from './grants.service';
import { SharedEventsResolver } from './shared-events.resolver';
import { SharedEventsService } from './shared-events.service';

@Module({
  providers: [GrantsService, GrantsResolver, SharedEventsService, SharedEventsResolver],
  exports: [SharedEventsService],
})
export class SharingModule {}
