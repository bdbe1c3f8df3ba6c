import { Module } from '@nestjs/common';
import { ContributionService } from './contribution.service';
import { GrantsResolver } from './grants.resolver';
import { GrantsService } from './grants.service';
import { SharedEventsResolver } from './shared-events.resolver';
import { SharedEventsService } from './shared-events.service';

@Module({
  providers: [ContributionService, GrantsService, GrantsResolver, SharedEventsService, SharedEventsResolver],
  exports: [SharedEventsService, ContributionService],
})
export class SharingModule {}
