import { Module } from '@nestjs/common';
import { LegalFulfilment } from './legal-fulfilment';
import { LegalRequestsStore } from './legal-requests.store';

/**
 * Legal requests (README "Legal requests"): opened from LEGAL partners' signed tokens, reviewed by
 * OPERATOR compliance officers (four-eyes), carried out by the gateway per kind.
 */
@Module({
  providers: [LegalRequestsStore, LegalFulfilment],
  exports: [LegalRequestsStore, LegalFulfilment],
})
export class LegalModule {}
