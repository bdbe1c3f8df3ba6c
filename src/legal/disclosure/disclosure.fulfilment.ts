// DISCLOSURE: approval opens the access window (set by the workflow as `accessUntil`); the request
// stays APPROVED until its disclosure package is issued (FULFILLED) or the window closes unused (EXPIRED).
import { Injectable, OnModuleInit } from '@nestjs/common';
import { LegalFulfilment } from '../legal-fulfilment';
import { LegalKind } from '../legal-workflow';

@Injectable()
export class DisclosureFulfilment implements OnModuleInit {
  constructor(private readonly fulfilment: LegalFulfilment) {}

  onModuleInit(): void {
    this.fulfilment.register(LegalKind.DISCLOSURE, { approved: async () => ({ fulfilled: false }) });
  }
}
