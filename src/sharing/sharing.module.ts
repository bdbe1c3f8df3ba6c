import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ContributionService, GiveToGetGuard } from './contribution.service';
import { GrantsResolver } from './grants.resolver';
import { GrantsService } from './grants.service';
import { SharedEventsResolver } from './shared-events.resolver';
import { SharedEventsService } from './shared-events.service';

@Module({
  providers: [ContributionService, { provide: APP_GUARD, useClass: GiveToGetGuard }, GrantsService, GrantsResolver, SharedEventsService, SharedEventsResolver],
  exports: [SharedEventsService, ContributionService],
})
export class SharingModule {}
