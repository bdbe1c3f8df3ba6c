import { Module } from '@nestjs/common';
import { DisclosureFulfilment } from './disclosure/disclosure.fulfilment';
import { DisclosureRecord } from './disclosure/disclosure-record';
import { DisclosurePackageService } from './disclosure/disclosure-package.service';
import { DisclosureResolver } from './disclosure/disclosure.resolver';
import { DisclosureService } from './disclosure/disclosure.service';
import { LegalFulfilment } from './legal-fulfilment';
import { LegalRequestsStore } from './legal-requests.store';

/**
 * Legal requests (README "Legal requests"): opened from LEGAL partners' signed tokens, reviewed by
 * OPERATOR compliance officers (four-eyes), carried out by the gateway per kind.
 */
@Module({
  providers: [LegalRequestsStore, LegalFulfilment, DisclosureFulfilment,
    DisclosureRecord, DisclosureService, DisclosurePackageService, DisclosureResolver],
  exports: [LegalRequestsStore, LegalFulfilment],
})
export class LegalModule {}
