import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { DisclosureFulfilment } from './disclosure/disclosure.fulfilment';
import { FreezeDeadlines } from './freeze/freeze-deadlines';
import { FreezeFulfilment } from './freeze/freeze.fulfilment';
import { LegalFulfilment } from './legal-fulfilment';
import { LegalRequestsStore } from './legal-requests.store';
import { PreservationFulfilment } from './preservation/preservation.fulfilment';

/**
 * Legal requests (README "Legal requests"): opened from LEGAL partners' signed tokens, reviewed by
 * OPERATOR compliance officers (four-eyes), carried out by the gateway per kind.
 */
@Module({
  imports: [EventsModule],
  providers: [LegalRequestsStore, LegalFulfilment, DisclosureFulfilment, FreezeFulfilment, FreezeDeadlines, PreservationFulfilment],
  exports: [LegalRequestsStore, LegalFulfilment, FreezeDeadlines],
})
export class LegalModule {}
