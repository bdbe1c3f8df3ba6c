import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { DisclosureFulfilment } from './disclosure/disclosure.fulfilment';
import { LegalDeadlines } from './legal-deadlines';
import { FreezeDeadlines } from './freeze/freeze-deadlines';
import { FreezeFulfilment } from './freeze/freeze.fulfilment';
import { DisclosureRecord } from './disclosure/disclosure-record';
import { DisclosurePackageService } from './disclosure/disclosure-package.service';
import { DisclosureResolver } from './disclosure/disclosure.resolver';
import { DisclosureService } from './disclosure/disclosure.service';
import { LegalFulfilment } from './legal-fulfilment';
import { LegalQueries } from './legal-queries';
import { LegalRequestsStore } from './legal-requests.store';
import { LegalResolver } from './legal.resolver';
import { LegalService } from './legal.service';
import { PreservationFulfilment } from './preservation/preservation.fulfilment';

/**
 * Legal requests (README "Legal requests"): opened from LEGAL partners' signed tokens, reviewed by
 * OPERATOR compliance officers (four-eyes), carried out by the gateway per kind.
 */
@Module({
  imports: [EventsModule],
  providers: [
    LegalRequestsStore, LegalFulfilment, DisclosureFulfilment, FreezeFulfilment, FreezeDeadlines, PreservationFulfilment, LegalService, LegalQueries, LegalResolver, LegalDeadlines,
    DisclosureRecord, DisclosureService, DisclosurePackageService, DisclosureResolver,
  ],
  exports: [LegalRequestsStore, LegalFulfilment, LegalDeadlines, FreezeDeadlines],
})
export class LegalModule {}
