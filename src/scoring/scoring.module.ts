import { Module } from '@nestjs/common';
import { SharingModule } from '../sharing/sharing.module';
import { ScoringResolver } from './scoring.resolver';
import { ScoringService } from './scoring.service';

@Module({
  imports: [SharingModule],
  providers: [ScoringService, ScoringResolver],
  exports: [ScoringService],
})
export class ScoringModule {}
