import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppError, ErrorCode } from '../common/errors';
import { APP_CONFIG, AppConfig } from '../config/config';
import type { Viewer } from './visibility';

/**
 * Give-to-get: reading other partners' events (or scores) can require having published at least
 * GIVE_TO_GET_MIN_EVENTS events in the last GIVE_TO_GET_DAYS, per partner kind. Off by default.
 */
@Injectable()
export class ContributionService {
  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async assertContributes(viewer: Viewer): Promise<void> {
    const required = this.config.giveToGetMinEvents[viewer.kind] ?? 0;
    if (required === 0) return;
    const days = this.config.giveToGetDays;
    const [{ n }] = (await this.db.query(
      `SELECT count(*) AS n FROM (SELECT 1 FROM event WHERE issuer = $1 AND received_at > now() - make_interval(days => $2) LIMIT $3) c`,
      [viewer.id, days, required],
    )) as Array<{ n: string | number }>;
    const published = Number(n);
    if (published < required) {
      throw new AppError(
        ErrorCode.CONTRIBUTION_REQUIRED,
        `give-to-get: publish at least ${required} events in ${days} days to read other partners' data; you have published ${published}. Publish ${required - published} more with publishEvents.`,
        { required, published, days },
      );
    }
  }
}
