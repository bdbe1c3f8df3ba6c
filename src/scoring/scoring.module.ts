import { Module } from '@nestjs/common';
import { SharingModule } from '../sharing/sharing.module';
import { ScoringResolver } from './scoring.resolver';
import { ScoringService } from './scoring.service';
import { ScoreChangesHook } from './score-changes.hook';

@Module({
  imports: [SharingModule],
  providers: [ScoringService, ScoringResolver, ScoreChangesHook],
  exports: [ScoringService, ScoreChangesHook],
})
export class ScoringModule {}
