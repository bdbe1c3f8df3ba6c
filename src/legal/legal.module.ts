import { Module } from '@nestjs/common';
import { DisclosureFulfilment } from './disclosure/disclosure.fulfilment';
import { LegalFulfilment } from './legal-fulfilment';
import { LegalRequestsStore } from './legal-requests.store';

/**
 * Legal requests (README "Legal requests"): opened from LEGAL partners' signed tokens, reviewed by
 * OPERATOR compliance officers (four-eyes), carried out by the gateway per kind.
 */
@Module({
  providers: [LegalRequestsStore, LegalFulfilment, DisclosureFulfilment],
  exports: [LegalRequestsStore, LegalFulfilment],
})
export class LegalModule {}
