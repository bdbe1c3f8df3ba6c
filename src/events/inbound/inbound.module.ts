import { Module } from '@nestjs/common';
import { PushTokensResolver } from './push-tokens.resolver';
import { PushTokensService } from './push-tokens.service';

/** Inbound interoperability (issue 14): static push tokens for standard SSF transmitters. */
@Module({
  providers: [PushTokensService, PushTokensResolver],
  exports: [PushTokensService],
})
export class InboundModule {}
